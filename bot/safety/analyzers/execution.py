"""Code whose text the policy cannot see: piped into a shell, decoded at run time, given to an
interpreter inline, or read from a file.

A shell or interpreter fed by a pipe runs whatever the upstream command prints (blocked); a
shell string only known at run time (`eval "$x"`, `bash -c "$(curl …)"`) is blocked; inline
code for a non-shell interpreter (`python3 -c`, `perl -e`) is opaque to a shell parser, so a
person reads it (confirmed); a script file is confirmed the same way.
"""

from __future__ import annotations

from bot.safety.analyzers.base import Context, finding, operands, options, words
from bot.safety.shell.command import SimpleCommand
from bot.safety.shell.inline import SHELLS, nested_scripts
from bot.safety.verdict import Decision, RuleFinding

BLOCK, CONFIRM = Decision.BLOCK, Decision.CONFIRM
# Names that run a program read from stdin when given no program operand.
INTERPRETERS = (
    words(
        "python python2 python3 perl ruby node nodejs php lua luajit tclsh wish expect Rscript "
        "pwsh osascript gawk awk mawk at batch jshell groovy julia"
    )
    | SHELLS
)
DECODERS = words("base64 base32 basenc xxd uudecode openssl gpg rev tac zcat gunzip xz bzip2")
# The option that gives each interpreter its program inline.
INLINE_CODE = {
    "python": ("-c",), "python2": ("-c",), "python3": ("-c",), "perl": ("-e", "-E"),
    "ruby": ("-e",), "node": ("-e", "-p", "--eval", "--print"), "nodejs": ("-e", "-p"),
    "php": ("-r",), "lua": ("-e",), "luajit": ("-e",), "Rscript": ("-e",),
    "pwsh": ("-c", "-Command"),
    "julia": ("-e",), "groovy": ("-e",), "osascript": ("-e",),
}  # fmt: skip


def check_pipe_to_shell(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    """A shell or interpreter whose program arrives through a pipe or from xargs."""
    name = command.name
    if command.args_from_stdin and name in SHELLS:
        reason = f"xargs feeds run-time input to {name}"
        return finding("shell.pipe_to_shell", BLOCK, reason, command)
    if name == "ssh" and command.stdin_from and _ssh_reads_stdin(command):
        upstream = ", ".join(dict.fromkeys(command.stdin_from))
        reason = f"output of {upstream} piped into a remote shell"
        return finding("shell.pipe_to_shell", BLOCK, reason, command)
    if name not in INTERPRETERS or not command.stdin_from:
        return []
    if not _reads_program_from_stdin(command):
        return []
    if DECODERS & set(command.stdin_from):
        reason = f"decoded data piped into {name}"
        return finding("shell.decode_to_shell", BLOCK, reason, command)
    upstream = ", ".join(dict.fromkeys(command.stdin_from))
    reason = f"output of {upstream} piped into {name}"
    return finding("shell.pipe_to_shell", BLOCK, reason, command)


def _ssh_reads_stdin(command: SimpleCommand) -> bool:
    from bot.safety.shell.inline import ssh_destination

    host, remote, values = ssh_destination(command.args)
    if "-n" in values:
        return False
    return host is not None and (not remote or remote[0] in SHELLS)


def _reads_program_from_stdin(command: SimpleCommand) -> bool:
    name, args = command.name, command.args
    opts = options(args)
    if name in ("at", "batch"):
        return "-f" not in opts  # at's operands are a time; the job itself is stdin
    if name in ("awk", "gawk", "mawk"):
        return False  # awk's program is an operand, stdin is data
    inline = INLINE_CODE.get(name, ("-c",))
    if any(
        o in inline or (not o.startswith("--") and "c" in o[1:] and name in SHELLS) for o in opts
    ):
        return False  # program given inline
    ops = operands(args)
    return not ops or ops[0] == "-" or "-s" in opts


def check_dynamic_code(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    """Code whose text is only known at run time: `eval "$x"`, `bash -c "$(curl …)"`,
    `source <(curl …)`, `bash <(curl …)`, a shell fed a run-time here-string."""
    name = command.name
    fed = any(r.feeds_stdin and not r.body_literal for r in command.redirects)
    if command.literal and not command.variant and not (fed and name in INTERPRETERS):
        return []
    if name == "eval" or (name in ("source", ".") and command.args):
        return finding("shell.eval_dynamic", BLOCK, f"{name} of a run-time string", command)
    if name in INTERPRETERS and fed and not _has_program_operand(command):
        reason = f"{name} runs a script that is only known at run time"
        return finding("shell.eval_dynamic", BLOCK, reason, command)
    if name in SHELLS:
        dynamic_args = any(not f.literal for f in command.fields[1:])
        if fed or dynamic_args or not command.fields[0].literal:
            reason = f"{name} runs a script that is only known at run time"
            return finding("shell.eval_dynamic", BLOCK, reason, command)
    return []


def _has_program_operand(command: SimpleCommand) -> bool:
    """Does the interpreter get its program from an option or operand (stdin is then data)?"""
    inline = INLINE_CODE.get(command.name, ("-c",))
    return any(o in inline for o in options(command.args)) or (
        command.name not in SHELLS and bool(operands(command.args))
    )


def check_opaque_code(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    """Programs in languages the shell parser cannot read: a person reads them."""
    name = command.name
    if name in SHELLS:
        if nested_scripts(command, None) or not command.args:
            return []
        if command.name in ("fish", "csh", "tcsh"):
            reason = f"{name} scripts are not shell syntax the policy reads"
            return finding("exec.inline_code", CONFIRM, reason, command)
        reason = f"{name} runs a script file whose content is not judged"
        return finding("exec.script_file", CONFIRM, reason, command)
    if name in ("source", "."):
        reason = f"{name} runs a script file whose content is not judged"
        return finding("exec.script_file", CONFIRM, reason, command)
    inline = INLINE_CODE.get(name)
    if inline is None:
        return []
    if any(o.split("=")[0] in inline for o in options(command.args)) or command.redirects:
        reason = f"{name} runs inline code that is not shell and is not judged"
        return finding("exec.inline_code", CONFIRM, reason, command)
    if operands(command.args):
        reason = f"{name} runs a program file whose content is not judged"
        return finding("exec.script_file", CONFIRM, reason, command)
    return []


ANALYZERS = (check_pipe_to_shell, check_dynamic_code, check_opaque_code)
