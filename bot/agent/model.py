"""The model side of the loop: any OpenAI-compatible chat endpoint (llama.cpp's server here).

The conversation is kept in the text tool-call format the model was trained on
(`halops.contract.toolcall`); native OpenAI `tool_calls`, when a server returns them, are read
too and turned into the same `ToolCall`s. With a `grammar` (`bot.agent.grammar`), llama.cpp's
server constrains decoding to it: the field is llama.cpp's own, so it travels in `extra_body`.
With `until`, the reply is streamed and reading stops once it holds that text: closing the
stream ends generation on the server, so nothing after it is paid for (the evaluation reads
only the first call of a held-out turn).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from halops.contract.toolcall import ToolCall

UNTIL = "until"  # finish_reason of a reply whose reading stopped at its `until` text


class ModelUnavailable(RuntimeError):
    """The model server cannot be reached or answered with an error (an internal error)."""


@dataclass(frozen=True)
class ModelReply:
    text: str
    native_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    model: str | None = None  # the model name the server says answered


class ChatModel(Protocol):
    def complete(self, messages: list[dict[str, Any]]) -> ModelReply: ...


def native_calls(message: Any) -> list[ToolCall]:
    """OpenAI `tool_calls` of a response message as ToolCalls (bad JSON arguments -> {})."""
    calls = []
    for index, call in enumerate(getattr(message, "tool_calls", None) or []):
        try:
            arguments = json.loads(call.function.arguments or "{}")
        except json.JSONDecodeError:
            arguments = {"__unparseable__": call.function.arguments}
        calls.append(ToolCall(call.function.name, arguments, call.id or f"call_{index}"))
    return calls


class OpenAIChatModel:
    """Chat completions through the `openai` client, with deterministic settings by default."""

    def __init__(
        self,
        client: Any,
        model: str,
        *,
        temperature: float = 0.0,
        seed: int | None = 0,
        max_tokens: int = 512,
        timeout_s: float = 120.0,
        grammar: str | None = None,
        until: str | None = None,
    ) -> None:
        self.client, self.model, self.until = client, model, until
        self.options: dict[str, Any] = {
            "temperature": temperature,
            "seed": seed,
            "max_tokens": max_tokens,
        }
        if grammar is not None:
            self.options["extra_body"] = {"grammar": grammar}
        self.timeout_s = timeout_s

    @property
    def grammar(self) -> str | None:
        return self.options.get("extra_body", {}).get("grammar")

    def complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        try:
            if self.until is not None:
                return self._complete_until(messages, self.until)
            response = self.client.chat.completions.create(
                model=self.model, messages=messages, timeout=self.timeout_s, **self.options
            )
        except Exception as exc:  # the openai client raises many types; all mean "no answer"
            raise ModelUnavailable(f"model server error: {type(exc).__name__}: {exc}") from exc
        choice = response.choices[0]
        return ModelReply(
            choice.message.content or "",
            native_calls(choice.message),
            choice.finish_reason,
            getattr(response, "model", None),
        )

    def _complete_until(self, messages: list[dict[str, Any]], until: str) -> ModelReply:
        text, finish, model = "", None, None
        stream = self.client.chat.completions.create(
            model=self.model, messages=messages, timeout=self.timeout_s, stream=True, **self.options
        )
        with stream:  # leaving the block closes the connection: the server stops generating
            for chunk in stream:
                model = getattr(chunk, "model", model)
                for choice in chunk.choices:
                    text += choice.delta.content or ""
                    finish = choice.finish_reason or finish
                end = text.find(until)
                if end >= 0:
                    return ModelReply(text[: end + len(until)], [], UNTIL, model)
        return ModelReply(text, [], finish, model)
