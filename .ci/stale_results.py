"""A stale, broken results/ tree: garbage at every path tests once read from an earlier run.

    python3 .ci/stale_results.py plant [ROOT]   write the garbage files that do not exist yet
    python3 .ci/stale_results.py clean [ROOT]   remove exactly the files `plant` wrote

Tests build what they need in their own temporary folders; `.ci/run` plants this tree before
pytest so a test that reads the repository's results/ fails on every CI run instead of passing
on a clean clone. Files that already exist are never touched (a developer's real results
survive), and `clean` removes only what `plant` listed in results/.stale-planted.
Standard library only: it runs before setup.sh has built the venv.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

LEDGER = "results/.stale-planted"


def llama_cpp_version(root: Path) -> str:
    text = (root / ".ci" / "llama_wheel.sh").read_text()
    return re.search(r"^VERSION=(\S+)$", text, re.M).group(1)


def garbage(root: Path) -> dict[str, bytes]:
    broken_jsonl = b'{"messages": [{"role": "user", "content": "stale\n'
    converter = f"results/.cache/llama-cpp-sdist/llama.cpp-{llama_cpp_version(root)}"
    return {
        "results/model/model.Q8_0.gguf": b"not a GGUF: left by an earlier run\n",
        "results/model/Modelfile": b"FROM ./nothing\n",
        "results/model/merged/config.json": b"{stale",
        "results/model/check.json": b"{stale",
        "results/final/train.jsonl": broken_jsonl,
        "results/final/val.jsonl": broken_jsonl,
        "results/final/test.jsonl": broken_jsonl,
        "results/final/data_card.json": b"{stale",
        "results/lab/recordings.jsonl": b"not json\n",
        "results/samplegen/manifest.jsonl": b"not json\n",
        "results/rag/index.json": b"{stale",
        "results/rag/chroma/chroma.sqlite3": b"not a database",
        "results/bot/audit.sqlite": b"not a database",
        "results/eval/scores.parquet": b"not parquet",
        f"{converter}/convert_hf_to_gguf.py": b"raise SystemExit('stale converter used')\n",
    }


def plant(root: Path) -> None:
    planted = []
    for relative, content in garbage(root).items():
        path = root / relative
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        planted.append(relative)
    (root / LEDGER).write_text("".join(f"{p}\n" for p in planted))
    print(f"stale_results: planted {len(planted)} garbage files under results/")


def clean(root: Path) -> None:
    ledger = root / LEDGER
    if not ledger.is_file():
        return
    for relative in ledger.read_text().split():
        path = root / relative
        path.unlink(missing_ok=True)
        # The folders plant made for it, as long as nothing else lives there.
        for folder in path.parents:
            if folder == root / "results" or any(folder.iterdir()):
                break
            folder.rmdir()
    ledger.unlink()


if __name__ == "__main__":
    action, root = sys.argv[1], Path(sys.argv[2] if len(sys.argv) > 2 else ".")
    {"plant": plant, "clean": clean}[action](root.resolve())
