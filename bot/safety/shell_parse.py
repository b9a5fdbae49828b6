"""Detection, part 1: a shell command string as the flat list of simple commands it would run.

The policy never looks at the raw string with regexes; it looks at what bash would execute.
bashlex (a port of bash's own grammar) gives the tree; this module walks every place a command
can hide — pipelines, `;`/`&&`/`||` lists, subshells, `{ }` groups, loops, function bodies,
`$(…)`, backticks, process substitution, here-document substitutions, `bash -c` / `eval` /
`ssh host …` / `find -exec` strings, here-strings fed to a shell — and peels wrappers (`sudo`,
`env`, `timeout`, `xargs`, …) off the real command. Static words are unquoted here, by bash's
rules (bashlex gets some quote mixes wrong), and a differential test holds that to real bash.

Two readings come out. The *literal* reading is what bash runs when every word is static; any
word that depends on run time (a variable, a substitution, ANSI-C quoting bashlex mis-reads)
makes the command non-literal, and the policy never allows a non-literal command. *Variant*
readings resolve what can be guessed statically (`x=rm; $x`, `$(echo rm)`, `$IFS`, `$'\\x72m'`)
so the blocklist can see through them; variants only ever add risk, never remove it. For the
same reason a literal `cd DIR` gives later commands a working directory (`cd / && rm -rf *`).

Anything the walker does not understand raises `ParseError`, which the policy treats as block.
"""

from __future__ import annotations

import base64
import codecs
import itertools
import posixpath
import re
import shlex
import sys
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from types import FrameType

import bashlex

# Caps that keep a hostile input from turning analysis into a denial of service.
MAX_COMMAND_CHARS = 20_000
MAX_NESTING = 4  # `bash -c "bash -c '…'"` levels; deeper is refused rather than guessed
MAX_SIMPLE_COMMANDS = 256
MAX_VARIANTS = 16  # alternative readings per simple command
MAX_BRACE_FIELDS = 64
# bashlex needs ~250 interpreter events per character on real commands; 4x that is headroom.
PARSE_EVENTS_BASE = 50_000
PARSE_EVENTS_PER_CHAR = 1_000

SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "fish", "csh", "tcsh"})
# Options of bash/sh that take a value, so the value is not mistaken for a script file.
_SHELL_VALUE_OPTS = frozenset({"-o", "+o", "-O", "+O", "--rcfile", "--init-file"})
# Variables the walker may assume for *variant* readings only (never for the literal one).
_DEFAULT_ENV = {"HOME": {"~"}, "IFS": {" \t\n"}, "0": {"sh"}, "SHELL": {"sh"}}
_DECLARATION_BUILTINS = frozenset({"export", "declare", "typeset", "local", "readonly"})
_DEFAULT_PARAM = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*|[0-9]+):?[-=](.*)$", re.DOTALL)
_WORD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PARAM_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_ANSI_C = re.compile(r"\$'((?:[^'\\]|\\.)*)'")
_BRACE_GROUP = re.compile(r"\{([^{}]*)\}")
_RANGE = re.compile(r"^(-?\d{1,6})\.\.(-?\d{1,6})$|^([A-Za-z])\.\.([A-Za-z])$")
_TIME_PREFIX = re.compile(r"^\s*time(\s+-p)?\s+")


class ParseError(ValueError):
    """The command cannot be understood well enough to judge it; the policy blocks it."""


class NestingTooDeep(ParseError):
    """`bash -c` / `eval` strings nested deeper than MAX_NESTING."""


@dataclass(frozen=True)
class Redirect:
    """One redirection: `op` as bash spells it (`>`, `>>`, `<`, `<<<`, `>&`, …)."""

    op: str
    target: str  # file name, or the fd number as text
    literal: bool = True
    body: str | None = None  # here-document text

    @property
    def writes(self) -> bool:
        if self.op in {">&", "<&"}:
            return self.op == ">&" and not self.target.isdigit() and self.target != "-"
        return self.op in {">", ">>", ">|", "&>", "&>>", "<>"}


@dataclass(frozen=True)
class SimpleCommand:
    """One command bash would execute, after wrappers are peeled off."""

    argv: tuple[str, ...]
    literal: bool = True  # every word static: what we analysed is exactly what runs
    variant: bool = False  # a detection-only reading (resolved variables, decoded quoting)
    assignments: tuple[str, ...] = ()  # `NAME=value` prefixes (and those given to env/sudo)
    redirects: tuple[Redirect, ...] = ()
    wrappers: tuple[str, ...] = ()  # peeled wrappers, outermost first: ("sudo", "timeout")
    context: tuple[str, ...] = ()  # where it sits: "substitution", "bash -c", "function", …
    stdin_from: tuple[str, ...] = ()  # names of commands piped into this one
    args_from_stdin: bool = False  # under xargs: more arguments arrive at run time
    pipeline_stage: int | None = None
    background: bool = False
    function: str | None = None  # name of the function whose body holds this command
    calls_function: bool = False  # argv[0] names a function defined in the same script
    glob_args: bool = False  # some word is an unquoted glob (expands to unknown file names)
    cwd: str | None = None  # directory of the last literal `cd` before it, for relative paths

    @property
    def name(self) -> str:
        """The program name bash looks up: basename, so `/bin/rm` and `rm` are the same."""
        return posixpath.basename(self.argv[0]) if self.argv else ""

    @property
    def args(self) -> tuple[str, ...]:
        return self.argv[1:]

    def text(self) -> str:
        return shlex.join(self.argv) if self.argv else " ".join(self.assignments)


