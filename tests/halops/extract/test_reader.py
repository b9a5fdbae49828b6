"""Malformed input: never crash, quarantine each bad line with its location, keep good lines."""

from __future__ import annotations

import json
import logging

import pytest

from halops.extract import reader
from halops.extract.reader import LineError

LOC = "proj/main.jsonl"
PARSERS = {"stdlib": reader._loads_stdlib}
if reader.orjson is not None:
    PARSERS["orjson"] = reader._loads_orjson


@pytest.fixture(autouse=True, params=sorted(PARSERS))
def parser(request, monkeypatch):
    """Every test here runs with each parser: the extract env may lack orjson."""
    monkeypatch.setattr(reader, "loads_line", PARSERS[request.param])
    return request.param


def good(t, n: int) -> list[dict]:
    return [t.user(f"prompt {i}") for i in range(n)]


def test_truncated_last_line_is_quarantined_and_the_rest_kept(extract_lines, transcript):
    t = transcript()
    lines = [*good(t, 2), '{"type": "user", "message": {"role": "us']
    out = extract_lines(lines)
    assert list(out.df.text) == ["prompt 0", "prompt 1"]
    [bad] = out.quarantine
    assert bad["location"] == f"{LOC}:3"
    assert bad["reason"].startswith("invalid JSON")
    assert bad["raw"] == '{"type": "user", "message": {"role": "us'
    assert out.stats.quarantined == 1 and out.stats.records_read == 2


def test_truncated_line_without_final_newline(extract_lines, sessions_dir, transcript):
    t = transcript()
    path = sessions_dir / "proj" / "main.jsonl"
    extract_lines([t.user("kept")])
    with open(path, "ab") as f:
        f.write(b'{"type": "assistant", "mess')  # the CLI died mid-write
    out = extract_lines(path.read_bytes().splitlines())
    assert list(out.df.text) == ["kept"]
    assert [q["location"] for q in out.quarantine] == [f"{LOC}:2"]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2, 3]", "not a JSON object (got list)"),
        ('"a string"', "not a JSON object (got str)"),
        ("42", "not a JSON object (got int)"),
        ("null", "not a JSON object (got NoneType)"),
        ('{"uuid": "x"}', "missing or non-string 'type'"),
        ('{"type": 7}', "missing or non-string 'type'"),
        ('{"type": "user", "uuid": ["a"], "message": {"content": "x"}}', "field 'uuid' is list"),
        ('{"type": "user", "parentUuid": 5, "message": {"content": "x"}}', "'parentUuid' is int"),
        ('{"type": "user", "message": {"content": 12}}', "'message.content' is int"),
        ('{"type": "user", "message": "hello"}', "field 'message' is str"),
        ('{"type": "user"}', "field 'message' is NoneType"),
        ('{"type": "user", "isMeta": "yes", "message": {"content": "x"}}', "'isMeta' is str"),
        ('{"type": "user", "message": {"content": [5]}}', "message.content[0] is int"),
        ('{"type": "user", "message": {"content": [{"text": "x"}]}}', "has no string 'type'"),
        (
            '{"type": "user", "message": {"content": [{"type": "text", "text": 3}]}}',
            "'message.content[0].text' is int",
        ),
        (
            '{"type": "assistant", "message": {"id": 1, "content": []}}',
            "'message.id' is int",
        ),
        (
            '{"type": "assistant", "message": {"content": [{"type": "tool_use", "name": "X"}]}}',
            "tool_use has no string 'id'",
        ),
        (
            '{"type": "user", "message": {"content": [{"type": "tool_result"}]}}',
            "tool_result has no string 'tool_use_id'",
        ),
        (
            '{"type": "user", "message": {"content": '
            '[{"type": "tool_result", "tool_use_id": "t", "is_error": "yes"}]}}',
            "is_error is str",
        ),
        (
            '{"type": "user", "message": {"content": '
            '[{"type": "tool_result", "tool_use_id": "t", "content": 5}]}}',
            "content is int",
        ),
        ('{"type": "system", "content": {"a": 1}}', "field 'content' is dict"),
        ('{"type": "summary", "summary": ["x"]}', "field 'summary' is list"),
        ('{"type": "user", "message": {"content": "x"}, "a": NaN}', "invalid JSON"),
        ('{"type": "user", "message": {"content": "\\ud800"}}', "invalid JSON"),
    ],
)
def test_bad_line_is_quarantined_between_good_lines(extract_lines, transcript, raw, reason):
    t = transcript()
    out = extract_lines([t.user("before"), raw, t.user("after")])
    assert list(out.df.text) == ["before", "after"]
    [bad] = out.quarantine
    assert bad["location"] == f"{LOC}:2"
    assert reason in bad["reason"]
    assert bad["raw"] == raw


def test_pretty_printed_json_file_is_quarantined_line_by_line(extract_lines, transcript):
    t = transcript()
    pretty = json.dumps(t.user("hello"), indent=2).splitlines()
    out = extract_lines(pretty)
    assert out.df.empty
    assert len(out.quarantine) == len(pretty)
    assert [q["location"] for q in out.quarantine] == [
        f"{LOC}:{i}" for i in range(1, len(pretty) + 1)
    ]
    assert [q["raw"] for q in out.quarantine] == pretty


