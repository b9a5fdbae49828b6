"""The pair miner on generated sessions with known failure -> recovery pairs.

Sessions are written in the real on-disk transcript format by the sample generator's builder
(`halops.samplegen.builder`: one record per content block, tool_result pairing, interrupts,
both CLI eras), extracted with the real extractor, and mined. Each episode knows the pair it
must give, or that it must give none; hypothesis draws sequences of episodes, so every pair is
found and none is invented, whatever comes before or after it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halops.augment.mine import (
    MineStats,
    command_words,
    mine_session,
    program,
    system_message,
    verb,
)
from halops.curate.common import Session
from halops.curate.config import CurateConfig
from halops.extract.session import extract_session
from halops.qualify import QualifyConfig
from halops.rows import read_extracted, records
from halops.samplegen.builder import (
    ERA_FLAT,
    ERA_NESTED,
    Clock,
    Ids,
    SessionContext,
    Transcript,
)
from halops.samplegen.corpus import CorpusStats, write_session

KINDS = ("recovery", "correction", "interruption")
QUALIFY = QualifyConfig(correction_phrases=("no,", "actually", "that's wrong"))
# (kind, rejected calls, chosen calls or answer), calls as (tool, arguments)
Expected = tuple[str, tuple, tuple]


def ssh(host: str, command: str) -> str:
    return f"ssh {host} '{command}'"


def ssh_call(host: str, command: str) -> tuple:
    return (("ssh", (("command", command), ("host", host))),)


@dataclass(frozen=True)
class Episode:
    name: str
    play: Callable[[Transcript, int], Expected | None]


def finish(tr: Transcript, text: str) -> None:
    tr.message().text(text, final=True)
    tr.end_turn()


# --- episodes that must give a pair ------------------------------------------------------------


def recovery_rename(tr: Transcript, i: int) -> Expected:
    tr.prompt(f"is the exporter {i} on pve01 running?")
    bad, good = f"systemctl status exp{i}-exporter", f"systemctl status exp{i}-node-exporter"
    tr.bash(tr.message(), ssh("pve01", bad), "status", "", exit_code=4, stderr="Unit not found.")
    tr.bash(tr.message(), ssh("pve01", good), "status", "active (running)")
    finish(tr, "It runs.")
    return ("recovery", ssh_call("pve01", bad), ssh_call("pve01", good))


def recovery_sudo(tr: Transcript, i: int) -> Expected:
    tr.prompt(f"show the firewall rules for vlan {i}")
    bad, good = f"pfctl -sr -a vlan{i}", f"sudo pfctl -sr -a vlan{i}"
    m = tr.message()
    m.text("Reading the ruleset.")
    tr.bash(m, ssh("nas01", bad), "rules", "", exit_code=1, stderr="pfctl: Permission denied")
    m = tr.message()
    m.thinking("Needs root.")
    tr.bash(m, ssh("nas01", good), "rules", "pass in quick on vlan")
    finish(tr, "Here they are.")
    return ("recovery", ssh_call("nas01", bad), ssh_call("nas01", good))


def recovery_after_parallel(tr: Transcript, i: int) -> Expected:
    """Two calls in one message, the first fails; the next message starts with its retry."""
    tr.prompt(f"check disk {i} on pve02")
    bad, good = f"smartctl -a /dev/sd{i}", f"smartctl -a -d sat /dev/sd{i}"
    m = tr.message()
    tr.bash(m, ssh("pve02", bad), "smart", "", exit_code=2, stderr="Unknown USB bridge")
    tr.bash(m, ssh("pve02", "uptime"), "uptime", "up 3 days")
    tr.bash(tr.message(), ssh("pve02", good), "smart", "PASSED")
    finish(tr, "The disk is fine.")
    return ("recovery", ssh_call("pve02", bad), ssh_call("pve02", good))


def correction_of_action(tr: Transcript, i: int) -> Expected:
    tr.prompt(f"restart the web service {i} on pve03")
    wrong, right = f"systemctl restart web{i}", f"systemctl restart nginx{i}"
    tr.bash(tr.message(), ssh("pve03", wrong), "restart", "")
    finish(tr, "Restarted.")
    tr.prompt(f"no, I meant nginx{i}, the reverse proxy")
    tr.bash(tr.message(), ssh("pve03", right), "restart", "")
    finish(tr, "Restarted nginx.")
    return ("correction", ssh_call("pve03", wrong), ssh_call("pve03", right))


def correction_of_answer(tr: Transcript, i: int) -> Expected:
    tr.prompt(f"what port does service {i} listen on?")
    finish(tr, f"Port {8000 + i}.")
    tr.prompt("actually check it on mon01 first")
    right = f"ss -ltnp | grep svc{i}"
    tr.bash(tr.message(), ssh("mon01", right), "ports", f"LISTEN 0 128 *:{9000 + i}")
    finish(tr, f"It listens on {9000 + i}.")
    return ("correction", (("text", f"Port {8000 + i}."),), ssh_call("mon01", right))


def refused_call(tr: Transcript, i: int) -> Expected:
    tr.prompt(f"bmc-pve0{i % 3 + 1} node is stuck, fix it")
    bmc = f"bmc-pve0{i % 3 + 1}"
    m = tr.message()
    m.text("A power cycle is the quickest way out.")
    tr.reject(m, "Bash", {"command": f"ipmitool -I lanplus -H {bmc} chassis power cycle"})
    tr.prompt(f"don't power cycle yet, check quorum from pve01 first ({i})")
    tr.bash(tr.message(), ssh("pve01", "pvecm status"), "quorum", "Quorate: Yes")
    finish(tr, "Quorum is fine.")
    rejected = (("ipmi", (("action", "power_cycle"), ("host", bmc))),)
    return ("interruption", rejected, ssh_call("pve01", "pvecm status"))


# --- episodes that must give none --------------------------------------------------------------


def same_call_retried(tr: Transcript, i: int) -> None:
    tr.prompt(f"validate rules file {i}")
    command = f"promtool check rules /etc/prometheus/r{i}.yml"
    tr.bash(tr.message(), ssh("mon01", command), "check", "", exit_code=1, stderr="FAILED")
    m = tr.message()
    m.text("Fixed the indentation; checking again.")
    tr.bash(m, ssh("mon01", command), "check", "SUCCESS")
    finish(tr, "Valid now.")


def retry_fails_too(tr: Transcript, i: int) -> None:
    tr.prompt(f"list exports on nas01 ({i})")
    tr.bash(tr.message(), ssh("nas01", "exportfs -v"), "x", "", exit_code=255, stderr="denied")
    tr.bash(tr.message(), ssh("nas01", "sudo exportfs -v"), "x", "", exit_code=1, stderr="tty")
    finish(tr, "I cannot read the exports.")


def next_step_not_retry(tr: Transcript, i: int) -> None:
    tr.prompt(f"pveproxy {i} looks down on pve01")
    tr.bash(tr.message(), ssh("pve01", "systemctl status pveproxy"), "s", "", exit_code=3)
    tr.bash(tr.message(), ssh("pve01", "systemctl restart pveproxy"), "r", "")
    finish(tr, "Restarted it.")


def unrelated_next_call(tr: Transcript, i: int) -> None:
    tr.prompt(f"can't reach pve02 ({i})")
    tr.bash(tr.message(), ssh("pve02", "uptime"), "u", "", exit_code=255, stderr="timed out")
    tr.bash(tr.message(), "ping -c 3 10.20.0.12", "p", "3 received")
    finish(tr, "It answers ping but not ssh.")


def parallel_retry_is_not_a_reaction(tr: Transcript, i: int) -> None:
    """Both attempts in one message: the second was made before the first's error was seen."""
    tr.prompt(f"show pool {i}")
    m = tr.message()
    tr.bash(m, ssh("nas01", f"zpool status pool{i}"), "s", "", exit_code=1, stderr="no such pool")
    tr.bash(m, ssh("nas01", f"sudo zpool status pool{i}"), "s", "ONLINE")
    finish(tr, "ONLINE.")