@dataclass(frozen=True)
class _Word:
    """A word after quote removal (and brace expansion): the fields it becomes."""

    fields: tuple[str, ...]
    literal: bool
    alternatives: tuple[tuple[str, ...], ...] = ()  # variant readings of this word
    globbed: bool = False  # has an unquoted * ? or [ that bash expands to file names


@dataclass(frozen=True)
class _Ctx:
    """What the enclosing constructs contribute to every command inside them."""

    context: tuple[str, ...] = ()
    redirects: tuple[Redirect, ...] = ()
    wrappers: tuple[str, ...] = ()
    stdin_from: tuple[str, ...] = ()
    args_from_stdin: bool = False
    pipeline_stage: int | None = None
    background: bool = False
    function: str | None = None
    dynamic: bool = False  # inside a variant reading: nothing here is literal
    assignments: tuple[str, ...] = ()  # `BASH_ENV=x bash -c …` passes them to what runs

    def inner(self, label: str, **changes: object) -> _Ctx:
        return replace(self, context=(*self.context, label), **changes)  # type: ignore[arg-type]


@dataclass
class _State:
    """Shared across nested parses of one command string."""

    commands: list[SimpleCommand] = field(default_factory=list)
    env: dict[str, set[str]] = field(default_factory=dict)
    functions: set[str] = field(default_factory=set)
    # Last `cd` target seen, in text order. Over-approximate (a `cd` in a branch or subshell
    # counts too): it only helps the blocklist resolve `cd / && rm -rf *`.
    cwd: str | None = None

    def add(self, command: SimpleCommand) -> None:
        if len(self.commands) >= MAX_SIMPLE_COMMANDS:
            raise ParseError(f"more than {MAX_SIMPLE_COMMANDS} simple commands")
        self.commands.append(command)


def parse_command(command: str) -> list[SimpleCommand]:
    """Every simple command in `command`, literal readings first per command, then variants.

    An empty or blank command gives an empty list. Raises ParseError, and nothing else.
    """
    if not isinstance(command, str):
        raise ParseError(f"command must be a string, not {type(command).__name__}")
    if len(command) > MAX_COMMAND_CHARS:
        raise ParseError(f"command longer than {MAX_COMMAND_CHARS} characters")
    if "\x00" in command:
        raise ParseError("command contains a NUL byte")
    state = _State()
    try:
        _parse_script(command, _Ctx(), state, depth=0)
    except ParseError:
        raise
    except Exception as exc:  # bashlex raises many types; any of them means "not understood"
        raise ParseError(f"{type(exc).__name__}: {exc}") from exc
    return [
        replace(c, calls_function=c.name in state.functions) if c.argv else c
        for c in state.commands
    ]


def _parse_script(text: str, ctx: _Ctx, state: _State, depth: int) -> None:
    if depth > MAX_NESTING:
        raise NestingTooDeep(f"shell strings nested more than {MAX_NESTING} levels deep")
    # bashlex does not implement the `time` keyword; a leading one is the common case and
    # times the whole pipeline, so it is dropped (elsewhere, `time` stays unparseable).
    text = _TIME_PREFIX.sub("", text, count=1)
    if _only_comments(text):
        return  # bashlex cannot parse an empty script; a comment-only one runs nothing
    try:
        trees = _bounded_parse(text)
    except (bashlex.errors.ParsingError, NotImplementedError) as exc:
        raise ParseError(str(exc)) from exc
    walker = _Walker(text, state, depth)
    for tree in trees:
        walker.walk(tree, ctx)


def _only_comments(text: str) -> bool:
    # Bash ends lines only at \n and counts only blanks and tabs as leading space.
    return all(
        not line.strip(" \t") or line.lstrip(" \t").startswith("#") for line in text.split("\n")
    )


class _BudgetExceeded(Exception):
    pass


def _bounded_parse(text: str) -> list[bashlex.ast.node]:
    """bashlex.parse with a step budget.

    Some inputs (e.g. `''` `'${'` `$` written as one word) make bashlex loop forever while
    eating memory. A trace function counts interpreter events, which works in any thread
    (unlike signals) and stops the loop deterministically; it costs ~4x on a ~1 ms parse.
    """
    budget = PARSE_EVENTS_BASE + PARSE_EVENTS_PER_CHAR * len(text)
    events = 0

    def tracer(frame: FrameType, event: str, arg: object) -> Callable[..., object]:
        nonlocal events
        events += 1
        if events > budget:
            raise _BudgetExceeded
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)  # type: ignore[arg-type]
    try:
        return bashlex.parse(text)
    except _BudgetExceeded:
        raise ParseError("the shell parser gave up (input too convoluted)") from None
    finally:
        sys.settrace(previous)


