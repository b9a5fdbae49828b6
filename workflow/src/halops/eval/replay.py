"""The eval's tools: the bot's simulated executors, with the case's recordings first.

They sit where the real executors sit, behind the agent loop, so the real safety policy still
judges every call before it reaches them; what they never see (blocked, denied) is exactly what
would not have run on the lab. A call is answered from the case's own recordings, else from
the sample lab's read-only recordings of every scenario (`lab_recordings`), else refused with
"nothing ran". The executors and their lookup are the bot's (`bot.tools.simulated`): the eval
answers calls exactly as `halops ask` does on the sample lab.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.tools.base import ToolExecutor
from bot.tools.simulated import NO_RECORDING, Recording, SimulatedLab
from halops.contract.tools import AGENT_TOOL_SPECS

__all__ = ["NO_RECORDING", "replay_tools"]


def replay_tools(
    recordings: Iterable[Recording], lab: SimulatedLab | None = None
) -> dict[str, ToolExecutor]:
    """A simulated executor for every agent tool that reaches the lab.

    Local tools (search_runbooks) touch no host; the runner gives them the real index when
    retrieval is on, as the bot does."""
    lab = (lab or SimulatedLab()).with_first(recordings)
    return dict(lab.executors(s for s in AGENT_TOOL_SPECS if s.transport != "local"))
