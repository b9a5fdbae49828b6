"""What the parser hands to the analyzers: the simple commands bash would run, one by one."""

from __future__ import annotations

import posixpath
import shlex
from dataclasses import dataclass

# Redirection operators that open their target for writing.
WRITE_OPS = frozenset({">", ">>", ">|", "&>", "&>>", "<>"})
HEREDOC_OPS = frozenset({"<<", "<<-"})


@dataclass(frozen=True)
class Field:
    """One word after expansion, as the program will receive it."""

    text: str
    literal: bool = True  # known before run time (no unknown variable, no substitution)
    glob: bool = False  # holds an unquoted * ? [ that bash expands to file names
    # Positions of the unquoted `~` that bash expands to a home directory: at the start, and
    # after `=` and `:` in a `NAME=…` word. The text keeps the `~` (paths.py resolves it); a
    # quoted `~` is a plain character, though the path rules still read it as home, which
    # only ever adds protection.
    tildes: tuple[int, ...] = ()
    fd: bool = False  # a process substitution: a /dev/fd/N pipe from a judged command

    @property
    def tilde(self) -> bool:
        return 0 in self.tildes

    @property
    def maybe_option(self) -> bool:
        """Could this word reach the program as an option (`-x`)? A dynamic word or a glob
        that does not start with a fixed character could."""
        if not self.literal:
            return True
        if self.glob:
            return not self.text[:1] or self.text[0] in "*?[-"
        return self.text.startswith("-")


@dataclass(frozen=True)
class Redirect:
    """One redirection: `op` as bash spells it (`>`, `>>`, `<`, `<<<`, `>&`, `<<`, …)."""

    op: str
    target: str  # file name, fd number as text, or here-document delimiter
    literal: bool = True
    fd: int | None = None  # the redirected descriptor when given (`2>`)
    body: str | None = None  # here-document or here-string content, when known
    body_literal: bool = True  # False when the body still expands at run time
    glob: bool = False

    @property
    def writes(self) -> bool:
        """Opens a file for writing (a duplication like `2>&1` or `>&-` does not)."""
        if self.op in (">&", "<&"):
            return self.op == ">&" and not (self.target.isdigit() or self.target == "-")
        return self.op in WRITE_OPS

    @property
    def reads_file(self) -> bool:
        return self.op in ("<", "<>") or (
            self.op == "<&" and not (self.target.isdigit() or self.target == "-")
        )

    @property
    def feeds_stdin(self) -> bool:
        """Supplies the command's standard input from text in the script."""
        return self.op in HEREDOC_OPS or self.op == "<<<"


@dataclass(frozen=True)
class SimpleCommand:
    """One command bash would execute, after wrappers (`sudo`, `timeout`, …) are peeled off."""

    fields: tuple[Field, ...]
    written: tuple[Field, ...] = ()  # the words as written, before peeling (for tracing)
    assignments: tuple[str, ...] = ()  # `NAME=value` given to the program's environment
    dynamic_assignment: bool = False  # some assignment's value is only known at run time
    redirects: tuple[Redirect, ...] = ()
    wrappers: tuple[str, ...] = ()  # peeled wrappers, outermost first: ("sudo", "timeout")
    wrapper_writes: tuple[str, ...] = ()  # files a wrapper itself writes (`time -o FILE`)
    wrapper_reads: tuple[str, ...] = ()  # files a wrapper reads (`xargs -a FILE`)
    wrapper_notes: tuple[str, ...] = ()  # what wrappers change: "chroot", "remote", …
    unpeeled: bool = False  # a wrapper with undeclared options hides what it runs
    context: tuple[str, ...] = ()  # where it sits: "substitution", "bash -c", "ssh pve01", …
    nested: int = 0  # 0: run by the command's own shell; more: by a shell it starts
    remote_host: str | None = None  # runs on this host (inside `ssh HOST '…'`)
    stdin_from: tuple[str, ...] = ()  # names of the commands piped into this one
    args_from_stdin: bool = False  # under xargs: more arguments arrive at run time
    pipeline_stage: int | None = None
    background: bool = False
    function: str | None = None  # the function whose body holds this command
    calls_function: bool = False  # argv[0] names a function defined in the same script
    cwd: tuple[str | None, ...] = (None,)  # candidate working directories (None: unknown)
    conditional: bool = False  # runs only on some paths (a branch, after `||`, a loop body)
    variant: bool = False  # a detection-only reading (guessed variables, decoded output)
    keyword: str | None = None  # "[[", "((" or "case": a shell construct, not a program

    @property
    def argv(self) -> tuple[str, ...]:
        return tuple(f.text for f in self.fields)

    @property
    def name(self) -> str:
        """The program name bash looks up: basename, so `/bin/rm` and `rm` are the same."""
        return posixpath.basename(self.fields[0].text) if self.fields else ""

    @property
    def args(self) -> tuple[str, ...]:
        return self.argv[1:]

    @property
    def literal(self) -> bool:
        """Everything that decides what runs is known: argv, redirections, assignments."""
        return (
            all(f.literal for f in self.fields)
            and all(r.literal for r in self.redirects)
            and not self.dynamic_assignment
        )

    def text(self) -> str:
        words = [*self.assignments, *(f.text for f in self.fields)]
        return shlex.join(words) if words else ""
