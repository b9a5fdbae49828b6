"""Retrieval over the lab's runbooks: Markdown passages in a persistent ChromaDB collection.

Build with `build_index` (the `rag_index` rule does), query with `search`, and put the hits in
the system prompt with `retrieval_system_prompt`.
"""

from bot.retrieval.chunking import Chunk, chunk_directory, chunk_markdown
from bot.retrieval.embedding import MiniLMEmbeddingFunction
from bot.retrieval.index import (
    IndexStats,
    Passage,
    build_index,
    open_collection,
    query_collection,
    search,
    write_manifest,
)
from bot.retrieval.prompt import passages_to_documents, retrieval_system_prompt

__all__ = [
    "Chunk",
    "IndexStats",
    "MiniLMEmbeddingFunction",
    "Passage",
    "build_index",
    "chunk_directory",
    "chunk_markdown",
    "open_collection",
    "passages_to_documents",
    "query_collection",
    "retrieval_system_prompt",
    "search",
    "write_manifest",
]
