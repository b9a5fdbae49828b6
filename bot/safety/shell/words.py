"""Words: from a parsed word (its typed parts) to the fields a program receives.

Bash's expansions, in bash's order, on the parser's word parts:
1. brace expansion over the unquoted text (`/{etc,usr}`, `{1..3}`) — counted before it is done,
   so `{-999999..999999}` costs nothing but a refusal;
2. tilde, parameter, arithmetic and command substitution — a parameter is known only when the
   walker saw its value assigned (`x=/var/log; ls $x`, `for h in pve01 pve02`), else the field
   is dynamic;
3. word splitting of unquoted expansions on IFS, pathname expansion (kept as a glob: the file
   names are not known here), quote removal.

A *literal* field is exactly what the program receives. A dynamic one is never trusted as an
operand of a read-only program (except where only text is expected), and gets *guesses* (the
values the script assigned somewhere, a `${x:-default}`, `$(echo rm)`) that the blocklist
checks as well: guesses may only add risk, never remove it.
"""

from __future__ import annotations

import base64
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from bot.safety.budget import BudgetExceeded
from bot.safety.shell.command import Field
from bot.safety.shell.syntax import Node, ParseError

MAX_BRACE_FIELDS = 256  # fields one word may brace-expand to; more is refused unexpanded
MAX_GUESSES = 8  # alternative readings per word
DEFAULT_IFS = " \t\n"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SEQUENCE = re.compile(r"^(-?\d+|[^\d\\])\.\.(-?\d+|[^\d\\])(?:\.\.(-?\d+))?$")


@dataclass
class Variables:
    """What the walker knows of the shell's variables at one point of the script."""

    known: dict[str, str] = field(default_factory=dict)  # exact values
    seen: dict[str, set[str]] = field(default_factory=dict)  # every value assigned anywhere
    positional: tuple[str, ...] | None = ()  # `bash -c SCRIPT`: no arguments; None: unknown
    arg0: str | None = "bash"
    # `readonly x`, `declare -r x`: bash refuses every later change (the value stays, or a
    # plain assignment ends the script), on every path (`readonly`) or on some (`maybe`).
    readonly: set[str] = field(default_factory=set)
    maybe_readonly: set[str] = field(default_factory=set)

    def copy(self) -> Variables:
        return Variables(
            dict(self.known), self.seen, self.positional, self.arg0,
            set(self.readonly), set(self.maybe_readonly),
        )  # fmt: skip

    def assign(self, name: str, value: str | None) -> None:
        """`name=value`; None: assigned something only known at run time."""
        if name in self.readonly:
            return  # bash keeps the value (or stops): `readonly x=/; x+=tmp` is still /
        if value is None or name in self.maybe_readonly:
            self.known.pop(name, None)
            return
        self.known[name] = value
        self.seen.setdefault(name, set()).add(value)

    def make_readonly(self, name: str, certain: bool = True) -> None:
        """`certain`: on this path for sure; otherwise it may be (`declare $opts x=…`), so a
        later assignment leaves the value unknown."""
        if certain:
            self.readonly.add(name)
        elif name not in self.readonly:
            self.maybe_readonly.add(name)

    def forget(self, names: Iterable[str] | None = None) -> None:
        """Something changed these variables (None: any of them) in a way not followed here;
        nothing changes a readonly one."""
        if names is None:
            self.known = {k: v for k, v in self.known.items() if k in self.readonly}
            self.positional = None
        else:
            for name in names:
                if name not in self.readonly:
                    self.known.pop(name, None)

    def value(self, name: str) -> str | None:
        if name.isdigit() and name != "0":
            if self.positional is None:
                return None
            index = int(name) - 1
            return self.positional[index] if index < len(self.positional) else ""
        if name == "0":
            return self.arg0
        if name == "#":
            return None if self.positional is None else str(len(self.positional))
        return self.known.get(name)

    def guesses(self, name: str) -> list[str]:
        """Values this variable may hold, for the blocklist's guessed readings only."""
        values = set(self.seen.get(name, ()))
        values |= _ASSUMED.get(name, set())
        return sorted(values)


