"""Benchmark of the agent (a script that prints figures, not a test).

1. The loop's own overhead per step, without model or tool time: a scripted model answers
   instantly with one tool call and the executor returns at once, so what is left is parsing,
   the policy, the rate limiter, scrubbing and the audit log.
2. Generation tokens/s through llama.cpp's OpenAI-compatible server (what the agent uses) next
   to llama.cpp called directly in this process on the same GGUF, same prompt, same settings.

    .venv/bin/python -m bot.devtools.bench_agent [--steps 300] [--runs 3] [--model PATH]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.agent.confirm import DenyAll
from bot.agent.loop import Agent, AgentCaps, AgentDeps
from bot.agent.model import ModelReply
from bot.agent.ratelimit import SlidingWindowLimiter
from bot.safety.audit import AuditLog
from bot.safety.inventory import Inventory
from bot.safety.policy import CommandPolicy, load_policy_settings
from bot.serve import LlamaServer, load_serve_config, openai_client
from bot.tools.base import ToolResult
from halops.contract.toolcall import format_tool_call
from halops.contract.tools import SSH_SPEC

REPO = Path(__file__).resolve().parents[2]
QUESTION = "In two sentences, what does `zpool status tank` tell an operator?"
OUTPUT = "  pool: tank\n state: ONLINE\n  scan: scrub repaired 0B in 02:11:09\n" * 20


class InstantModel:
    """A tool call on every turn but the last; no model time at all."""

    def __init__(self, steps: int) -> None:
        self.left = steps

    def complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        self.left -= 1
        if self.left < 0:
            return ModelReply("done")
        return ModelReply(format_tool_call("ssh", {"host": "nas01", "command": "zpool status"}))


class InstantSsh:
    spec = SSH_SPEC

    def execute(self, args: dict[str, Any], timeout_s: float) -> ToolResult:
        return ToolResult(True, OUTPUT, 0)


def loop_overhead(steps: int) -> list[float]:
    """Seconds per step of the loop alone, one request of `steps` steps per sample."""
    inventory = Inventory.from_yaml(REPO / "config" / "inventory.yaml")
    policy = CommandPolicy(load_policy_settings(REPO / "config" / "policy.yaml"), inventory)
    per_step = []
    with tempfile.TemporaryDirectory() as tmp, AuditLog(Path(tmp) / "audit.sqlite") as audit:
        for _ in range(5):
            deps = AgentDeps(
                model=InstantModel(steps),
                tools={"ssh": InstantSsh()},
                policy=policy,
                confirmer=DenyAll(),
                limiter=SlidingWindowLimiter(10**9, 60),
                audit=audit,
                caps=AgentCaps(max_iterations=steps + 1),
            )
            start = time.perf_counter()
            result = Agent(deps).run("check the pool")
            assert len(result.steps) == steps, result.status
            per_step.append((time.perf_counter() - start) / steps)
    return per_step


def chat(max_tokens: int) -> dict[str, Any]:
    return {
        "messages": [{"role": "user", "content": QUESTION}],
        "max_tokens": max_tokens,
        "temperature": 0.0,
        "seed": 0,
    }


def server_tokens_per_s(model: Path, runs: int, max_tokens: int) -> list[float]:
    config = load_serve_config(REPO / "config" / "serve.yaml", model=str(model))
    rates = []
    with LlamaServer(config) as server:
        client = openai_client(server.base_url)
        for _ in range(runs):
            start = time.perf_counter()
            reply = client.chat.completions.create(model=config.alias, **chat(max_tokens))
            rates.append(reply.usage.completion_tokens / (time.perf_counter() - start))
    return rates


def direct_tokens_per_s(model: Path, runs: int, max_tokens: int, n_threads: int) -> list[float]:
    from llama_cpp import Llama

    llm = Llama(model_path=str(model), n_ctx=4096, n_threads=n_threads, verbose=False)
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        reply = llm.create_chat_completion(**chat(max_tokens))
        rates.append(reply["usage"]["completion_tokens"] / (time.perf_counter() - start))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--model", type=Path, help="GGUF (default: as `halops serve` picks)")
    args = parser.parse_args()

    per_step = loop_overhead(args.steps)
    print(
        f"loop overhead per step (policy, parse, scrub, audit; no model/tool time), "
        f"{args.steps} steps x 5: median {statistics.median(per_step) * 1e3:.2f} ms, "
        f"max {max(per_step) * 1e3:.2f} ms"
    )

    config = load_serve_config(REPO / "config" / "serve.yaml", model=args.model and str(args.model))
    model = config.model_path
    served = server_tokens_per_s(model, args.runs, args.max_tokens)
    direct = direct_tokens_per_s(model, args.runs, args.max_tokens, config.n_threads)
    print(f"model: {model.name}, {config.n_threads} threads, up to {args.max_tokens} tokens")
    print(f"llama.cpp server (openai client): {statistics.median(served):7.1f} generated tok/s")
    print(f"llama.cpp direct (in process):    {statistics.median(direct):7.1f} generated tok/s")
    print(f"server / direct: {statistics.median(served) / statistics.median(direct):.2f}x")


if __name__ == "__main__":
    main()
