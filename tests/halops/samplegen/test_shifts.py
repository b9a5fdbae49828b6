"""Shift sessions of parametrised tasks: deterministic, in the real format, every call one the
agent can run, and held-out wordings and combinations only in the held-out sessions."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path

import pytest

from halops.curate.agent_tools import AGENT_TOOL_NAMES, map_bash
from halops.samplegen import generate_corpus
from halops.samplegen.builder import ERA_NESTED, Clock, Ids, SessionContext, Transcript
from halops.samplegen.corpus import BASE_TIME
from halops.samplegen.shifts import HELDOUT_EVERY, run_shift, task_cycle
from halops.samplegen.tasks import HELDOUT_COMBOS, HELDOUT_SERVICES, SERVICES, TASKS, Draw

SHIFTS = 48


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shifts")
    generate_corpus(
        out / "sessions",
        2,
        seed=3,
        manifest_path=out / "manifest.jsonl",
        shifts=SHIFTS,
        holdout_path=out / "holdout.json",
    )
    return out


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def manifest(corpus: Path) -> list[dict]:
    return [json.loads(line) for line in (corpus / "manifest.jsonl").read_text().splitlines()]


def records_by_session(corpus: Path) -> dict[str, list[dict]]:
    sessions: dict[str, list[dict]] = {}
    for path in (corpus / "sessions").rglob("*.jsonl"):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if "sessionId" in record:
                sessions.setdefault(record["sessionId"], []).append(record)
    return sessions


def prompts(records: list[dict]) -> list[str]:
    return [
        r["message"]["content"]
        for r in records
        if r["type"] == "user" and isinstance(r["message"]["content"], str)
    ]


def bash_commands(records: list[dict]) -> list[str]:
    return [
        r["message"]["content"][0]["input"]["command"]
        for r in records
        if r["type"] == "assistant"
        and r["message"]["content"][0]["type"] == "tool_use"
        and r["message"]["content"][0]["name"] == "Bash"
    ]


def test_same_seed_gives_the_same_bytes(corpus: Path, tmp_path: Path) -> None:
    generate_corpus(
        tmp_path / "sessions",
        2,
        seed=3,
        manifest_path=tmp_path / "manifest.jsonl",
        shifts=SHIFTS,
        holdout_path=tmp_path / "holdout.json",
    )
    assert tree(tmp_path) == tree(corpus)


def test_shifts_leave_the_scripted_sessions_unchanged(corpus: Path, tmp_path: Path) -> None:
    generate_corpus(tmp_path, 2, seed=3)
    with_shifts = tree(corpus / "sessions")
    assert all(with_shifts[name] == data for name, data in tree(tmp_path).items())


def test_fewer_shifts_are_a_prefix_of_more(corpus: Path, tmp_path: Path) -> None:
    generate_corpus(tmp_path, 2, seed=3, shifts=5)
    with_more = tree(corpus / "sessions")
    assert all(with_more[name] == data for name, data in tree(tmp_path).items())


def test_manifest_names_quality_tasks_and_holdout_of_every_shift(corpus: Path) -> None:
    rows = [r for r in manifest(corpus) if r["scenario"] == "shift"]
    assert len(rows) == SHIFTS
    sessions = records_by_session(corpus)
    assert {r["session_id"] for r in rows} <= set(sessions)
    assert Counter(r["quality"] for r in rows)["clean"] >= SHIFTS // 2
    held = [r for r in rows if r["heldout"]]
    assert len(held) == SHIFTS // HELDOUT_EVERY
    assert any(r["heldout_features"] for r in held)
    assert not any(r["heldout_features"] for r in rows if not r["heldout"])
    for row in rows:
        if row["quality"] != "offtopic":
            assert row["tasks"] and set(row["tasks"]) <= {t.name for t in TASKS}


def test_every_quality_occurs_over_a_larger_corpus(tmp_path: Path) -> None:
    generate_corpus(tmp_path / "s", 0, seed=1, manifest_path=tmp_path / "m.jsonl", shifts=150)
    rows = [json.loads(line) for line in (tmp_path / "m.jsonl").read_text().splitlines()]
    assert set(Counter(r["quality"] for r in rows)) == {"clean", "messy", "abandoned", "offtopic"}


def wording_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{\w+\}", template)
    return re.compile("^" + ".+?".join(map(re.escape, parts)) + "$")


HELDOUT_WORDINGS = [wording_pattern(w) for t in TASKS for w in t.heldout_phrasings]


def test_held_out_wordings_only_in_held_out_sessions(corpus: Path) -> None:
    rows = {r["session_id"]: r for r in manifest(corpus)}
    seen_in_heldout = 0
    for session, records in records_by_session(corpus).items():
        held = rows[session].get("heldout", False)
        for text in prompts(records):
            hit = any(p.match(text) for p in HELDOUT_WORDINGS)
            assert held or not hit, (session, text)
            seen_in_heldout += hit
    assert seen_in_heldout


def test_held_out_combinations_only_in_held_out_sessions(corpus: Path) -> None:
    rows = {r["session_id"]: r for r in manifest(corpus)}
    combos = HELDOUT_SERVICES
    assert all(HELDOUT_COMBOS[t] == combos for t in ("service_status", "restart_service"))
    for session, records in records_by_session(corpus).items():
        if rows[session].get("heldout") or rows[session]["scenario"] != "shift":
            continue
        for command in bash_commands(records):
            for host, service in combos:
                unit = re.search(rf"(systemctl \w+|-u) {re.escape(service)}\b", command)
                assert not (command.startswith(f"ssh {host} ") and unit), (session, command)


def test_holdout_file_lists_the_held_out_sessions(corpus: Path) -> None:
    holdout = json.loads((corpus / "holdout.json").read_text())
    expected = sorted(r["session_id"] for r in manifest(corpus) if r.get("heldout"))
    assert holdout["sessions"] == expected
    assert holdout["wordings"]["service_status"] and holdout["combinations"]["service_status"]


def test_every_shift_call_becomes_an_agent_call(corpus: Path) -> None:
    """Training teaches what the agent runs: ssh, ipmi and http, never a raw shell fallback
    (except the deliberately failing typo and fw01 attempts of messy and abandoned shifts)."""
    rows = {r["session_id"]: r for r in manifest(corpus)}
    kinds: Counter[str] = Counter()
    for session, records in records_by_session(corpus).items():
        if rows[session]["scenario"] != "shift":
            continue
        for command in bash_commands(records):
            name, arguments = map_bash(command)
            kinds[name] += 1
            assert name in AGENT_TOOL_NAMES and name != "shell", command
            if name == "ssh":
                assert "'" not in arguments["command"], command
    assert kinds["ssh"] and kinds["ipmi"] and kinds["http"]


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.name)
def test_every_task_runs_for_many_draws(task) -> None:
    """Every task, many parameter draws and both kinds of session: well-formed prompts (no
    unfilled slot), at least one call for every tool task, and a final answer."""
    for seed in range(12):
        rng = random.Random(f"{task.name}:{seed}")
        ids = Ids(rng)
        ctx = SessionContext(
            rng,
            ids,
            Clock(BASE_TIME, rng),
            ids.uuid(),
            "/home/ops/lab",
            "main",
            ERA_NESTED,
            "m",
            "s",
        )
        tr = Transcript(ctx)
        task.run(tr, Draw(rng, heldout=seed % 2 == 0), task)
        texts = prompts(tr.records)
        assert texts and not any("{" in t and "}" in t and "{{" not in t for t in texts), texts
        assert tr.records[-1]["type"] in ("assistant", "system")
        if task.name in NO_TOOL_TASKS:
            assert not bash_commands(tr.records)
        else:
            assert bash_commands(tr.records)


NO_TOOL_TASKS = {"lab_fact", "refuse_dangerous"}  # answered from knowledge, or refused


def test_services_per_host_match_the_heldout_combinations() -> None:
    for pairs in HELDOUT_COMBOS.values():
        for host, *rest in pairs:
            if host in SERVICES and rest and not rest[0].startswith("/"):
                assert rest[0] in SERVICES[host], (host, rest)


def test_task_cycle_is_deterministic_and_weighted() -> None:
    assert task_cycle(0) == task_cycle(0) and task_cycle(0) != task_cycle(1)
    counts = Counter(t.name for t in task_cycle(0))
    assert counts == {t.name: t.weight for t in TASKS}


def test_run_shift_is_deterministic() -> None:
    def run(seed: int) -> list[dict]:
        rng = random.Random(seed)
        ids = Ids(rng)
        ctx = SessionContext(
            rng, ids, Clock(BASE_TIME, rng), ids.uuid(), "/root/infra", "", ERA_NESTED, "m", "s"
        )
        tr = Transcript(ctx)
        run_shift(tr, 3, task_cycle(0))
        return tr.records

    assert run(5) == run(5) and run(5) != run(6)


def sample_lab_policy():
    """The agent's gate as shipped: config/policy.yaml over the sample lab's inventory."""
    from bot.safety import CommandPolicy, Inventory, load_policy_settings
    from tests.conftest import REPO

    return CommandPolicy(
        load_policy_settings(REPO / "config" / "policy.yaml"),
        Inventory.from_yaml(REPO / "config" / "inventory.yaml"),
    )


def test_every_dangerous_request_names_a_command_the_policy_blocks() -> None:
    """The refusals teach the model not to propose what the gate would refuse: each command a
    refusal stands for is blocked or held for approval, run directly or through ssh to any
    host it names (never allowed as it stands)."""
    from halops.samplegen.tasks import DANGEROUS, DISKS, PVE

    policy = sample_lab_policy()
    for _, command, _ in DANGEROUS:
        for disk in DISKS:
            text = command.format(disk=disk)
            for wrapped in (text, *(f"ssh {host} '{text}'" for host in (*PVE, "nas01"))):
                assert policy.evaluate(wrapped).decision in ("block", "confirm"), wrapped


def test_refusals_call_nothing_and_say_why(corpus: Path) -> None:
    """A session with a dangerous request answers it in words: the turn after the request has
    no tool call, and the answer names the command and says it is blocked or not reachable."""
    from halops.samplegen.tasks import DANGEROUS

    requests = [
        re.compile(re.sub(r"\\\{(host|disk)\\\}", r"\\S+", re.escape(template)))
        for template, _, _ in DANGEROUS
    ] + [  # the command pasted as it stands ("run `iptables -F` on pve01")
        re.compile(re.sub(r"/dev/\\\{disk\\\}", r"/dev/\\S+", re.escape(command)))
        for _, command, _ in DANGEROUS
    ]
    found = 0
    for records in records_by_session(corpus).values():
        for index, record in enumerate(records):
            content = (record.get("message") or {}).get("content")
            if record.get("type") != "user" or not isinstance(content, str):
                continue
            if not any(pattern.search(content) for pattern in requests):
                continue
            found += 1
            reply = records[index + 1]["message"]["content"]
            assert all(block.get("type") == "text" for block in reply), reply
            text = " ".join(block["text"] for block in reply)
            assert re.search(r"won't|can't|not something I will", text), text
    assert found >= 5


def test_lab_fact_answers_give_the_inventorys_addresses(corpus: Path) -> None:
    """What the model is taught to answer from memory is the inventory's truth: every host and
    BMC address and every storage-VLAN address a lab-fact answer states is that host's in
    config/inventory.yaml, and the generated sessions ask each kind of question."""
    from bot.safety import Inventory
    from halops.samplegen.tasks import (
        ADDRESS_ANSWERS,
        ADDRESSES,
        BMC_ANSWERS,
        BMC_OF,
        STORAGE_ADDRESS,
        STORAGE_ANSWERS,
    )
    from tests.conftest import REPO

    inventory = Inventory.from_yaml(REPO / "config" / "inventory.yaml")
    for host, address in ADDRESSES.items():
        known = inventory.lookup(host)
        assert known is not None and known.address == address, (host, address)
    for host, address in STORAGE_ADDRESS.items():
        assert address in inventory.lookup(host).other_addresses, (host, address)
    assert set(BMC_OF.values()) <= set(ADDRESSES)
    answers = {
        block["text"]
        for records in records_by_session(corpus).values()
        for record in records
        if record.get("type") == "assistant"
        for block in record["message"]["content"]
        if block.get("type") == "text"
    }
    for templates in (ADDRESS_ANSWERS, BMC_ANSWERS, STORAGE_ANSWERS):
        shapes = [re.compile(re.sub(r"\\\{\w+\\\}", ".+", re.escape(t))) for t in templates]
        assert any(shape.fullmatch(text) for shape in shapes for text in answers), templates


def test_topology_answers_agree_with_the_labs_own_documents() -> None:
    """The lab facts the model is taught are the lab's: every address, subnet and port in a
    topology answer appears in the network-topology runbook the agent retrieves from."""
    from halops.samplegen.tasks import TOPOLOGY_FACTS
    from tests.conftest import REPO

    runbook = (REPO / "config" / "rag" / "network-topology.md").read_text()
    for kind, (questions, answers) in TOPOLOGY_FACTS.items():
        assert questions and answers, kind
        for text in answers:
            numbers = re.findall(r"\d+(?:\.\d+){3}(?:/\d+)?|:\d{4}\b", text)
            for number in numbers:
                assert number in runbook, (kind, number)


def test_no_generated_command_reaches_a_host_the_inventory_lacks(corpus: Path) -> None:
    """What the sample lab teaches must be what the agent may run there: every host a generated
    command names (ssh targets, ping/curl operands, the storage VLAN's addresses) is in
    config/inventory.yaml, so the policy never blocks a trained call for its host."""
    from halops.samplegen.shifts import TYPOS

    policy = sample_lab_policy()
    # The one exception by design: the operator's typo ("check uptime on pve1"), whose call
    # fails to resolve and is then corrected.
    typo = re.compile(rf"^ssh ({'|'.join(map(re.escape, TYPOS))}) ")
    host_rules = {"net.host_not_in_inventory", "host.not_in_inventory", "http.host_mismatch"}
    commands = {
        block["input"]["command"]
        for records in records_by_session(corpus).values()
        for record in records
        if record.get("type") == "assistant"
        for block in record["message"]["content"]
        if block.get("type") == "tool_use"
        and block.get("name") == "Bash"
        and not typo.match(block["input"]["command"])
    }
    assert any("10.20.30.20" in command for command in commands)  # the storage VLAN is in it
    blocked = {c: v.rule_id for c in commands if (v := policy.evaluate(c)).rule_id in host_rules}
    assert not blocked, blocked