# Assumptions about the environment, used for guessed readings only (never for allowing).
_ASSUMED = {
    "HOME": {"~"},
    "IFS": {" "},
    "SHELL": {"bash"},
    "BASH": {"bash"},
    "0": {"bash"},
    "PWD": {"."},
    "OLDPWD": {".."},
}


@dataclass(frozen=True)
class _Char:
    """One character of a word after quote removal; `quoted` ones have no special meaning."""

    char: str
    quoted: bool


@dataclass(frozen=True)
class _Expansion:
    """The result of one expansion inside a word."""

    value: str | None  # None: only known at run time
    quoted: bool  # inside double quotes: no splitting or globbing
    guesses: tuple[str, ...] = ()
    display: str = "$?"
    fields: tuple[str, ...] | None = None  # "$@": several fields


_Token = _Char | _Expansion


@dataclass(frozen=True)
class Expanded:
    """A word's fields, plus whether they are literal and the guessed readings."""

    fields: tuple[Field, ...]
    guesses: tuple[tuple[str, ...], ...] = ()

    @property
    def literal(self) -> bool:
        return all(f.literal for f in self.fields)


SubstitutionValue = Callable[[Node], str | None]


class WordExpander:
    """Expands word nodes with the variables known at this point of the walk."""

    def __init__(
        self,
        variables: Variables,
        count_fields: Callable[[int], None],
        static_output: SubstitutionValue | None = None,
    ) -> None:
        self.vars = variables
        self.count_fields = count_fields
        self.static_output = static_output or (lambda node: None)

    # --- public --------------------------------------------------------------------------

    def word(self, node: Node | None, split: bool = True) -> Expanded:
        """All expansions of a command word (`split=False` for assignment values, redirection
        targets and here-strings: no brace expansion, splitting or globbing there)."""
        if node is None:
            return Expanded((Field(""),))
        tokens = self._tokens(node.get("Parts", []), quoted=False)
        alternatives = _brace_expand(tokens) if split else [tokens]
        self.count_fields(len(alternatives))
        fields: list[Field] = []
        for alternative in alternatives:
            fields.extend(self._fields(alternative, split))
        guesses = self._guesses(alternatives, split) if not all(f.literal for f in fields) else ()
        return Expanded(tuple(fields), guesses)

    def text(self, node: Node | None) -> tuple[str, bool]:
        """One string (no splitting): (text, literal)."""
        expanded = self.word(node, split=False)
        texts = [f.text for f in expanded.fields]
        return " ".join(texts), expanded.literal

    def heredoc_body(self, node: Node | None, quoted: bool) -> tuple[str, bool]:
        """A here-document's text: verbatim when the delimiter was quoted, else expanded like
        a double-quoted string."""
        if node is None:
            return "", True
        if quoted:
            return "".join(p.get("Value", "") for p in node.get("Parts", [])), True
        tokens = self._tokens(node.get("Parts", []), quoted=True, heredoc=True)
        text, literal = _join(tokens)
        return text, literal

    # --- parts → tokens --------------------------------------------------------------------

    def _tokens(self, parts: Sequence[Node], quoted: bool, heredoc: bool = False) -> list[_Token]:
        tokens: list[_Token] = []
        for part in parts:
            kind = part.get("Type")
            if kind == "Lit":
                tokens.extend(_lit_chars(part.get("Value", ""), quoted, heredoc))
            elif kind == "SglQuoted":
                value = part.get("Value", "")
                text = decode_ansi_c(value) if part.get("Dollar") else value
                tokens.extend(_Char(c, True) for c in text)
                if not text:
                    tokens.append(_Char("", True))
            elif kind == "DblQuoted":
                inner = self._tokens(part.get("Parts", []), quoted=True)
                tokens.extend(inner or [_Char("", True)])
            elif kind == "ParamExp":
                tokens.append(self._parameter(part, quoted))
            elif kind == "CmdSubst":
                output = self.static_output(part)
                guesses = (output,) if output is not None else ()
                tokens.append(_Expansion(None, quoted, guesses, "$(…)"))
            elif kind == "ArithmExp":
                tokens.append(_Expansion(None, quoted, (), "$((…))"))
            elif kind == "ProcSubst":
                tokens.append(_Expansion(None, True, (), "/dev/fd/N"))
            elif kind == "ExtGlob":
                text = part.get("Op", "") + part.get("Pattern", {}).get("Value", "") + ")"
                tokens.extend(_Char(c, quoted or c not in "*?[") for c in text)
                tokens.append(_Char("*", False))  # an extended glob: file names at run time
            else:
                raise ParseError(f"unsupported word part: {kind}")
        return tokens

    def _parameter(self, node: Node, quoted: bool) -> _Expansion:
        name = node.get("Param", {}).get("Value", "")
        display = "${" + name + "}"
        if name in ("@", "*") and not _modified(node):
            if self.vars.positional is None:
                return _Expansion(None, quoted, (), display)
            values = self.vars.positional
            if name == "*" or not quoted:
                return _Expansion(" ".join(values), quoted, (), display)
            return _Expansion(None, quoted, (), display, fields=values)
        value = self.vars.value(name)
        if node.get("Length") and not _modified(node, "Length"):
            return _Expansion(None if value is None else str(len(value)), quoted, (), display)
        if _modified(node, "Exp"):
            guesses = tuple(self.vars.guesses(name))
            return _Expansion(None, quoted, guesses, display)
        exp = node.get("Exp")
        if exp is None:
            return _Expansion(value, quoted, tuple(self.vars.guesses(name)), display)
        return self._with_operator(name, value, exp, quoted, display)

    def _with_operator(
        self, name: str, value: str | None, exp: Node, quoted: bool, display: str
    ) -> _Expansion:
        """`${x:-w}`, `${x-w}`, `${x:=w}`, `${x=w}`, `${x:+w}`, `${x+w}`; others are dynamic."""
        op = exp.get("Op", "")
        word, word_literal = self.text(exp.get("Word"))
        word_value = word if word_literal else None
        guesses = self.vars.guesses(name) + ([word] if word and word_literal else [])
        if op in (":-", "-", ":=", "="):
            if value is None:
                return _Expansion(None, quoted, tuple(guesses), display)
            empty = value == "" if op.startswith(":") else False
            if name not in self.vars.known and not name.isdigit() and name != "0":
                return _Expansion(None, quoted, tuple(guesses), display)
            return _Expansion(word_value if empty else value, quoted, tuple(guesses), display)
        if op in (":+", "+"):
            if value is None:
                return _Expansion(None, quoted, tuple(guesses), display)
            return _Expansion(word_value if value else "", quoted, tuple(guesses), display)
        return _Expansion(None, quoted, tuple(guesses), display)

    # --- tokens → fields -------------------------------------------------------------------

    def _fields(self, tokens: Sequence[_Token], split: bool) -> list[Field]:
        if any(isinstance(t, _Expansion) and t.fields is not None for t in tokens):
            return self._positional_fields(tokens)
        unknown = [t for t in tokens if isinstance(t, _Expansion) and t.value is None]
        if len(tokens) == 1 and unknown and unknown[0].display == "/dev/fd/N":
            return [Field("/dev/fd/N", literal=False, fd=True)]
        if unknown:
            text = "".join(t.char if isinstance(t, _Char) else t.display for t in tokens)
            may_split = split and any(not t.quoted for t in unknown)
            return [Field(text, literal=False, glob=may_split or _has_glob(tokens))]
        if not split:
            return [Field(_join(tokens)[0])]
        return _split_fields(tokens, self._ifs())

    def _positional_fields(self, tokens: Sequence[_Token]) -> list[Field]:
        """`"$@"`: one field per positional parameter, the rest of the word attached."""
        out: list[Field] = []
        for token in tokens:
            if isinstance(token, _Expansion) and token.fields is not None:
                out.extend(Field(v) for v in token.fields)
            elif isinstance(token, _Char) and token.char:
                return [Field("".join(_text(t) for t in tokens), literal=False)]
        return out

    def _ifs(self) -> str:
        return self.vars.known.get("IFS", DEFAULT_IFS)

    def _guesses(
        self, alternatives: Sequence[Sequence[_Token]], split: bool
    ) -> tuple[tuple[str, ...], ...]:
        readings: list[tuple[str, ...]] = []
        per_alternative = [list(_token_guesses(a)) for a in alternatives]
        if any(not g for g in per_alternative):
            return ()
        for combo in itertools.islice(itertools.product(*per_alternative), MAX_GUESSES):
            words: list[str] = []
            for text in combo:
                words.extend(_guess_split(text, self._ifs()) if split else [text])
            readings.append(tuple(words))
        return tuple(readings)


