"""The walk: a parsed script → every simple command bash would run, in order.

Every place a command can hide is visited: lists, pipelines, subshells, groups, `if`/`case`/
loops (every branch: the policy judges what *may* run), function bodies, `[[ ]]` and `(( ))`,
command and process substitutions anywhere in a word (parameter defaults, array indexes,
arithmetic, here-document bodies, redirection targets), coprocesses, and the strings that other
commands hand to a shell (`bash -c`, `eval`, `ssh host …`, `watch`, `su -c`, `find -exec`,
`flock -c`, `ssh -o ProxyCommand=…`, a script piped or fed as a here-document to a shell).

The walk keeps what a reader of the script would know: variables assigned literally
(`h=pve01`, `for h in pve01 pve02`: the loop is unrolled), the working directory after `cd`,
the functions defined. Anything that could change them in a way not followed here (a `read`,
a function call, a branch) makes them unknown again, so a literal reading is always exact.
"""

from __future__ import annotations

import itertools
import posixpath
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.safety.budget import Budget, BudgetExceeded
from bot.safety.shell.command import Field, Redirect, SimpleCommand
from bot.safety.shell.inline import nested_scripts
from bot.safety.shell.syntax import Node, ParseError, offset, parse_tree
from bot.safety.shell.words import (
    MAX_GUESSES,
    Expanded,
    Variables,
    WordExpander,
    base64_decoded,
    decode_ansi_c,
    echo_output,
)
from bot.safety.shell.wrappers import peel

MAX_CWD_CANDIDATES = 4
# Builtins that assign variables the walk does not follow (their names are in their args).
_ASSIGNING_BUILTINS = frozenset(
    {"read", "mapfile", "readarray", "getopts", "let", "unset", "shift", "set", "wait"}
)
# Builtins that may change *anything* in the shell: the walk forgets what it knew.
_OPAQUE_BUILTINS = frozenset({"source", ".", "eval", "enable", "trap", "declare", "typeset"})
_DECLARATIONS = frozenset({"declare", "typeset", "local", "export", "readonly", "nameref"})
_CONTROL_BUILTINS = frozenset({"break", "continue", "return", "exit"})


@dataclass(frozen=True)
class Ctx:
    """What enclosing constructs contribute to every command inside them."""

    context: tuple[str, ...] = ()
    nested: int = 0
    remote_host: str | None = None
    redirects: tuple[Redirect, ...] = ()
    stdin_from: tuple[str, ...] = ()
    pipeline_stage: int | None = None
    background: bool = False
    function: str | None = None
    conditional: bool = False
    variant: bool = False
    assignments: tuple[str, ...] = ()  # given to a nested shell (`FOO=1 bash -c …`)
    dynamic_assignment: bool = False
    stdin_text: str | None = None  # what the upstream stage prints, when static (`echo /`)

    def inner(self, label: str, **changes: Any) -> Ctx:
        return replace(self, context=(*self.context, label), **changes)


@dataclass
class Shell:
    """The state of one shell process as the walk goes: variables, cwd, functions."""

    variables: Variables
    cwd: tuple[str | None, ...]  # candidate working directories; None: not known
    functions: set[str]

    def fork(self) -> Shell:
        """A subshell: sees everything, changes nothing of its parent."""
        return Shell(self.variables.copy(), self.cwd, self.functions)


@dataclass
class Analysis:
    """Everything one parse produced."""

    commands: list[SimpleCommand]
    functions: set[str]


def parse_command(
    command: str,
    budget: Budget | None = None,
    remote_host: str | None = None,
    cwd: str | None = None,
) -> list[SimpleCommand]:
    """Every simple command of `command`, in order (literal readings and guessed variants).

    `remote_host`: the script runs there (the ssh transport); `cwd`: its known working
    directory. Raises ParseError or BudgetExceeded, nothing else.
    """
    budget = budget or Budget()
    if not isinstance(command, str):
        raise ParseError(f"command must be a string, not {type(command).__name__}")
    walker = Walker(budget)
    ctx = Ctx(remote_host=remote_host, context=(f"ssh {remote_host}",) if remote_host else ())
    shell = Shell(Variables(), (cwd,) if cwd or remote_host is None else ("~",), set())
    try:
        walker.script(command, ctx, shell, depth=0)
    except (ParseError, BudgetExceeded):
        raise
    except RecursionError as exc:
        raise BudgetExceeded("the command nests too deeply") from exc
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ParseError(f"{type(exc).__name__}: {exc}") from exc
    return [
        replace(c, calls_function=c.name in walker.functions) if c.fields else c
        for c in walker.commands
    ]


