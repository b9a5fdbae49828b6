"""Synthetic data from an endpoint: the rule against a scripted local stand-in (deterministic),
the remote-endpoint guard, scrubbing before sending, the cache, retries, and mixing into the
training split. One slow test runs against llama.cpp's server with the embedded model."""

from __future__ import annotations

import ipaddress
import json
import time
from pathlib import Path

import openai
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from halops.augment.config import EndpointConfig, SyntheticConfig
from halops.augment.endpoint import (
    ChatEndpoint,
    RateLimiter,
    RemoteEndpointError,
    check_endpoint,
    scrub_outgoing,
)
from halops.augment.synthetic import SyntheticInputs, answer_lines, keeps_hosts, synthesize
from halops.augment.trainset import mix_training_set, synthetic_cap
from halops.curate.config import CurateConfig
from halops.validate_split import ValidateConfig
from tests.conftest import REPO, llama_serve_config
from tests.halops.augment.standin import StandIn, lab_script, serve

RUNBOOKS = sorted((REPO / "config" / "rag").glob("runbook-*.md"))[:2]
SECRET = "AKIAIOSFODNN7EXAMPLF"  # AWS access-key shape: the scrubber's aws rule


def example(index: int, request: str, host: str, command: str, strategy: str = "single_turn"):
    call = {
        "id": f"toolu_{index}",
        "type": "function",
        "function": {"name": "ssh", "arguments": json.dumps({"host": host, "command": command})},
    }
    messages = [
        {"role": "system", "content": "You are HAL."},
        {"role": "user", "content": request},
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": f"toolu_{index}", "name": "ssh", "content": "ok"},
        {"role": "assistant", "content": f"Done on {host}."},
    ]
    return {
        "example_id": f"ex{index}",
        "strategy": strategy,
        "session_id": f"s{index}",
        "project": "lab",
        "tier": "A",
        "source": f"lab/s{index}.jsonl:1",
        "messages": json.dumps(messages),
    }


TRAIN = [
    example(1, "check the zpool status on nas01", "nas01", "zpool status tank"),
    example(2, f"why is pve02 slow? my key is {SECRET}", "pve02", "uptime"),
    example(3, "how long has pve01 been up", "pve01", "uptime", strategy="multi_turn"),
    example(4, "wipe pve03 please", "pve03", "rm -rf /"),  # the policy blocks this call
]


