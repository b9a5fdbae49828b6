"""Markdown runbooks -> passages: one per heading, oversize sections split by paragraphs.

A passage's title is its heading path (`Doc > Section > Sub`), so a retrieved passage still says
where it comes from after it is cut out of its document. Lines inside fenced code blocks are
never headings: runbooks are full of shell comments (`# check the pool`) that look like them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
TITLE_SEPARATOR = " > "
# MiniLM reads at most 256 word pieces (~1,000 characters of English); longer passages would be
# embedded by their beginning only, so the default keeps a section a bit above that.
DEFAULT_MAX_CHARS = 1200


@dataclass(frozen=True)
class Chunk:
    """One passage of a document, with a stable id derived from file and heading."""

    id: str
    title: str
    source: str
    anchor: str
    text: str


@dataclass
class Section:
    level: int  # 0 for text before the first heading
    heading: str
    lines: list[str]


def slugify(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return slug.replace(" ", "-")


def split_sections(markdown: str) -> list[Section]:
    """Sections in document order; headings inside fenced code blocks stay body text."""
    sections = [Section(0, "", [])]
    fence: str | None = None
    for line in markdown.splitlines():
        fence_match = FENCE_RE.match(line)
        if fence_match:
            marker = fence_match.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
        elif fence is None and (heading := HEADING_RE.match(line)):
            sections.append(Section(len(heading.group(1)), heading.group(2).strip(), []))
            continue
        sections[-1].lines.append(line)
    return sections


def title_section(sections: list[Section]) -> Section | None:
    """The section whose heading names the document: the first heading, if it is level 1."""
    first = next((s for s in sections if s.level > 0), None)
    return first if first is not None and first.level == 1 else None


def paragraphs(text: str) -> list[str]:
    """Blank-line separated blocks; a fenced code block is never cut in the middle."""
    blocks: list[list[str]] = [[]]
    fence: str | None = None
    for line in text.splitlines():
        fence_match = FENCE_RE.match(line)
        if fence_match:
            fence = fence_match.group(1) if fence is None else None
        if not line.strip() and fence is None:
            blocks.append([])
        else:
            blocks[-1].append(line)
    return ["\n".join(block).strip() for block in blocks if "".join(block).strip()]


def pack(text: str, max_chars: int) -> list[str]:
    """The text whole if it fits, else paragraphs packed greedily into parts of <= max_chars.

    A single paragraph longer than max_chars stays one part: cutting a command listing in two
    would hurt more than an embedding that only sees its beginning.
    """
    if len(text) <= max_chars:
        return [text]
    parts: list[str] = []
    for block in paragraphs(text):
        if parts and len(parts[-1]) + 2 + len(block) <= max_chars:
            parts[-1] = f"{parts[-1]}\n\n{block}"
        else:
            parts.append(block)
    return parts


def unique_anchor(heading: str, seen: dict[str, int]) -> str:
    """GitHub's rule for repeated headings: the second `foo` becomes `foo-1`, and so on."""
    slug = slugify(heading)
    count = seen.get(slug, 0)
    seen[slug] = count + 1
    return slug if count == 0 else f"{slug}-{count}"


def chunk_markdown(markdown: str, source: str, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """Split one Markdown document into passages titled by their heading path."""
    sections = split_sections(markdown)
    named_by = title_section(sections)
    doc_title = named_by.heading if named_by is not None else Path(source).stem
    stack: list[Section] = []
    seen: dict[str, int] = {}
    chunks: list[Chunk] = []
    for section in sections:
        anchor = unique_anchor(section.heading, seen) if section.level else ""
        stack = [s for s in stack if s.level < section.level] + [section]
        path = [s.heading for s in stack if s.level > 0 and s is not named_by]
        title = TITLE_SEPARATOR.join([doc_title, *path])
        body = "\n".join(section.lines).strip()
        for number, part in enumerate(pack(body, max_chars) if body else [], start=1):
            suffix = "" if number == 1 else f"~{number}"
            chunks.append(Chunk(f"{source}#{anchor}{suffix}", title, source, anchor, part))
    return chunks


def chunk_directory(docs_dir: Path, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """Every `*.md` under docs_dir (sorted, so ids and order are reproducible)."""
    chunks: list[Chunk] = []
    for path in sorted(docs_dir.rglob("*.md")):
        source = path.relative_to(docs_dir).as_posix()
        chunks.extend(chunk_markdown(path.read_text(encoding="utf-8"), source, max_chars))
    return chunks
