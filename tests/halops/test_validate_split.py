"""validate_and_split end to end on small curated parquets with planted secrets."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from halops.contract import scrub
from halops.datacard import DataCard
from halops.validate_split import SecretLeakError, ValidateConfig, validate_and_split
from tests.conftest import REPO

SECRETS = {
    "ipmi": "Bmc!Pass99",
    "pem_body": "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
    "aws": "AKIA2E0A8F3B244C9986",  # fake; AWS' documented ...EXAMPLE keys are placeholders
    "url": "Pa55w0rdX",
    "meta": "MetaSecret99",
    "leak": "Leaky-Pass-77",
}
PEM = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    f"{SECRETS['pem_body']}\n"
    "QyNTUxOQAAACBKkq7dXr4fXlZ0mEJ3cyw0pMoKWbe1sTyJ6t9aWvQRnwAAAJgvA9nNLwPZ\n"
    "-----END OPENSSH PRIVATE KEY-----"
)
CFG = ValidateConfig.from_dict(
    {
        "split_ratios": {"train": 0.6, "val": 0.2, "test": 0.2},
        "seed": 3,
        "near_dup_threshold": 0.8,
        "minhash_num_perm": 64,
        "shingle_size": 3,
    }
)


def words(tag: str, n: int = 40) -> str:
    """Text unique to `tag`, long enough that distinct tags are never near duplicates."""
    return " ".join(f"{tag}w{j}" for j in range(n))


def bash_call(command: str) -> dict:
    arguments = json.dumps({"command": command})
    return {"id": "c1", "type": "function", "function": {"name": "Bash", "arguments": arguments}}


def example(tag: str, extra: list[dict] | None = None) -> list[dict]:
    return [
        {"role": "user", "content": f"please check pve01 {words(tag)}"},
        {"role": "assistant", "content": "", "tool_calls": [bash_call("uptime")]},
        {"role": "tool", "tool_call_id": "c1", "name": "Bash", "content": words(tag + "t")},
        *(extra or []),
        {"role": "assistant", "content": f"all good {tag}"},
    ]


def secret_examples() -> dict[str, list[dict]]:
    ipmi = f"ipmitool -I lanplus -H bmc-pve02 -U admin -P {SECRETS['ipmi']} power cycle"
    return {
        "ipmi": example(
            "ipmi", [{"role": "assistant", "content": "", "tool_calls": [bash_call(ipmi)]}]
        ),
        "pem": example("pem", [{"role": "tool", "tool_call_id": "c1", "content": PEM}]),
        "aws": example("aws", [{"role": "user", "content": f"key is {SECRETS['aws']}"}]),
        "url": example(
            "url", [{"role": "assistant", "content": f"https://bk:{SECRETS['url']}@nas01/"}]
        ),
        "leak": example(
            "leak", [{"role": "user", "content": f"sshpass -p {SECRETS['leak']} ssh x"}]
        ),
    }


def row(example_id: str, strategy: str, session: str, tier: str, messages: list[dict]) -> dict:
    return {
        "example_id": example_id,
        "strategy": strategy,
        "session_id": session,
        "project": "lab",
        "tier": tier,
        "source": f"lab/{session}.jsonl:1",
        "messages": json.dumps(messages),
        "n_messages": len(messages),
        "title": f"DB_PASSWORD={SECRETS['meta']}" if example_id == "e-meta" else "plain",
    }


def curated_rows() -> dict[str, list[dict]]:
    planted = secret_examples()
    near = example("base")
    near[0] = {**near[0], "content": near[0]["content"] + " extra"}
    return {
        "multi_turn": [
            row("e-base", "multi_turn", "s1", "A", example("base")),
            row("e-ipmi", "multi_turn", "s2", "A", planted["ipmi"]),
            row("e-pem", "multi_turn", "s3", "B", planted["pem"]),
            row("e-exact", "multi_turn", "s6", "C", example("base")),  # exact copy of e-base
        ],
        "single_turn": [
            row("e-aws", "single_turn", "s4", "B", planted["aws"]),
            row("e-near", "single_turn", "s5", "C", near),  # near copy of e-base
            row("e-meta", "single_turn", "s1", "A", example("meta")),
        ],
        "skills": [row("e-url", "skills", "s5", "B", planted["url"])],
        "subagents": [
            row("e-leak", "subagents", "s6", "C", planted["leak"]),
            row("e-sub", "subagents", "s7", "A", example("sub")),
        ],
    }


@pytest.fixture
def inputs(tmp_path: Path) -> dict:
    curated = []
    for strategy, rows in curated_rows().items():
        path = tmp_path / "curated" / f"{strategy}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_parquet(path, index=False)
        curated.append(path)
    quarantine = tmp_path / "quarantine" / "lab" / "s1.jsonl"
    quarantine.parent.mkdir(parents=True)
    bad = [
        {"location": "lab/s1.jsonl:7", "reason": "invalid JSON: Expecting value", "raw": "{"},
        {"location": "lab/s1.jsonl:9", "reason": "invalid JSON: Unterminated string", "raw": "{'"},
        {"location": "lab/s1.jsonl:12", "reason": "line too long", "raw": "x"},
    ]
    quarantine.write_text("".join(json.dumps(b) + "\n" for b in bad))
    qualified = tmp_path / "qualified.parquet"
    pd.DataFrame({"session_id": ["s1", "s2", "s3"], "tier": ["A", "A", "B"]}).to_parquet(qualified)
    return {"curated_paths": curated, "quarantine_paths": [quarantine], "qualified_path": qualified}


def readable_text(path: Path) -> str:
    """A file's content as text: parquet decoded (it may be compressed), others as they are."""
    raw = path.read_bytes().decode("utf-8", errors="replace")
    if path.suffix == ".parquet":
        return raw + json.dumps(pq.read_table(path).to_pylist())
    return raw