def _modified(node: Node, allowed: str = "") -> bool:
    """Does this parameter expansion do anything beyond naming the parameter?"""
    keys = {"Excl", "Length", "Width", "Index", "Slice", "Repl", "Names", "Exp"} - {allowed}
    return any(node.get(k) for k in keys)


def _lit_chars(value: str, quoted: bool, heredoc: bool = False) -> Iterator[_Char]:
    """Characters of a literal part with backslash escapes resolved as bash does: unquoted
    `\\x` is a quoted x; inside double quotes (and here-documents) only `\\$ \\` \\" \\\\` and
    `\\<newline>` are escapes (a here-document keeps `\\"`)."""
    i, n = 0, len(value)
    special = "$`\\\n" if heredoc else '$`"\\\n'
    while i < n:
        char = value[i]
        if char == "\\" and i + 1 < n:
            nxt = value[i + 1]
            if not quoted or nxt in special:
                if nxt != "\n":
                    yield _Char(nxt, True)
                i += 2
                continue
        yield _Char(char, quoted)
        i += 1


def _text(token: _Token) -> str:
    if isinstance(token, _Char):
        return token.char
    return token.value if token.value is not None else token.display


def _join(tokens: Sequence[_Token]) -> tuple[str, bool]:
    literal = all(not isinstance(t, _Expansion) or t.value is not None for t in tokens)
    return "".join(_text(t) for t in tokens), literal