def interrupted_answer(tr: Transcript, i: int) -> None:
    tr.prompt(f"summarise the alerts {i}")
    tr.message().text("There are three alerts: the first one is", final=True)
    tr.interrupt_plain()
    tr.prompt("what is the load on pve01?")
    tr.bash(tr.message(), ssh("pve01", "uptime"), "load", "load average: 0.1")
    finish(tr, "Low.")


def clean_turn(tr: Transcript, i: int) -> None:
    tr.prompt(f"uptime of pve03? ({i})")
    tr.bash(tr.message(), ssh("pve03", "uptime"), "u", "up 4 days")
    finish(tr, "Four days.")


def corrected_but_chosen_failed(tr: Transcript, i: int) -> None:
    tr.prompt(f"check the backup job {i}")
    tr.bash(tr.message(), ssh("pve02", f"cat /var/log/vzdump/{i}.log"), "log", "ok")
    finish(tr, "It ran.")
    tr.prompt("no, look at last night's run")
    tr.bash(tr.message(), ssh("pve02", "ls /mnt/backup"), "ls", "", exit_code=2, stderr="stale")
    finish(tr, "The mount is stale.")


PAIRED = [
    recovery_rename,
    recovery_sudo,
    recovery_after_parallel,
    correction_of_action,
    correction_of_answer,
    refused_call,
]
UNPAIRED = [
    same_call_retried,
    retry_fails_too,
    next_step_not_retry,
    unrelated_next_call,
    parallel_retry_is_not_a_reaction,
    interrupted_answer,
    clean_turn,
    corrected_but_chosen_failed,
]


