"""Where each assistant message lies in a rendered chat template (no heavy imports).

Shared by training (labels on exactly what the assistant wrote, `halops.model.data`) and the
validate stage (fitting examples into the window, `halops.window`), so both measure the same
tokens. Only the tokenizer object is needed; nothing here imports torch or datasets.
"""

from __future__ import annotations

from typing import Any


def assistant_char_spans(tokenizer: Any, messages: list[dict[str, str]]) -> tuple[str, list]:
    """The rendered conversation and the `(start, end)` character span of each assistant turn."""
    text = _render(tokenizer, messages, generation_prompt=False)
    spans = []
    for index, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        prompt = _render(tokenizer, messages[:index], generation_prompt=True)
        turn = _render(tokenizer, messages[: index + 1], generation_prompt=False)
        if not (text.startswith(prompt) and text.startswith(turn) and len(turn) > len(prompt)):
            raise ValueError(f"chat template is not prefix-preserving at message {index}")
        spans.append((len(prompt), len(turn.rstrip())))
    return text, spans


def _render(tokenizer: Any, messages: list[dict[str, str]], generation_prompt: bool) -> str:
    try:
        return tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=generation_prompt
        )
    except Exception as exc:  # jinja raises its own types, e.g. "roles must alternate"
        raise ValueError(f"chat template failed: {exc}") from exc