def write_train(folder: Path, rows: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "train.parquet"
    pd.DataFrame(rows).assign(split="train").to_parquet(path, index=False)
    return path


def synthetic_config(base_url: str, cache: Path, **overrides) -> SyntheticConfig:
    endpoint = {"base_url": base_url, "model": "standin", "requests_per_minute": 6000.0}
    return SyntheticConfig.from_dict(
        {**endpoint, "cache_dir": str(cache), "rewordings_per_request": 2, **overrides}
    )


def run_rule(folder: Path, standin: StandIn, policy_files, train_rows=TRAIN, **overrides):
    cfg = synthetic_config(standin.base_url, folder / "cache", **overrides)
    inputs = SyntheticInputs(write_train(folder, train_rows), RUNBOOKS, *policy_files)
    out = folder / "synthetic.parquet"
    card = synthesize(inputs, cfg, CurateConfig(), out, folder / "card.json")
    return pd.read_parquet(out), card


@pytest.fixture
def standin():
    with serve(StandIn(lab_script)) as server:
        yield server


# --- the rule against the stand-in ---------------------------------------------------------------


def test_rewordings_keep_the_transcript_calls(tmp_path, standin, policy_files) -> None:
    table, card = run_rule(tmp_path, standin, policy_files)
    reworded = table[table["strategy"] == "synthetic_reword"]
    # Examples 1 and 2 are single-turn with allowed calls; the second wording of each lost the
    # host and is dropped; example 3 is multi-turn; example 4's call is blocked.
    assert sorted(reworded["origin"]) == ["ex1", "ex2"]
    for row in reworded.to_dict(orient="records"):
        messages = json.loads(row["messages"])
        original = json.loads(
            next(e for e in TRAIN if e["example_id"] == row["origin"])["messages"]
        )
        assert messages[1]["content"].startswith("Could you please do this: ")
        assert messages[2:] == original[2:]  # the transcript's calls, results and answer
        assert row["synthetic"] and row["tier"] == "synthetic"
    assert card["dropped"] == {
        "reword: a host of the request is missing": 2,
        "reword: a transcript call fails to parse or is blocked": 1,
    }
    assert card["endpoint"] == standin.base_url and card["model"] == "standin"


def test_runbook_questions_are_answered_from_the_runbook(tmp_path, standin, policy_files) -> None:
    table, card = run_rule(tmp_path, standin, policy_files, questions_per_runbook=2)
    runbook = table[table["strategy"] == "synthetic_runbook"]
    assert len(runbook) == 2 * len(RUNBOOKS) == card["per_strategy"]["synthetic_runbook"]
    first = json.loads(runbook.iloc[0]["messages"])
    assert [m["role"] for m in first] == ["system", "user", "assistant"]
    assert "# Reference documents" in first[0]["content"]  # the agent's retrieval layout
    assert first[1]["content"] in ("What is the first step?", "Who has to approve it?")
    assert first[2]["content"].startswith(f"About {first[1]['content'].lower()} the runbook says: ")


def test_only_scrubbed_training_text_is_sent(tmp_path, standin, policy_files) -> None:
    run_rule(tmp_path, standin, policy_files)
    sent = standin.sent_text()
    assert SECRET not in sent and "<REDACTED:" in sent
    assert "check the zpool status on nas01" in sent


def test_the_rule_is_deterministic(tmp_path, standin, policy_files) -> None:
    first, _ = run_rule(tmp_path / "a", standin, policy_files)
    second, _ = run_rule(tmp_path / "b", standin, policy_files)
    pd.testing.assert_frame_equal(first, second)


def test_a_rerun_asks_only_for_what_is_new(tmp_path, standin, policy_files) -> None:
    _, card = run_rule(tmp_path, standin, policy_files)
    assert card["requests_sent"] > 0 and card["answers_from_cache"] == 0
    _, again = run_rule(tmp_path, standin, policy_files)
    assert again["requests_sent"] == 0 and again["answers_from_cache"] == card["requests_sent"]
    more = [*TRAIN, example(5, "list the VMs on pve03", "pve03", "qm list")]
    _, grown = run_rule(tmp_path, standin, policy_files, train_rows=more)
    assert grown["requests_sent"] == 1  # only the new request's rewording


def test_transient_errors_are_retried_with_backoff(tmp_path, policy_files) -> None:
    with serve(StandIn(lab_script, fail_first=[500, 429, 503])) as server:
        cfg = EndpointConfig(base_url=server.base_url, model="m", requests_per_minute=6000)
        endpoint = ChatEndpoint(cfg, tmp_path, backoff_s=0.01)
        answer = endpoint.complete([{"role": "user", "content": "hi"}])
    assert answer == "unexpected request"
    assert endpoint.stats.retries == 3 and endpoint.stats.sent == 4


def test_retries_give_up_after_max_retries(tmp_path) -> None:
    with serve(StandIn(lab_script, fail_first=[500] * 5)) as server:
        cfg = EndpointConfig(server.base_url, "m", max_retries=2, requests_per_minute=6000)
        endpoint = ChatEndpoint(cfg, tmp_path, backoff_s=0.01)
        with pytest.raises(openai.InternalServerError):
            endpoint.complete([{"role": "user", "content": "hi"}])
        assert len(server.requests) == 3
    assert not list(tmp_path.rglob("*.json"))  # nothing cached from a failure


def test_client_errors_are_not_retried(tmp_path) -> None:
    with serve(StandIn(lab_script, fail_first=[400])) as server:
        cfg = EndpointConfig(server.base_url, "m", requests_per_minute=6000)
        with pytest.raises(openai.BadRequestError):
            ChatEndpoint(cfg, tmp_path, backoff_s=0.01).complete([{"role": "user", "content": "x"}])
        assert len(server.requests) == 1


def test_rate_limiter_spaces_calls(monkeypatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "monotonic", lambda: 100.0)
    monkeypatch.setattr(time, "sleep", slept.append)
    limiter = RateLimiter(per_minute=30)
    for _ in range(3):
        limiter.wait()
    assert slept == [2.0, 4.0]


# --- the remote-endpoint guard -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/v1",
        "http://localhost:8080/v1",
        "http://[::1]:8080/v1",
        "http://10.20.0.5/v1",
        "https://172.16.4.2/v1",
        "http://192.168.1.10:11434/v1",
        "http://[fd12:3456::1]/v1",
    ],
)
def test_local_and_private_endpoints_are_allowed(url: str) -> None:
    check_endpoint(EndpointConfig(url, "m"))


