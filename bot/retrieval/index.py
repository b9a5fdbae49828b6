"""A persistent ChromaDB collection of runbook passages: build it, search it.

The collection is rebuilt from scratch on every build (delete, create, add in sorted order), so
the same documents always give the same ids, passages and manifest. Passages are embedded with
their title path in front, because a heading such as "Replace the disk" carries most of the
meaning of the commands below it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings
from chromadb.errors import NotFoundError

from bot.retrieval.chunking import DEFAULT_MAX_CHARS, Chunk, chunk_directory
from bot.retrieval.embedding import (
    MiniLMEmbeddingFunction,
    collection_embedding_function,
    offline_environment,
)

log = logging.getLogger(__name__)
# Chroma's default batch limit is far above this; small batches keep peak memory low on 2 cores.
ADD_BATCH = 64


@dataclass(frozen=True)
class Passage:
    """A search hit: title path, source file, passage text, similarity (1 = identical)."""

    title: str
    source: str
    text: str
    score: float
    anchor: str = ""


@dataclass(frozen=True)
class IndexStats:
    """What a build indexed; `chunks` feeds the manifest."""

    collection: str
    documents: int
    passages: int
    seconds: float
    chunks: tuple[Chunk, ...] = field(repr=False)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.chunks)


def open_client(db_dir: Path) -> ClientAPI:
    """A persistent client with telemetry off (the bot runs where nothing may phone home)."""
    offline_environment()
    return chromadb.PersistentClient(
        path=str(db_dir), settings=Settings(anonymized_telemetry=False, allow_reset=False)
    )


def embedded_text(chunk: Chunk) -> str:
    return f"{chunk.title}\n\n{chunk.text}"


def recreate_collection(client: ClientAPI, name: str) -> Collection:
    """An empty collection: a rebuild never keeps passages of deleted or renamed sections."""
    with contextlib.suppress(NotFoundError):
        client.delete_collection(name)
    return client.create_collection(
        name,
        embedding_function=collection_embedding_function(),
        configuration={"hnsw": {"space": "cosine"}},
    )


def add_chunks(collection: Collection, chunks: list[Chunk]) -> None:
    embed = MiniLMEmbeddingFunction()
    for start in range(0, len(chunks), ADD_BATCH):
        batch = chunks[start : start + ADD_BATCH]
        collection.add(
            ids=[c.id for c in batch],
            embeddings=embed([embedded_text(c) for c in batch]),
            documents=[c.text for c in batch],
            metadatas=[{"title": c.title, "source": c.source, "anchor": c.anchor} for c in batch],
        )


def build_index(
    docs_dir: Path, db_dir: Path, collection: str, max_chars: int = DEFAULT_MAX_CHARS
) -> IndexStats:
    """Rebuild `collection` in `db_dir` from every Markdown file under `docs_dir`."""
    started = time.perf_counter()
    chunks = chunk_directory(docs_dir, max_chars)
    if not chunks:
        raise ValueError(f"{docs_dir}: no Markdown passages to index")
    duplicates = sorted(i for i, n in Counter(c.id for c in chunks).items() if n > 1)
    if duplicates:
        raise ValueError(f"{docs_dir}: duplicate passage ids {duplicates}")
    db_dir.mkdir(parents=True, exist_ok=True)
    add_chunks(recreate_collection(open_client(db_dir), collection), chunks)
    stats = IndexStats(
        collection=collection,
        documents=len({c.source for c in chunks}),
        passages=len(chunks),
        seconds=time.perf_counter() - started,
        chunks=tuple(chunks),
    )
    log.info(
        "indexed %d passages of %d documents in %.1f s",
        stats.passages,
        stats.documents,
        stats.seconds,
    )
    return stats


def open_collection(db_dir: Path, collection: str) -> Collection:
    """An existing collection; a missing index is an error that names the folder to build."""
    if not db_dir.is_dir():
        raise FileNotFoundError(f"{db_dir}: no retrieval index (run the rag_index rule)")
    try:
        return open_client(db_dir).get_collection(
            collection, embedding_function=collection_embedding_function()
        )
    except NotFoundError as err:
        raise FileNotFoundError(f"{db_dir}: no collection {collection!r}") from err


def query_collection(collection: Collection, query: str, k: int) -> list[Passage]:
    """The k passages nearest to the query, best first."""
    result = collection.query(
        query_texts=[query], n_results=k, include=["documents", "metadatas", "distances"]
    )
    documents, metadatas, distances = result["documents"], result["metadatas"], result["distances"]
    # Chroma returns None only for fields left out of `include`.
    assert documents is not None and metadatas is not None and distances is not None
    rows = zip(documents[0], metadatas[0], distances[0], strict=True)
    return [
        Passage(str(meta["title"]), str(meta["source"]), doc, 1.0 - dist, str(meta["anchor"]))
        for doc, meta, dist in rows
    ]


def search(db_dir: Path, collection: str, query: str, k: int = 4) -> list[Passage]:
    """Open the persisted collection and return its k best passages for the query."""
    return query_collection(open_collection(db_dir, collection), query, k)


def manifest(stats: IndexStats) -> dict[str, object]:
    """What was indexed, without timings, so the same documents give the same file."""
    chunks = stats.chunks
    return {
        "collection": stats.collection,
        "embedding_function": MiniLMEmbeddingFunction.name(),
        "embedding_config": MiniLMEmbeddingFunction().get_config(),
        "documents": dict(Counter(c.source for c in chunks)),
        "passages": [
            {
                "id": c.id,
                "title": c.title,
                "sha256": hashlib.sha256(embedded_text(c).encode()).hexdigest(),
            }
            for c in chunks
        ],
    }


def write_manifest(stats: IndexStats, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest(stats), indent=2) + "\n", encoding="utf-8")