def test_end_to_end_scrubs_dedupes_and_splits(inputs: dict, tmp_path: Path) -> None:
    out = tmp_path / "final"
    card = validate_and_split(**inputs, cfg=CFG, out_dir=out)

    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [f"{s}.{ext}" for s in ("train", "val", "test") for ext in ("jsonl", "parquet")]
        + ["data_card.json", "data_card.md"]
    )
    for path in out.iterdir():  # no planted secret anywhere, in any form
        text = readable_text(path)
        for secret in SECRETS.values():
            assert secret not in text, f"{secret} leaked into {path.name}"

    assert card.n_input_examples == 10
    assert card.duplicates_removed == {"exact": 1, "near": 1}
    assert card.n_output_examples == 8
    assert sum(card.per_split.values()) == 8
    assert card.per_strategy == {"multi_turn": 3, "single_turn": 2, "skills": 1, "subagents": 2}
    assert card.secrets_per_rule == {
        "aws-access-key-id": 1,
        "ipmitool-password": 1,
        "private-key": 1,
        "secret-assignment": 1,
        "sshpass-password": 1,
        "url-credentials": 1,
    }
    assert card.examples_with_secrets == 6
    assert card.quarantine == {
        "files": 1,
        "lines": 3,
        "reasons": {"invalid JSON": 2, "line too long": 1},
    }
    assert card.qualified == {"sessions": 3, "per_tier": {"A": 2, "B": 1}}
    assert set(card.token_stats) == {"train", "val", "test"}
    assert json.loads((out / "data_card.json").read_text()) == card.to_dict()


def test_sessions_do_not_leak_across_splits_and_best_copy_is_kept(
    inputs: dict, tmp_path: Path
) -> None:
    out = tmp_path / "final"
    validate_and_split(**inputs, cfg=CFG, out_dir=out)
    sessions: dict[str, set[str]] = {}
    ids = []
    for split in ("train", "val", "test"):
        lines = (out / f"{split}.jsonl").read_text().splitlines()
        records = [json.loads(line) for line in lines]
        assert all(set(r) == {"messages", "metadata"} for r in records)
        sessions[split] = {r["metadata"]["session_id"] for r in records}
        ids += [r["metadata"]["example_id"] for r in records]
        frame = pd.read_parquet(out / f"{split}.parquet")
        assert len(frame) == len(records)
    assert not (sessions["train"] & sessions["val"] or sessions["train"] & sessions["test"])
    assert not sessions["val"] & sessions["test"]
    assert all(sessions.values())  # 7 sessions: val and test are not empty
    assert "e-base" in ids and "e-exact" not in ids and "e-near" not in ids  # tier A survives