def _has_glob(tokens: Sequence[_Token]) -> bool:
    return any(isinstance(t, _Char) and not t.quoted and t.char in "*?[" for t in tokens)


def _split_fields(tokens: Sequence[_Token], ifs: str) -> list[Field]:
    """Word splitting (only unquoted expansion results split) and glob detection."""
    fields: list[Field] = []
    current: list[str] = []
    glob = False
    started = False  # a quoted empty string still makes a field
    for token in tokens:
        if isinstance(token, _Char):
            current.append(token.char)
            glob = glob or (not token.quoted and token.char in "*?[")
            started = True
            continue
        value = token.value or ""
        if token.quoted:
            current.append(value)
            started = True
            continue
        for piece, kind in _ifs_pieces(value, ifs):
            if kind == "text":
                current.append(piece)
                glob = glob or any(c in piece for c in "*?[")
                started = True
            elif started or kind == "sep":
                fields.append(Field("".join(current), glob=glob))
                current, glob, started = [], False, False
    if started:
        fields.append(Field("".join(current), glob=glob))
    if fields and all(isinstance(t, _Char) for t in tokens):
        chars = [t for t in tokens if isinstance(t, _Char)]
        tildes = _tilde_positions(chars)
        if tildes and len(fields) == 1:
            fields[0] = replace(fields[0], tildes=tildes)
    return fields


