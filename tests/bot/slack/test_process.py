"""`halops bot` as a real process, in HTTP and Socket Mode, against the Slack stand-in and a model
stand-in: hostile requests, replays across a restart, SIGTERM in the middle of a conversation,
children that die with a killed bot, an unreachable Slack API."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from bot.devtools import slack_standin as standin
from bot.devtools.model_standin import HANG, ModelStandIn
from bot.devtools.slack_standin import FORM, JSON, SlackAPIStandIn, signed_post
from halops.contract.toolcall import format_tool_call
from tests.bot.slack.process import (
    ONCALL,
    SECRET,
    BotProcess,
    alive,
    all_pids,
    command_line,
    free_port,
    parent_of,
    wait_until,
)
from tests.bot.slack.test_http_gate import MENTION, raw_exchange
from tests.bot.slack.test_http_gate import raw_post as gate_post

pytestmark = pytest.mark.timeout(180)

ASKER, CHANNEL = "UASKER", "COPS"


@pytest.fixture
def slack():
    with SlackAPIStandIn() as api:
        yield api


def raw_post(*args, **kwargs):
    return gate_post(*args, secret=SECRET, **kwargs)


def mention(text: str, ts: str, event_id: str) -> str:
    return standin.event_body(standin.mention_event(text, ASKER, CHANNEL, ts), event_id)


def answer_of(slack: SlackAPIStandIn, thread_ts: str, text: str) -> None:
    [status] = slack.wait_call("chat.postMessage", thread_ts=thread_ts, timeout=60)
    slack.wait_call("chat.update", ts=status.result["ts"], text=text, timeout=60)


def approval_post(slack: SlackAPIStandIn, thread_ts: str, db: Path) -> standin.Call:
    """The approval message, once the bot has stored its ts (the stand-in records the post
    before the bot has the answer; a click before that would not match the message)."""

    def posted(calls):
        return next(
            (
                c
                for c in calls
                if c.method == "chat.postMessage"
                and c.args.get("thread_ts") == thread_ts
                and str(c.args.get("text", "")).startswith("Approval needed")
            ),
            None,
        )

    post = slack.wait_for(posted, timeout=60)
    approval_id = int(post.args["blocks"][4]["elements"][0]["value"])

    def stored() -> bool:
        with sqlite3.connect(db) as conn:
            row = conn.execute("SELECT message_ts FROM approvals WHERE id = ?", (approval_id,))
            return row.fetchone() == (post.result["ts"],)

    wait_until(stored, "the approval's message ts is stored")
    return post


def approval_state(db: Path, approval_id: int) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT state FROM approvals WHERE id = ?", (approval_id,)).fetchone()[
            0
        ]


def audit_kinds(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT kind FROM events ORDER BY id")]


# --- HTTP mode ---------------------------------------------------------------------------------


def test_hostile_requests_get_4xx_and_leave_no_trace_in_the_log(tmp_path, slack) -> None:
    with ModelStandIn({}) as model:
        bot = BotProcess(tmp_path, slack, model.base_url).wait_ready()
        try:
            forged = b"x\napproval 7 approved by UONCALL\n" + b"B" * 200_000
            assert raw_post(bot.url, forged, JSON, signature="v0=0")[0] == 401
            assert raw_post(bot.url, b"{not json", JSON)[0] == 400
            assert raw_post(bot.url, b"\xff\xfe", JSON)[0] == 400
            assert raw_post(bot.url, b'"x"', JSON)[0] == 400
            assert raw_post(bot.url, MENTION, "text/plain")[0] == 415
            assert raw_post(bot.url, MENTION, JSON, stamp="soon")[0] == 401
            big = f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: {128 << 20}\r\n\r\n"
            assert raw_exchange(bot.url, big.encode()).startswith(b"HTTP/1.1 413 ")
            # The bot still answers a good request.
            assert signed_post(bot.url, mention("hello", "1.1", "EvOk"), SECRET, JSON)[0] == 200
            answer_of(slack, "1.1", "OK.")
        finally:
            assert bot.stop() == 0
    log = bot.log()
    assert "approval 7 approved" not in log and "BBBB" not in log and "Traceback" not in log
    assert log.count("rejected POST /slack/events") == 6
    assert all(len(line) < 1200 for line in log.splitlines())


def test_replays_are_refused_across_a_restart(tmp_path, slack) -> None:
    with ModelStandIn({}) as model:
        first = BotProcess(tmp_path, slack, model.base_url, name="first").wait_ready()
        stamp = str(int(time.time()))
        command = standin.slash_command_body("ask hi there", ASKER, CHANNEL, slack.response_url)
        event = mention("hello", "1.1", "EvReplay").encode()
        assert raw_post(first.url, event, JSON, stamp)[0] == 200
        assert raw_post(first.url, command.encode(), FORM, stamp)[0] == 200
        answer_of(slack, "1.1", "OK.")
        [root] = slack.wait_call("chat.postMessage", text=f"<@{ASKER}> asked: hi there")
        answer_of(slack, root.result["ts"], "OK.")
        assert first.stop() == 0
        second = BotProcess(tmp_path, slack, model.base_url, name="second").wait_ready()
        try:
            # The same signed bytes, captured and replayed: refused.
            assert raw_post(second.url, command.encode(), FORM, stamp)[0] == 409
            assert raw_post(second.url, event, JSON, stamp)[0] == 409
            # Slack's own redelivery (a new timestamp, the same event id): acknowledged, dropped.
            assert raw_post(second.url, event, JSON, str(int(stamp) - 1))[0] == 200
            second.wait_log("dropping a redelivered event EvReplay")
        finally:
            assert second.stop() == 0
    assert len(slack.of("chat.postMessage", thread_ts="1.1")) == 1
    assert len(slack.of("chat.postMessage", text=f"<@{ASKER}> asked: hi there")) == 1


def test_sigterm_in_the_middle_of_a_conversation_stops_the_bot(tmp_path, slack) -> None:
    with ModelStandIn({"slow question": [HANG]}) as model:
        bot = BotProcess(tmp_path, slack, model.base_url).wait_ready()
        assert (
            signed_post(bot.url, mention("slow question", "2.1", "EvSlow"), SECRET, JSON)[0] == 200
        )
        assert model.hanging.wait(60)
        bot.send(signal.SIGTERM)
        # It exits while the model call it is in has not been answered.
        code = bot.stop()
        assert not model._released.is_set()
    assert code == 0 and "halops bot: stopped" in bot.log()


def reboot_like_script(marker: Path) -> tuple[str, str]:
    """A confirmation-tier shell command that runs for a while, then leaves a marker."""
    command = f"sleep 3 && touch {marker}"
    return command, format_tool_call("shell", {"command": command})


def click(bot: BotProcess, slack: SlackAPIStandIn, post: standin.Call, user: str = ONCALL) -> int:
    approval_id = post.args["blocks"][4]["elements"][0]["value"]
    body = standin.block_actions_body(
        "halops_approve", approval_id, user, CHANNEL, post.result["ts"], slack.response_url
    )
    return signed_post(bot.url, body, SECRET, FORM)[0]


def test_an_approved_command_dies_with_a_killed_bot_and_is_interrupted(tmp_path, slack) -> None:
    marker = tmp_path / "ran-to-the-end"
    command, call = reboot_like_script(marker)
    with ModelStandIn({"run the job": [call, "Done."]}) as model:
        bot = BotProcess(tmp_path, slack, model.base_url).wait_ready()
        assert signed_post(bot.url, mention("run the job", "3.1", "EvJob"), SECRET, JSON)[0] == 200
        post = approval_post(slack, "3.1", bot.db)
        assert click(bot, slack, post) == 200
        shell = wait_until(
            lambda: next((p for p in all_pids() if command in command_line(p)), None),
            "the approved command runs",
        )
        sleeper = wait_until(
            lambda: next((p for p in all_pids() if parent_of(p) == shell), None), "its sleep"
        )
        bot.stop(signal.SIGKILL)
        wait_until(lambda: not alive(shell), "the command dies with the bot")
        wait_until(lambda: not alive(sleeper), "the sleep it had started ends")
        assert not marker.exists()  # what came after the sleep never ran
        again = BotProcess(tmp_path, slack, model.base_url, name="again").wait_ready()
        assert again.stop() == 0
    assert approval_state(bot.db, 1) == "interrupted"
    assert audit_kinds(bot.db)[-1] == "interrupted"


@pytest.mark.slow
def test_the_llama_server_child_dies_with_a_killed_bot(tmp_path, slack) -> None:
    # No endpoint: the bot starts llama.cpp's server itself, on a free port (never 8080).
    bot = BotProcess(tmp_path, slack, None, serve_port=free_port())
    llama = wait_until(
        lambda: next((p for p in bot.children() if "llama_cpp.server" in command_line(p)), None),
        "the llama.cpp server child starts",
    )
    bot.wait_ready(timeout=120)
    bot.stop(signal.SIGKILL)
    wait_until(lambda: not alive(llama), "the llama.cpp server dies with the bot")


def test_an_unreachable_slack_api_is_one_line_and_retried(tmp_path, slack) -> None:
    closed = f"http://127.0.0.1:{free_port()}/api/"
    bot = BotProcess(tmp_path, slack, "http://127.0.0.1:9/v1", env={"SLACK_API_URL": closed})
    bot.wait_log("cannot reach Slack", count=2)
    assert bot.stop() == 0
    lines = [line for line in bot.log().splitlines() if "cannot reach Slack" in line]
    assert "retrying in 1 s" in lines[0] and "retrying in 2 s" in lines[1]
    assert "Traceback" not in bot.log() and "halops bot: stopped" in bot.log()


def test_a_refused_token_stops_the_bot_with_one_line(tmp_path) -> None:
    with SlackAPIStandIn(revoked_tokens=frozenset({"xoxb-revoked"})) as slack:
        token = {"SLACK_BOT_TOKEN": "xoxb-revoked"}
        bot = BotProcess(tmp_path, slack, "http://127.0.0.1:9/v1", env=token)
        assert bot.wait_exit() == 2
    assert "Slack refused the token (invalid_auth)" in bot.log()
    assert "Traceback" not in bot.log()


# --- Socket Mode -------------------------------------------------------------------------------


def test_socket_mode_events_commands_clicks_and_a_reconnect(tmp_path, slack) -> None:
    marker = tmp_path / "approved-over-socket-mode"
    call = format_tool_call("shell", {"command": f"touch {marker}"})
    with ModelStandIn({"touch it": [call, "Touched."]}) as model:
        bot = BotProcess(tmp_path, slack, model.base_url, http=False).wait_ready()
        try:
            slack.wait_connected()
            event = json.loads(mention("touch it", "4.1", "EvSocket"))
            assert slack.wait_ack(slack.send_envelope("events_api", event)) is not None
            post = approval_post(slack, "4.1", bot.db)
            approval_id = post.args["blocks"][4]["elements"][0]["value"]
            payload = standin.block_actions_payload(
                "halops_approve",
                approval_id,
                ONCALL,
                CHANNEL,
                post.result["ts"],
                slack.response_url,
            )
            slack.wait_ack(slack.send_envelope("interactive", payload))
            answer_of(slack, "4.1", "Touched.")
            assert marker.exists()
            # A redelivered event (Slack's retry over Socket Mode) starts nothing.
            slack.wait_ack(slack.send_envelope("events_api", event, retry_attempt=1))
            bot.wait_log("dropping a redelivered event EvSocket")
            # The connection drops; the bot opens a new one and goes on.
            slack.drop_connections()
            slack.wait_connected(count=2)
            fields = standin.slash_command_fields("status", ONCALL, CHANNEL, slack.response_url)
            slack.wait_ack(slack.send_envelope("slash_commands", fields))
            [status] = slack.wait_call("response_url", timeout=60)
            assert status.args["response_type"] == "ephemeral"
        finally:
            assert bot.stop() == 0
    assert len(slack.of("chat.postMessage", thread_ts="4.1")) == 2  # status + approval
    assert approval_state(bot.db, int(approval_id)) == "executed"
    assert "halops bot: stopped" in bot.log()


def test_sigterm_stops_a_running_command_and_everything_it_started(tmp_path, slack) -> None:
    marker = tmp_path / "never"
    command = f"sleep 600 && touch {marker}"
    call = format_tool_call("shell", {"command": command})
    with ModelStandIn({"long job": [call, "Done."]}) as model:
        bot = BotProcess(tmp_path, slack, model.base_url).wait_ready()
        assert signed_post(bot.url, mention("long job", "5.1", "EvLong"), SECRET, JSON)[0] == 200
        assert click(bot, slack, approval_post(slack, "5.1", bot.db)) == 200
        shell = wait_until(
            lambda: next((p for p in all_pids() if command in command_line(p)), None),
            "the approved command runs",
        )
        sleeper = wait_until(
            lambda: next((p for p in all_pids() if parent_of(p) == shell), None), "its sleep"
        )
        assert bot.stop(signal.SIGTERM) == 0
        # Gone at once: the sleep would otherwise run for ten minutes.
        wait_until(lambda: not alive(shell) and not alive(sleeper), "the command's group is killed")
    assert not marker.exists()


def test_socket_mode_approvals_hold_no_worker_and_refusals_are_audited(tmp_path, slack) -> None:
    first = tmp_path / "first"
    job = format_tool_call("shell", {"command": f"touch {first}"})
    again = format_tool_call("shell", {"command": f"touch {tmp_path / 'second'}"})
    scripts = {"first job": [job, "Done."], "second job": [again, "Not asked."], "up?": ["Yes."]}
    settings = {"conversation": {"workers": 1}, "approvals": {"max_pending_per_user": 1}}
    with ModelStandIn(scripts) as model:
        bot = BotProcess(tmp_path, slack, model.base_url, http=False, bot_config=settings)
        bot.wait_ready()
        try:
            slack.wait_connected()

            def event(text: str, ts: str, user: str = ASKER) -> None:
                body = json.loads(
                    standin.event_body(standin.mention_event(text, user, CHANNEL, ts), f"Ev{ts}")
                )
                slack.wait_ack(slack.send_envelope("events_api", body))

            event("first job", "6.1")
            post = approval_post(slack, "6.1", bot.db)
            # One worker, one parked request: the approver's question is still answered.
            event("up?", "6.2", user=ONCALL)
            answer_of(slack, "6.2", "Yes.")
            # The asker's second request is over their limit: withheld, nothing posted.
            event("second job", "6.3")
            answer_of(slack, "6.3", "Not asked.")
            # Clicks: a stranger, the asker themself, a forged id, the right id on the wrong
            # message, then the approver on the right message.
            approval_id = post.args["blocks"][4]["elements"][0]["value"]

            def clicked(user: str, value: str, message_ts: str) -> None:
                payload = standin.block_actions_payload(
                    "halops_approve", value, user, CHANNEL, message_ts, slack.response_url
                )
                slack.wait_ack(slack.send_envelope("interactive", payload))

            clicked("USTRANGER", approval_id, post.result["ts"])
            clicked(ASKER, approval_id, post.result["ts"])
            clicked(ONCALL, "77", post.result["ts"])
            clicked(ONCALL, approval_id, "1.0")
            slack.wait_call("chat.postEphemeral", count=4, timeout=60)
            assert not first.exists()
            clicked(ONCALL, approval_id, post.result["ts"])
            answer_of(slack, "6.1", "Done.")
            assert first.exists() and not (tmp_path / "second").exists()
            # The audit log is for approvers.
            for user in (ASKER, ONCALL):
                fields = standin.slash_command_fields("audit", user, CHANNEL, slack.response_url)
                slack.wait_ack(slack.send_envelope("slash_commands", fields))
            replies = slack.wait_call("response_url", count=2, timeout=60)
        finally:
            assert bot.stop() == 0
    assert replies[0].args["text"].startswith("Only approvers")
    assert replies[1].args["text"] == "HALops audit"
    with sqlite3.connect(bot.db) as conn:
        refused = conn.execute(
            "SELECT actor, verdict_id IS NULL FROM events WHERE kind = 'refused' ORDER BY id"
        ).fetchall()
        withheld = conn.execute("SELECT detail FROM events WHERE kind = 'cancelled'").fetchall()
    assert refused == [("USTRANGER", 0), (ASKER, 0), (ONCALL, 1), (ONCALL, 0)]
    assert "still waiting for an approver" in withheld[0][0]