def test_output_is_deterministic(inputs: dict, tmp_path: Path) -> None:
    validate_and_split(**inputs, cfg=CFG, out_dir=tmp_path / "a")
    validate_and_split(**inputs, cfg=CFG, out_dir=tmp_path / "b")
    for name in ("train.jsonl", "val.jsonl", "test.jsonl", "data_card.json", "data_card.md"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text()


def leaky_scrubber(real=scrub.scrub_messages):
    """The scrubber with one bug: the example holding SECRETS['leak'] comes through unscrubbed."""

    def scrub_messages(messages: list[dict]):
        if SECRETS["leak"] in json.dumps(messages):
            return messages, []
        return real(messages)

    return scrub_messages


def test_rescan_fails_closed_naming_file_and_line(
    inputs: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = tmp_path / "good"
    validate_and_split(**inputs, cfg=CFG, out_dir=good)
    expected = next(
        f"{split}.jsonl:{number}"
        for split in ("train", "val", "test")
        for number, line in enumerate((good / f"{split}.jsonl").read_text().splitlines(), 1)
        if json.loads(line)["metadata"]["example_id"] == "e-leak"
    )

    monkeypatch.setattr(scrub, "scrub_messages", leaky_scrubber())
    bad = tmp_path / "bad"
    with pytest.raises(
        SecretLeakError, match=re.escape(expected) + r": secret \(sshpass-password\)"
    ):
        validate_and_split(**inputs, cfg=CFG, out_dir=bad)
    assert not any(bad.glob("*.jsonl")) and not any(bad.glob("*.parquet"))  # nothing left behind


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"split_ratios": {"train": 0.5, "val": 0.1, "test": 0.1}}, "must sum to 1"),
        ({"split_ratios": {"train": 1.0}}, "train/val/test"),
        ({"near_dup_threshold": 0}, "near_dup_threshold"),
        ({"shingles": 3}, "unknown key"),
    ],
)
def test_config_errors_name_the_key(data: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ValidateConfig.from_dict(data)


def _objects(schema: dict):
    yield schema
    for sub in schema.get("properties", {}).values():
        yield from _objects(sub)


def test_config_section_matches_its_schema() -> None:
    import jsonschema

    schema = yaml.safe_load((REPO / "workflow/schemas/config.validate.schema.yaml").read_text())
    section = yaml.safe_load((REPO / "config/config.yaml").read_text())["validate"]
    jsonschema.validate(section, schema["validate"])
    for node in _objects(schema["validate"]):
        assert node.get("type") and node.get("description"), node
        if node["type"] == "object":
            assert node.get("additionalProperties") is False
    assert ValidateConfig.from_dict(section).near_dup_threshold == section["near_dup_threshold"]


def test_data_card_round_trips() -> None:
    card = DataCard(n_input_examples=3, per_split={"train": 1, "val": 1, "test": 1})
    assert DataCard.from_dict(json.loads(json.dumps(card.to_dict()))) == card
    assert "| train | 1 | 0 |" in card.to_markdown()


def test_empty_corpus_gives_empty_splits_and_a_card(tmp_path: Path) -> None:
    columns = ["example_id", "strategy", "session_id", "project", "tier", "source", "messages"]
    path = tmp_path / "multi_turn.parquet"
    pd.DataFrame({c: pd.Series([], dtype=object) for c in columns}).to_parquet(path)
    card = validate_and_split([path], [], tmp_path / "missing.parquet", CFG, tmp_path / "final")
    assert card.per_split == {"train": 0, "val": 0, "test": 0}
    assert (tmp_path / "final" / "train.jsonl").read_text() == ""
    assert len(pd.read_parquet(tmp_path / "final" / "test.parquet")) == 0


def test_list_metadata_is_scrubbed_and_written_as_lists(tmp_path: Path) -> None:
    rows = [
        {**row(f"e{i}", "multi_turn", f"s{i}", "A", example(f"t{i}")), "hosts": ["pve01", "nas01"]}
        for i in range(3)
    ]
    rows[0]["hosts"] = ["pve01", f"https://bk:{SECRETS['url']}@nas01/"]
    path = tmp_path / "multi_turn.parquet"
    pd.DataFrame(rows).to_parquet(path)
    card = validate_and_split([path], [], tmp_path / "q.parquet", CFG, tmp_path / "final")
    assert card.secrets_per_rule == {"url-credentials": 1}
    records = [
        json.loads(line)
        for split in ("train", "val", "test")
        for line in (tmp_path / "final" / f"{split}.jsonl").read_text().splitlines()
    ]
    assert all(isinstance(r["metadata"]["hosts"], list) for r in records)
    assert SECRETS["url"] not in json.dumps(records)


def test_rescan_names_the_line_of_a_text_file(tmp_path: Path) -> None:
    from halops.validate_split import rescan

    card = tmp_path / "data_card.md"
    card.write_text(f"# card\n\nall fine\nsee https://bk:{SECRETS['url']}@nas01/\n")
    with pytest.raises(SecretLeakError, match=r"data_card\.md:4: secret \(url-credentials\)"):
        rescan([card])


@pytest.fixture(scope="module")
def tokenizer():
    """SmolLM2's own tokenizer and chat template, read from the embedded GGUF."""
    transformers = pytest.importorskip("transformers")
    from halops.model.base import embedded_gguf_path

    try:
        gguf = embedded_gguf_path()
    except ValueError as exc:
        pytest.skip(str(exc))
    return transformers.AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)


