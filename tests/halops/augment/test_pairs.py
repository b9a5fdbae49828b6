"""The `pairs` rule's work end to end on generated sessions: mined + safety pairs, scrubbed,
deduplicated and split by the SFT data's sessions; fail closed on a leak."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from halops.augment.config import PairsConfig
from halops.augment.pairs import (
    PAIR_COLUMNS,
    PairsInputs,
    PairsOutputs,
    StageConfigs,
    build_pairs,
)
from halops.curate.config import CurateConfig
from halops.extract.session import extract_session
from halops.samplegen.corpus import CorpusStats, write_session
from halops.validate_split import SecretLeakError, ValidateConfig
from tests.halops.augment.test_mine import (
    QUALIFY,
    clean_turn,
    correction_of_action,
    new_transcript,
    recovery_rename,
    recovery_sudo,
    refused_call,
)

SECRET = "AKIAIOSFODNN7EXAMPLF"


def leaky_recovery(tr, i):
    tr.prompt("list the backup bucket")
    env = f"AWS_ACCESS_KEY_ID={SECRET}"
    tr.bash(tr.message(), f"{env} aws s3 ls s3://lab-backup-typo", "ls", "", exit_code=1)
    tr.bash(tr.message(), f"{env} aws s3 ls s3://lab-backup", "ls", "2026-01-01 dump.tar")
    tr.message().text("Listed.", final=True)


SESSIONS = {
    # name: (episodes, seed, tier)
    "alpha": ([recovery_rename, correction_of_action], 1, "A"),
    "beta": ([recovery_sudo, refused_call], 2, "B"),
    "gamma": ([recovery_rename, clean_turn], 3, "A"),  # gamma's recovery duplicates alpha's
    "delta": ([leaky_recovery], 4, "C"),  # tier C: no SFT examples, split among the rest
    "omega": ([recovery_sudo], 5, "A"),  # an SFT test session
}
SFT_SPLIT = {"alpha": "train", "beta": "train", "gamma": "val", "omega": "test"}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("lab")
    extracted, tiers, ids = [], [], {}
    for name, (episodes, seed, tier) in SESSIONS.items():
        tr = new_transcript(seed, nested=seed % 2 == 0)
        for i, episode in enumerate(episodes):
            episode(tr, i)
        write_session(root / "sessions", f"-lab-{name}", name, tr, CorpusStats())
        main = root / "sessions" / f"-lab-{name}" / f"{tr.ctx.session_id}.jsonl"
        out = root / "extracted" / f"{name}.parquet"
        extract_session(main, [], root / "sessions", out, root / "q" / f"{name}.jsonl")
        extracted.append(out)
        tiers.append({"session_id": tr.ctx.session_id, "project": f"-lab-{name}", "tier": tier})
        ids[name] = tr.ctx.session_id
    pd.DataFrame(tiers).to_parquet(root / "qualified.parquet", index=False)
    finals = {}
    for split in ("train", "val", "test"):
        rows = [sft_example(ids[n], n) for n, s in SFT_SPLIT.items() if s == split]
        pd.DataFrame(rows).assign(split=split).to_parquet(root / f"{split}.parquet", index=False)
        finals[split] = root / f"{split}.parquet"
    return {"root": root, "extracted": extracted, "ids": ids, "finals": finals}


def sft_example(session_id: str, name: str) -> dict:
    call = {
        "id": "t1",
        "type": "function",
        "function": {"name": "ssh", "arguments": json.dumps({"host": "nas01", "command": "df -h"})},
    }
    messages = [
        {"role": "system", "content": "You are HAL."},
        {"role": "user", "content": f"how full is nas01? ({name})"},
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "t1", "name": "ssh", "content": "42%"},
        {"role": "assistant", "content": "42% used."},
    ]
    return {
        "example_id": f"sft-{name}",
        "strategy": "single_turn",
        "session_id": session_id,
        "project": f"-lab-{name}",
        "tier": "A",
        "source": f"-lab-{name}/{session_id}.jsonl:3",
        "messages": json.dumps(messages),
    }


def run(lab: dict, out: Path, policy_files, **pairs_cfg) -> tuple[dict, pd.DataFrame]:
    inputs = PairsInputs(
        lab["extracted"], lab["root"] / "qualified.parquet", lab["finals"], *policy_files
    )
    cfgs = StageConfigs(PairsConfig(**pairs_cfg), CurateConfig(), QUALIFY, ValidateConfig())
    outputs = PairsOutputs(out / "pairs.parquet", out / "pairs.jsonl", out / "card.json")
    card = build_pairs(inputs, cfgs, outputs)
    return card, pd.read_parquet(outputs.parquet)


@pytest.fixture(scope="module")
def built(lab, tmp_path_factory, policy_files) -> tuple[dict, pd.DataFrame, Path]:
    out = tmp_path_factory.mktemp("out")
    card, table = run(lab, out, policy_files)
    return card, table, out


def test_table_columns_and_kinds(built) -> None:
    card, table, _ = built
    assert list(table.columns) == list(PAIR_COLUMNS)
    assert set(table["kind"]) == {"recovery", "correction", "interruption", "safety"}
    assert card["n_pairs"] == len(table)
    per_kind = {k: sum(v.values()) for k, v in card["per_kind_split"].items()}
    assert per_kind == table["kind"].value_counts().to_dict()
    for row in table.to_dict(orient="records"):
        assert json.loads(row["chosen"])[0]["role"] == "assistant"
        assert json.loads(row["rejected"])[0]["role"] == "assistant"
        assert json.loads(row["prompt"])[0]["role"] == "system"
        assert (row["kind"] == "safety") == (row["rule_id"] is not None)


def test_pairs_keep_the_sft_split_of_their_session(built, lab) -> None:
    _, table, _ = built
    split_of = {lab["ids"][n]: s for n, s in SFT_SPLIT.items()}
    for row in table.to_dict(orient="records"):
        if row["session_id"] in split_of:
            assert row["split"] == split_of[row["session_id"]], row["kind"]
    test_session = lab["ids"]["omega"]
    assert set(table.loc[table["session_id"] == test_session, "split"]) == {"test"}
    assert not ((table["split"] == "train") & (table["session_id"] == test_session)).any()
    delta = table[table["session_id"] == lab["ids"]["delta"]]
    assert len(delta) == 1 and delta.iloc[0]["split"] in ("train", "val", "test")


def test_secrets_are_scrubbed_and_counted(built) -> None:
    card, table, out = built
    assert SECRET not in (out / "pairs.jsonl").read_text()
    assert SECRET not in table.to_json()
    assert card["pairs_with_secrets"] >= 1 and card["secrets_per_rule"]
    delta = table[table["reason"].str.startswith("error") & table["chosen"].str.contains("aws")]
    assert "<REDACTED:" in delta.iloc[0]["chosen"]


def test_duplicates_across_sessions_are_removed(built, lab) -> None:
    card, table, _ = built
    recoveries = table[table["kind"] == "recovery"]
    # alpha and gamma each have the rename recovery of episode 0: same prompt, same answers.
    assert card["duplicates_removed"]["exact"] + card["duplicates_removed"]["near"] >= 1
    renames = recoveries[recoveries["chosen"].str.contains("exp0-node-exporter")]
    assert len(renames) == 1


def test_the_jsonl_mirrors_the_parquet(built) -> None:
    _, table, out = built
    lines = [json.loads(line) for line in (out / "pairs.jsonl").read_text().splitlines()]
    assert [line["metadata"]["pair_id"] for line in lines] == list(table["pair_id"])
    assert lines[0]["chosen"] == json.loads(table.iloc[0]["chosen"])


def test_the_rule_is_deterministic(lab, tmp_path, policy_files, built) -> None:
    _, again = run(lab, tmp_path, policy_files)
    pd.testing.assert_frame_equal(again, built[1])


def test_kinds_from_config(lab, tmp_path, policy_files) -> None:
    card, table = run(lab, tmp_path, policy_files, kinds=("safety",), tiers=("A",))
    assert set(table["kind"]) == {"safety"} and card["sessions_mined"] == 3
    card, table = run(lab, tmp_path, policy_files, kinds=("recovery",), tiers=("C",))
    assert list(table["kind"]) == ["recovery"]


def test_a_leak_fails_closed_and_deletes_the_outputs(lab, tmp_path, policy_files, monkeypatch):
    import halops.validate_split as validate

    def no_scrub(messages):
        return messages, []

    monkeypatch.setattr(validate.scrub, "scrub_messages", no_scrub)
    with pytest.raises(SecretLeakError, match="outputs were deleted"):
        run(lab, tmp_path, policy_files)
    assert not list(tmp_path.iterdir())


def test_unknown_config_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown key"):
        PairsConfig.from_dict({"kindz": ["recovery"]})
    with pytest.raises(ValueError, match="unknown kind"):
        PairsConfig.from_dict({"kinds": ["recovery", "made_up"]})


def test_recovery_source_points_at_the_raw_line(built, lab) -> None:
    _, table, _ = built
    for row in table[table["kind"] != "safety"].to_dict(orient="records"):
        path, line = row["source"].rsplit(":", 1)
        record = (lab["root"] / "sessions" / path).read_text().splitlines()[int(line) - 1]
        assert json.loads(record)["type"] == "assistant"