# --- building, extracting and mining a session -------------------------------------------------


def new_transcript(seed: int, nested: bool) -> Transcript:
    rng = random.Random(seed)
    ids = Ids(rng)
    ctx = SessionContext(
        rng=rng,
        ids=ids,
        clock=Clock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC), rng),
        session_id=ids.uuid(),
        cwd="/root/infra",
        git_branch="main",
        era=ERA_NESTED if nested else ERA_FLAT,
        model="claude-sonnet-4-5-20250929",
        slug="brave-little-toaster",
    )
    return Transcript(ctx)


def mine_generated(
    tmp: Path, episodes: list, seed: int, nested: bool, stats: MineStats | None = None
) -> tuple[list, list[Expected]]:
    tr = new_transcript(seed, nested)
    expected = [e for i, episode in enumerate(episodes) if (e := episode(tr, i)) is not None]
    write_session(tmp / "sessions", "-root-infra", "gen", tr, CorpusStats())
    main = tmp / "sessions" / "-root-infra" / f"{tr.ctx.session_id}.jsonl"
    out = tmp / "extracted.parquet"
    extract_session(main, [], tmp / "sessions", out, tmp / "quarantine.jsonl")
    session = Session(tr.ctx.session_id, "-root-infra", "B", records(read_extracted(out)))
    return mine_session(session, CurateConfig(), QUALIFY, 4096, KINDS, stats), expected


def summary(pair) -> Expected:
    def side(message: dict) -> tuple:
        if message.get("tool_calls"):
            return tuple(
                (
                    c["function"]["name"],
                    tuple(sorted(json.loads(c["function"]["arguments"]).items())),
                )
                for c in message["tool_calls"]
            )
        return (("text", message["content"]),)

    return (pair.kind, side(pair.rejected), side(pair.chosen))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    episodes=st.lists(st.sampled_from(PAIRED + UNPAIRED), min_size=1, max_size=6),
    seed=st.integers(min_value=0, max_value=10**6),
    nested=st.booleans(),
)
def test_every_pair_is_found_and_none_is_invented(tmp_path_factory, episodes, seed, nested):
    pairs, expected = mine_generated(tmp_path_factory.mktemp("s"), episodes, seed, nested)
    assert sorted(map(summary, pairs)) == sorted(expected)


def test_each_episode_alone(tmp_path: Path) -> None:
    for index, episode in enumerate(PAIRED + UNPAIRED):
        folder = tmp_path / episode.__name__
        pairs, expected = mine_generated(folder, [episode], index, nested=index % 2 == 0)
        assert [summary(p) for p in pairs] == expected, episode.__name__