class Walker:
    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.commands: list[SimpleCommand] = []
        self.functions: set[str] = set()
        self.source = b""  # the script being walked (here-document bodies are cut from it)

    # --- scripts and statements ------------------------------------------------------------

    def script(self, text: str, ctx: Ctx, shell: Shell, depth: int) -> None:
        self.budget.check_nesting(depth)
        tree = parse_tree(text, self.budget.remaining_s())
        self.functions |= set(_function_names(tree))
        outer, self.source = self.source, text.encode("utf-8", "surrogateescape")
        try:
            self.stmts(tree.get("Stmts", []), ctx, shell, depth)
        finally:
            self.source = outer

    def stmts(self, stmts: Sequence[Node], ctx: Ctx, shell: Shell, depth: int) -> None:
        for stmt in stmts:
            self.budget.tick()
            self.stmt(stmt, ctx, shell, depth)

    def stmt(self, stmt: Node, ctx: Ctx, shell: Shell, depth: int) -> None:
        background = bool(stmt.get("Background") or stmt.get("Coprocess"))
        if background:
            ctx = replace(ctx, background=True)
            shell = shell.fork()
        redirects = self.redirects(stmt.get("Redirs", []), ctx, shell, depth)
        cmd = stmt.get("Cmd")
        if cmd is None:
            self.add(SimpleCommand((), redirects=(*ctx.redirects, *redirects)), ctx, shell)
            return
        if redirects and cmd.get("Type") != "CallExpr":
            ctx = replace(ctx, redirects=(*ctx.redirects, *redirects))
            redirects = ()
        handler = getattr(self, "cmd_" + str(cmd.get("Type")), None)
        if handler is None:
            raise ParseError(f"unsupported shell construct: {cmd.get('Type')}")
        handler(cmd, ctx, shell, depth, redirects)

    # --- compound commands -----------------------------------------------------------------

    def cmd_Block(self, node: Node, ctx: Ctx, shell: Shell, depth: int, _r: Any) -> None:
        self.stmts(node.get("Stmts", []), ctx, shell, depth)

    def cmd_Subshell(self, node: Node, ctx: Ctx, shell: Shell, depth: int, _r: Any) -> None:
        self.stmts(node.get("Stmts", []), ctx.inner("subshell"), shell.fork(), depth)

    def cmd_TimeClause(self, node: Node, ctx: Ctx, shell: Shell, depth: int, _r: Any) -> None:
        if node.get("Stmt"):
            self.stmt(node["Stmt"], ctx, shell, depth)

    def cmd_CoprocClause(self, node: Node, ctx: Ctx, shell: Shell, depth: int, _r: Any) -> None:
        inner = ctx.inner("coproc", background=True)
        self.stmt(node["Stmt"], inner, shell.fork(), depth)

    def cmd_BinaryCmd(self, node: Node, ctx: Ctx, shell: Shell, depth: int, _r: Any) -> None:
        op = node.get("Op")
        if op in ("|", "|&"):
            self.pipeline(_pipeline_stages(node), ctx, shell, depth)
            return
        if op not in ("&&", "||"):
            raise ParseError(f"unsupported operator {op}")
        before, cwd_before = len(self.commands), shell.cwd
        self.stmt(node["X"], ctx, shell, depth)
        left = self.commands[before:]
        branch = shell.fork()
        if op == "&&" and _is_cd(left):
            branch.cwd = _cd_success(left[-1], cwd_before)
        self.stmt(node["Y"], replace(ctx, conditional=True), branch, depth)
        _merge(shell, [branch])

    def pipeline(self, stages: Sequence[Node], ctx: Ctx, shell: Shell, depth: int) -> None:
        upstream: list[str] = []
        text: str | None = None
        for index, stage in enumerate(stages):
            start = len(self.commands)
            stdin = ctx.stdin_from if index == 0 else tuple(upstream)
            stage_ctx = replace(ctx, stdin_from=stdin, pipeline_stage=index, stdin_text=text)
            self.stmt(stage, stage_ctx, shell.fork(), depth)
            stage_commands = [c for c in self.commands[start:] if not c.variant]
            upstream.extend(c.name for c in stage_commands if c.fields)
            text = _printed(stage_commands)

    def cmd_IfClause(self, node: Node, ctx: Ctx, shell: Shell, depth: int, _r: Any) -> None:
        branches: list[Shell] = []
        clause: Node | None = node
        first = True
        cond_ctx = ctx
        while clause is not None:
            if clause.get("Cond"):
                self.stmts(clause["Cond"], cond_ctx, shell, depth)
            branch = shell.fork()
            self.stmts(clause.get("Then", []), replace(ctx, conditional=True), branch, depth)
            branches.append(branch)
            clause = clause.get("Else")
            cond_ctx = replace(ctx, conditional=True) if first else cond_ctx
            first = False
        _merge(shell, branches)

    def cmd_WhileClause(self, node: Node, ctx: Ctx, shell: Shell, depth: int, _r: Any) -> None:
        shell.variables.forget(_assigned_names(node))
        loop = shell.fork()
        self.stmts(node.get("Cond", []), ctx, loop, depth)
        self.stmts(node.get("Do", []), replace(ctx, conditional=True), loop, depth)
        _merge(shell, [loop])

    def cmd_ForClause(self, node: Node, ctx: Ctx, shell: Shell, depth: int, _r: Any) -> None:
        loop = node.get("Loop", {})
        body = node.get("Do", [])
        if loop.get("Type") == "CStyleLoop":
            for key in ("Init", "Cond", "Post"):
                self.substitutions(loop.get(key), ctx, shell, depth)
            shell.variables.forget(_assigned_names(node))
            self.loop_body(body, ctx, shell, depth)
            return
        name = loop.get("Name", {}).get("Value", "")
        self.substitutions(loop.get("Items"), ctx, shell, depth)
        items = self.words(loop.get("Items", []), ctx, shell, depth) if "Items" in loop else None
        fields = [f for e in items for f in e.fields] if items is not None else None
        unrollable = (
            fields is not None
            and all(f.literal and not f.glob for f in fields)
            and len(fields) <= self.budget.max_loop_unroll
            and not node.get("Select")
            and not _has_control(body)
        )
        if not unrollable or fields is None:
            shell.variables.forget([name, *_assigned_names(node)])
            for item in fields or []:  # guesses only: `for d in /dev/sd?` → d is /dev/sd?
                shell.variables.seen.setdefault(name, set()).add(item.text)
            self.loop_body(body, ctx, shell, depth)
            return
        for item in fields:  # bash runs the body once per item, in order: so does the walk
            shell.variables.assign(name, item.text)
            self.stmts(body, ctx, shell, depth)

    def loop_body(self, body: Sequence[Node], ctx: Ctx, shell: Shell, depth: int) -> None:
        loop = shell.fork()
        self.stmts(body, replace(ctx, conditional=True), loop, depth)
        _merge(shell, [loop])

    def cmd_CaseClause(self, node: Node, ctx: Ctx, shell: Shell, depth: int, _r: Any) -> None:
        self.substitutions(node.get("Word"), ctx, shell, depth)
        branches = []
        for item in node.get("Items", []):
            self.substitutions(item.get("Patterns"), ctx, shell, depth)
            branch = shell.fork()
            self.stmts(item.get("Stmts", []), replace(ctx, conditional=True), branch, depth)
            branches.append(branch)
        _merge(shell, branches)
        self.add(SimpleCommand((), keyword="case"), ctx, shell)

    def cmd_FuncDecl(self, node: Node, ctx: Ctx, shell: Shell, depth: int, _r: Any) -> None:
        name = node.get("Name", {}).get("Value", "")
        self.functions.add(name)
        shell.functions.add(name)
        # The body runs when called, with whatever the shell holds then: nothing is known.
        body_shell = Shell(Variables(positional=None, arg0=shell.variables.arg0), (None,), set())
        inner = ctx.inner("function", function=name, conditional=True)
        self.stmt(node["Body"], inner, body_shell, depth)

    def cmd_ArithmCmd(self, node: Node, ctx: Ctx, shell: Shell, depth: int, _r: Any) -> None:
        self.substitutions(node.get("X"), ctx, shell, depth)
        shell.variables.forget(_arith_names(node.get("X")))
        self.add(SimpleCommand((), keyword="(("), ctx, shell)

    def cmd_TestClause(self, node: Node, ctx: Ctx, shell: Shell, depth: int, _r: Any) -> None:
        self.substitutions(node.get("X"), ctx, shell, depth)
        self.add(SimpleCommand((), keyword="[["), ctx, shell)

    def cmd_LetClause(self, node: Node, ctx: Ctx, shell: Shell, depth: int, _r: Any) -> None:
        self.substitutions(node.get("Exprs"), ctx, shell, depth)
        shell.variables.forget(_arith_names(node.get("Exprs")))
        self.add(SimpleCommand((), keyword="let"), ctx, shell)

    def cmd_DeclClause(self, node: Node, ctx: Ctx, shell: Shell, depth: int, r: Any) -> None:
        """`export X=1`, `local -a y`, `declare -x …`: a builtin whose arguments assign."""
        self.substitutions(node.get("Args"), ctx, shell, depth)
        variant = node.get("Variant", {}).get("Value", "declare")
        fields: list[Field] = [Field(variant)]
        readonly: bool | None = variant == "readonly"  # None: an option word we cannot read
        for arg in node.get("Args", []):
            new = self.declaration_arg(arg, variant, ctx, shell)
            readonly = _readonly_after(readonly, variant, new)
            name = arg.get("Name", {}).get("Value")
            if name and readonly is not False:
                shell.variables.make_readonly(name, certain=bool(readonly))
            fields.extend(new)
        self.emit(fields, [], False, list(r), ctx, shell, depth)

    def declaration_arg(self, arg: Node, variant: str, ctx: Ctx, shell: Shell) -> list[Field]:
        expander = self.expander(shell)
        name = arg.get("Name", {}).get("Value")
        if arg.get("Naked") and name is None:
            expanded = expander.word(arg.get("Value"))
            if not expanded.literal:
                shell.variables.forget()  # `declare $x`: could assign anything
            return list(expanded.fields)
        if arg.get("Naked"):
            return [Field(name)]
        if arg.get("Array") is not None or arg.get("Index") is not None:
            shell.variables.forget([name])
            return [Field(f"{name}=(…)", literal=False)]
        value, literal = expander.text(arg.get("Value"))
        if arg.get("Append"):
            known = shell.variables.value(name)
            value, literal = (known + value, literal) if known is not None else (value, False)
        if variant == "local" or ctx.function:
            shell.variables.forget([name])
        else:
            shell.variables.assign(name, value if literal else None)
        return [Field(f"{name}={value}", literal=literal)]

    def cmd_TestDecl(self, node: Node, ctx: Ctx, shell: Shell, depth: int, _r: Any) -> None:
        raise ParseError("bats test declarations are not bash")

    # --- simple commands -------------------------------------------------------------------

    def cmd_CallExpr(self, node: Node, ctx: Ctx, shell: Shell, depth: int, r: Any) -> None:
        redirects = list(r)
        self.substitutions(node.get("Assigns"), ctx, shell, depth)
        self.substitutions(node.get("Args"), ctx, shell, depth)
        assignments, dynamic = self.assignments(node.get("Assigns", []), shell)
        expanded = self.words(node.get("Args", []), ctx, shell, depth)
        fields = [f for e in expanded for f in e.fields]
        if not fields:
            for text in assignments:  # `x=1` alone sets a shell variable
                name, _, value = text.partition("=")
                if name.endswith("+"):
                    name = name[:-1]
                    known = shell.variables.value(name)
                    value = known + value if known is not None else value
                    dynamic = dynamic or known is None
                shell.variables.assign(name, None if dynamic else value)
            command = SimpleCommand(
                (), assignments=tuple(assignments), dynamic_assignment=dynamic,
                redirects=(*ctx.redirects, *redirects),
            )  # fmt: skip
            self.add(command, ctx, shell)
            return
        self.emit(fields, assignments, dynamic, redirects, ctx, shell, depth, expanded)

    def assignments(self, assigns: Sequence[Node], shell: Shell) -> tuple[list[str], bool]:
        expander = self.expander(shell)
        out, dynamic = [], False
        for assign in assigns:
            name = assign.get("Name", {}).get("Value", "")
            if assign.get("Array") is not None or assign.get("Index") is not None:
                out.append(f"{name}=(…)")
                dynamic = True
                continue
            value, literal = expander.text(assign.get("Value"))
            out.append(f"{name}{'+' if assign.get('Append') else ''}={value}")
            dynamic = dynamic or not literal
        return out, dynamic

    def words(self, words: Sequence[Node], ctx: Ctx, shell: Shell, depth: int) -> list[Expanded]:
        expander = self.expander(shell)
        out = []
        for word in words:
            expanded = expander.word(word)
            self.budget.count_fields(len(expanded.fields))
            out.append(expanded)
        return out

    def expander(self, shell: Shell) -> WordExpander:
        return WordExpander(shell.variables, self.budget.count_fields, _static_output)

    def emit(
        self,
        fields: list[Field],
        assignments: list[str],
        dynamic: bool,
        redirects: list[Redirect],
        ctx: Ctx,
        shell: Shell,
        depth: int,
        expanded: Sequence[Expanded] = (),
    ) -> None:
        """One simple command as written: peel, record, follow nested scripts, update state.
        Then the guessed readings, if any word has some."""
        all_redirects = (*ctx.redirects, *redirects)
        self.record(fields, assignments, dynamic, all_redirects, ctx, shell, depth, False)
        if not ctx.variant and expanded:
            for reading in _guessed_readings(expanded):
                guessed = [Field(text, literal=False) for text in reading]
                inner = replace(ctx, variant=True)
                try:
                    self.record(
                        guessed, assignments, dynamic, all_redirects, inner, shell.fork(),
                        depth, True,
                    )  # fmt: skip
                except ParseError:
                    continue  # a wrong guess that does not parse runs nothing

    def record(
        self,
        fields: list[Field],
        assignments: list[str],
        dynamic: bool,
        redirects: tuple[Redirect, ...],
        ctx: Ctx,
        shell: Shell,
        depth: int,
        variant: bool,
    ) -> None:
        written = tuple(fields)
        peeled = peel([f.text for f in fields], posixpath.basename)
        if peeled.start >= 0:
            final = list(fields[peeled.start :]) if peeled.words else []
        else:
            literal = all(f.literal for f in fields)
            final = [Field(w, literal=literal) for w in peeled.words]
        command = SimpleCommand(
            tuple(final),
            written=written,
            assignments=(*ctx.assignments, *assignments, *peeled.assignments),
            dynamic_assignment=dynamic or ctx.dynamic_assignment,
            redirects=redirects,
            wrappers=tuple(peeled.wrappers),
            wrapper_writes=tuple(peeled.writes),
            wrapper_reads=tuple(peeled.reads),
            wrapper_notes=tuple(peeled.notes),
            unpeeled=peeled.unpeeled,
            args_from_stdin=peeled.args_from_stdin,
            variant=variant or ctx.variant,
        )
        self.add(command, ctx, shell)
        if peeled.unpeeled:
            self.guess_wrapped(fields, ctx, shell, depth)
        if peeled.args_from_stdin and ctx.stdin_text and not variant:
            # `echo / | xargs rm -rf`: the piped words become arguments (a guess: xargs
            # splits on blanks and quotes, close enough for the blocklist).
            extra = [Field(w, literal=False) for w in ctx.stdin_text.split()[: MAX_GUESSES * 4]]
            self.record(fields + extra, assignments, dynamic, redirects,
                        replace(ctx, variant=True, stdin_text=None), shell.fork(), depth,
                        True)  # fmt: skip
        scripts = nested_scripts(command, peeled.script)
        for script in scripts:
            self.nested(script, command, ctx, shell, depth)
        self.effects(command, shell)

    def guess_wrapped(self, fields: list[Field], ctx: Ctx, shell: Shell, depth: int) -> None:
        """A wrapper with undeclared options: every later word could start the wrapped
        command, so each such reading is checked (as a guess) by the blocklist."""
        for start in range(2, min(len(fields), 2 + MAX_GUESSES)):
            if fields[start].text.startswith("-"):
                continue
            guessed = [Field(f.text, literal=False) for f in fields[start:]]
            self.record(guessed, [], False, (), replace(ctx, variant=True), shell.fork(),
                        depth, True)  # fmt: skip

    def nested(
        self, script: Any, command: SimpleCommand, ctx: Ctx, shell: Shell, depth: int
    ) -> None:
        """A shell string another command runs: parse it as its own script."""
        if script.argv is not None:  # an argv run directly (find -exec, watch -x)
            fields = [Field(w, literal=command.literal) for w in script.argv]
            inner = ctx.inner(script.label, nested=ctx.nested + 1, redirects=())
            self.record(fields, [], False, (), inner, shell.fork(), depth, command.variant)
            return
        inner = ctx.inner(
            script.label,
            nested=ctx.nested + (0 if script.same_shell else 1),
            redirects=() if script.same_shell else command.redirects,
            remote_host=script.remote_host or ctx.remote_host,
            assignments=() if script.same_shell else command.assignments,
            dynamic_assignment=command.dynamic_assignment,
            variant=ctx.variant or command.variant or not script.literal,
        )
        if script.same_shell:
            target = shell
        else:
            cwd: tuple[str | None, ...] = ("~",) if script.remote_host else shell.cwd
            variables = Variables(positional=script.positional, arg0=script.arg0)
            target = Shell(variables, cwd, set())
        try:
            self.script(script.text, inner, target, depth + 1)
        except ParseError:
            if script.literal and not inner.variant:
                raise
            # A guessed or run-time script that does not parse: the policy already refuses
            # the dynamic string itself; its guess just adds nothing.

    def effects(self, command: SimpleCommand, shell: Shell) -> None:
        """What running `command` does to the shell the walk follows."""
        name = command.name
        if command.variant or not command.fields:
            return
        if name in ("cd", "pushd", "popd"):
            shell.cwd = _cd(command, shell.cwd)
            shell.variables.forget(["PWD", "OLDPWD"])
        elif (
            name in _ASSIGNING_BUILTINS
            or name in _OPAQUE_BUILTINS
            or (name == "printf" and "-v" in command.args)
        ):
            shell.variables.forget()
        elif name in shell.functions or name in self.functions:
            shell.variables.forget()  # a function can assign anything
            shell.cwd = (None,)

    # --- redirections and substitutions ----------------------------------------------------

    def redirects(
        self, redirs: Sequence[Node], ctx: Ctx, shell: Shell, depth: int
    ) -> tuple[Redirect, ...]:
        out = []
        expander = self.expander(shell)
        for redir in redirs:
            self.substitutions(redir.get("Word"), ctx, shell, depth)
            op = redir.get("Op", "")
            fd_text = (redir.get("N") or {}).get("Value")
            fd = int(fd_text) if fd_text and fd_text.isdigit() else None
            if op in ("<<", "<<-"):
                delimiter, _ = expander.text(redir.get("Word"))
                quoted = _quoted_word(redir.get("Word"))
                if quoted:
                    # Any quoting in the delimiter keeps the body verbatim in bash; mvdan/sh
                    # 3.14 still expands it for a partly quoted one (`E"O"F`), so the body is
                    # cut from the script itself and nothing in it runs.
                    body, literal = (
                        _drop_delimiter(self.verbatim(redir.get("Hdoc")), delimiter),
                        True,
                    )
                else:
                    self.substitutions(redir.get("Hdoc"), ctx, shell, depth)
                    body, literal = expander.heredoc_body(redir.get("Hdoc"), False)
                if op == "<<-":
                    body = "\n".join(line.lstrip("\t") for line in body.split("\n"))
                out.append(Redirect(op, delimiter, True, fd, body, literal))
                continue
            expanded = expander.word(redir.get("Word"), split=False)
            text = " ".join(f.text for f in expanded.fields)
            glob = any(f.glob for f in expanded.fields)
            if op == "<<<":
                out.append(Redirect(op, text, True, fd, text + "\n", expanded.literal))
            else:
                out.append(Redirect(op, text, expanded.literal, fd, glob=glob))
        return tuple(out)

    def verbatim(self, node: Node | None) -> str:
        if not node:
            return ""
        start, end = offset(node, "Pos"), offset(node, "End")
        return self.source[start:end].decode("utf-8", "surrogateescape")

    def substitutions(self, node: Any, ctx: Ctx, shell: Shell, depth: int) -> None:
        """Walk every `$(…)`, backquote and `<(…)`/`>(…)` anywhere under `node`."""
        for kind, stmts in _find_substitutions(node):
            self.budget.tick()
            if kind == "ProcSubst-out":
                # `tee >(sh)`: the inner command reads what the outer one writes.
                inner = ctx.inner("process substitution", stdin_from=("<process substitution>",))
            elif kind == "ProcSubst-in":
                inner = ctx.inner("process substitution")  # runs alongside, asynchronously
            else:
                inner = ctx.inner("substitution")
            inner = replace(inner, redirects=(), pipeline_stage=None)
            self.stmts(stmts, inner, shell.fork(), depth)
        self.arithmetic(node, ctx, shell, depth)

    def arithmetic(self, node: Any, ctx: Ctx, shell: Shell, depth: int) -> None:
        """Arithmetic evaluates the *values* of the variables it names, array subscripts and
        all: `x='a[$(rm -rf /)]'; echo $((x))` runs the rm. A value (known or once assigned)
        holding an expansion is parsed as the code it becomes."""
        for name in _arithmetic_names(node):
            values = set(shell.variables.seen.get(name, ()))
            known = shell.variables.known.get(name)
            if known is not None:
                values.add(known)
            for value in sorted(values):
                if "$" in value or "`" in value:
                    inner = ctx.inner("arithmetic", redirects=(), pipeline_stage=None)
                    start = len(self.commands)
                    self.script(f": {value}", inner, shell.fork(), depth + 1)
                    # Only what the value expands runs; the `:` that carried it does not.
                    self.commands[start:] = [
                        c
                        for c in self.commands[start:]
                        if not (c.name == ":" and c.context == inner.context)
                    ]

    def add(self, command: SimpleCommand, ctx: Ctx, shell: Shell) -> None:
        self.budget.count_command()
        self.commands.append(
            replace(
                command,
                context=ctx.context,
                nested=ctx.nested,
                remote_host=ctx.remote_host,
                stdin_from=ctx.stdin_from,
                pipeline_stage=ctx.pipeline_stage,
                background=ctx.background,
                function=ctx.function,
                conditional=ctx.conditional,
                cwd=shell.cwd,
                variant=command.variant or ctx.variant,
                args_from_stdin=command.args_from_stdin,
            )
        )


