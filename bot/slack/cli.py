"""`halops bot`: run the Slack bot (Socket Mode by default, `--http` for request URLs).

Secrets only from the environment: SLACK_BOT_TOKEN always, SLACK_APP_TOKEN for Socket Mode,
SLACK_SIGNING_SECRET for HTTP mode; SLACK_API_URL optionally points at another Web API.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from types import FrameType

from bot.agent.config import AgentConfigError, load_agent_config
from bot.slack.config import DEFAULT_BOT_CONFIG, BotConfigError, load_bot_config

log = logging.getLogger(__name__)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="halops bot", description=__doc__)
    parser.add_argument("--config", type=Path, default=DEFAULT_BOT_CONFIG, help="bot.yaml")
    parser.add_argument("--http", action="store_true", help="HTTP mode instead of Socket Mode")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP mode: address to bind")
    parser.add_argument("--port", type=int, default=3000, help="HTTP mode: port")
    parser.add_argument("--base-url", help="a running OpenAI-compatible model endpoint")
    parser.add_argument("--model", help="GGUF to serve when no endpoint is configured")
    return parser.parse_args(argv)


def required_env(http: bool) -> dict[str, str]:
    """The secrets this mode needs; raises KeyError naming the first missing one."""
    names = ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET" if http else "SLACK_APP_TOKEN"]
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        raise KeyError(", ".join(missing))
    return {name: os.environ[name] for name in names}


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # systemd's SIGTERM stops the bot like Ctrl-C


def cli_main(argv: list[str]) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        bot_cfg = load_bot_config(args.config)
        agent_cfg = load_agent_config(bot_cfg.agent_config)
        secrets = required_env(args.http)
    except (BotConfigError, AgentConfigError) as exc:
        print(f"halops bot: {exc}", file=sys.stderr)
        return 2
    except KeyError as exc:
        print(f"halops bot: set {exc.args[0]} in the environment", file=sys.stderr)
        return 2
    # SIGINT explicitly too: a background start by a non-interactive shell ignores it otherwise.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    try:
        run(args, bot_cfg, agent_cfg, secrets)
    except KeyboardInterrupt:
        print("halops bot: stopped", file=sys.stderr)
    return 0


def run(args: argparse.Namespace, bot_cfg, agent_cfg, secrets: dict[str, str]) -> None:
    """Model endpoint and audit log for the bot's lifetime; then serve until interrupted."""
    from bot.agent.cli import endpoint
    from bot.agent.wiring import build_deps, chat_model, runbook_retriever
    from bot.app import build_app, slack_client, start_socket_mode
    from bot.safety.audit import AuditLog
    from bot.serve import health_check
    from bot.slack.deps import build_bot_deps, hosted_agent
    from bot.slack.http import SlackHTTPServer

    with (
        AuditLog(agent_cfg.audit_db) as audit,
        endpoint(args.base_url or agent_cfg.base_url, args.model) as url,
    ):

        def make_agent(approvals):
            deps = build_deps(agent_cfg, chat_model(agent_cfg, url), approvals, audit=audit)
            deps.retriever = runbook_retriever(agent_cfg)
            return hosted_agent(deps, approvals)

        client = slack_client(secrets["SLACK_BOT_TOKEN"])
        bot = build_bot_deps(bot_cfg, client, make_agent, agent_cfg.audit_db, audit)
        bot.health, bot.model_url = (lambda: health_check(url)), url
        app = build_app(bot, secrets.get("SLACK_SIGNING_SECRET", ""))
        try:
            if args.http:
                server = SlackHTTPServer(app, args.host, args.port)
                log.info("HTTP mode: %s", server.url)
                server.serve_forever()
            else:
                log.info("Socket Mode")
                start_socket_mode(app, secrets["SLACK_APP_TOKEN"])
        finally:
            bot.close()


if __name__ == "__main__":
    sys.exit(cli_main(sys.argv[1:]))
