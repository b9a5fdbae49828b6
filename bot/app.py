"""`halops bot`: the one place the Slack bot is assembled, in dependency order, and run.

    config and secrets (environment)
      -> audit log, approval store, thread memory          (one SQLite file)
      -> Slack Web API client
      -> model endpoint -> the agent                        (bot.agent.wiring)
      -> approvals -> conversations -> BotDeps              (bot.slack)
      -> listeners -> Bolt App                              (bot.listeners)
      -> HTTP server on loopback, or Socket Mode

Every object is given what it needs when it is built; nothing is patched afterwards, and Slack
glue (`bot.slack`, `bot.listeners`) never imports this module.

Secrets only from the environment: SLACK_BOT_TOKEN always, SLACK_APP_TOKEN for Socket Mode,
SLACK_SIGNING_SECRET for HTTP mode; SLACK_API_URL optionally points at another Web API (the
local stand-in in tests).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import NoReturn, TypeVar

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.agent.config import AgentConfig, AgentConfigError, load_agent_config
from bot.agent.loop import Agent
from bot.agent.wiring import (
    build_deps,
    chat_model,
    model_endpoint,
    runbook_retriever,
    runbook_search,
)
from bot.lifetime import kill_child_sessions
from bot.listeners import register_listeners
from bot.safety.audit import AuditLog
from bot.serve import health_check
from bot.slack.approvals import ApproverPolicy, SlackApprovals
from bot.slack.config import DEFAULT_BOT_CONFIG, BotConfig, BotConfigError, load_bot_config
from bot.slack.conversation import AgentRunner, ConversationRunner
from bot.slack.deps import BotDeps
from bot.slack.http import SlackHTTPServer, SlackRequestGate
from bot.slack.logs import bolt_logger, configure_logging, one_line
from bot.slack.memory import ThreadMemory
from bot.slack.seen import SeenRequests
from bot.slack.store import ApprovalStore
from bot.slack.workers import DaemonExecutor

log = logging.getLogger(__name__)

LISTENER_WORKERS = 10  # Bolt's default; listeners only ack, check and hand work on
SLACK_RETRY_FIRST_S, SLACK_RETRY_MAX_S = 1.0, 60.0  # backoff while Slack cannot be reached
# Errors a retry cannot fix: the token itself is wrong.
FATAL_SLACK_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)
T = TypeVar("T")


class SlackUnusable(RuntimeError):
    """Slack answered, and what it said (a bad token) will not change by retrying."""


# --- assembly --------------------------------------------------------------------------------


def slack_client(token: str | None) -> WebClient:
    return WebClient(token=token, base_url=os.environ.get("SLACK_API_URL") or WebClient.BASE_URL)


def build_bot_deps(
    config: BotConfig,
    client: WebClient,
    agent: AgentRunner,
    db_path: Path,
    audit: AuditLog | None,
    health: Callable[[], bool] = lambda: True,
    model_url: str = "",
) -> BotDeps:
    """Approvals, then conversations; approvals left pending by a restart are settled first.
    Everything the bot keeps lives in one SQLite file, `db_path` (beside the audit tables)."""
    approvals = SlackApprovals(
        ApprovalStore(db_path),
        client,
        ApproverPolicy(config.approvals, client),
        audit,
        config.approvals,
        result_chars=config.formatting.result_chars,
    )
    approvals.recover()
    conversations = ConversationRunner(client, agent, ThreadMemory(db_path), approvals, config)
    seen = SeenRequests(db_path, config.replay_window_s)
    return BotDeps(config, client, conversations, approvals, audit, health, model_url, seen)


def build_app(deps: BotDeps, signing_secret: str, token_verification_enabled: bool = False) -> App:
    """Bolt with our listeners. `auth.test` is the caller's (`until_slack_answers`, retried
    with backoff) rather than Bolt's (a traceback at construction when Slack is unreachable).
    process_before_response stays off: acks go out at once, work continues on threads."""
    app = App(
        name="halops",
        client=deps.client,
        signing_secret=signing_secret,
        token_verification_enabled=token_verification_enabled,
        logger=bolt_logger(),
        listener_executor=DaemonExecutor(LISTENER_WORKERS, "halops-listener"),
    )
    register_listeners(app, deps)
    return app


def hosted_agent(cfg: AgentConfig, model_url: str, audit: AuditLog) -> Agent:
    """The agent as the bot runs it: the configured tools, policy, retrieval and model."""
    search = runbook_search(cfg)
    retriever = runbook_retriever(cfg) if search is not None else None
    model = chat_model(cfg, model_url)
    return Agent(build_deps(cfg, model, audit=audit, retriever=retriever, search=search))


@dataclass(frozen=True)
class Secrets:
    bot_token: str
    signing_secret: str = ""
    app_token: str = ""


@contextlib.contextmanager
def running_bot(
    bot_cfg: BotConfig,
    agent_cfg: AgentConfig,
    secrets: Secrets,
    model_url: str | None,
    model: str | None,
) -> Iterator[tuple[App, BotDeps]]:
    """Everything the bot holds for its lifetime, built in order and closed in reverse."""
    client = slack_client(secrets.bot_token)
    until_slack_answers(client.auth_test, f"auth.test at {client.base_url}")
    with (
        AuditLog(agent_cfg.audit_db) as audit,
        model_endpoint(model_url, model, bot_cfg.serve_config, bot_cfg.shutdown_grace_s) as found,
    ):
        url = found.base_url
        agent = hosted_agent(agent_cfg, url, audit)
        deps = build_bot_deps(
            bot_cfg, client, agent, agent_cfg.audit_db, audit, lambda: health_check(url), url
        )
        try:
            yield build_app(deps, secrets.signing_secret), deps
        finally:
            # A stop is a stop: running commands (and what they started) are killed at once,
            # rather than given the grace, so the bot is gone within shutdown_grace_s.
            deps.close(stop_commands=kill_child_sessions)


def http_server(
    app: App, deps: BotDeps, signing_secret: str, host: str, port: int
) -> SlackHTTPServer:
    """The HTTP mode's server: the request gate in front of Bolt, under waitress."""
    gate = SlackRequestGate(app, signing_secret, deps.seen)
    return SlackHTTPServer(gate, host, port, deps.config.http)


