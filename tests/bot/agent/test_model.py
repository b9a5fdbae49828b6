"""The OpenAI-compatible chat model: grammar in extra_body, replies read until a text."""

from __future__ import annotations

from types import SimpleNamespace as NS

import pytest

from bot.agent.model import UNTIL, ModelUnavailable, OpenAIChatModel


class FakeStream:
    """An openai `Stream` of chunks; records how far it was read and whether it was closed."""

    def __init__(self, pieces: list[str], finish: str = "stop") -> None:
        self.pieces, self.finish = pieces, finish
        self.read, self.closed = 0, False

    def __enter__(self) -> FakeStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.closed = True

    def __iter__(self):
        for index, piece in enumerate(self.pieces):
            self.read += 1
            last = index == len(self.pieces) - 1
            delta = NS(content=piece)
            yield NS(
                model="halops",
                choices=[NS(delta=delta, finish_reason=self.finish if last else None)],
            )


class StreamingClient:
    def __init__(self, stream: FakeStream) -> None:
        self.stream, self.sent = stream, []
        self.chat = self.completions = self

    def create(self, **kwargs):
        self.sent.append(kwargs)
        return self.stream


CALL = [
    "<tool",
    '_call>\n{"name": "ssh", "arguments": {}}\n</tool_',
    "call>\n<tool_call>",
    '\n{"name"',
]


def test_reading_stops_once_the_reply_holds_the_text_and_the_stream_closes() -> None:
    stream = FakeStream([*CALL, "more", "and more"])
    client = StreamingClient(stream)
    reply = OpenAIChatModel(client, "halops", grammar="g", until="</tool_call>").complete([])
    assert reply.text == '<tool_call>\n{"name": "ssh", "arguments": {}}\n</tool_call>'
    assert (reply.finish_reason, reply.model) == (UNTIL, "halops")
    assert stream.read == 3 and stream.closed  # the rest was never read, nor generated
    sent = client.sent[0]
    assert sent["stream"] is True and sent["extra_body"] == {"grammar": "g"}


def test_a_reply_without_the_text_is_read_to_its_end() -> None:
    stream = FakeStream(["All ", "fine."], finish="length")
    reply = OpenAIChatModel(StreamingClient(stream), "halops", until="</tool_call>").complete([])
    assert (reply.text, reply.finish_reason) == ("All fine.", "length")
    assert stream.closed


def test_a_failing_stream_is_the_model_being_unavailable() -> None:
    class Broken(StreamingClient):
        def create(self, **kwargs):
            raise ConnectionError("reset")

    model = OpenAIChatModel(Broken(FakeStream([])), "halops", until="x")
    with pytest.raises(ModelUnavailable, match="ConnectionError: reset"):
        model.complete([])