def test_pair_prompt_is_the_conversation_before_the_rejected_step(tmp_path: Path) -> None:
    pairs, _ = mine_generated(tmp_path, [clean_turn, recovery_sudo], 7, nested=True)
    (pair,) = pairs
    roles = [m["role"] for m in pair.prompt]
    assert roles[0] == "system" and pair.prompt[0]["content"].startswith("You are HAL")
    # The earlier clean turn (request, call, result, answer), then the new request; the
    # failing call's own message is not in the prompt.
    assert roles[1:] == ["user", "assistant", "tool", "assistant", "user"]
    assert pair.prompt[-1]["content"] == "show the firewall rules for vlan 1"
    assert pair.turn == 2 and pair.source.endswith(tuple(f":{n}" for n in range(1, 999)))
    assert pair.reason == "error: exit code 1: pfctl: Permission denied"


def test_prompt_window_keeps_whole_turns_within_budget(tmp_path: Path) -> None:
    tr_episodes = [clean_turn] * 5 + [recovery_rename]
    stats = MineStats()
    tr = new_transcript(3, nested=False)
    for i, episode in enumerate(tr_episodes):
        episode(tr, i)
    write_session(tmp_path / "sessions", "-root-infra", "gen", tr, CorpusStats())
    out = tmp_path / "x.parquet"
    main = tmp_path / "sessions" / "-root-infra" / f"{tr.ctx.session_id}.jsonl"
    extract_session(main, [], tmp_path / "sessions", out, tmp_path / "q.jsonl")
    session = Session(tr.ctx.session_id, "p", "A", records(read_extracted(out)))
    cfg = CurateConfig()
    system_tokens = len(system_message(cfg)["content"]) // 4 + 1
    (wide,) = mine_session(session, cfg, QUALIFY, 100_000, KINDS)
    (narrow,) = mine_session(session, cfg, QUALIFY, system_tokens + 40, KINDS)
    assert sum(m["role"] == "user" for m in wide.prompt) == 6
    assert sum(m["role"] == "user" for m in narrow.prompt) < 6
    assert narrow.prompt[-1] == wide.prompt[-1]
    assert mine_session(session, cfg, QUALIFY, 10, KINDS, stats) == []
    assert stats.skipped["prompt too long"] == 1


def test_kinds_can_be_switched_off(tmp_path: Path) -> None:
    episodes = [recovery_rename, correction_of_action, refused_call]
    pairs, _ = mine_generated(tmp_path, episodes, 1, nested=False)
    assert sorted(p.kind for p in pairs) == sorted(KINDS)
    tr = new_transcript(1, nested=False)
    for i, episode in enumerate(episodes):
        episode(tr, i)
    out = tmp_path / "x.parquet"
    extract_session(
        tmp_path / "sessions" / "-root-infra" / f"{tr.ctx.session_id}.jsonl",
        [],
        tmp_path / "sessions",
        out,
        tmp_path / "q.jsonl",
    )
    session = Session(tr.ctx.session_id, "p", "A", records(read_extracted(out)))
    only = mine_session(session, CurateConfig(), QUALIFY, 4096, ["recovery"])
    assert [p.kind for p in only] == ["recovery"]


def test_pair_ids_are_stable_and_distinct(tmp_path: Path) -> None:
    episodes = [recovery_rename, recovery_sudo, correction_of_action]
    first, _ = mine_generated(tmp_path / "a", episodes, 5, nested=True)
    again, _ = mine_generated(tmp_path / "b", episodes, 5, nested=True)
    assert [p.pair_id for p in first] == [p.pair_id for p in again]
    assert len({p.pair_id for p in first}) == 3


# --- command words -----------------------------------------------------------------------------


def test_program_and_verb_skip_wrappers_and_options() -> None:
    assert program("sudo -n systemctl status x") == "systemctl"
    assert program("LANG=C /usr/sbin/zpool status tank") == "zpool"
    assert program("env FOO=1 nice ls -l") == "ls"
    assert program("") is None and program("sudo") is None
    assert verb("systemctl --no-pager status pveproxy") == "status"
    assert verb("cat /etc/hosts") is None and verb("ping 10.0.0.1") is None
    assert command_words("echo 'unbalanced") == ["echo", "'unbalanced"]