@pytest.mark.parametrize(
    "url", ["https://8.8.8.8/v1", "http://1.1.1.1:8080/v1", "https://[2606:4700::1111]/v1"]
)
def test_public_endpoints_need_allow_remote(url: str, tmp_path: Path) -> None:
    with pytest.raises(RemoteEndpointError, match="allow_remote"):
        check_endpoint(EndpointConfig(url, "m"))
    with pytest.raises(RemoteEndpointError):
        ChatEndpoint(EndpointConfig(url, "m"), tmp_path)  # refused before any client exists
    check_endpoint(EndpointConfig(url, "m", allow_remote=True))


def test_unresolvable_names_count_as_remote(monkeypatch) -> None:
    import socket

    def no_dns(*args, **kwargs):
        raise socket.gaierror("no DNS here")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(RemoteEndpointError, match="unresolved"):
        check_endpoint(EndpointConfig("https://api.example.com/v1", "m"))


def test_names_resolving_to_a_public_address_are_remote(monkeypatch) -> None:
    import socket

    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *a, **k: [(2, 1, 6, "", ("10.0.0.1", 0)), (2, 1, 6, "", ("9.9.9.9", 0))],
    )
    with pytest.raises(RemoteEndpointError, match=r"9\.9\.9\.9"):
        check_endpoint(EndpointConfig("https://mixed.example/v1", "m"))


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/v1", "127.0.0.1:8080", "http:///v1"])
def test_malformed_base_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="http"):
        check_endpoint(EndpointConfig(url, "m"))


PRIVATE_V4 = [
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8")
]
PUBLIC_V4 = [
    ipaddress.ip_network(n) for n in ("8.0.0.0/8", "1.0.0.0/8", "151.101.0.0/16", "52.0.0.0/8")
]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(PRIVATE_V4 + PUBLIC_V4), st.integers(min_value=0, max_value=2**24 - 1))
def test_guard_matches_the_address_class(network, offset) -> None:
    address = network[offset % network.num_addresses]
    cfg = EndpointConfig(f"http://{address}:8000/v1", "m")
    if network in PRIVATE_V4:
        check_endpoint(cfg)
    else:
        with pytest.raises(RemoteEndpointError):
            check_endpoint(cfg)


# --- scrubbing and parsing -----------------------------------------------------------------------


def test_scrub_outgoing_redacts_and_counts() -> None:
    messages = [{"role": "user", "content": f"key {SECRET} and password=hunter2hunter2"}]
    scrubbed, redactions = scrub_outgoing(messages)
    assert redactions >= 2 and SECRET not in scrubbed[0]["content"]
    assert messages[0]["content"].startswith("key AKIA")  # the input is not modified


def test_answer_lines_strip_markers_and_the_original() -> None:
    answer = '1. first one\n\n- second one\n* check nas01\n  3) "quoted"\ncheck nas01'
    assert answer_lines(answer, "Check   NAS01") == ["first one", "second one", "quoted"]