class _Walker:
    """Walks one bashlex tree, appending the simple commands it finds to the shared state."""

    def __init__(self, source: str, state: _State, depth: int) -> None:
        self.source = source
        self.state = state
        self.depth = depth

    def walk(self, node: bashlex.ast.node, ctx: _Ctx) -> None:
        handler = getattr(self, f"_walk_{node.kind}", None)
        if handler is None:
            raise ParseError(f"unsupported shell construct: {node.kind}")
        handler(node, ctx)

    def _walk_list(self, node: bashlex.ast.node, ctx: _Ctx) -> None:
        parts = node.parts
        for i, part in enumerate(parts):
            if part.kind == "operator":
                continue
            following = parts[i + 1] if i + 1 < len(parts) else None
            background = following is not None and getattr(following, "op", "") == "&"
            self.walk(part, replace(ctx, background=ctx.background or background))

    def _walk_pipeline(self, node: bashlex.ast.node, ctx: _Ctx) -> None:
        stages = [p for p in node.parts if p.kind not in ("pipe", "reservedword")]
        upstream: list[str] = []
        for index, stage in enumerate(stages):
            start = len(self.state.commands)
            stdin = ctx.stdin_from if index == 0 else tuple(upstream)
            self.walk(stage, replace(ctx, stdin_from=stdin, pipeline_stage=index))
            upstream.extend(c.name for c in self.state.commands[start:] if c.argv)

    def _walk_compound(self, node: bashlex.ast.node, ctx: _Ctx) -> None:
        # Redirections of `{ …; } > x` apply to every command inside the group.
        redirects = tuple(self._redirect(r, ctx) for r in node.redirects)
        inner = replace(ctx, redirects=ctx.redirects + redirects)
        for part in node.list:
            if part.kind != "reservedword":
                self.walk(part, inner)

    def _walk_flow(self, node: bashlex.ast.node, ctx: _Ctx) -> None:
        for part in node.parts:
            if part.kind == "reservedword":
                continue
            if part.kind == "word":
                self._word(part, ctx)  # `for x in $(…)`: the substitution still runs
            else:
                self.walk(part, ctx)

    _walk_if = _walk_for = _walk_while = _walk_until = _walk_flow

    def _walk_function(self, node: bashlex.ast.node, ctx: _Ctx) -> None:
        name = node.name.word
        self.state.functions.add(name)
        self.walk(node.body, ctx.inner("function", function=name))

    def _walk_reservedword(self, node: bashlex.ast.node, ctx: _Ctx) -> None:
        return None

    _walk_operator = _walk_pipe = _walk_reservedword

    def _walk_command(self, node: bashlex.ast.node, ctx: _Ctx) -> None:
        words: list[_Word] = []
        assignments: list[_Word] = []
        redirects = list(ctx.redirects)
        for part in node.parts:
            if part.kind == "word":
                words.append(self._word(part, ctx))
            elif part.kind == "assignment":
                assignments.append(self._assignment(part, ctx))
            elif part.kind == "redirect":
                redirects.append(self._redirect(part, ctx))
            else:
                raise ParseError(f"unsupported part of a command: {part.kind}")
        self._emit(words, assignments, redirects, ctx)

    # --- words ---------------------------------------------------------------------------

    def _raw(self, node: bashlex.ast.node) -> str:
        start, end = node.pos
        return self.source[start:end]

    def _word(self, node: bashlex.ast.node, ctx: _Ctx) -> _Word:
        literal = not ctx.dynamic
        for part in getattr(node, "parts", []):
            if part.kind in ("commandsubstitution", "processsubstitution"):
                self._substitution(part, ctx)
                literal = False
            elif part.kind == "parameter":
                literal = False
            elif part.kind != "tilde":
                raise ParseError(f"unsupported word part: {part.kind}")
        raw = self._raw(node)
        if "$'" in raw or '$"' in raw:
            literal = False  # bashlex mis-reads ANSI-C and locale quoting
        # bashlex's own quote removal is wrong for some mixes ('a'"'"'b'), so literal words
        # are unquoted here, by bash's rules.
        text = _unquote(raw) if literal else None
        if text is None:
            return _Word((node.word,), False, self._alternatives(node, raw))
        return _literal_word(text, raw)

    def _substitution(self, part: bashlex.ast.node, ctx: _Ctx) -> None:
        raw = self._raw(part)
        if part.kind == "processsubstitution" and raw.startswith(">("):
            # `tee >(sh)`: the inner command reads what the outer one writes.
            inner = ctx.inner("process substitution", stdin_from=("<process substitution>",))
        else:
            inner = ctx.inner("substitution", stdin_from=ctx.stdin_from)
        self.walk(part.command, replace(inner, redirects=(), pipeline_stage=None))

    def _assignment(self, node: bashlex.ast.node, ctx: _Ctx) -> _Word:
        word = self._word(node, ctx)
        if word.literal:  # bash does no brace expansion or globbing in assignments
            word = _Word((_unquote(self._raw(node)) or node.word,), True)
        name, _, value = word.fields[0].partition("=")
        values = self.state.env.setdefault(name.rstrip("+"), set())
        if word.literal:
            values.add(value)
        return word

    def _alternatives(self, node: bashlex.ast.node, raw: str) -> tuple[tuple[str, ...], ...]:
        """Statically guessed readings of a non-literal word, for the blocklist only."""
        if "$'" in raw:
            return _ansi_c_reading(raw)
        spans: list[tuple[int, int, list[str]]] = []
        base = node.pos[0]
        for part in getattr(node, "parts", []):
            values = self._part_values(part)
            if values is None:
                return ()
            if values:
                spans.append((part.pos[0] - base, part.pos[1] - base, values))
        if not spans:
            return ()
        readings: list[tuple[str, ...]] = []
        for combo in itertools.islice(itertools.product(*(s[2] for s in spans)), MAX_VARIANTS):
            text = raw
            for (start, end, _), value in sorted(zip(spans, combo, strict=True), reverse=True):
                text = text[:start] + value + text[end:]
            readings.append(self._split(text, raw))
        return tuple(readings)

    def _part_values(self, part: bashlex.ast.node) -> list[str] | None:
        """Possible values of one expansion; None when it cannot be guessed, [] for `~`."""
        if part.kind == "tilde":
            return []
        if part.kind == "parameter":
            return self._parameter_values(getattr(part, "value", ""))
        if part.kind == "commandsubstitution":
            return _static_output(part.command)
        return None

    def _parameter_values(self, expression: str) -> list[str] | None:
        """`$x`/`${x}`: the values assigned to x; `${x:-word}`/`${x=word}`: those plus word."""
        match = _DEFAULT_PARAM.match(expression)
        name, default = (match.group(1), match.group(2)) if match else (expression, None)
        if not (_WORD_NAME.match(name) or name.isdigit()):
            return None
        known = set(self.state.env.get(name) or _DEFAULT_ENV.get(name) or ())
        if default is not None and "$" not in default and "`" not in default:
            known.add(default)
        return sorted(known) if known else None

    def _split(self, text: str, raw: str) -> tuple[str, ...]:
        """Word splitting of an unquoted expansion, with the script's own IFS when it set one."""
        if any(q in raw for q in "'\"\\"):
            return (text.replace('"', "").replace("'", ""),)
        separators = "".join(self.state.env.get("IFS", set())) or " \t\n"
        fields = re.split("[" + re.escape(separators) + "]+", text)
        return tuple(f for f in fields if f)

    def _redirect(self, node: bashlex.ast.node, ctx: _Ctx) -> Redirect:
        output = node.output
        body = node.heredoc.value if getattr(node, "heredoc", None) else None
        if isinstance(output, (int, str)):  # `2>&1`, `>&-`
            return Redirect(node.type, str(output), True, body)
        word = self._word(output, ctx)
        # An unquoted here-document still expands `$x` and `$(…)`, which bashlex leaves
        # unparsed: such a body is run-time content, and its substitutions run.
        expands = body is not None and ("$" in body or "`" in body)
        if expands:
            self._heredoc_substitutions(str(body), ctx)
        return Redirect(node.type, " ".join(word.fields), word.literal and not expands, body)

    def _heredoc_substitutions(self, body: str, ctx: _Ctx) -> None:
        """Find the commands in a here-document's `$(…)` by parsing it as the double-quoted
        string it behaves like. A body that does not parse stays merely non-literal."""
        lines = body.split("\n")[:-1]  # bashlex keeps the closing delimiter line
        quoted = "\n".join(lines).replace('"', '\\"')
        start = len(self.state.commands)
        try:
            _parse_script(f': "{quoted}"', ctx.inner("here-document"), self.state, self.depth + 1)
        except NestingTooDeep:
            raise
        except ParseError:
            del self.state.commands[start:]

    # --- commands --------------------------------------------------------------------------

    def _emit(
        self,
        words: Sequence[_Word],
        assignments: Sequence[_Word],
        redirects: Sequence[Redirect],
        ctx: _Ctx,
    ) -> None:
        literal = (
            all(w.literal for w in words)
            and all(a.literal for a in assignments)
            and all(r.literal for r in redirects)
        )
        fields = [(f, w.literal) for w in words for f in w.fields]
        ctx = replace(
            ctx, assignments=ctx.assignments + tuple(f for a in assignments for f in a.fields)
        )
        if fields and fields[0][0] in _DECLARATION_BUILTINS:
            self._declare(fields[1:])
        pending = _Pending(fields, tuple(redirects), literal, any(w.globbed for w in words))
        self._expand(pending, ctx, variant=False)
        for reading in itertools.islice(_variant_readings(words), MAX_VARIANTS):
            vfields = [(f, False) for f in reading]
            vpending = _Pending(vfields, tuple(redirects), False, pending.globbed)
            self._expand(vpending, replace(ctx, dynamic=True), variant=True)

    def _declare(self, fields: list[tuple[str, bool]]) -> None:
        """`export X=/` sets X just like `X=/` does, for the variant readings."""
        for text, literal in fields:
            name, eq, value = text.partition("=")
            if eq and literal and _WORD_NAME.match(name):
                self.state.env.setdefault(name, set()).add(value)

    def _expand(self, pending: _Pending, ctx: _Ctx, variant: bool) -> None:
        """Peel wrappers, recurse into inline scripts, and record what finally runs."""
        fields, inner = _peel_wrappers(pending.fields, ctx)
        # A run-time word anywhere (even `sudo -u $U`) taints what the command runs.
        inner = replace(inner, dynamic=ctx.dynamic or variant or not pending.literal)
        if fields and self._inline_script(fields, pending.redirects, inner):
            return
        command = SimpleCommand(
            argv=tuple(f for f, _ in fields),
            literal=pending.literal and not ctx.dynamic,
            variant=variant,
            assignments=inner.assignments,
            redirects=pending.redirects,
            wrappers=inner.wrappers,
            context=ctx.context,
            stdin_from=ctx.stdin_from,
            args_from_stdin=inner.args_from_stdin,
            pipeline_stage=ctx.pipeline_stage,
            background=ctx.background,
            function=ctx.function,
            glob_args=pending.globbed,
            cwd=self.state.cwd,
        )
        self.state.add(command)
        if command.name in ("cd", "pushd"):
            self.state.cwd = _cd_target(command, self.state.cwd)
        if fields:
            self._nested_commands(fields, inner)

    def _inline_script(
        self, fields: list[tuple[str, bool]], redirects: tuple[Redirect, ...], ctx: _Ctx
    ) -> bool:
        """Parse a literal inline script (`bash -c`, `eval`, here-string to a shell) in place of
        the command that would run it. Returns False when the command must be kept as is."""
        script = _inline_script_of(fields, redirects)
        if script is None:
            return False
        label, text = script
        # The script's commands inherit the shell's redirections: `bash -c 'ls' > /dev/sda`.
        inner = ctx.inner(label, redirects=redirects)
        _parse_script(text, inner, self.state, self.depth + 1)
        return True

    def _nested_commands(self, fields: list[tuple[str, bool]], ctx: _Ctx) -> None:
        """Commands that run *besides* this one: `find -exec`, `ssh host cmd`, `watch cmd`."""
        name = posixpath.basename(fields[0][0])
        argv = [f for f, _ in fields]
        all_literal = all(lit for _, lit in fields)
        if name == "find":
            for command in _find_exec_commands(argv):
                pending = _Pending([(f, all_literal) for f in command], (), all_literal, False)
                self._expand(pending, ctx.inner("find -exec", redirects=()), variant=False)
        elif name in ("ssh", "watch", "su", "runuser") and all_literal:
            script = _remote_script(name, argv[1:])
            if script:
                _parse_script(script, ctx.inner(name), self.state, self.depth + 1)