def test_examples_are_fitted_to_the_window_and_counted(
    inputs: dict, tmp_path: Path, tokenizer
) -> None:
    from halops.validate_split import Window
    from halops.window import TokenCounter

    out = tmp_path / "final"
    limit = 200  # the planted examples run ~150-250 tokens: some fit, some must be trimmed
    card = validate_and_split(**inputs, cfg=CFG, out_dir=out, window=Window(tokenizer, limit))
    counter = TokenCounter(tokenizer)
    lengths = []
    for split in ("train", "val", "test"):
        for line in (out / f"{split}.jsonl").read_text().splitlines():
            messages = json.loads(line)["messages"]
            lengths.append(counter.length(messages))
            assert messages[0]["role"] == "user"
            assert any(m["role"] == "assistant" for m in messages)
    assert max(lengths) <= limit
    window = card.window
    assert window["max_tokens"] == limit and window["truncated_assistant_messages"] == 0
    assert sum(window["examples"].values()) == card.n_input_examples
    assert window["examples"]["fit"] < card.n_input_examples
    assert card.token_counter == "the model's tokenizer"
    assert card.token_stats["train"].max <= limit
    text = (out / "data_card.md").read_text()
    assert f"Every example fits {limit} tokens" in text and "## Held-out test content" in text


def test_held_out_sessions_are_pinned_to_test_and_listed(inputs: dict, tmp_path: Path) -> None:
    holdout = tmp_path / "holdout.json"
    wordings = {"uptime_load": ["When did {host} last reboot?"]}
    combos = {"service_status": ["pve03 corosync"]}
    holdout.write_text(
        json.dumps({"sessions": ["s1", "s7"], "wordings": wordings, "combinations": combos})
    )
    out = tmp_path / "final"
    card = validate_and_split(**inputs, cfg=CFG, out_dir=out, holdout_path=holdout)
    test = {json.loads(line)["metadata"]["session_id"] for line in (out / "test.jsonl").open()}
    assert {"s1", "s7"} <= test
    assert card.heldout["sessions"] == 2 and card.heldout["test_examples"] >= 2
    text = (out / "data_card.md").read_text()
    assert "2 generated sessions are pinned to the test split" in text
    assert "- uptime_load: “When did {host} last reboot?”" in text
    assert "- service_status: pve03 corosync" in text


def test_tool_call_turns_are_counted_per_split(inputs: dict, tmp_path: Path) -> None:
    card = validate_and_split(**inputs, cfg=CFG, out_dir=tmp_path / "final")
    total = 0
    for split in ("train", "val", "test"):
        for line in (tmp_path / "final" / f"{split}.jsonl").open():
            messages = json.loads(line)["messages"]
            total += sum(1 for m in messages if m["role"] == "assistant" and m.get("tool_calls"))
    assert sum(card.tool_call_turns.values()) == total > 0


def test_examples_calling_outside_the_inventory_are_dropped_and_counted(
    inputs: dict, tmp_path: Path
) -> None:
    from halops.reach import reach_of_hosts

    reach = reach_of_hosts([{"name": "nas01", "transports": ["ssh"]}])
    call = {"type": "function", "function": {"name": "ssh", "arguments": ""}}
    unreachable = [
        {"role": "user", "content": "show the switch config"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    **call,
                    "function": {
                        "name": "ssh",
                        "arguments": json.dumps(
                            {"host": "sw-core01", "command": "show running-config"}
                        ),
                    },
                }
            ],
        },
    ]
    path = tmp_path / "curated" / "extra.parquet"
    pd.DataFrame([row("e-switch", "single_turn", "s8", "A", unreachable)]).to_parquet(path)
    inputs = {**inputs, "curated_paths": [*inputs["curated_paths"], path]}

    without = validate_and_split(**inputs, cfg=CFG, out_dir=tmp_path / "all")
    card = validate_and_split(**inputs, cfg=CFG, out_dir=tmp_path / "reach", reach=reach)

    assert without.unreachable is None
    assert card.unreachable == {"examples": 1, "calls": {"ssh:sw-core01": 1}}
    assert sum(card.per_split.values()) == sum(without.per_split.values()) - 1
    assert "sw-core01" not in (tmp_path / "reach" / "train.jsonl").read_text()
    assert "ssh:sw-core01" in (tmp_path / "reach" / "data_card.md").read_text()


