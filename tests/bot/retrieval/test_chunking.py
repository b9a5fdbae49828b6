"""Markdown -> passages: exact titles, anchors, ids and bodies; the shipped corpus's shape."""

from __future__ import annotations

from pathlib import Path

from bot.retrieval.chunking import Chunk, chunk_directory, chunk_markdown, pack, slugify
from tests.conftest import REPO

RUNBOOK = """\
# Disk replacement

Use this when a disk fails.

## Identify the disk

```bash
# a shell comment, not a heading
zpool status tank
```

### Check SMART

smartctl -H /dev/sdc

## Identify the disk

Second section with the same heading.

## Empty section

### Only child

Text.
"""


def test_sections_become_passages_with_heading_paths() -> None:
    assert chunk_markdown(RUNBOOK, "rb.md") == [
        Chunk("rb.md#disk-replacement", "Disk replacement", "rb.md", "disk-replacement",
              "Use this when a disk fails."),
        Chunk("rb.md#identify-the-disk", "Disk replacement > Identify the disk", "rb.md",
              "identify-the-disk",
              "```bash\n# a shell comment, not a heading\nzpool status tank\n```"),
        Chunk("rb.md#check-smart", "Disk replacement > Identify the disk > Check SMART", "rb.md",
              "check-smart", "smartctl -H /dev/sdc"),
        Chunk("rb.md#identify-the-disk-1", "Disk replacement > Identify the disk", "rb.md",
              "identify-the-disk-1", "Second section with the same heading."),
        Chunk("rb.md#only-child", "Disk replacement > Empty section > Only child", "rb.md",
              "only-child", "Text."),
    ]  # fmt: skip


def test_document_without_h1_is_titled_by_file_stem() -> None:
    chunks = chunk_markdown("Preamble.\n\n## Steps\n\nDo it.\n", "notes/restart.md")
    assert [(c.id, c.title, c.text) for c in chunks] == [
        ("notes/restart.md#", "restart", "Preamble."),
        ("notes/restart.md#steps", "restart > Steps", "Do it."),
    ]


def test_oversize_section_splits_at_paragraphs_and_keeps_code_blocks_whole() -> None:
    body = "alpha " * 10 + "\n\n" + "beta " * 10 + "\n\n```\nline one\n\nline two\n```\n"
    chunks = chunk_markdown(f"# Doc\n\n## Big\n\n{body}", "d.md", max_chars=70)
    assert [c.id for c in chunks] == ["d.md#big", "d.md#big~2", "d.md#big~3"]
    assert {c.title for c in chunks} == {"Doc > Big"}
    assert chunks[0].text == ("alpha " * 10).strip()
    assert chunks[2].text == "```\nline one\n\nline two\n```"


def test_pack_keeps_fitting_text_whole_and_never_cuts_a_paragraph() -> None:
    assert pack("short", 100) == ["short"]
    assert pack("aaaa\n\nbbbb\n\ncccc", 10) == ["aaaa\n\nbbbb", "cccc"]
    assert pack("x" * 50 + "\n\ny", 10) == ["x" * 50, "y"]


def test_slugify_matches_github_anchors() -> None:
    assert slugify("Alertmanager: silences") == "alertmanager-silences"
    assert slugify("Power cycle through IPMI") == "power-cycle-through-ipmi"
    assert slugify("Restore a file (ZFS)") == "restore-a-file-zfs"


def test_shipped_corpus_is_a_set_of_sectioned_lab_documents() -> None:
    docs_dir = REPO / "config" / "rag"
    documents = sorted(p.name for p in docs_dir.glob("*.md"))
    assert 6 <= len(documents) <= 10
    chunks = chunk_directory(docs_dir)
    for name in documents:
        assert sum(c.source == name for c in chunks) >= 4, f"{name}: too few sections"
    assert len({c.id for c in chunks}) == len(chunks)
    corpus = "\n".join(Path(docs_dir, name).read_text() for name in documents)
    for host in ["pve01", "pve03", "bmc-pve02", "nas01", "fw01", "sw-core01", "mon01", "tank"]:
        assert host in corpus