@dataclass(frozen=True)
class _Pending:
    """A simple command as written, before wrappers are peeled off."""

    fields: list[tuple[str, bool]]  # (text, literal) per argv word
    redirects: tuple[Redirect, ...]
    literal: bool
    globbed: bool


def _peel_wrappers(
    fields: list[tuple[str, bool]], ctx: _Ctx
) -> tuple[list[tuple[str, bool]], _Ctx]:
    """Strip `sudo`, `env`, `timeout`, … off the front; the context records what was peeled."""
    wrappers: list[str] = []
    assignments = list(ctx.assignments)
    from_stdin = ctx.args_from_stdin
    while fields:
        name = posixpath.basename(fields[0][0])
        peel = _PEELERS.get(name)
        args = [f for f, _ in fields[1:]]
        result = peel(args) if peel else None
        if result is None:
            break
        rest, taken_assignments, stdin_args = result
        fields = _rest_fields(fields, args, rest)
        wrappers.append(name)
        assignments.extend(taken_assignments)
        from_stdin = from_stdin or stdin_args
    peeled = replace(
        ctx,
        wrappers=ctx.wrappers + tuple(wrappers),
        assignments=tuple(assignments),
        args_from_stdin=from_stdin,
    )
    return fields, peeled


def _rest_fields(
    fields: list[tuple[str, bool]], args: list[str], rest: list[str]
) -> list[tuple[str, bool]]:
    """The wrapped command's fields, keeping each word's literal flag when it is a suffix."""
    if rest == args[len(args) - len(rest) :]:
        return fields[len(fields) - len(rest) :]
    literal = all(lit for _, lit in fields)  # rebuilt (`env -S`, `sudo -s`): literal if all were
    return [(f, literal) for f in rest]