def prepare_shards(inputs: dict, tmp_path: Path, window=None) -> tuple[list[Path], list[Path]]:
    """What the curate rule writes: the curated tables in two shards, prepared and scanned."""
    from halops.prepared import prepare_examples, write_prepared
    from halops.scan_cache import rescan, scanner_fingerprint, write_digests
    from halops.validate_split import load_curated

    frame = load_curated(inputs["curated_paths"])
    halves = [frame[frame["session_id"] <= "s3"], frame[frame["session_id"] > "s3"]]
    shards, scanned = [], []
    for index, half in enumerate(halves):
        prepared, stats = prepare_examples(half.reset_index(drop=True), window)
        path = tmp_path / "shards" / f"shard-{index}.parquet"
        write_prepared(prepared, path, stats)
        shards.append(path)
        scanned.append(path.with_suffix(".scanned.parquet"))
        write_digests(scanned[-1], rescan([path]), scanner_fingerprint())
    return shards, scanned


def test_prepared_shards_give_what_plain_tables_give(inputs: dict, tmp_path: Path) -> None:
    # The curate rule prepares per shard what validate used to do for all examples at once:
    # the splits and every count of the card are the same.
    whole = validate_and_split(**inputs, cfg=CFG, out_dir=tmp_path / "whole")
    shards, scanned = prepare_shards(inputs, tmp_path)
    by_shard = validate_and_split(
        **{**inputs, "curated_paths": shards},
        cfg=CFG,
        out_dir=tmp_path / "by_shard",
        scanned_paths=scanned,
    )
    assert by_shard.to_dict() == whole.to_dict()
    for split in ("train", "val", "test"):
        name = f"{split}.jsonl"
        assert (tmp_path / "by_shard" / name).read_text() == (tmp_path / "whole" / name).read_text()


def test_prepared_shards_fitted_and_counted_give_the_tokens_validate_would(
    inputs: dict, tmp_path: Path, tokenizer
) -> None:
    from halops.validate_split import Window

    window = Window(tokenizer, 200)
    whole = validate_and_split(**inputs, cfg=CFG, out_dir=tmp_path / "whole", window=window)
    shards, scanned = prepare_shards(inputs, tmp_path, window)
    by_shard = validate_and_split(
        **{**inputs, "curated_paths": shards},
        cfg=CFG,
        out_dir=tmp_path / "by_shard",
        scanned_paths=scanned,
    )
    assert by_shard.to_dict() == whole.to_dict()
    assert by_shard.token_counter == "the model's tokenizer"
    assert "n_tokens" not in pd.read_parquet(tmp_path / "by_shard" / "train.parquet").columns


def test_a_prepared_shard_that_holds_a_secret_still_fails_closed(
    inputs: dict, tmp_path: Path
) -> None:
    # The shard says it was scrubbed but was not (a bug, a hand-made file), and its digest file
    # comes from another scanner: the final re-scan reads every string and stops.
    from halops.prepared import write_prepared
    from halops.scan_cache import digest, write_digests
    from halops.validate_split import load_curated

    frame = load_curated(inputs["curated_paths"])
    frame = frame.assign(messages=[json.loads(m) for m in frame["messages"]])
    stats = {"n_curated": len(frame), "secrets_per_rule": {}, "examples_with_secrets": 0}
    shard = tmp_path / "shard-0.parquet"
    write_prepared(frame, shard, {**stats, "unreachable": None, "window": {}})
    forged = tmp_path / "shard-0.scanned.parquet"
    secret_strings = [m["content"] for ms in frame["messages"] for m in ms if m.get("content")]
    write_digests(forged, [digest(s) for s in secret_strings], "an older scanner")
    out = tmp_path / "final"
    with pytest.raises(SecretLeakError, match="outputs were deleted"):
        validate_and_split(
            **{**inputs, "curated_paths": [shard]},
            cfg=CFG,
            out_dir=out,
            scanned_paths=[forged],
        )
    assert not [p for p in out.iterdir() if p.suffix in (".jsonl", ".parquet")]