# --- helpers ---------------------------------------------------------------------------------


def _pipeline_stages(node: Node) -> list[Node]:
    stages: list[Node] = []
    for side in (node["X"], node["Y"]):
        cmd = side.get("Cmd") or {}
        if (
            cmd.get("Type") == "BinaryCmd"
            and cmd.get("Op") in ("|", "|&")
            and not side.get("Redirs")
        ):
            stages.extend(_pipeline_stages(cmd))
        else:
            stages.append(side)
    return stages


def _find_substitutions(node: Any) -> Iterator[tuple[str, list[Node]]]:
    """(kind, statements) of every substitution under `node`, outermost only (the walk of
    their statements finds the ones nested inside)."""
    if isinstance(node, list):
        for item in node:
            yield from _find_substitutions(item)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("Type")
    if kind == "CmdSubst":
        yield "CmdSubst", node.get("Stmts", [])
        return
    if kind == "ProcSubst":
        out = node.get("Op") == ">("
        yield ("ProcSubst-out" if out else "ProcSubst-in"), node.get("Stmts", [])
        return
    for key, value in node.items():
        if isinstance(value, (dict, list)) and key not in ("Pos", "End"):
            yield from _find_substitutions(value)


def _function_names(node: Any) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _function_names(item)
    elif isinstance(node, dict):
        if node.get("Type") == "FuncDecl":
            yield node.get("Name", {}).get("Value", "")
        for value in node.values():
            if isinstance(value, (dict, list)):
                yield from _function_names(value)


