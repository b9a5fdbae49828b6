"""The sample lab's recordings: every read-only tool call of the curated splits with its result.

The simulated lab (`bot.tools.simulated`) answers `halops ask`, `halops bot` and the eval from
recorded outputs. The sample sessions hold plenty: each curated example pairs the agent's tool
calls with the results the session recorded. This keeps the calls the command policy allows
without a person's approval — the read-only commands of every scenario — so an approved
`reboot` in the simulated lab is answered with "nothing ran", never with a replayed success.
The first recording of a call wins (files in the given order, lines in file order), so the
output is deterministic for the same splits.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from bot.agent.actions import BadToolArguments, action_for
from bot.safety.policy import CommandPolicy
from bot.tools.simulated import Recording, call_key
from halops.contract.tools import AGENT_TOOL_SPECS

log = logging.getLogger(__name__)

SPECS = {spec.name: spec for spec in AGENT_TOOL_SPECS if spec.transport != "local"}


def example_recordings(example: Mapping[str, Any], source: str) -> Iterator[Recording]:
    """Each (call, result) pair of one example in OpenAI messages form, in message order."""
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    for message in example.get("messages", []):
        for call in message.get("tool_calls") or []:
            function = call["function"]
            arguments = function.get("arguments") or "{}"
            if isinstance(arguments, str):
                arguments = json.loads(arguments)
            calls[call["id"]] = (function["name"], arguments)
        if message.get("role") == "tool" and message.get("tool_call_id") in calls:
            name, arguments = calls[message["tool_call_id"]]
            if name in SPECS:
                yield Recording.from_tool_message(name, arguments, message["content"], source)


def allowed_without_approval(recording: Recording, policy: CommandPolicy) -> bool:
    spec = SPECS[recording.tool]
    try:
        action = action_for(recording.tool, spec.transport, dict(recording.arguments))
    except BadToolArguments:
        return False
    verdict = policy.evaluate(action.command, action.transport, action.host)
    return verdict.decision == "allow"


def lab_recordings(split_paths: Iterable[Path], policy: CommandPolicy) -> list[Recording]:
    """The read-only recordings of every split, first recording of each call only."""
    kept: dict[tuple[str, str], Recording] = {}
    skipped = 0
    for path in map(Path, split_paths):
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                for recording in example_recordings(json.loads(line), f"{path.name}:{number}"):
                    key = (recording.tool, call_key(SPECS[recording.tool], recording.arguments))
                    if key in kept:
                        continue
                    if allowed_without_approval(recording, policy):
                        kept[key] = recording
                    else:
                        skipped += 1
    log.info("%d recordings kept, %d calls need approval or are blocked", len(kept), skipped)
    return list(kept.values())


def write_recordings(recordings: Iterable[Recording], path: Path) -> int:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r.to_mapping(), ensure_ascii=False) for r in recordings]
    Path(path).write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return len(lines)
