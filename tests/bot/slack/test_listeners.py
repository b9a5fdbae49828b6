"""Events and commands through the real HTTP endpoint with signed requests; exact Web API calls."""

from __future__ import annotations

import json
import time

import pytest

from bot.agent.model import ModelUnavailable
from bot.devtools import slack_standin as standin
from bot.devtools.slack_standin import FORM, JSON
from bot.listeners.commands.halops_command import AUDIT_REFUSED
from bot.slack.conversation import FAILED_TEXT, MODEL_DOWN_TEXT
from halops.contract.toolcall import format_tool_call
from tests.bot.slack.conftest import ASKER, CHANNEL, ONCALL

pytestmark = pytest.mark.timeout(60)

STATUS_BLOCKS = [
    {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": ":hourglass_flowing_sand: Working on it…"}],
    }
]


def mention_body(text: str = "hello", event_id: str = "Ev1") -> str:
    event = standin.mention_event(text, ASKER, CHANNEL, "1800000000.000001")
    return standin.event_body(event, event_id)


def test_forged_signature_is_rejected(make_bot, slack) -> None:
    bot = make_bot({"hello": ["hi"]})
    status, _ = bot.post(mention_body(), signature="v0=" + "0" * 64)
    assert status == 401
    status, _ = standin.signed_post(bot.server.url, mention_body(), "not-the-secret", JSON)
    assert status == 401
    # A 401 is answered before anything is dispatched: nothing can still be on its way.
    assert slack.calls == []


def test_stale_timestamp_is_rejected(make_bot, slack) -> None:
    bot = make_bot({"hello": ["hi"]})
    status, _ = bot.post(mention_body(), timestamp=int(time.time()) - 600)
    assert status == 401
    assert (
        bot.post(
            standin.slash_command_body("audit", ASKER, CHANNEL, slack.response_url),
            FORM,
            timestamp=int(time.time()) - 600,
        )[0]
        == 401
    )
    assert slack.calls == []


def test_mention_gets_a_status_message_replaced_by_the_answer(make_bot, slack) -> None:
    bot = make_bot({"what is pve01?": ["pve01 is a Proxmox node."]})
    thread = bot.mention("what is pve01?")
    answer = bot.answer(thread)
    [status] = slack.of("chat.postMessage", thread_ts=thread)
    assert status.args == {
        "channel": CHANNEL,
        "thread_ts": thread,
        "text": "Working on it…",
        "blocks": STATUS_BLOCKS,
    }
    assert answer == {
        "channel": CHANNEL,
        "ts": status.result["ts"],
        "text": "pve01 is a Proxmox node.",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "pve01 is a Proxmox node."}}
        ],
    }


def test_long_answers_with_code_are_split_into_blocks(make_bot, slack) -> None:
    long_answer = "Here is the pool:\n```\n" + "\n".join(f"line {i}" for i in range(600)) + "\n```"
    bot = make_bot({"zpool status": [long_answer]})
    answer = bot.answer(bot.mention("zpool status"))
    texts = [block["text"]["text"] for block in answer["blocks"]]
    assert texts[0] == "Here is the pool:"
    assert all(t.startswith("```\n") and t.endswith("\n```") for t in texts[1:])
    assert all(len(t) <= 2900 for t in texts) and len(texts) >= 3
    body = "\n".join(t.removeprefix("```\n").removesuffix("\n```") for t in texts[1:])
    assert body.splitlines() == [f"line {i}" for i in range(600)]


def test_two_threads_at_once_do_not_mix_memory_or_approvals(make_bot, slack) -> None:
    reboot = {
        h: format_tool_call("ssh", {"host": h, "command": "reboot"}) for h in ("pve01", "pve02")
    }
    bot = make_bot(
        {
            "reboot pve01": [reboot["pve01"], "pve01 rebooted."],
            "reboot pve02": [reboot["pve02"], "pve02 left alone."],
            "and now?": ["pve01 is back."],
        }
    )
    first = bot.mention("reboot pve01")
    second = bot.mention("reboot pve02")
    [a] = bot.approval_messages(first)
    [b] = bot.approval_messages(second)
    assert "pve01" in a.args["text"] and "pve02" in b.args["text"]
    ids = {int(x.args["blocks"][4]["elements"][0]["value"]) for x in (a, b)}
    id_a = int(a.args["blocks"][4]["elements"][0]["value"])
    id_b = (ids - {id_a}).pop()
    bot.click(id_b, ONCALL, approve=False)
    bot.click(id_a, ONCALL)
    assert bot.answer(first)["text"] == "pve01 rebooted."
    assert bot.answer(second)["text"] == "pve02 left alone."
    assert bot.tools["ssh"].calls == [{"host": "pve01", "command": "reboot"}]
    store = bot.deps.approvals.store
    assert (store.get(id_a).thread_ts, store.get(id_a).state) == (first, "executed")
    assert (store.get(id_b).thread_ts, store.get(id_b).state) == (second, "rejected")
    # A follow-up in the first thread remembers that thread only.
    bot.mention("and now?", thread_ts=first)
    slack.wait_call("chat.update", text="pve01 is back.")
    [seen] = bot.model.seen["and now?"]
    history = [m["content"] for m in seen[1:]]
    assert history == ["reboot pve01", "pve01 rebooted.", "and now?"]