def _assigned_names(node: Any) -> list[str]:
    """Every variable a construct may assign (for loops: before the walk of the body)."""
    names: list[str] = []
    if isinstance(node, list):
        for item in node:
            names.extend(_assigned_names(item))
    elif isinstance(node, dict):
        if "Name" in node and isinstance(node["Name"], dict) and "Value" in node["Name"]:
            names.append(node["Name"]["Value"])
        if node.get("Type") in ("BinaryArithm", "UnaryArithm"):
            names.extend(_arith_names(node))
        for value in node.values():
            if isinstance(value, (dict, list)):
                names.extend(_assigned_names(value))
    return names


def _arith_names(node: Any) -> list[str]:
    names: list[str] = []
    if isinstance(node, list):
        for item in node:
            names.extend(_arith_names(item))
    elif isinstance(node, dict):
        if node.get("Type") == "Lit" and str(node.get("Value", "")).isidentifier():
            names.append(node["Value"])
        for value in node.values():
            if isinstance(value, (dict, list)):
                names.extend(_arith_names(value))
    return names


_ARITHMETIC = frozenset(
    {"ArithmExp", "ArithmCmd", "LetClause", "CStyleLoop", "BinaryArithm", "UnaryArithm",
     "ParenArithm"}
)  # fmt: skip
_ARITHMETIC_TESTS = frozenset({"-eq", "-ne", "-lt", "-le", "-gt", "-ge"})


