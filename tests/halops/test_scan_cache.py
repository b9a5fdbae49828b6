"""The final re-scan's cache of strings scanned clean: it spares work, never a verdict."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halops.contract import scrub
from halops.scan_cache import (
    SecretLeakError,
    digest,
    first_leak,
    read_digests,
    records_of,
    rescan,
    scanner_fingerprint,
    write_digests,
)

SECRET_LINES = [
    "ipmitool -I lanplus -H bmc-pve01 -U admin -P 'Bmc!Pass99' power status",
    "export AWS_ACCESS_KEY_ID=AKIA2E0A8F3B244C9986",
    "curl https://bk:Pa55w0rdX@nas01.lab/api",
]
CLEAN_LINES = ["zpool status -x", "ssh pve01 uptime", "all pools are healthy", "ls -la /etc"]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


def record(content: str, arguments: dict | None = None) -> dict:
    call = {"function": {"name": "shell", "arguments": json.dumps(arguments or {"cmd": "ls"})}}
    return {
        "messages": [
            {"role": "user", "content": content},
            {"role": "assistant", "tool_calls": [call]},
        ],
        "metadata": {"example_id": "e1", "tier": "A"},
    }


def test_the_planted_lines_are_what_the_scanner_finds() -> None:
    assert all(scrub.scan_text(line) for line in SECRET_LINES)
    assert not any(scrub.scan_text(line) for line in CLEAN_LINES)


def test_strings_known_clean_are_not_scanned_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [record(line) for line in CLEAN_LINES])
    clean = rescan([path])
    scanned: list[str] = []
    real_scan = scrub.scan_text
    monkeypatch.setattr(scrub, "scan_text", lambda text: scanned.append(text) or real_scan(text))
    assert rescan([path], set(clean)) == clean
    assert scanned == []
    # One byte changed is another string: scanned, and only that one.
    changed = write_jsonl(tmp_path / "b.jsonl", [record("zpool status -v")])
    rescan([changed], set(clean))
    assert scanned == ["zpool status -v"]


def test_a_cache_made_of_clean_strings_cannot_hide_a_new_secret(tmp_path: Path) -> None:
    clean = rescan([write_jsonl(tmp_path / "clean.jsonl", [record(s) for s in CLEAN_LINES])])
    leaky = write_jsonl(tmp_path / "leaky.jsonl", [record("ok"), record(SECRET_LINES[0])])
    with pytest.raises(SecretLeakError, match=r"leaky\.jsonl:2: secret \(ipmitool-password\)"):
        rescan([leaky], clean)


def test_a_secret_nested_in_json_arguments_keeps_its_container_out_of_the_cache() -> None:
    arguments = json.dumps({"cmd": SECRET_LINES[1]})
    clean: set[bytes] = set()
    leak = first_leak({"arguments": arguments}, clean)
    assert leak is not None
    assert digest(arguments) not in clean


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=st.lists(st.sampled_from(CLEAN_LINES + SECRET_LINES), min_size=1, max_size=6),
    second=st.lists(st.sampled_from(CLEAN_LINES + SECRET_LINES), min_size=1, max_size=6),
    nested=st.booleans(),
)
def test_the_cached_verdict_equals_a_full_scan(
    tmp_path: Path, first: list[str], second: list[str], nested: bool
) -> None:
    # Whatever the first file taught the cache, the second file's verdict (and the line it
    # names) is what a scan without any cache says.
    def rows(lines: list[str]) -> list[dict]:
        return [record("q", {"cmd": line}) if nested else record(line) for line in lines]

    one = write_jsonl(tmp_path / "one.jsonl", rows(first))
    two = write_jsonl(tmp_path / "two.jsonl", rows(second))
    clean: set[bytes] = set()
    with contextlib.suppress(SecretLeakError):  # strings before a leak are known clean
        rescan([one], clean)

    def verdict(cache: set[bytes] | None) -> str:
        try:
            rescan([two], cache)
        except SecretLeakError as leak:
            return str(leak)
        return "clean"

    assert verdict(set(clean)) == verdict(None)


def test_digest_files_of_another_scanner_are_ignored(tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours.parquet", tmp_path / "theirs.parquet"
    write_digests(ours, [digest("a"), digest("b")], scanner_fingerprint())
    write_digests(theirs, [digest("c")], "another scanner")
    clean, ignored = read_digests([ours, theirs], scanner_fingerprint())
    assert clean == {digest("a"), digest("b")} and ignored == [theirs]
    assert pq.read_table(ours).column("digest").to_pylist() == sorted(clean)


def test_the_fingerprint_follows_the_scanner_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "scrub"
    package.mkdir()
    (package / "__init__.py").write_text("rules = 1\n")
    monkeypatch.setattr(scrub, "__file__", str(package / "__init__.py"))
    before = scanner_fingerprint()
    (package / "betterleaks.toml").write_text("[[rules]]\n")
    assert scanner_fingerprint() != before


def test_records_are_read_back_as_written(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "x.jsonl", [record("é ü 🙂")])
    [(number, value)] = list(records_of(path))
    assert number == 1 and value["messages"][0]["content"] == "é ü 🙂"


def test_a_json_document_is_scanned_by_its_strings_not_its_syntax(tmp_path: Path) -> None:
    # Counts per rule name are not secrets; a key with its secret value, or a secret inside a
    # key or a value, is.
    card = tmp_path / "card.json"
    card.write_text(json.dumps({"secrets_per_rule": {"ipmitool-password": 749}}, indent=2))
    rescan([card])
    for document in (
        {"db": {"password": "Hunter2-Secret!x"}},
        {"reasons": {SECRET_LINES[1]: 3}},
        {"notes": [SECRET_LINES[2]]},
    ):
        card.write_text(json.dumps(document, indent=2))
        with pytest.raises(SecretLeakError, match=r"card\.json:1: secret"):
            rescan([card])
