"""The sample lab is never contacted: the agent on the sample config, in a network namespace
with only loopback, makes no connection, name lookup, datagram or process beyond 127.0.0.1.

Each run happens in `unshare -n` (then `ip link set lo up`), so nothing could leave the
machine even if the code tried; an audit hook (`sys.addaudithook`, installed through a
`sitecustomize` module so it also watches `halops ask` and the llama.cpp server it starts)
records every attempt, and the test fails on any that is not loopback. A control run with the
simulated mark removed shows the hook does see the real transports try.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, venv_tool, write_test_serve_yaml

# Installed in every Python process of a run: records network and process attempts as JSON
# lines in $HALOPS_AUDIT_FILE.
SITECUSTOMIZE = r"""
import json, os, sys

_FILE = os.environ.get("HALOPS_AUDIT_FILE")
_EVENTS = {"socket.connect", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
           "subprocess.Popen", "os.exec", "os.posix_spawn"}

def _target(event, args):
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        address = args[1] if len(args) > 1 else None
        return address[0] if isinstance(address, tuple) else str(address)
    if event == "socket.getaddrinfo":
        return str(args[0])
    argv = args[1] if len(args) > 1 and isinstance(args[1], (list, tuple)) else args[:1]
    return " ".join(map(str, argv))

def _hook(event, args):
    if _FILE and event in _EVENTS:
        try:
            with open(_FILE, "a") as handle:
                handle.write(json.dumps({"event": event, "target": _target(event, args),
                                         "pid": os.getpid()}) + "\n")
        except Exception:
            pass

sys.addaudithook(_hook)
"""

# The agent on the sample config with a scripted model that calls every transport.
DRIVER = r"""
import json, sys
from pathlib import Path
from bot.agent.config import load_agent_config
from bot.agent.confirm import DenyAll
from bot.agent.loop import Agent
from bot.agent.model import ModelReply
from bot.agent.wiring import build_deps
from halops.contract.toolcall import format_tool_call

CALLS = [
    ("ssh", {"host": "nas01", "command": "zpool status tank"}),
    ("ssh", {"host": "pve03", "command": "uptime"}),
    ("ipmi", {"host": "bmc-pve01", "action": "power_status"}),
    ("http", {"url": "http://mon01:9090/api/v1/alerts", "method": "GET"}),
    ("shell", {"command": "ping -c 3 -W 2 10.20.0.13"}),
]

class Scripted:
    def __init__(self):
        self.replies = ["\n".join(format_tool_call(n, a) for n, a in CALLS), "All checked."]
    def complete(self, messages):
        return ModelReply(self.replies.pop(0))