def _tilde_positions(chars: Sequence[_Char]) -> tuple[int, ...]:
    """Where bash expands `~`: first character, and in `NAME=…` after `=` and each `:`."""
    positions: list[int] = []
    text = "".join(c.char for c in chars)
    offsets = list(itertools.accumulate((len(c.char) for c in chars), initial=0))
    if chars and chars[0].char == "~" and not chars[0].quoted and _plain_prefix(chars, 0, "/"):
        positions.append(0)
    eq = next((i for i, c in enumerate(chars) if c.char == "=" and not c.quoted), None)
    name_ok = (
        eq is not None
        and all(not c.quoted for c in chars[:eq])
        and bool(_NAME.match(text[: offsets[eq]]))
    )
    if name_ok and eq is not None:
        for i in range(eq + 1, len(chars)):
            before = chars[i - 1]
            after_separator = (
                before.char in "=:" and not before.quoted and (i - 1 == eq or before.char == ":")
            )
            if (
                chars[i].char == "~"
                and not chars[i].quoted
                and after_separator
                and _plain_prefix(chars, i, "/:")
            ):
                positions.append(offsets[i])
    return tuple(positions)


def _plain_prefix(chars: Sequence[_Char], start: int, stops: str) -> bool:
    """bash expands a tilde-prefix (up to the first unquoted stop character) only when no part
    of it is quoted: `~''` and `~"root"` stay as they are."""
    for char in chars[start + 1 :]:
        if char.char in stops and not char.quoted:
            return True
        if char.quoted:
            return False
    return True


def _ifs_pieces(value: str, ifs: str) -> Iterator[tuple[str, str]]:
    """An unquoted expansion cut by IFS: ("text", "text"), (sep, "ws") for a run of IFS
    white space, (sep, "sep") for a non-white IFS character with the white space around it
    (which always ends a field, even an empty one)."""
    if not ifs:
        yield value, "text"
        return
    white = "".join(c for c in ifs if c in " \t\n")
    other = "".join(c for c in ifs if c not in " \t\n")
    parts = []
    if other:
        ws = f"[{re.escape(white)}]*" if white else ""
        parts.append(f"{ws}[{re.escape(other)}]{ws}")
    if white:
        parts.append(f"[{re.escape(white)}]+")
    pattern = re.compile("|".join(parts))
    position = 0
    for match in pattern.finditer(value):
        if match.start() > position:
            yield value[position : match.start()], "text"
        separator = match.group()
        yield separator, "sep" if any(c in other for c in separator) else "ws"
        position = match.end()
    if position < len(value):
        yield value[position:], "text"


def _guess_split(text: str, ifs: str) -> list[str]:
    if not ifs:
        return [text]
    return [p for p in re.split("[" + re.escape(ifs) + "]+", text) if p]


def _token_guesses(tokens: Sequence[_Token]) -> Iterator[str]:
    choices: list[Sequence[str]] = []
    for token in tokens:
        if isinstance(token, _Char):
            choices.append((token.char,))
        elif token.value is not None:
            choices.append((token.value,))
        elif token.guesses:
            choices.append(token.guesses)
        else:
            return
    for combo in itertools.islice(itertools.product(*choices), MAX_GUESSES):
        yield "".join(combo)


# --- brace expansion ---------------------------------------------------------------------
# Bash's own algorithm (braces.c), quirks included, so the words judged are the words run:
# a `{` opens an expansion only if its matching `}` encloses a comma or `..` at its own
# level; the amble is then a list if it holds *any* unescaped comma (even a nested one — so
# `{{a,b}1..3}` is `a1..3 b1..3`), else a sequence (`{1..3}`, `{a..e}`, `{01..10..2}`); a
# failed sequence stays as typed. The number of words is computed first (no expansion), and
# more than MAX_BRACE_FIELDS is refused.


def _brace_expand(tokens: list[_Token]) -> list[list[_Token]]:
    count = _brace_count(tokens)
    if count > MAX_BRACE_FIELDS:
        raise BudgetExceeded(f"brace expansion would make more than {MAX_BRACE_FIELDS} words")
    return _expand(tokens)


