"""qualify/curate wiring: config section and schema, config objects, plots, rule scripts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
import yaml

from halops.contract.prompts import SYSTEM_PROMPT
from halops.curate.config import CurateConfig
from halops.domain import domain_config
from halops.plots import plot_scores, plot_tiers
from halops.qualify import QualifyConfig
from halops.rows import build_rows
from tests.conftest import REPO

CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.qualify_curate.schema.yaml").read_text())


@pytest.mark.parametrize("section", ["qualify", "curate"])
def test_config_section_matches_its_schema(section: str) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA[section])
    jsonschema.validate(CONFIG[section], SCHEMA[section])


def _walk(schema: dict, path: str = ""):
    yield path, schema
    for key, sub in schema.get("properties", {}).items():
        yield from _walk(sub, f"{path}.{key}")


@pytest.mark.parametrize("section", ["qualify", "curate"])
def test_every_schema_key_is_described_and_closed(section: str) -> None:
    for path, node in _walk(SCHEMA[section], section):
        assert node.get("description"), f"{path} has no description"
        if node.get("type") == "object" and "propertyNames" in node:
            continue  # a map whose keys are an enumerated set: closed by propertyNames
        if node.get("type") == "object":
            assert node.get("additionalProperties") is False, path
            assert set(node.get("required", [])) == set(node["properties"]), path


def test_schema_rejects_unknown_keys() -> None:
    bad = CONFIG["curate"] | {"max_tokens": 10}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA["curate"])


def test_config_objects_take_every_key() -> None:
    qualify = QualifyConfig.from_dict(CONFIG["qualify"])
    assert qualify.weights == CONFIG["qualify"]["weights"]
    assert (qualify.tier_a, qualify.tier_b) == (CONFIG["qualify"]["tiers"]["A"], 0.5)
    assert qualify.correction_phrases == tuple(CONFIG["qualify"]["correction_phrases"])
    curate = CurateConfig.from_dict(CONFIG["curate"])
    assert curate.system_prompt == SYSTEM_PROMPT and "system_prompt" not in CONFIG["curate"]
    assert curate.tiers["multi_turn"] == ("A",)
    assert curate.multi_turn.max_tokens == CONFIG["curate"]["multi_turn"]["max_tokens"]
    assert curate.subagents.skip_agent_prefixes == ("acompact",)
    domain = domain_config(CONFIG["domain"], REPO / CONFIG["domain"]["inventory"])
    assert domain.hosts[0] == "pve01" and domain.canonical("10.20.0.11") == "pve01"


def test_plots_write_pngs(tmp_path: Path) -> None:
    scores = pd.DataFrame({"tier": ["A", "A", "C"], "score": [0.9, 0.8, 0.2]})
    plot_tiers(scores, tmp_path / "plots" / "tiers.png")
    plot_scores(scores, tmp_path / "plots" / "scores.png", thresholds={"A": 0.75, "B": 0.5})
    plot_scores(scores.iloc[0:0], tmp_path / "empty.png")
    for name in ("plots/tiers.png", "plots/scores.png", "empty.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# Runs a rule script the way Snakemake does: a fresh interpreter, `snakemake` injected.
DRIVER = """
import json, os, runpy, sys
from types import SimpleNamespace as NS
sys.path.insert(0, os.path.dirname(sys.argv[1]))  # as Snakemake does for script: rules
spec = json.loads(sys.argv[2])
snakemake = NS(**{key: NS(**value) if isinstance(value, dict) else value
                  for key, value in spec.items()})
runpy.run_path(sys.argv[1], init_globals={"snakemake": snakemake})
"""


def run_script(name: str, **spec: object) -> None:
    script = REPO / "workflow" / "scripts" / name
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, str(script), json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr


def test_rule_scripts_end_to_end(tmp_path: Path) -> None:
    rows = [
        {"kind": "user_prompt", "text": "zpool status on pve01"},
        {
            "kind": "assistant",
            "tool_calls": [{"id": "t1", "name": "Bash", "input": {"command": "ssh pve01 zpool"}}],
        },
        {"kind": "tool_result", "tool_use_id": "t1", "tool_name": "Bash", "text": "ONLINE"},
        {"kind": "assistant", "text": "All pools online."},
    ]
    extracted = tmp_path / "extracted" / "shard-00.parquet"
    extracted.parent.mkdir(parents=True)
    build_rows(rows, "s1", "lab").to_parquet(extracted)
    shard = tmp_path / "qualified" / "shard-00.parquet"
    run_script(
        "qualify.py",
        input={"extracted": str(extracted), "inventory": [str(REPO / "config/inventory.yaml")]},
        params={"qualify": CONFIG["qualify"], "domain": CONFIG["domain"]},
        output={"scores": str(shard)},
        log=[str(tmp_path / "qualify.log")],
    )
    assert pd.read_parquet(shard)["session_id"].tolist() == ["s1"]
    assert "1 sessions scored" in (tmp_path / "qualify.log").read_text()
    quarantine = tmp_path / "quarantine" / "shard-00.jsonl"
    quarantine.parent.mkdir()
    quarantine.write_text("")
    sessions = tmp_path / "qualified" / "sessions.parquet"
    run_script(
        "merge_qualified.py",
        input={"shards": [str(shard)], "quarantine": [str(quarantine)]},
        params={"qualify": CONFIG["qualify"], "feeds": CONFIG["curate"]["tiers"]},
        output={"sessions": str(sessions)},
        log=[str(tmp_path / "merge.log")],
    )
    assert pd.read_parquet(sessions)["tier"].tolist() == ["A"]

    run_script(
        "plot_qualify.py",
        input={"sessions": str(sessions)},
        params={},
        output={"tiers": str(tmp_path / "t.png"), "scores": str(tmp_path / "s.png")},
        log=[str(tmp_path / "plot.log")],
    )
    assert (tmp_path / "t.png").exists() and (tmp_path / "s.png").exists()

    base = tmp_path / "base"  # what base_model writes, reduced to the tokenizer curate reads
    tokenizer_of_embedded_model().save_pretrained(base)
    (base / "halops_base.json").write_text(json.dumps({"load_from": "."}))
    curated = tmp_path / "curated" / "shard-00.parquet"
    scanned = tmp_path / "curated" / "shard-00.scanned.parquet"
    run_script(
        "curate.py",
        input={
            "extracted": str(extracted),
            "qualified": str(shard),
            "gate": str(sessions),
            "base": str(base),
            "inventory": [],
        },
        params={"cfg": CONFIG["curate"], "max_tokens": 1024},
        output={"examples": str(curated), "scanned": str(scanned)},
        log=[str(tmp_path / "curate.log")],
        wildcards={"shard": "00"},
    )
    examples = pd.read_parquet(curated)
    # One session in tier A: every strategy that has something to take from it, in one file.
    assert set(examples["strategy"]) >= {"multi_turn", "single_turn"}
    assert (examples["n_tokens"] > 0).all()
    assert "strings scanned clean" in (tmp_path / "curate.log").read_text()
    assert pd.read_parquet(scanned)["digest"].size > 0


def tokenizer_of_embedded_model():
    transformers = pytest.importorskip("transformers")
    from halops.model.base import embedded_gguf_path

    try:
        gguf = embedded_gguf_path()
    except ValueError as exc:
        pytest.skip(str(exc))
    return transformers.AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)


def test_skill_prompt_layout_imports_without_pandas() -> None:
    # The agent builds its runbook system prompt with it; it must not drag in the data stack.
    code = (
        "import sys; from halops.curate import skill_system_prompt; "
        "assert 'pandas' not in sys.modules, 'pandas imported'"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