cfg = load_agent_config(Path(sys.argv[1]))
deps = build_deps(cfg, Scripted(), DenyAll())
result = Agent(deps).run("check the lab", requester="test")
print(json.dumps([[s.call.name, s.decision, s.outcome, s.observation] for s in result.steps]))
"""

LOOPBACK = {"127.0.0.1", "::1", "localhost", "None"}


def netns_available() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    probe = subprocess.run(["unshare", "-n", "sh", "-c", "ip link set lo up"], capture_output=True)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(
    not netns_available(), reason="needs unshare -n and ip (root in CI)"
)


def sample_config(tmp_path: Path, simulated: bool = True) -> Path:
    """The shipped agent, inventory and policy files in a temporary project root."""
    config = tmp_path / "config"
    (config / "eval").mkdir(parents=True)
    shutil.copy(REPO / "config" / "policy.yaml", config / "policy.yaml")
    write_test_serve_yaml(config / "serve.yaml")
    shutil.copy(REPO / "config" / "eval" / "cases.jsonl", config / "eval" / "cases.jsonl")
    inventory = yaml.safe_load((REPO / "config" / "inventory.yaml").read_text())
    assert inventory["simulated"] is True, "the sample inventory must be marked simulated"
    inventory["simulated"] = simulated
    (config / "inventory.yaml").write_text(yaml.safe_dump(inventory))
    agent = yaml.safe_load((REPO / "config" / "agent.yaml").read_text())
    agent["audit_db"] = "audit.sqlite"
    agent["retrieval"]["db_dir"] = "no-index-here"
    agent["generation"]["max_tokens"] = 48
    agent["generation"]["timeout_s"] = 3600  # a busy machine is slow, not broken
    agent["caps"]["max_iterations"] = 2
    (config / "agent.yaml").write_text(yaml.safe_dump(agent))
    return config / "agent.yaml"


def in_loopback_namespace(
    tmp_path: Path, argv: list[str]
) -> tuple[subprocess.CompletedProcess[str], list[dict[str, str]]]:
    hooks = tmp_path / "hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE)
    audit = tmp_path / "attempts.jsonl"
    audit.unlink(missing_ok=True)
    paths = [str(hooks), str(REPO / "workflow" / "src"), str(REPO)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "HALOPS_AUDIT_FILE": str(audit)}
    env.pop("HALOPS_IPMI_PASSWORD", None)
    script = 'ip link set lo up && exec "$@"'
    proc = subprocess.run(
        ["unshare", "-n", "sh", "-c", script, "sh", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    lines = audit.read_text().splitlines() if audit.exists() else []
    return proc, [json.loads(line) for line in lines]


def beyond_loopback(attempts: list[dict[str, str]]) -> list[dict[str, str]]:
    found = []
    for attempt in attempts:
        target = attempt["target"]
        local = target in LOOPBACK or target.startswith("/")  # loopback or a Unix socket
        if attempt["event"].startswith("socket") and not local:
            found.append(attempt)
    return found


# Processes the agent may start without running a tool: the policy's shell parser (mvdan/sh's
# shfmt) and ctypes' library lookup (bot.lifetime finds libc with `ldconfig -p`).
NOT_TOOLS = ("shfmt --to-json", "/sbin/ldconfig -p")


def tool_processes(attempts: list[dict[str, str]]) -> list[dict[str, str]]:
    """Processes started for anything but parsing: what running a tool would look like."""
    return [
        a
        for a in attempts
        if not a["event"].startswith("socket") and not any(k in a["target"] for k in NOT_TOOLS)
    ]


def run_driver(tmp_path: Path, simulated: bool) -> tuple[list[list[str]], list[dict[str, str]]]:
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    agent_yaml = sample_config(tmp_path, simulated)
    proc, attempts = in_loopback_namespace(tmp_path, [sys.executable, str(driver), str(agent_yaml)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout), attempts


def test_every_transport_is_answered_by_the_simulated_lab_offline(tmp_path: Path) -> None:
    steps, attempts = run_driver(tmp_path, simulated=True)
    assert beyond_loopback(attempts) == []
    assert tool_processes(attempts) == []  # no command ran
    assert [(name, decision) for name, decision, _, _ in steps] == [
        ("ssh", "allow"),
        ("ssh", "allow"),
        ("ipmi", "allow"),
        ("http", "allow"),
        ("shell", "allow"),
    ]
    assert all("[simulated lab" in observation for *_, observation in steps)
    # pve03's uptime is one of the eval cases' recordings (config/eval/cases.jsonl).
    assert "41 days" in steps[1][3]


def test_control_the_real_transports_do_try_the_network(tmp_path: Path) -> None:
    steps, attempts = run_driver(tmp_path, simulated=False)
    tried = {a["target"] for a in beyond_loopback(attempts)}
    assert "mon01" in tried  # the HTTP executor looked the lab's host up
    assert any(a["event"] == "subprocess.Popen" for a in attempts)  # the shell ran ping
    assert not any("[simulated lab" in observation for *_, observation in steps)


@pytest.mark.slow
def test_halops_ask_on_the_sample_config_contacts_nothing_but_loopback(tmp_path: Path) -> None:
    sample_config(tmp_path)
    proc, attempts = in_loopback_namespace(
        tmp_path,
        [venv_tool("halops"), "ask", "Is the tank pool on nas01 healthy?", "--yes-to-nothing"],
    )
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    assert beyond_loopback(attempts) == []
    assert "answered by" in proc.stdout
    assert "simulated lab:" in proc.stdout and "no host was contacted" in proc.stdout
