"""`halops discover` on generated sessions with known hosts, on the sample lab, and its CLI."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import jsonschema
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halops.cli import main as halops_main
from halops.discover.draft import build_draft, render
from halops.discover.scan import scan_sessions
from halops.domain import read_inventory
from halops.extract.sessions import find_sessions
from halops.samplegen import PLANTED_SECRETS
from tests.conftest import REPO

SAMPLE = REPO / "workflow" / "resources" / "sessions"
INVENTORY = REPO / "config" / "inventory.yaml"
INVENTORY_SCHEMA = yaml.safe_load((REPO / "bot/safety/inventory.schema.yaml").read_text())


class Session:
    """Writes a session file the way Claude Code does: a prompt, then tool calls and results."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: list[dict] = [
            {"type": "user", "sessionId": path.stem, "uuid": "u0", "message": {"content": "go"}}
        ]

    def call(self, name: str, tool_input: dict, output: str = "ok") -> None:
        n = len(self.records)
        block = {"type": "tool_use", "id": f"t{n}", "name": name, "input": tool_input}
        result = {"type": "tool_result", "tool_use_id": f"t{n}", "content": output}
        self.records.append(
            {"type": "assistant", "uuid": f"a{n}", "message": {"id": f"m{n}", "content": [block]}}
        )
        self.records.append({"type": "user", "uuid": f"r{n}", "message": {"content": [result]}})

    def bash(self, command: str, output: str = "ok") -> None:
        self.call("Bash", {"command": command}, output)

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("".join(json.dumps(r) + "\n" for r in self.records))


def discover(sessions_dir: Path, inventory: list | None = None, min_calls: int = 1):
    scan = scan_sessions(find_sessions(sessions_dir), sessions_dir)
    return scan, build_draft(scan, inventory or [], min_calls)


# --- generated sessions with known hosts -----------------------------------------------------