def test_direct_messages_are_conversations_and_bot_messages_are_ignored(make_bot, slack) -> None:
    bot = make_bot({"uptime of pve01?": ["Up 3 days."]})
    own = standin.dm_event("Up 3 days.", "UHALOPS", "DASKER", "1.1", bot_id="BHALOPS")
    edit = standin.dm_event("x", ASKER, "DASKER", "1.2", subtype="message_changed")
    assert bot.post(standin.event_body(own, "EvOwn"))[0] == 200
    assert bot.post(standin.event_body(edit, "EvEdit"))[0] == 200
    dm = standin.dm_event("uptime of pve01?", ASKER, "DASKER", "1.3")
    assert bot.post(standin.event_body(dm, "EvDm"))[0] == 200
    answer = bot.answer("1.3")
    assert (answer["channel"], answer["text"]) == ("DASKER", "Up 3 days.")
    assert len(slack.of("chat.postMessage")) == 1


def test_a_redelivered_event_starts_one_conversation(make_bot, slack, log_watch) -> None:
    bot = make_bot({"hello": ["hi"]})
    now = int(time.time())
    for retry in range(3):  # Slack's retries are new requests: a new timestamp each
        body = mention_body("hello", event_id="EvSame")
        assert bot.post(body, timestamp=now - retry)[0] == 200
    bot.answer("1800000000.000001")
    log_watch.wait_for("redelivered event", count=2)
    assert len(slack.of("chat.postMessage")) == 1


def test_channels_outside_the_allow_list_are_ignored(make_bot, slack, log_watch) -> None:
    bot = make_bot({"hello": ["hi"]}, channels=frozenset({"CELSEWHERE"}))
    bot.mention("hello")
    log_watch.wait_for(f"not serving channel {CHANNEL}")
    assert slack.of("chat.postMessage") == []


class BrokenAgent:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def turn(self, request, history=None, requester="", conversation_id=None):
        raise self.error
        yield


@pytest.mark.parametrize(
    ("error", "text"),
    [(RuntimeError("bug"), FAILED_TEXT), (ModelUnavailable("down"), MODEL_DOWN_TEXT)],
)
def test_a_failing_agent_tells_the_user(make_bot, error, text) -> None:
    bot = make_bot({}, agent=BrokenAgent(error))
    answer = bot.answer(bot.mention("hello"))
    assert answer["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn", "text": f":warning: {text}"}}
    ]


def test_slash_command_ask_starts_a_visible_thread(make_bot, slack) -> None:
    bot = make_bot({"is nas01 up?": ["Yes."]})
    assert bot.command("ask is nas01 up?") == 200
    [root] = slack.wait_call("chat.postMessage", text=f"<@{ASKER}> asked: is nas01 up?")
    assert root.args == {"channel": CHANNEL, "text": f"<@{ASKER}> asked: is nas01 up?"}
    assert bot.answer(root.result["ts"])["text"] == "Yes."


def test_slash_command_status_and_audit_answer_ephemerally(make_bot, slack) -> None:
    bot = make_bot(
        {"reboot pve01": [format_tool_call("ssh", {"host": "pve01", "command": "reboot"}), "ok"]}
    )
    thread = bot.mention("reboot pve01")
    bot.approval_messages(thread)
    assert bot.command("status", user=ONCALL) == 200
    [status] = slack.wait_call("response_url")
    assert status.args["response_type"] == "ephemeral"
    blocks = status.args["blocks"]
    assert blocks[0]["text"]["text"].endswith(":large_green_circle: up\n*Pending approvals*: 1")
    assert blocks[1] == {"type": "section", "text": {"type": "mrkdwn", "text": "*Recent actions*"}}
    line = blocks[2]["text"]["text"]
    assert f"<@{ASKER}> ssh:pve01 `reboot`: *confirm* `power.shutdown_reboot` → proposed" in line
    bot.click(1, ONCALL)
    bot.answer(thread)
    assert bot.command("audit", user=ONCALL) == 200
    audit = slack.wait_call("response_url", count=2)[1].args
    assert audit["blocks"][0]["text"]["text"] == "*Recent decisions*"
    assert f"→ executed by <@{ONCALL}> (exit 0)" in audit["blocks"][1]["text"]["text"]
    assert bot.command("frobnicate") == 200
    help_text = slack.wait_call("response_url", count=3)[2].args["text"]
    assert help_text.startswith("Usage: `/halops ask <question>`")


def test_audit_is_for_approvers_and_status_hides_who_asked_from_others(make_bot, slack) -> None:
    bot = make_bot(
        {"reboot pve01": [format_tool_call("ssh", {"host": "pve01", "command": "reboot"}), "ok"]}
    )
    bot.approval_messages(bot.mention("reboot pve01"))
    assert bot.command("audit", user=ASKER) == 200
    [refused] = slack.wait_call("response_url")
    assert refused.args == {"text": AUDIT_REFUSED, "response_type": "ephemeral"}
    assert bot.command("status", user=ASKER) == 200
    status = slack.wait_call("response_url", count=2)[1].args
    assert status["blocks"][0]["text"]["text"].endswith("*Pending approvals*: 1")
    assert "reboot" not in json.dumps(status) and ASKER not in json.dumps(status)
    bot.click(1, ONCALL, approve=False)
