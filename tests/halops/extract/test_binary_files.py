"""Files that are not JSONL text get a reason a person can act on, made by the real tools."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from halops.extract import reader
from halops.extract.reader import LineError

# tool -> (argv writing the compressed form of FILE to stdout, expected reason head)
COMPRESSORS = {
    "gzip": (["gzip", "-c"], "gzip-compressed file, not JSONL text: decompress it (gunzip)"),
    "bzip2": (["bzip2", "-c"], "bzip2-compressed file, not JSONL text: decompress it (bunzip2)"),
    "xz": (["xz", "-c"], "xz-compressed file, not JSONL text: decompress it (unxz)"),
    "zstd": (["zstd", "-q", "-c"], "zstd-compressed file, not JSONL text: decompress it (unzstd)"),
    "lz4": (["lz4", "-q", "-c"], "lz4-compressed file, not JSONL text: decompress it (unlz4)"),
}


@pytest.fixture
def transcript_file(tmp_path: Path, transcript, write) -> Path:
    t = transcript()
    return write(tmp_path / "plain.jsonl", [t.user(f"prompt {i}") for i in range(200)])


@pytest.mark.parametrize("tool", sorted(COMPRESSORS))
def test_compressed_transcript_is_one_entry_naming_the_compression(
    tool, transcript_file, extract_lines, sessions_dir
):
    argv, reason = COMPRESSORS[tool]
    if shutil.which(argv[0]) is None:
        pytest.skip(f"{argv[0]} is not installed")
    packed = subprocess.run([*argv, str(transcript_file)], capture_output=True, check=True).stdout
    out = extract_lines([packed])  # written as <sessions_dir>/proj/main.jsonl
    assert out.df.empty
    [entry] = out.quarantine
    assert entry["location"] == "proj/main.jsonl:1"
    assert entry["reason"].startswith(reason)
    assert "UTF-8" not in entry["reason"] and "surrogates" not in entry["reason"]


def test_zip_archive_named_jsonl(tmp_path, transcript_file, extract):
    if shutil.which("zip") is None:
        pytest.skip("zip is not installed")
    archive = tmp_path / "projects" / "proj" / "s.jsonl"
    archive.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["zip", "-q", "-j", str(tmp_path / "a.zip"), str(transcript_file)], check=True)
    shutil.move(tmp_path / "a.zip", archive)
    [entry] = extract(archive).quarantine
    assert entry["reason"].startswith("zip archive, not JSONL text")


def test_sqlite_database_named_jsonl(sessions_dir, extract):
    path = sessions_dir / "proj" / "s.jsonl"
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as db:
        db.execute("create table t (x)")
    [entry] = extract(path).quarantine
    assert entry["reason"] == "SQLite database, not JSONL text: move it out of sessions_dir"


def test_utf16_transcript_says_convert(sessions_dir, extract):
    path = sessions_dir / "proj" / "s.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text('{"type": "user"}\n', encoding="utf-16")  # with its byte order mark
    [entry] = extract(path).quarantine
    assert entry["reason"].startswith("UTF-16 text file, not JSONL text: convert it")


def test_utf8_byte_order_mark_is_skipped(extract_lines, transcript):
    t = transcript()
    out = extract_lines([b"\xef\xbb\xbf" + json.dumps(t.user("first")).encode()])
    assert out.quarantine == [] and list(out.df.text) == ["first"]


def test_binary_line_between_good_lines_keeps_the_good_lines(extract_lines, transcript):
    t = transcript()
    out = extract_lines([t.user("a"), b"\x1f\x8b\x08\x00\x00binary", t.user("b")])
    assert list(out.df.text) == ["a", "b"]  # a signature counts only at the start of a file
    [entry] = out.quarantine
    assert entry["reason"] == "binary data, not JSON text: NUL byte at offset 3"


@pytest.mark.parametrize("parser", ["stdlib", "orjson"])
@given(st.binary(min_size=1, max_size=40))
def test_both_parsers_explain_bad_bytes_the_same_way(parser, raw):
    if parser == "orjson" and reader.orjson is None:
        return
    loads = {"stdlib": reader._loads_stdlib, "orjson": getattr(reader, "_loads_orjson", None)}
    try:
        loads[parser](raw)
    except LineError as exc:
        message = str(exc)
    else:
        return
    if b"\x00" in raw:
        assert message.startswith("binary data, not JSON text: NUL byte at offset")
    elif not _is_utf8(raw):
        assert message.startswith("not UTF-8 text: byte 0x")
    else:
        assert message.startswith("invalid JSON")


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