def test_binary_garbage_is_quarantined_with_visible_bytes(extract_lines, transcript):
    t = transcript()
    garbage = [b"\x00\xff\xfe\x80binary", b"\x89PNG\r\n\x1a", bytes(range(1, 10))]
    out = extract_lines([t.user("ok"), *garbage])
    assert list(out.df.text) == ["ok"]
    assert out.stats.quarantined == 4  # the PNG header contains a newline: two lines
    assert out.quarantine[0]["raw"] == "\\x00\\xff\\xfe\\x80binary".replace("\\x00", "\x00")
    assert out.quarantine[0]["reason"] == "binary data, not JSON text: NUL byte at offset 0"
    assert out.quarantine[1]["reason"].startswith("not UTF-8 text: byte 0x89 at offset 0")


def test_invalid_utf8_inside_a_string_is_quarantined(extract_lines, transcript):
    t = transcript()
    raw = b'{"type": "user", "message": {"content": "caf\xe9"}}'
    out = extract_lines([t.user("ok"), raw])
    assert list(out.df.text) == ["ok"]
    assert out.quarantine[0]["raw"].endswith('"caf\\xe9"}}')


def test_quarantine_entries_are_one_physical_line_each(extract_lines, tmp_path):
    # U+0085 and U+2028 are line breaks to str.splitlines(); the quarantine must escape them.
    out = extract_lines(["\u0085", "x\u2028y", b"\xc2\x85{"])
    text = (tmp_path / "out" / "out.quarantine.jsonl").read_bytes()
    assert text.isascii() and len(text.splitlines()) == 3
    assert [q["raw"] for q in out.quarantine] == ["\u0085", "x\u2028y", "\u0085{"]


def test_empty_file_gives_empty_outputs(extract_lines):
    out = extract_lines([], name="empty-session.jsonl")
    assert out.df.empty and out.quarantine == []
    assert out.stats.session_id == "empty-session"
    assert out.stats.rows_written == 0 and out.stats.lines == 0


def test_blank_lines_and_crlf_are_not_errors(extract_lines, transcript):
    t = transcript()
    lines = [json.dumps(t.user("a")) + "\r", "", "   ", json.dumps(t.user("b"))]
    out = extract_lines(lines)
    assert list(out.df.text) == ["a", "b"]
    assert out.quarantine == []
    assert out.stats.blank_lines == 2 and out.stats.lines == 4


def test_overlong_line_is_quarantined_truncated_and_reading_resumes(extract_lines, transcript):
    t = transcript()
    huge = t.user("x" * 20_000)
    out = extract_lines([t.user("a"), huge, t.user("b")], max_line_bytes=1000)
    assert list(out.df.text) == ["a", "b"]
    [bad] = out.quarantine
    assert bad["location"] == f"{LOC}:2"
    assert "longer than 1000 bytes" in bad["reason"]
    assert len(bad["raw"]) <= reader.OVERLONG_RAW_KEEP


def test_line_of_exactly_the_limit_is_read(extract_lines, transcript):
    t = transcript()
    rec = t.user("y" * 100)
    size = len(json.dumps(rec).encode())
    out = extract_lines([rec], max_line_bytes=size)
    assert out.quarantine == [] and len(out.df) == 1


def test_quarantine_is_logged_as_path_line_reason(extract_lines, transcript, caplog):
    t = transcript()
    with caplog.at_level(logging.WARNING):
        extract_lines([t.user("a"), "{oops"])
    assert any(m.startswith(f"{LOC}:2: invalid JSON") for m in caplog.messages)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": "\\ud800"}',
        b'{"a": "\\udc00x"}',
        b"[" * 5000 + b"]" * 5000,
        b'{"a": 1} trailing',
    ],
)
def test_both_parsers_reject_the_same_non_strict_json(raw, parser):
    with pytest.raises(LineError, match=r"^invalid JSON"):
        PARSERS[parser](raw)


def test_both_parsers_accept_surrogate_pairs_and_big_numbers(parser):
    assert PARSERS[parser](b'{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}
    assert PARSERS[parser](b'{"n": 123456789012345678901234567890}')["n"] > 1e29


def test_dump_json_never_raises():
    deep: list = []
    node = deep
    for _ in range(600):  # deeper than orjson's serializer allows
        node.append([])
        node = node[0]
    assert reader.dump_json(deep).startswith("[[[")
    assert reader.dump_json({"x": float("nan")}) in (
        '{"x":null}',
        '{"unserializable": "ValueError"}',
    )


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"}},
        {"type": "document", "source": {"type": "text", "data": "notes"}},
        {"type": "redacted_thinking", "data": "opaque"},
        {"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {}},
    ],
    ids=lambda block: block["type"],
)
def test_a_block_type_the_reader_does_not_know_is_kept(extract_lines, transcript, block):
    """Only the block types it checks are held to their shape; others pass through."""
    t = transcript()
    out = extract_lines([t.user([block, {"type": "text", "text": "see above"}])])
    assert out.quarantine == []
    assert out.stats.records_read == 1