def _cd_target(command: SimpleCommand, cwd: str | None) -> str | None:
    operands = [a for a in command.args if not a.startswith("-")]
    if not command.literal or len(operands) > 1:
        return None
    target = operands[0] if operands else "~"
    if target.startswith(("/", "~")):
        return target
    return posixpath.join(cwd, target) if cwd else None


def _variant_readings(words: Sequence[_Word]) -> Iterable[tuple[str, ...]]:
    if not any(w.alternatives for w in words):
        return ()
    choices = [w.alternatives or (w.fields,) for w in words]
    return (tuple(f for fields in combo for f in fields) for combo in itertools.product(*choices))


def _static_output(command: bashlex.ast.node) -> list[str] | None:
    """`$(echo rm)`, `$(printf rm)` and `$(echo cm0= | base64 -d)` are statically known."""
    if command.kind == "pipeline":
        stages = [p for p in command.parts if p.kind == "command"]
        if len(stages) != 2 or len(command.parts) != 3:
            return None
        text = _echo_output(stages[0])
        decoder = [w.word for w in stages[1].parts if w.kind == "word"]
        if text is None or decoder[:1] != ["base64"] or not {"-d", "--decode"} & set(decoder):
            return None
        try:
            return [base64.b64decode(text[0], validate=True).decode("utf-8")]
        except (ValueError, UnicodeDecodeError):
            return None
    return _echo_output(command)


