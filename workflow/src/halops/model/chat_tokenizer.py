"""The checkpoint's tokenizer and chat template without transformers, for counting tokens.

The curate jobs only need to render conversations with the chat template and count the tokens
of the result (`halops.window`). Importing transformers and building its tokenizer cost ~3.5 s
of CPU in every shard job, more than the counting itself; this loads the same two things from
the checkpoint folder in milliseconds:

* `tokenizer.json` with the `tokenizers` library (what transformers' fast tokenizer wraps), and
* the Jinja chat template, rendered the way transformers renders it (a sandboxed environment
  with `trim_blocks`, `lstrip_blocks`, loop controls, its `tojson` / `raise_exception` /
  `strftime_now`, the special tokens as variables, `None` fields dropped). The `generation`
  tag of training templates renders its body, as transformers does outside mask tracking.

`tests/halops/model/test_chat_tokenizer.py` checks renders, token ids and offsets equal to
transformers' on the committed sample examples and on generated text. A folder this cannot
read (no `tokenizer.json`, a template list) gives None, and the caller uses transformers.

Counting is also memoised by segment: the tokenizers library cuts a text at its added tokens
(`<|im_start|>`...) first and encodes every piece between them on its own, so a text's tokens
are its pieces' tokens laid end to end. Window fitting counts many overlapping conversations
(every piece of a split example, every prefix of a trimmed one), and those repeat the same
messages; each message is now encoded once per job. The cut is used only when every added
token matches as plain text (not normalized, no lstrip/rstrip/single-word), which is when the
library's own cut is a plain leftmost-longest string match.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from tokenizers import Tokenizer

SPECIAL_TOKEN_KEYS = (
    "bos_token",
    "eos_token",
    "unk_token",
    "sep_token",
    "pad_token",
    "cls_token",
    "mask_token",
)
# tokenizer_config.json keys with which transformers rebuilds parts of the tokenizer.json
# pipeline on load (the pre-tokenizer's prefix space, a slow-tokenizer conversion): such a
# folder is left to transformers.
REBUILDING_KEYS = ("add_prefix_space", "from_slow", "legacy")
# Segments remembered per tokenizer; past this the memo starts afresh (bounded memory).
_MEMO_LIMIT = 200_000


class _GenerationTag(jinja2.ext.Extension):
    """`{% generation %}...{% endgeneration %}` (training templates): renders its body."""

    tags: ClassVar[set[str]] = {"generation"}

    def parse(self, parser: Any) -> Any:
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_body"), [], [], body).set_lineno(lineno)

    def _body(self, caller: Any) -> str:
        return caller()


def _raise_exception(message: str) -> None:
    raise jinja2.exceptions.TemplateError(message)


def _tojson(
    value: Any,
    ensure_ascii: bool = False,
    indent: int | None = None,
    separators: Any = None,
    sort_keys: bool = False,
) -> str:
    # transformers' filter: Jinja's own escapes HTML characters.
    return json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
    )


def _strftime_now(format: str) -> str:
    return datetime.now().strftime(format)


def compile_chat_template(source: str) -> jinja2.Template:
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[_GenerationTag, jinja2.ext.loopcontrols]
    )
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    return env.from_string(source)


def _token_text(value: Any) -> str | None:
    """A special token as tokenizer_config.json stores it: a string or an AddedToken dict."""
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) else None


def _added_token_splitter(tokenizer: Tokenizer) -> re.Pattern[str] | None:
    """A pattern matching the added tokens as the library cuts text at them, or None when any
    of them matches otherwise (normalized, stripping, single-word)."""
    added = list(tokenizer.get_added_tokens_decoder().values())
    if any(t.normalized or t.lstrip or t.rstrip or t.single_word for t in added):
        return None
    contents = sorted({token.content for token in added if token.content}, key=len)
    if not contents:
        return None
    # Longest first: Python's alternation takes the first that matches, the library the longest.
    return re.compile("|".join(re.escape(c) for c in reversed(contents)))


@dataclass
class ChatTokenizer:
    """The part of a transformers tokenizer that window fitting uses, duck-typed:
    `apply_chat_template(..., tokenize=False)` and `__call__(text, add_special_tokens=False,
    return_offsets_mapping=True)`, plus `token_starts` (memoised by segment)."""

    tokenizer: Tokenizer
    chat_template: str
    special_tokens: dict[str, str]
    splitter: re.Pattern[str] | None = None
    _template: jinja2.Template = field(init=False, repr=False)
    _memo: dict[str, tuple[int, ...]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._template = compile_chat_template(self.chat_template)

    @classmethod
    def from_dir(cls, directory: Path) -> ChatTokenizer | None:
        """The tokenizer saved in `directory` (transformers' `save_pretrained` layout), or None
        when it is not one this class reads exactly."""
        directory = Path(directory)
        tokenizer_file = directory / "tokenizer.json"
        config_file = directory / "tokenizer_config.json"
        if not (tokenizer_file.is_file() and config_file.is_file()):
            return None
        config = json.loads(config_file.read_text(encoding="utf-8"))
        if any(config.get(key) is not None for key in REBUILDING_KEYS):
            return None  # transformers would change the pipeline that tokenizer.json describes
        template_file = directory / "chat_template.jinja"
        template = (
            template_file.read_text(encoding="utf-8")
            if template_file.is_file()
            else config.get("chat_template")
        )
        if not isinstance(template, str):  # none, or a list of named templates
            return None
        special = {
            key: text for key in SPECIAL_TOKEN_KEYS if (text := _token_text(config.get(key)))
        }
        tokenizer = Tokenizer.from_file(str(tokenizer_file))
        return cls(tokenizer, template, special, _added_token_splitter(tokenizer))

    # --- the transformers interface that halops.window and halops.model.template use ---------

    def apply_chat_template(
        self,
        conversation: list[dict[str, Any]],
        tokenize: bool = False,
        add_generation_prompt: bool = False,
    ) -> str:
        if tokenize:
            raise NotImplementedError("ChatTokenizer renders text; count it with token_starts")
        if not conversation:
            raise ValueError("Cannot apply chat template to an empty conversation.")
        # As transformers does: keys whose value is None are dropped.
        messages = [{k: v for k, v in m.items() if v is not None} for m in conversation]
        return self._template.render(
            messages=messages,
            tools=None,
            documents=None,
            add_generation_prompt=add_generation_prompt,
            **self.special_tokens,
        )

    def __call__(
        self, text: str, add_special_tokens: bool = False, return_offsets_mapping: bool = False
    ) -> dict[str, Any]:
        encoding = self.tokenizer.encode(text, add_special_tokens=add_special_tokens)
        out: dict[str, Any] = {"input_ids": encoding.ids}
        if return_offsets_mapping:
            out["offset_mapping"] = encoding.offsets
        return out

    # --- counting -------------------------------------------------------------------------

    def token_starts(self, text: str) -> list[int]:
        """The start offset (in characters) of every token of `text`, encoded without special
        tokens added: the same as the offsets' starts of `self(text)`."""
        if self.splitter is None:
            encoding = self.tokenizer.encode(text, add_special_tokens=False)
            return [start for start, _ in encoding.offsets]
        starts: list[int] = []
        cursor = 0
        for match in self.splitter.finditer(text):
            self._extend(starts, text[cursor : match.start()], cursor)
            starts.append(match.start())  # the added token is one token
            cursor = match.end()
        self._extend(starts, text[cursor:], cursor)
        return starts

    def token_count(self, text: str) -> int:
        """How many tokens `text` has: `len(self.token_starts(text))`, without the list."""
        if self.splitter is None:
            return len(self.tokenizer.encode(text, add_special_tokens=False).ids)
        count = cursor = 0
        for match in self.splitter.finditer(text):
            count += len(self._piece(text[cursor : match.start()])) + 1
            cursor = match.end()
        return count + len(self._piece(text[cursor:]))

    def _piece(self, piece: str) -> tuple[int, ...]:
        """The token starts of a piece without added tokens, relative to the piece."""
        if not piece:
            return ()
        relative = self._memo.get(piece)
        if relative is None:
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            encoding = self.tokenizer.encode(piece, add_special_tokens=False)
            relative = self._memo[piece] = tuple(start for start, _ in encoding.offsets)
        return relative

    def _extend(self, starts: list[int], piece: str, offset: int) -> None:
        starts.extend(offset + start for start in self._piece(piece))
