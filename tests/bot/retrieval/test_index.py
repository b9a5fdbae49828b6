"""The runbook index against the shipped corpus: build, search, rebuild, reopen.

One index is built per module (loading MiniLM costs ~10 s on 2 cores); the tests that rebuild
or reopen it only repeat the cheap part.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import chromadb
import pytest
from chromadb.api.client import SharedSystemClient

from bot.retrieval import (
    IndexStats,
    MiniLMEmbeddingFunction,
    Passage,
    build_index,
    passages_to_documents,
    retrieval_system_prompt,
    search,
    write_manifest,
)
from bot.retrieval.embedding import DIMENSIONS
from bot.retrieval.index import open_client
from halops.contract.prompts import DOCUMENTS_HEADING
from tests.conftest import REPO

DOCS = REPO / "config" / "rag"
COLLECTION = "test-runbooks"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, IndexStats]:
    db_dir = tmp_path_factory.mktemp("rag") / "chroma"
    return db_dir, build_index(DOCS, db_dir, COLLECTION)


@pytest.mark.parametrize(
    ("query", "source"),
    [
        ("replace failed disk in tank", "runbook-disk-replacement.md"),
        (
            "pve02 does not answer ssh, power cycle it through the BMC",
            "runbook-host-unresponsive.md",
        ),
        ("which alerts are firing in alertmanager", "runbook-monitoring.md"),
        ("restart pveproxy on pve01", "runbook-service-restart.md"),
        ("migrate a VM off a node before maintenance", "runbook-proxmox-cluster.md"),
    ],
)
def test_search_returns_the_matching_runbook_first(
    built: tuple[Path, IndexStats], query: str, source: str
) -> None:
    hits = search(built[0], COLLECTION, query, k=3)
    assert hits[0].source == source, [(h.source, h.title, h.score) for h in hits]


def test_hits_carry_title_path_text_and_descending_scores(built: tuple[Path, IndexStats]) -> None:
    hits = search(built[0], COLLECTION, "restore a file from a ZFS snapshot", k=4)
    assert len(hits) == 4
    assert (
        hits[0].title == "NAS nas01: NFS exports and ZFS snapshots > Restore a file from a snapshot"
    )
    assert hits[0].anchor == "restore-a-file-from-a-snapshot"
    assert ".zfs/snapshot" in hits[0].text
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) and 0 < scores[0] <= 1


def test_build_counts_every_section_of_every_document(built: tuple[Path, IndexStats]) -> None:
    stats = built[1]
    assert stats.documents == len(list(DOCS.glob("*.md")))
    assert stats.passages == len(stats.ids) == len(set(stats.ids))
    assert "runbook-disk-replacement.md#replace-the-disk" in stats.ids


def small_corpus(folder: Path, with_extra_section: bool = True) -> Path:
    folder.mkdir(exist_ok=True)
    extra = "\n## Extra\n\nA section that a later edit removes.\n" if with_extra_section else ""
    (folder / "a.md").write_text(f"# A\n\n## One\n\nzpool status tank\n{extra}")
    (folder / "b.md").write_text("# B\n\n## Two\n\nipmitool chassis power status\n")
    return folder


def test_rebuild_is_idempotent_and_drops_removed_sections(tmp_path: Path) -> None:
    # A tiny corpus: re-embedding the shipped one would double this module's run time.
    docs, db_dir = small_corpus(tmp_path / "docs"), tmp_path / "chroma"
    first = build_index(docs, db_dir, COLLECTION)
    second = build_index(docs, db_dir, COLLECTION)
    write_manifest(first, tmp_path / "first.json")
    write_manifest(second, tmp_path / "second.json")
    assert second.ids == first.ids == ("a.md#one", "a.md#extra", "b.md#two")
    assert (tmp_path / "first.json").read_bytes() == (tmp_path / "second.json").read_bytes()
    small_corpus(docs, with_extra_section=False)
    third = build_index(docs, db_dir, COLLECTION)
    stored = open_client(db_dir).get_collection(COLLECTION).get(include=[])
    assert sorted(stored["ids"]) == sorted(third.ids) == ["a.md#one", "b.md#two"]


def test_reopening_in_a_fresh_client_rebuilds_the_embedding_function(
    built: tuple[Path, IndexStats],
) -> None:
    # Drop the process-wide client cache so the next client reads the database from disk.
    SharedSystemClient.clear_system_cache()
    client = chromadb.PersistentClient(path=str(built[0]))
    collection = client.get_collection(COLLECTION)  # no embedding function passed on purpose
    assert isinstance(collection.configuration["embedding_function"], MiniLMEmbeddingFunction)
    assert collection.configuration["hnsw"]["space"] == "cosine"
    assert collection.count() == built[1].passages
    result = collection.query(query_texts=["zpool replace"], n_results=1)
    assert result["metadatas"][0][0]["source"] == "runbook-disk-replacement.md"


def test_missing_index_names_what_to_build(tmp_path: Path, built: tuple[Path, IndexStats]) -> None:
    with pytest.raises(FileNotFoundError, match="rag_index"):
        search(tmp_path / "absent", COLLECTION, "anything")
    with pytest.raises(FileNotFoundError, match="no collection 'other'"):
        search(built[0], "other", "anything")


def test_manifest_lists_passages_without_timings(
    built: tuple[Path, IndexStats], tmp_path: Path
) -> None:
    write_manifest(built[1], tmp_path / "index.json")
    manifest = json.loads((tmp_path / "index.json").read_text())
    assert manifest["embedding_function"] == "halops_minilm_l6_v2"
    assert sum(manifest["documents"].values()) == len(manifest["passages"]) == built[1].passages
    assert "seconds" not in json.dumps(manifest)


def test_embeddings_are_unit_length_minilm_vectors(built: tuple[Path, IndexStats]) -> None:
    vectors = MiniLMEmbeddingFunction()(["zpool status tank", "chassis power cycle"])
    assert [len(v) for v in vectors] == [DIMENSIONS, DIMENSIONS]
    assert math.isclose(float(sum(x * x for x in vectors[0])), 1.0, rel_tol=1e-4)


def test_embedding_function_config_round_trips_and_rejects_other_models() -> None:
    function = MiniLMEmbeddingFunction.build_from_config({"model": "all-MiniLM-L6-v2"})
    assert function.get_config() == {"model": "all-MiniLM-L6-v2"}
    assert not function.is_legacy()
    with pytest.raises(ValueError, match="only all-MiniLM-L6-v2"):
        MiniLMEmbeddingFunction.build_from_config({"model": "bge-large"})


def test_passages_enter_the_prompt_in_the_skills_layout() -> None:
    passages = [
        Passage("Disk replacement > Replace the disk", "rb.md", "zpool replace tank sdc NEW", 0.7),
        Passage("Monitoring > Silences", "mon.md", "amtool silence add ...", 0.5),
    ]
    assert passages_to_documents(passages) == [
        ("Disk replacement > Replace the disk", "zpool replace tank sdc NEW"),
        ("Monitoring > Silences", "amtool silence add ..."),
    ]
    prompt = retrieval_system_prompt("You operate the lab.", passages)
    assert prompt.startswith(f"You operate the lab.\n\n{DOCUMENTS_HEADING}\n\n")
    assert prompt.endswith(
        "## Disk replacement > Replace the disk\n\nzpool replace tank sdc NEW\n\n"
        "## Monitoring > Silences\n\namtool silence add ..."
    )
    assert retrieval_system_prompt("You operate the lab.", []) == "You operate the lab."