def until_slack_answers(
    call: Callable[[], T], what: str, sleep: Callable[[float], None] = time.sleep
) -> T:
    """`call()`, retried with exponential backoff while Slack cannot be reached; each failure
    is one log line. Raises SlackUnusable at once for a token Slack refuses."""
    delay = SLACK_RETRY_FIRST_S
    while True:
        try:
            return call()
        except SlackApiError as exc:
            error = str((exc.response or {}).get("error") or "unknown_error")
            if error in FATAL_SLACK_ERRORS:
                raise SlackUnusable(f"{what}: Slack refused the token ({error})") from None
            reason = f"Slack answered {error}"
        except (OSError, SlackClientError) as exc:  # URLError, refused, timeout, bad WebSocket
            reason = f"{type(exc).__name__}: {exc}"
        log.error(
            "cannot reach Slack (%s): %s; retrying in %g s", what, one_line(reason, 200), delay
        )
        sleep(delay)
        delay = min(delay * 2, SLACK_RETRY_MAX_S)


def run_socket_mode(app: App, app_token: str) -> None:
    """Connect (retrying while Slack is unreachable), then serve until interrupted; the SDK's
    client reconnects by itself when an established connection drops."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(app, app_token)

    def connect() -> None:
        handler.client.wss_uri = None  # a WebSocket URL is single-use: ask for a new one
        handler.connect()

    try:
        until_slack_answers(connect, "Socket Mode connection")
        threading.Event().wait()  # until SIGTERM/Ctrl-C raises KeyboardInterrupt
    finally:
        handler.close()


# --- `halops bot` ----------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="halops bot",
        description="Run the Slack bot: Socket Mode by default, --http for a request URL on "
        "loopback. Secrets from the environment: SLACK_BOT_TOKEN, and SLACK_APP_TOKEN (Socket "
        "Mode) or SLACK_SIGNING_SECRET (HTTP); SLACK_API_URL points at another Web API.",
    )
    parser.add_argument("--config", type=Path, default=DEFAULT_BOT_CONFIG, help="bot.yaml")
    parser.add_argument("--http", action="store_true", help="HTTP mode instead of Socket Mode")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP mode: address to bind")
    parser.add_argument("--port", type=int, default=3000, help="HTTP mode: port")
    parser.add_argument("--base-url", help="a running OpenAI-compatible model endpoint")
    parser.add_argument("--model", help="GGUF to serve when no endpoint is configured")
    return parser.parse_args(argv)


def required_env(http: bool) -> Secrets:
    """The secrets this mode needs; raises KeyError naming the missing ones."""
    names = ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET" if http else "SLACK_APP_TOKEN"]
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        raise KeyError(", ".join(missing))
    return Secrets(
        os.environ["SLACK_BOT_TOKEN"],
        os.environ.get("SLACK_SIGNING_SECRET", ""),
        os.environ.get("SLACK_APP_TOKEN", ""),
    )


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # systemd's SIGTERM stops the bot like Ctrl-C


def cli_main(argv: list[str]) -> int:
    args = parse_args(argv)
    configure_logging()
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
        model_url = args.base_url or agent_cfg.base_url
        with running_bot(bot_cfg, agent_cfg, secrets, model_url, args.model) as (app, deps):
            serve(app, deps, args, secrets)
    except KeyboardInterrupt:
        print("halops bot: stopped", file=sys.stderr)
    except SlackUnusable as exc:
        print(f"halops bot: {exc}", file=sys.stderr)
        return 2
    finally:
        # Anything started after the conversations stopped (there should be nothing).
        if killed := kill_child_sessions():
            log.warning("killed the process groups of %d running commands", len(killed))
    exit_now(0)


def exit_now(code: int) -> NoReturn:
    """The last step of a stop. Everything is closed (SQLite commits are atomic) and the
    children are gone; what remains is the interpreter's own teardown, which joins any library
    thread that is not a daemon (one blocked on the network would hold the process past
    systemd's patience) and frees every module (seconds on a loaded machine). Neither is worth
    waiting for, so the process ends here."""
    main = threading.main_thread()
    threads = [t.name for t in threading.enumerate() if not t.daemon and t is not main]
    if threads:
        log.info("exiting without waiting for threads %s", ", ".join(threads))
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def serve(app: App, deps: BotDeps, args: argparse.Namespace, secrets: Secrets) -> None:
    if args.http:
        server = http_server(app, deps, secrets.signing_secret, args.host, args.port)
        log.info("HTTP mode: %s", server.url)
        server.serve_forever()  # until SIGTERM/Ctrl-C raises KeyboardInterrupt
    else:
        log.info("Socket Mode")
        run_socket_mode(app, secrets.app_token)


if __name__ == "__main__":
    sys.exit(cli_main(sys.argv[1:]))