def _is(token: _Token, char: str) -> bool:
    return isinstance(token, _Char) and not token.quoted and token.char == char


def _find_brace(tokens: Sequence[_Token]) -> tuple[int, int] | None:
    """The first `{…}` that bash expands: (open, close)."""
    i = 0
    while i < len(tokens):
        if _is(tokens[i], "{") and not (i > 0 and _is(tokens[i - 1], "$")):
            close, separators = _gobble(tokens, i + 1)
            if close is not None and separators > 0:
                return i, close
        i += 1
    return None


def _gobble(tokens: Sequence[_Token], start: int) -> tuple[int | None, int]:
    """The matching `}` from `start`, and how many commas and `..` sit at its level."""
    level, separators = 0, 0
    for j in range(start, len(tokens)):
        token = tokens[j]
        if _is(token, "}") and level == 0:
            return j, separators
        if _is(token, "{"):
            level += 1
        elif _is(token, "}"):
            level -= 1
        elif (level == 0 and _is(token, ",")) or (
            level == 0
            and _is(token, ".")
            and j + 1 < len(tokens)
            and _is(tokens[j + 1], ".")
            and not (j + 2 < len(tokens) and _is(tokens[j + 2], "}"))
        ):
            separators += 1
    return None, separators


def _split_list(amble: Sequence[_Token]) -> list[list[_Token]] | None:
    """A list amble split at its own level's commas; None when it holds no comma at all."""
    if not any(_is(t, ",") for t in amble):
        return None
    parts: list[list[_Token]] = [[]]
    level = 0
    for token in amble:
        if _is(token, "{"):
            level += 1
        elif _is(token, "}"):
            level -= 1
        if level == 0 and _is(token, ","):
            parts.append([])
        else:
            parts[-1].append(token)
    return parts


def _amble_text(amble: Sequence[_Token]) -> str | None:
    if not all(isinstance(t, _Char) and not t.quoted for t in amble):
        return None
    return "".join(t.char for t in amble if isinstance(t, _Char))


def _sequence_bounds(text: str) -> tuple[str, str, int] | None:
    match = _SEQUENCE.match(text)
    if not match:
        return None
    lo, hi, step = match.group(1), match.group(2), match.group(3)
    if lo.lstrip("-").isdigit() != hi.lstrip("-").isdigit():
        return None
    return lo, hi, abs(int(step)) if step and int(step) != 0 else 1


def _sequence_length(amble: Sequence[_Token]) -> int | None:
    text = _amble_text(amble)
    bounds = _sequence_bounds(text) if text is not None else None
    if bounds is None:
        return None
    lo, hi, step = bounds
    if lo.lstrip("-").isdigit():
        return abs(int(hi) - int(lo)) // step + 1
    return abs(ord(hi) - ord(lo)) // step + 1


def _sequence_items(amble: Sequence[_Token]) -> list[list[_Token]]:
    text = _amble_text(amble)
    assert text is not None
    bounds = _sequence_bounds(text)
    assert bounds is not None
    lo, hi, step = bounds
    if lo.lstrip("-").isdigit():
        a, b = int(lo), int(hi)
        width = max(len(lo), len(hi)) if _zero_padded(lo, hi) else 0
        direction = step if b >= a else -step
        stop = b + (1 if direction > 0 else -1)
        items = [_pad(v, width) for v in range(a, stop, direction)]
    else:
        a_c, b_c = ord(lo), ord(hi)
        direction = step if b_c >= a_c else -step
        items = [chr(v) for v in range(a_c, b_c + (1 if direction > 0 else -1), direction)]
    return [[_Char(c, False) for c in item] for item in items[: MAX_BRACE_FIELDS + 1]]


def _pad(value: int, width: int) -> str:
    if not width:
        return str(value)
    return ("-" + str(-value).zfill(width - 1)) if value < 0 else str(value).zfill(width)