def _arithmetic_names(node: Any) -> set[str]:
    """Names read by arithmetic anywhere under `node` (including `[[ x -eq y ]]`, `${s:x}`
    and array subscripts)."""
    names: set[str] = set()
    if isinstance(node, list):
        for item in node:
            names |= _arithmetic_names(item)
        return names
    if not isinstance(node, dict):
        return names
    kind = node.get("Type")
    arithmetic = kind in _ARITHMETIC or (
        kind == "BinaryTest" and node.get("Op") in _ARITHMETIC_TESTS
    )
    if arithmetic or node.get("Slice") or node.get("Index"):
        names |= set(_arith_names(node)) | _parameter_names(node)
    for value in node.values():
        if isinstance(value, (dict, list)):
            names |= _arithmetic_names(value)
    return names


def _parameter_names(node: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(node, list):
        for item in node:
            names |= _parameter_names(item)
    elif isinstance(node, dict):
        if node.get("Type") == "ParamExp":
            names.add(node.get("Param", {}).get("Value", ""))
        for value in node.values():
            if isinstance(value, (dict, list)):
                names |= _parameter_names(value)
    return names


def _has_control(body: Any) -> bool:
    """Does a loop body break out or skip (so not every command runs for every item)?"""
    if isinstance(body, list):
        return any(_has_control(item) for item in body)
    if not isinstance(body, dict):
        return False
    if body.get("Type") == "CallExpr":
        args = body.get("Args") or [{}]
        first = args[0].get("Parts") or [{}]
        if first[0].get("Type") == "Lit" and first[0].get("Value") in _CONTROL_BUILTINS:
            return True
    return any(_has_control(v) for v in body.values() if isinstance(v, (dict, list)))


def _quoted_word(word: Node | None) -> bool:
    """A here-document delimiter with any quoting (`'EOF'`, `"EOF"`, `E"O"F`, `\\EOF`)."""
    for part in (word or {}).get("Parts", []):
        if part.get("Type") in ("SglQuoted", "DblQuoted"):
            return True
        if part.get("Type") == "Lit" and "\\" in part.get("Value", ""):
            return True
    return False


def _printed(commands: Sequence[SimpleCommand]) -> str | None:
    """What a pipeline stage prints, as far as it is static: `echo`/`printf` words, or the
    paths `ls`/`find` were given (they print names under them) — guesses for `| xargs`."""
    if len(commands) != 1 or not commands[0].fields:
        return None
    command = commands[0]
    if command.name == "printf" and len(command.argv) > 1:
        return decode_ansi_c(command.argv[1])
    if command.name in ("ls", "find"):
        paths = [a for a in command.args if not a.startswith("-")]
        return " ".join(paths) or None
    return echo_output(list(command.argv)) if command.literal else None


def _drop_delimiter(body: str, delimiter: str) -> str:
    """The parser's here-document span ends with the delimiter line; the body does not."""
    head, sep, last = body.rpartition("\n")
    if last.lstrip("\t") == delimiter:
        return head + sep
    return body


def _readonly_after(readonly: bool | None, variant: str, fields: Sequence[Field]) -> bool | None:
    """Whether the names after these words are made readonly: `declare -r`, `typeset -rx`,
    `local -r` say so; an option word only known at run time may (None)."""
    if readonly or variant not in {"declare", "typeset", "local"}:
        return readonly
    for f in fields:
        if not f.literal:
            readonly = None
        elif f.text.startswith("-") and "=" not in f.text and "r" in f.text[1:]:
            return True
    return readonly


def _merge(shell: Shell, branches: Sequence[Shell]) -> None:
    """After a branch that may or may not have run: keep only what every path agrees on."""
    for branch in branches:
        readonly = branch.variables.readonly | branch.variables.maybe_readonly
        shell.variables.maybe_readonly |= readonly - shell.variables.readonly
    for branch in branches:
        for name in list(shell.variables.known):
            if branch.variables.known.get(name) != shell.variables.known.get(name):
                shell.variables.forget([name])
        if branch.variables.positional != shell.variables.positional:
            shell.variables.positional = None
    # The branches' directories first: past the limit those stay (see _bounded_cwd).
    shell.cwd = _bounded_cwd([*(c for b in branches for c in b.cwd), *shell.cwd])


def _is_cd(commands: Sequence[SimpleCommand]) -> bool:
    return bool(commands) and commands[-1].name == "cd" and not commands[-1].variant


def _cd_target(command: SimpleCommand) -> str | None:
    """The directory a literal `cd` changes to; None when unknown."""
    if not command.literal:
        return None
    operands = [a for a in command.args if not a.startswith("-") or a == "-"]
    if len(operands) > 1 or operands == ["-"]:
        return None
    return operands[0] if operands else "~"


def _cd_success(command: SimpleCommand, cwd: tuple[str | None, ...]) -> tuple[str | None, ...]:
    target = _cd_target(command)
    if target is None or command.name != "cd":
        return (None,)
    if target.startswith(("/", "~")):
        return (posixpath.normpath(target) if target.startswith("/") else target,)
    joined = [posixpath.normpath(posixpath.join(c, target)) if c else None for c in cwd]
    return tuple(dict.fromkeys(joined))


def _cd(command: SimpleCommand, cwd: tuple[str | None, ...]) -> tuple[str | None, ...]:
    """After `cd X;` the shell is in X, or still where it was if the cd failed."""
    if command.name != "cd":
        return (None,)
    success = _cd_success(command, cwd)
    return _bounded_cwd(dict.fromkeys((*success, *cwd)))


def _bounded_cwd(candidates: Iterable[str | None]) -> tuple[str | None, ...]:
    """At most MAX_CWD_CANDIDATES directories; past it the first ones (the newest `cd`
    targets) stay, with "unknown" for the rest: dropping them all would let
    `cd /srv; cd /opt; cd /var; cd /; rm -rf *` lose the `/` that blocks it."""
    kept = tuple(dict.fromkeys(candidates))
    if len(kept) <= MAX_CWD_CANDIDATES:
        return kept
    known = tuple(c for c in kept if c is not None)[: MAX_CWD_CANDIDATES - 1]
    return (*known, None)


def _guessed_readings(expanded: Sequence[Expanded]) -> Iterator[tuple[str, ...]]:
    if all(e.literal for e in expanded) or not any(e.guesses for e in expanded):
        return
    choices = [e.guesses or (tuple(f.text for f in e.fields),) for e in expanded]
    for combo in itertools.islice(itertools.product(*choices), MAX_GUESSES):
        yield tuple(w for words in combo for w in words)


def _static_output(node: Node) -> str | None:
    """`$(echo rm)`, `$(printf rm)` and `$(echo cm0= | base64 -d)` (guesses only)."""
    stmts = node.get("Stmts", [])
    if len(stmts) != 1:
        return None
    cmd = stmts[0].get("Cmd") or {}
    if cmd.get("Type") == "CallExpr":
        return echo_output(_plain_words(cmd))
    if cmd.get("Type") == "BinaryCmd" and cmd.get("Op") == "|":
        left = (cmd["X"].get("Cmd") or {}) if isinstance(cmd.get("X"), dict) else {}
        right = (cmd["Y"].get("Cmd") or {}) if isinstance(cmd.get("Y"), dict) else {}
        text = echo_output(_plain_words(left)) if left.get("Type") == "CallExpr" else None
        decoder = _plain_words(right) if right.get("Type") == "CallExpr" else []
        if text is not None and decoder[:1] == ["base64"] and {"-d", "--decode"} & set(decoder):
            return base64_decoded(text)
    return None


def _plain_words(cmd: Node) -> list[str]:
    words = []
    for arg in cmd.get("Args", []):
        text = ""
        for part in arg.get("Parts", []):
            if part.get("Type") == "Lit" or (
                part.get("Type") == "SglQuoted" and not part.get("Dollar")
            ):
                text += part.get("Value", "")
            elif part.get("Type") == "DblQuoted" and all(
                p.get("Type") == "Lit" for p in part.get("Parts", [])
            ):
                text += "".join(p.get("Value", "") for p in part.get("Parts", []))
            else:
                return []
        words.append(text)
    return words