lab_names = st.from_regex(r"(srv|node|db|bmc-node)[0-9]{2}", fullmatch=True)
lab_addresses = st.builds(lambda a, b: f"10.9.{a}.{b}", st.integers(0, 255), st.integers(1, 254))
METHODS = {
    "ssh": lambda h: f"ssh admin@{h} 'uptime'",
    "scp": lambda h: f"scp ./conf {h}:/etc/conf",
    "ipmi": lambda h: f"ipmitool -I lanplus -H {h} -U admin -P pw chassis power status",
    "http": lambda h: f"curl -s http://{h}:9100/metrics | head",
    "ping": lambda h: f"ping -c 3 {h}",
}
NOISE = [
    "ls -la /etc",
    "git status && git log --oneline | head",
    "echo 'ssh decoy01 is down'",  # a host named in text, never reached
    "grep -r decoy02 /var/log/syslog",
    "python3 -m pytest -q",
]
uses = st.lists(
    st.tuples(
        st.integers(0, 4),  # session index
        st.one_of(lab_names, lab_addresses),
        st.sampled_from(sorted(METHODS)),
    ),
    min_size=1,
    max_size=30,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(uses=uses, noise=st.lists(st.sampled_from(NOISE), max_size=5))
def test_generated_sessions_give_exactly_their_hosts(tmp_path_factory, uses, noise) -> None:
    root = tmp_path_factory.mktemp("projects")
    sessions = [Session(root / f"-home-u-p{i % 2}" / f"s{i}.jsonl") for i in range(5)]
    expected_calls: Counter[str] = Counter()
    expected_sessions: dict[str, set[str]] = {}
    for index, host, method in uses:
        sessions[index].bash(METHODS[method](host))
        expected_calls[host] += 1
        expected_sessions.setdefault(host, set()).add(f"-home-u-p{index % 2}/s{index}")
    for i, command in enumerate(noise):
        sessions[i % 5].bash(command)
    for session in sessions:
        session.write()
    _scan, draft = discover(root)
    assert {e.address for e in draft.entries} == set(expected_calls)
    for entry in draft.entries:
        assert entry.calls == expected_calls[entry.address]
        assert entry.sessions == expected_sessions[entry.address]
    assert not draft.outside


def test_name_and_address_of_one_host_become_one_entry(tmp_path: Path) -> None:
    s = Session(tmp_path / "p" / "s.jsonl")
    s.bash("ping -c 1 srv01", "PING srv01 (10.9.0.5) 56(84) bytes of data.\n64 bytes from")
    s.bash("ssh ops@10.9.0.5 uptime")
    s.bash("curl http://srv01:3000/")
    s.write()
    _, draft = discover(tmp_path)
    [entry] = draft.entries
    assert (entry.name, entry.address, entry.calls) == ("srv01", "10.9.0.5", 3)
    assert entry.methods == Counter({"ping": 1, "ssh": 1, "http": 1})


def test_hosts_file_output_links_names_to_addresses(tmp_path: Path) -> None:
    s = Session(tmp_path / "p" / "s.jsonl")
    s.bash("cat /etc/hosts", "127.0.0.1 localhost\n10.9.0.7 db01 db01.lab\n")
    s.bash("ssh db01 true")
    s.write()
    _, draft = discover(tmp_path)
    assert [(e.name, e.address) for e in draft.entries] == [("db01", "10.9.0.7")]


def test_loopback_and_public_names_are_not_lab_hosts(tmp_path: Path) -> None:
    s = Session(tmp_path / "p" / "s.jsonl")
    s.bash("curl -s http://localhost:8080/health; ssh 127.0.0.1 true")
    s.call("WebFetch", {"url": "https://docs.python.org/3/", "prompt": "x"})
    s.bash("ssh nas.home.arpa true")
    s.write()
    _, draft = discover(tmp_path)
    assert [e.address for e in draft.entries] == ["nas.home.arpa"]
    assert {h.host for h in draft.outside} == {"localhost", "127.0.0.1", "docs.python.org"}


def test_subagent_files_count_for_their_session(tmp_path: Path) -> None:
    main = Session(tmp_path / "p" / "s1.jsonl")
    main.bash("ssh srv01 true")
    main.write()
    agent = Session(tmp_path / "p" / "s1" / "subagents" / "agent-a1.jsonl")
    agent.bash("ssh srv02 true")
    agent.write()
    _, draft = discover(tmp_path)
    assert {e.address: e.sessions for e in draft.entries} == {
        "srv01": {"p/s1"},
        "srv02": {"p/s1"},
    }


# --- the sample lab ------------------------------------------------------------------------


def words_in_tool_inputs(sessions_dir: Path) -> set[str]:
    """Every word of every tool call input: an independent superset of what was touched."""
    words: set[str] = set()
    for path in sessions_dir.rglob("*.jsonl"):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            content = (record.get("message") or {}).get("content")
            for block in content if isinstance(content, list) else []:
                if isinstance(block, dict) and block.get("type") == "tool_use":
                    words |= set(re.findall(r"[\w.-]+", json.dumps(block["input"])))
    return {w.strip(".").lower() for w in words}


def test_sample_lab_finds_every_inventory_host_it_touches_and_nothing_else() -> None:
    inventory = read_inventory(INVENTORY)
    _scan, draft = discover(SAMPLE, inventory)
    mentioned = words_in_tool_inputs(SAMPLE)
    touched_inventory = {
        str(h["name"])
        for h in inventory
        if str(h["name"]) in mentioned or str(h["address"]) in mentioned
    }
    # sw-core01 is in the inventory but no session touches it
    assert touched_inventory == {str(h["name"]) for h in inventory} - {"sw-core01"}
    assert {e.known_as for e in draft.entries if e.known_as} == touched_inventory
    assert draft.untouched == ["sw-core01"]
    for entry in draft.entries:  # nothing the sessions do not touch
        assert {s.host for s in entry.seen} <= mentioned, entry.name
    bmcs = {e.name: e for e in draft.entries if e.name.startswith("bmc-")}
    assert set(bmcs) == {"bmc-pve01", "bmc-pve02", "bmc-pve03"}
    assert all(set(e.methods) == {"ipmi"} for e in bmcs.values())


def test_sample_draft_is_a_valid_inventory_without_secrets(tmp_path: Path) -> None:
    out = tmp_path / "inventory.draft.yaml"
    code = halops_main(
        ["discover", "--sessions", str(SAMPLE), "--inventory", str(INVENTORY), "--out", str(out)]
    )
    assert code == 0
    text = out.read_text()
    jsonschema.validate(yaml.safe_load(text), INVENTORY_SCHEMA)
    assert not [secret for secret in PLANTED_SECRETS if secret in text]
    assert "# In the inventory, touched by no session: sw-core01" in text
    assert "# nas01: " in text and "already in the inventory as nas01" in text


def test_render_of_generated_hosts_is_a_valid_inventory(tmp_path: Path) -> None:
    s = Session(tmp_path / "p" / "s.jsonl")
    for command in ("ssh -p 2222 ops@srv01 true", "ipmitool -H 10.9.1.1 -U root sdr", "ping x1"):
        s.bash(command)
    s.bash("curl https://srv01/ && curl http://srv01:9090/ && curl http://Srv01.lab:7/")
    s.write()
    scan, draft = discover(tmp_path)
    document = yaml.safe_load(render(draft, scan, str(tmp_path), None))
    jsonschema.validate(document, INVENTORY_SCHEMA)
    by_name = {h["name"]: h for h in document["hosts"]}
    assert by_name["srv01"]["ssh"] == {"user": "ops", "port": 2222}
    assert by_name["srv01"]["http"]["services"] == [
        {"name": "https", "port": 443, "scheme": "https"},
        {"name": "prometheus", "port": 9090, "scheme": "http"},
    ]
    assert by_name["host-10-9-1-1"]["roles"] == ["bmc"]
    assert by_name["x1"]["transports"] == []
    assert by_name["srv01-2"]["address"] == "srv01.lab"  # same short name: a second entry


def test_min_calls_leaves_out_rare_hosts(tmp_path: Path) -> None:
    s = Session(tmp_path / "p" / "s.jsonl")
    for command in ("ssh a1 true", "ssh a1 true", "ssh b1 true"):
        s.bash(command)
    s.write()
    _, draft = discover(tmp_path, min_calls=2)
    assert [e.name for e in draft.entries] == ["a1"]


# --- the command line ----------------------------------------------------------------------


def test_cli_never_writes_over_the_inventory(tmp_path: Path, capsys) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(INVENTORY.read_text())
    before = inventory.read_bytes()
    code = halops_main(
        [
            "discover",
            "--sessions",
            str(SAMPLE),
            "--inventory",
            str(inventory),
            "--out",
            str(inventory),
        ]
    )
    assert code == 2
    assert inventory.read_bytes() == before
    assert "refusing to write over" in capsys.readouterr().err


def test_cli_explains_a_wrong_sessions_dir(tmp_path: Path, capsys) -> None:
    code = halops_main(["discover", "--sessions", str(tmp_path / "nope")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"halops discover: sessions_dir {tmp_path / 'nope'} does not exist.")


def test_cli_prints_the_draft_and_a_summary(capsys) -> None:
    assert halops_main(["discover", "--sessions", str(SAMPLE), "--inventory", str(INVENTORY)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(
        "# Draft inventory proposed by `halops discover` from 40 sessions"
    )
    assert re.search(
        r"halops discover: 40 sessions, \d+ tool calls: 11 hosts \(9 already", captured.err
    )