def _zero_padded(lo: str, hi: str) -> bool:
    return any(len(s.lstrip("-")) > 1 and s.lstrip("-").startswith("0") for s in (lo, hi))


def _brace_count(tokens: Sequence[_Token]) -> int:
    """How many words brace expansion makes, without making them (stops early when large)."""
    found = _find_brace(tokens)
    if found is None:
        return 1
    start, close = found
    amble, post = tokens[start + 1 : close], tokens[close + 1 :]
    elements = _split_list(amble)
    if elements is not None:
        middle = 0
        for element in elements:
            middle += _brace_count(element)
            if middle > MAX_BRACE_FIELDS:
                return middle
    else:
        length = _sequence_length(amble)
        if length is None:
            return _brace_count(post) if post else 1
        middle = length
    if middle > MAX_BRACE_FIELDS:
        return middle
    rest = _brace_count(post)
    return middle * rest if rest <= MAX_BRACE_FIELDS else rest


def _expand(tokens: list[_Token]) -> list[list[_Token]]:
    found = _find_brace(tokens)
    if found is None:
        return [tokens]
    start, close = found
    pre, amble, post = tokens[:start], tokens[start + 1 : close], tokens[close + 1 :]
    elements = _split_list(amble)
    if elements is not None:
        middles = [m for element in elements for m in _expand(element)]
    elif _sequence_length(amble) is not None:
        middles = _sequence_items(amble)
    elif post:
        middles = [list(tokens[start : close + 1])]  # a failed sequence stays as typed
    else:
        return [tokens]
    return [pre + middle + rest for middle in middles for rest in _expand(post)]


# --- ANSI-C quoting ------------------------------------------------------------------------

_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "e": "\x1b",
    "E": "\x1b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "?": "?",
}


def decode_ansi_c(text: str) -> str:
    """Bash's `$'…'` escapes: \\n \\t …, \\NNN octal, \\xHH, \\uHHHH, \\UHHHHHHHH, \\cX."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char != "\\" or i + 1 >= n:
            out.append(char)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[nxt])
            i += 2
        elif nxt in "01234567":
            digits = re.match(r"[0-7]{1,3}", text[i + 1 :])
            assert digits is not None
            out.append(chr(int(digits.group(), 8) & 0xFF))
            i += 1 + len(digits.group())
        elif nxt == "x":
            digits = re.match(r"[0-9A-Fa-f]{1,2}", text[i + 2 :])
            if digits is None:
                out.append("\\x")
                i += 2
            else:
                out.append(chr(int(digits.group(), 16)))
                i += 2 + len(digits.group())
        elif nxt in "uU":
            width = 4 if nxt == "u" else 8
            digits = re.match(rf"[0-9A-Fa-f]{{1,{width}}}", text[i + 2 :])
            if digits is None:
                out.append("\\" + nxt)
                i += 2
            else:
                out.append(_code_point(int(digits.group(), 16)))
                i += 2 + len(digits.group())
        elif nxt == "c" and i + 2 < n:
            out.append(chr(ord(text[i + 2].upper()) ^ 0x40) if text[i + 2] != "\\" else "\x1c")
            # bash takes `\c` and two backslashes as one ^\ (`$'\c\\A'` is ^\ then A)
            i += 4 if text[i + 2 : i + 4] == "\\\\" else 3
        else:
            out.append("\\" + nxt)
            i += 2
    return "".join(out)


def _code_point(value: int) -> str:
    try:
        return chr(value)
    except (ValueError, OverflowError):
        return "\ufffd"


# --- statically known command output -------------------------------------------------------


def echo_output(argv: Sequence[str]) -> str | None:
    """What `echo WORDS` / `printf WORD` prints, when that is plain (used for guesses only)."""
    if not argv or argv[0] not in ("echo", "printf"):
        return None
    args = [a for a in argv[1:] if a not in ("-n", "-e", "-E", "--")]
    return " ".join(args)


def base64_decoded(text: str) -> str | None:
    try:
        return base64.b64decode(text.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