def _echo_output(command: bashlex.ast.node) -> list[str] | None:
    if command.kind != "command":
        return None
    words = [p for p in command.parts if p.kind == "word"]
    if len(words) != len(command.parts) or any(getattr(w, "parts", None) for w in words):
        return None
    argv = [w.word for w in words]
    if not argv or argv[0] not in ("echo", "printf"):
        return None
    args = [a for a in argv[1:] if a not in ("-n", "-e", "--")]
    return [" ".join(args)]


def _ansi_c_reading(raw: str) -> tuple[tuple[str, ...], ...]:
    def decode(match: re.Match[str]) -> str:
        try:
            return codecs.decode(
                match.group(1).encode("latin-1", "backslashreplace"), "unicode_escape"
            )
        except (UnicodeDecodeError, ValueError):
            return match.group(1)

    text = _ANSI_C.sub(decode, raw)
    return ((text.replace('"', "").replace("'", ""),),)


def _literal_word(text: str, raw: str) -> _Word:
    """A static word: brace expansion as bash does it (`/{etc,usr}` is two words) and whether
    an unquoted glob remains. Braces mixed with quoting are not mimicked: non-literal."""
    masked = _mask_quoted(raw)
    globbed = any(c in masked for c in "*?[")
    if not any(_brace_items(m.group(1)) is not None for m in _BRACE_GROUP.finditer(masked)):
        return _Word((text,), True, globbed=globbed)
    fields = _brace_expand(text)
    if fields is None or masked != raw:
        return _Word((text,), False, (tuple(fields),) if fields else (), globbed)
    return _Word(tuple(fields), True, globbed=globbed)


def _brace_expand(text: str) -> list[str] | None:
    fields = [text]
    for _ in range(MAX_BRACE_FIELDS):
        expanded = _expand_one_brace(fields)
        if expanded is None:
            return fields
        fields = expanded
        if len(fields) > MAX_BRACE_FIELDS:
            return None
    return None


def _scan_quotes(raw: str) -> Iterator[tuple[str, bool]]:
    """(char, quoted) for each character bash keeps after quote removal; quote characters and
    escaping backslashes are yielded as ("", True). Raises ValueError on an open quote."""
    i, n = 0, len(raw)
    while i < n:
        char = raw[i]
        if char == "\\" and i + 1 < n:
            yield "", True
            yield ("" if raw[i + 1] == "\n" else raw[i + 1]), True
            i += 2
        elif char == "'":
            end = raw.index("'", i + 1)
            yield "", True
            yield from ((c, True) for c in raw[i + 1 : end])
            yield "", True
            i = end + 1
        elif char == '"':
            i = yield from _scan_double_quoted(raw, i + 1)
        else:
            yield char, False
            i += 1


def _scan_double_quoted(raw: str, i: int) -> Generator[tuple[str, bool], None, int]:
    yield "", True
    while raw[i] != '"':  # IndexError on an open quote
        if raw[i] == "\\" and raw[i + 1] in '$`"\\\n':
            yield "", True
            yield ("" if raw[i + 1] == "\n" else raw[i + 1]), True
            i += 2
        else:
            yield raw[i], True
            i += 1
    yield "", True
    return i + 1


def _unquote(raw: str) -> str | None:
    """Quote removal of a static word, or None when it holds quoting bash would expand."""
    if "$'" in raw or '$"' in raw:
        return None
    try:
        return "".join(c for c, _ in _scan_quotes(raw))
    except (ValueError, IndexError):
        return None


def _mask_quoted(raw: str) -> str:
    """The word with every quoted or escaped character (and the quotes) replaced by `_`."""
    try:
        return "".join("_" if quoted else c for c, quoted in _scan_quotes(raw))
    except (ValueError, IndexError):
        return "_" * len(raw)


def _expand_one_brace(fields: list[str]) -> list[str] | None:
    for index, text in enumerate(fields):
        for match in _BRACE_GROUP.finditer(text):
            items = _brace_items(match.group(1))
            if items is None:
                continue
            head, tail = text[: match.start()], text[match.end() :]
            return [*fields[:index], *(head + i + tail for i in items), *fields[index + 1 :]]
    return None