def test_keeps_hosts_is_exact_on_names() -> None:
    hosts = ["pve01", "bmc-pve01", "nas01"]
    assert keeps_hosts("reboot pve01", "please restart PVE01 now", hosts)
    assert not keeps_hosts("reboot pve01", "reboot bmc-pve01", hosts)
    assert not keeps_hosts("check nas01 and pve01", "check nas01", hosts)


# --- mixing into the training split --------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=5000), st.floats(min_value=0, max_value=0.95))
def test_synthetic_cap_is_the_largest_share_within_the_limit(n_real, share) -> None:
    cap = synthetic_cap(n_real, share)
    assert cap == 0 or cap / (n_real + cap) <= share + 1e-9
    assert (cap + 1) / (n_real + cap + 1) > share - 1e-9


def test_mixing_adds_capped_deduplicated_synthetic_to_train_only(
    tmp_path, standin, policy_files
) -> None:
    table, _ = run_rule(tmp_path, standin, policy_files, questions_per_runbook=2)
    train_jsonl = tmp_path / "train.jsonl"
    real = [
        {"messages": json.loads(e["messages"]), "metadata": {"example_id": e["example_id"]}}
        for e in TRAIN
    ]
    train_jsonl.write_text("".join(json.dumps(r) + "\n" for r in real))
    # A synthetic copy of a real example is a duplicate and must go.
    duplicate = table.iloc[[0]].assign(example_id="dup", messages=json.dumps(real[0]["messages"]))
    offered = pd.concat([table, duplicate], ignore_index=True)
    offered.to_parquet(tmp_path / "offered.parquet", index=False)
    out = tmp_path / "mixed.jsonl"
    counts = mix_training_set(train_jsonl, tmp_path / "offered.parquet", 0.5, ValidateConfig(), out)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[: len(real)] == real  # the real split, unchanged and first
    added = lines[len(real) :]
    assert counts["synthetic_added"] == len(added) == synthetic_cap(len(real), 0.5) == 4
    assert counts["synthetic_duplicates"] == 1
    assert all(r["metadata"]["synthetic"] and r["metadata"]["split"] == "train" for r in added)
    assert counts["synthetic_over_cap"] == len(offered) - 1 - 4


# --- against llama.cpp's server ------------------------------------------------------------------


@pytest.mark.slow
def test_the_rule_against_llama_cpp_with_the_embedded_model(tmp_path, policy_files) -> None:
    serve_mod = pytest.importorskip("bot.serve")
    try:
        serve_mod.embedded_base_gguf()
    except Exception as exc:  # the wheel is missing
        pytest.skip(str(exc))
    config = llama_serve_config()  # the shipped settings: a 4,096-token context
    with serve_mod.LlamaServer(config) as server:
        cfg = SyntheticConfig.from_dict(
            {
                "base_url": server.base_url,
                "model": config.alias,
                "cache_dir": str(tmp_path / "cache"),
                "rewordings_per_request": 2,
                "max_requests": 2,
                "questions_per_runbook": 1,
                "max_tokens": 96,
                "temperature": 0.0,
            }
        )
        inputs = SyntheticInputs(write_train(tmp_path, TRAIN), RUNBOOKS[:1], *policy_files)
        card = synthesize(inputs, cfg, CurateConfig(), tmp_path / "s.parquet", tmp_path / "c.json")
    table = pd.read_parquet(tmp_path / "s.parquet")
    assert card["requests_sent"] >= 3 and card["model"] == "halops"
    hosts = ["nas01", "pve02"]
    for row in table[table["strategy"] == "synthetic_reword"].to_dict(orient="records"):
        request = json.loads(row["messages"])[1]["content"]
        assert any(h in request.lower() for h in hosts)  # the host check held
    assert set(table["strategy"]) <= {"synthetic_reword", "synthetic_runbook"}