def _brace_items(body: str) -> list[str] | None:
    if "," in body:
        return body.split(",")
    match = _RANGE.match(body)
    if not match:
        return None
    if match.group(1) is not None:
        lo, hi = int(match.group(1)), int(match.group(2))
        step = 1 if hi >= lo else -1
        return [str(i) for i in range(lo, hi + step, step)][: MAX_BRACE_FIELDS + 1]
    lo_c, hi_c = ord(match.group(3)), ord(match.group(4))
    step = 1 if hi_c >= lo_c else -1
    return [chr(i) for i in range(lo_c, hi_c + step, step)]


# --- wrappers ------------------------------------------------------------------------------

# A peeler gets the wrapper's arguments and returns (the wrapped argv, NAME=value assignments
# it consumed, whether more arguments come from stdin), or None when nothing is wrapped (e.g.
# `sudo -l`, `env` alone) so the wrapper itself is what runs.
Peeled = tuple[list[str], list[str], bool]


def _skip_options(
    args: Sequence[str], value_opts: frozenset[str], long_value_opts: frozenset[str] = frozenset()
) -> int:
    """Index of the first operand: skips `-x`, `-xVALUE`, `-x VALUE`, `--long[=v]` and `--`."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return i + 1
        if arg.startswith("--"):
            i += 2 if ("=" not in arg and arg in long_value_opts) else 1
        elif arg.startswith("-") and len(arg) > 1:
            i += 1
            for pos, char in enumerate(arg[1:], start=1):
                if "-" + char in value_opts:
                    i += 1 if pos == len(arg) - 1 else 0
                    break
        else:
            return i
    return i


def _take_assignments(args: list[str]) -> tuple[list[str], list[str]]:
    taken: list[str] = []
    while args and "=" in args[0] and _WORD_NAME.match(args[0].split("=", 1)[0]):
        taken.append(args.pop(0))
    return args, taken


def _flags(args: Sequence[str], stop: int) -> set[str]:
    return {a for a in args[:stop] if a.startswith("-")}


def _peel_sudo(args: list[str]) -> Peeled | None:
    value = frozenset({"-u", "-g", "-p", "-C", "-h", "-D", "-r", "-t", "-T", "-U", "-R"})
    longs = frozenset(
        {
            "--user",
            "--group",
            "--prompt",
            "--close-from",
            "--host",
            "--chdir",
            "--role",
            "--type",
            "--command-timeout",
            "--other-user",
            "--chroot",
        }
    )
    stop = _skip_options(args, value, longs)
    flags = "".join(f for f in _flags(args, stop) if not f.startswith("--"))
    if any(c in flags for c in "elvVK") or "--edit" in args[:stop] or "--list" in args[:stop]:
        return None
    rest, taken = _take_assignments(args[stop:])
    if ("s" in flags or "i" in flags) and rest:
        return ["sh", "-c", " ".join(rest)], taken, False  # sudo -s runs its words via a shell
    return (rest, taken, False) if rest else None


def _peel_doas(args: list[str]) -> Peeled | None:
    stop = _skip_options(args, frozenset({"-u", "-C"}))
    rest = args[stop:]
    return (rest, [], False) if rest else None


def _peel_env(args: list[str]) -> Peeled | None:
    value = frozenset({"-u", "-C", "-S"})
    longs = frozenset({"--unset", "--chdir", "--split-string"})
    split: list[str] = []
    for i, arg in enumerate(args[: _skip_options(args, value, longs)]):
        if arg in ("-S", "--split-string") and i + 1 < len(args):
            split = shlex.split(args[i + 1])  # `env -S "rm -rf /"` splits its string itself
        elif arg.startswith("--split-string="):
            split = shlex.split(arg.split("=", 1)[1])
        elif arg.startswith("-S") and len(arg) > 2:
            split = shlex.split(arg[2:])
    stop = _skip_options(args, value, longs)
    rest = args[stop:]
    if rest == ["-"] or (rest and rest[0] == "-"):
        rest = rest[1:]
    rest, taken = _take_assignments(split + rest)
    return (rest, taken, False) if rest else None


def _peel_simple(
    value_opts: frozenset[str], longs: frozenset[str] = frozenset(), skip: int = 0
) -> Callable[[list[str]], Peeled | None]:
    """A wrapper of the form `name [options] [skip operands] command…`."""

    def peel(args: list[str]) -> Peeled | None:
        rest = args[_skip_options(args, value_opts, longs) :][skip:]
        return (rest, [], False) if rest else None

    return peel


def _peel_command(args: list[str]) -> Peeled | None:
    stop = _skip_options(args, frozenset())
    if {"-v", "-V"} & _flags(args, stop):
        return None  # `command -v x` only looks x up
    rest = args[stop:]
    return (rest, [], False) if rest else None


def _peel_xargs(args: list[str]) -> Peeled | None:
    value = frozenset({"-a", "-d", "-E", "-I", "-L", "-n", "-P", "-s"})
    longs = frozenset(
        {
            "--arg-file",
            "--delimiter",
            "--max-args",
            "--max-procs",
            "--max-chars",
            "--process-slot-var",
            "--max-lines",
        }
    )
    rest = args[_skip_options(args, value, longs) :]
    return (rest or ["echo"], [], True)


def _peel_ionice(args: list[str]) -> Peeled | None:
    stop = _skip_options(args, frozenset({"-c", "-n", "-p", "-P", "-u"}))
    if {"-p", "-P", "-u"} & _flags(args, stop):
        return None  # changes an existing process, runs nothing
    rest = args[stop:]
    return (rest, [], False) if rest else None


_PEELERS: dict[str, Callable[[list[str]], Peeled | None]] = {
    "sudo": _peel_sudo,
    "doas": _peel_doas,
    "env": _peel_env,
    "nohup": _peel_simple(frozenset()),
    "timeout": _peel_simple(frozenset({"-s", "-k"}), frozenset({"--signal", "--kill-after"}), 1),
    "nice": _peel_simple(frozenset({"-n"}), frozenset({"--adjustment"})),
    "ionice": _peel_ionice,
    "stdbuf": _peel_simple(
        frozenset({"-i", "-o", "-e"}), frozenset({"--input", "--output", "--error"})
    ),
    "time": _peel_simple(frozenset({"-f", "-o"}), frozenset({"--format", "--output"})),
    "command": _peel_command,
    "builtin": _peel_simple(frozenset()),
    "exec": _peel_simple(frozenset({"-a"})),
    "xargs": _peel_xargs,
    "setsid": _peel_simple(frozenset()),
    "unbuffer": _peel_simple(frozenset()),
    "chroot": _peel_simple(frozenset(), frozenset({"--userspec", "--groups"}), 1),
    "busybox": _peel_simple(frozenset()),
    "chronic": _peel_simple(frozenset()),
}


# Every program name the parser sees through (besides shells, eval, find, ssh, watch, su).
WRAPPERS = frozenset(_PEELERS)


# --- inline scripts ------------------------------------------------------------------------


def _inline_script_of(
    fields: list[tuple[str, bool]], redirects: tuple[Redirect, ...]
) -> tuple[str, str] | None:
    """(label, script) when this command runs a *literal* script given inline."""
    name = posixpath.basename(fields[0][0])
    if not fields[0][1]:
        return None
    if name == "eval":
        if len(fields) > 1 and all(lit for _, lit in fields):
            return "eval", " ".join(f for f, _ in fields[1:])
        return None
    if name not in SHELLS:
        return None
    args = fields[1:]
    stop = _skip_options([f for f, _ in args], _SHELL_VALUE_OPTS)
    options = [f for f, _ in args[:stop] if f.startswith("-") and not f.startswith("--")]
    if any("c" in o for o in options):
        # `bash -c SCRIPT [name args…]`: SCRIPT is the first operand.
        if stop < len(args) and args[stop][1]:
            return f"{name} -c", args[stop][0]
        return None
    if stop >= len(args):
        return _stdin_script(name, redirects)
    return None


def _stdin_script(name: str, redirects: tuple[Redirect, ...]) -> tuple[str, str] | None:
    """`bash <<< "cmd"` and `bash <<EOF … EOF`: the shell runs its here-string/document."""
    for redirect in redirects:
        if redirect.op == "<<<" and redirect.literal:
            return f"{name} <<<", redirect.target
        if redirect.op in ("<<", "<<-") and redirect.body is not None:
            lines = redirect.body.split("\n")
            if lines and lines[-1].strip() == redirect.target:
                lines = lines[:-1]
            return f"{name} <<", "\n".join(lines)
    return None


def _find_exec_commands(argv: Sequence[str]) -> list[list[str]]:
    """The commands of `find … -exec CMD {} ;`, with `{}` standing for each start path."""
    starts = [
        a for a in itertools.takewhile(lambda a: not a.startswith(("-", "(", "!")), argv[1:])
    ] or ["."]
    commands: list[list[str]] = []
    i = 0
    while i < len(argv):
        if argv[i] in ("-exec", "-execdir", "-ok", "-okdir"):
            end = i + 1
            while end < len(argv) and argv[end] not in (";", "+"):
                end += 1
            template = list(argv[i + 1 : end])
            for start in starts[:4]:
                command = [start if a == "{}" else a.replace("{}", start) for a in template]
                if command:
                    commands.append(command)
            i = end
        i += 1
    return commands


def _remote_script(name: str, args: Sequence[str]) -> str | None:
    """The command string that `ssh host …`, `watch …` or `su -c …` hands to a shell."""
    if name == "ssh":
        value = frozenset("-" + c for c in "BbcDEeFIiJLlmOoPpQRSWw")
        stop = _skip_options(args, value)
        return " ".join(args[stop + 1 :]) or None
    if name == "watch":
        stop = _skip_options(args, frozenset({"-n", "-d", "-q"}), frozenset({"--interval"}))
        return shlex.join(args[stop:]) if "-x" in args[:stop] else " ".join(args[stop:])
    for i, arg in enumerate(args):  # su / runuser: `-c CMD` or `--command=CMD`
        if arg in ("-c", "--command") and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--command="):
            return arg.split("=", 1)[1]
    return None
