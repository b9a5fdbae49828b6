"""The confirmation tier through signed block_actions requests: who may decide, once only,
before the deadline, and never after a restart."""

from __future__ import annotations

import threading
import time

import pytest

from bot.devtools import slack_standin as standin
from bot.slack.blocks import build_approval_blocks
from bot.slack.conversation import STOPPED_TEXT
from bot.slack.store import ApprovalStore
from halops.contract.toolcall import format_tool_call
from tests.bot.slack.conftest import ASKER, CHANNEL, GROUP_MEMBER, ONCALL, STRANGER, start_bot

pytestmark = pytest.mark.timeout(60)

REBOOT = format_tool_call("ssh", {"host": "pve01", "command": "reboot"})


def reboot_script(final: str = "Done.") -> dict[str, list[str]]:
    return {"reboot pve01": [REBOOT, final]}


def ephemerals(slack, user: str) -> list[str]:
    return [c.args["text"] for c in slack.of("chat.postEphemeral", user=user)]


def audit_kinds(bot, approval_id: int = 1) -> list[tuple[str, str | None]]:
    approval = bot.deps.approvals.store.get(approval_id)
    return [(e.kind, e.actor) for e in bot.audit.events(approval.verdict_id)]


def test_approval_message_shows_what_where_how_why_who_with_buttons(make_bot) -> None:
    bot = make_bot(reboot_script())
    thread = bot.mention("reboot pve01")
    [post] = bot.approval_messages(thread)
    deadline = bot.deps.approvals.store.get(1).deadline
    assert post.args["channel"] == CHANNEL and post.args["thread_ts"] == thread
    assert post.args["text"] == "Approval needed (pending): reboot on pve01"
    assert post.args["blocks"] == [
        {"type": "header", "text": {"type": "plain_text", "text": "Approval needed"}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Host*\npve01"},
                {"type": "mrkdwn", "text": "*Transport*\nssh"},
                {"type": "mrkdwn", "text": f"*Asked by*\n<@{ASKER}>"},
                {"type": "mrkdwn", "text": "*Tool*\nssh"},
            ],
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Command*\n```\nreboot\n```"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*Why it needs approval* (`power.shutdown_reboot`)\nreboot of the host",
            },
        },
        {
            "type": "actions",
            "block_id": "halops_approval",
            "elements": [
                {
                    "type": "button",
                    "action_id": "halops_approve",
                    "text": {"type": "plain_text", "text": "Approve"},
                    "style": "primary",
                    "value": "1",
                    "confirm": {
                        "title": {"type": "plain_text", "text": "Run it?"},
                        "text": {"type": "plain_text", "text": "reboot on pve01"},
                        "confirm": {"type": "plain_text", "text": "Run"},
                        "deny": {"type": "plain_text", "text": "Cancel"},
                    },
                },
                {
                    "type": "button",
                    "action_id": "halops_deny",
                    "text": {"type": "plain_text", "text": "Deny"},
                    "style": "danger",
                    "value": "1",
                },
            ],
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f":bell: Waiting for an approver; expires <!date^{int(deadline)}"
                    "^{date_short_pretty} {time}|"
                    + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(deadline))
                    + ">.",
                }
            ],
        },
    ]
    bot.click(1, ONCALL, approve=False)  # let the conversation finish
    bot.answer(thread)


def test_approved_command_runs_once_and_the_message_shows_who_and_the_result(make_bot) -> None:
    bot = make_bot(reboot_script("Rebooted pve01."))
    thread = bot.mention("reboot pve01")
    [post] = bot.approval_messages(thread)
    assert bot.click(1, ONCALL) == 200
    answer = bot.answer(thread)
    assert answer["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Rebooted pve01."}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"`ssh` pve01 `reboot`: executed, approved by <@{ONCALL}>",
                }
            ],
        },
    ]
    assert bot.tools["ssh"].calls == [{"host": "pve01", "command": "reboot"}]
    approval = bot.deps.approvals.store.get(1)
    assert (approval.state, approval.decided_by, approval.result) == (
        "executed",
        ONCALL,
        "rebooting now",
    )
    updates = bot.slack.of("chat.update", ts=post.result["ts"])
    assert updates[-1].args["blocks"] == build_approval_blocks(approval)
    assert updates[-1].args["blocks"][-2]["elements"][0]["text"].endswith("ran (exit 0).")
    assert updates[-1].args["blocks"][-1]["text"]["text"] == "*Result*\n```\nrebooting now\n```"
    assert audit_kinds(bot) == [
        ("proposed", ASKER),
        ("approved", ONCALL),
        ("executed", None),
    ]
    # The agent was told it ran, and the model saw the (scrubbed) output.
    assert "rebooting now" in bot.model.seen["reboot pve01"][1][-1]["content"]


def test_status_message_says_it_waits_for_an_approver(make_bot) -> None:
    bot = make_bot(reboot_script())
    thread = bot.mention("reboot pve01")
    bot.approval_messages(thread)
    status_ts = bot.status_ts(thread)
    [waiting] = bot.slack.wait_call("chat.update", ts=status_ts, text="Waiting for an approver…")
    assert waiting.args["blocks"] == [
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": ":hourglass_flowing_sand: Waiting for an approver…"}
            ],
        }
    ]
    bot.click(1, ONCALL)
    bot.answer(thread)


def test_unauthorised_clicks_are_refused_ephemerally_and_nothing_runs(make_bot, slack) -> None:
    bot = make_bot(reboot_script())
    thread = bot.mention("reboot pve01")
    bot.approval_messages(thread)
    bot.click(1, STRANGER)
    bot.click(1, ASKER)  # the requester, and allow_self_approval is false
    slack.wait_call("chat.postEphemeral", count=2)
    assert ephemerals(slack, STRANGER) == [
        "You are not an approver for HALops commands; ask the on-call."
    ]
    assert ephemerals(slack, ASKER) == [
        "You asked for this command, so someone else has to approve it."
    ]
    assert slack.of("chat.postEphemeral", user=STRANGER)[0].args["channel"] == CHANNEL
    assert bot.deps.approvals.store.get(1).state == "pending"
    assert bot.tools["ssh"].calls == []
    # A member of the approvers' user group may decide (resolved with usergroups.users.list).
    bot.click(1, GROUP_MEMBER)
    bot.answer(thread)
    assert bot.tools["ssh"].calls == [{"host": "pve01", "command": "reboot"}]
    assert [c.args for c in slack.of("usergroups.users.list")] == [{"usergroup": "SONCALL"}]
    assert bot.deps.approvals.store.get(1).decided_by == GROUP_MEMBER


def test_self_approval_when_config_allows_it(make_bot) -> None:
    bot = make_bot(reboot_script(), allow_self_approval=True, approvers=frozenset({ASKER}))
    thread = bot.mention("reboot pve01")
    bot.approval_messages(thread)
    bot.click(1, ASKER)
    bot.answer(thread)
    assert len(bot.tools["ssh"].calls) == 1


def test_denial_runs_nothing_and_the_agent_is_told(make_bot) -> None:
    bot = make_bot(reboot_script("OK, not rebooting."))
    thread = bot.mention("reboot pve01")
    [post] = bot.approval_messages(thread)
    bot.click(1, ONCALL, approve=False)
    answer = bot.answer(thread)
    assert answer["text"] == "OK, not rebooting."
    assert bot.tools["ssh"].calls == []
    observation = bot.model.seen["reboot pve01"][1][-1]["content"]
    assert f"{ONCALL} denied the request; nothing ran" in observation
    last = bot.slack.of("chat.update", ts=post.result["ts"])[-1]
    line = last.args["blocks"][-1]["elements"][0]["text"]
    assert line.startswith(f":no_entry: Denied by <@{ONCALL}> at <!date^")
    assert line.endswith("; nothing ran.")
    assert audit_kinds(bot) == [("proposed", ASKER), ("rejected", ONCALL)]


def test_expiry_fails_closed_and_is_recorded_as_expiry(make_bot, slack) -> None:
    bot = make_bot(reboot_script("It expired."), timeout_s=0.5)
    thread = bot.mention("reboot pve01")
    [post] = bot.approval_messages(thread)
    answer = bot.answer(thread)  # nobody clicked: the conversation goes on after the deadline
    assert answer["text"] == "It expired."
    observation = bot.model.seen["reboot pve01"][1][-1]["content"]
    assert "the approval request expired; nothing ran" in observation
    expired = slack.of("chat.update", ts=post.result["ts"])[-1].args["blocks"]
    assert "actions" not in [b["type"] for b in expired]
    assert expired[-1]["elements"][0]["text"].startswith(":hourglass: Expired <!date^")
    bot.click(1, ONCALL)  # after the deadline
    slack.wait_call("chat.postEphemeral", user=ONCALL)
    assert ephemerals(slack, ONCALL) == ["This request is already expired; nothing more happens."]
    assert bot.tools["ssh"].calls == []
    assert audit_kinds(bot) == [("proposed", ASKER), ("expired", "halops")]
    assert bot.audit.recent(1)[0].state == "expired"


def test_a_click_after_the_deadline_expires_the_request_even_before_the_timer(
    make_bot, slack
) -> None:
    bot = make_bot(reboot_script("Too late."))
    thread = bot.mention("reboot pve01")
    bot.approval_messages(thread)
    # The conversation is parked (the request was registered before its message was posted).
    bot.deps.approvals.clock = lambda: time.time() + 3600  # the click arrives an hour later
    bot.click(1, ONCALL)
    assert bot.answer(thread)["text"] == "Too late."
    slack.wait_call("chat.postEphemeral", user=ONCALL)
    assert ephemerals(slack, ONCALL) == [
        "This request has expired; nothing ran. Ask again if it is still needed."
    ]
    assert bot.tools["ssh"].calls == []
    assert bot.deps.approvals.store.get(1).state == "expired"


def test_double_click_retry_and_second_approver_execute_once(make_bot, slack) -> None:
    bot = make_bot(reboot_script(), approvers=frozenset({ONCALL, GROUP_MEMBER}))
    thread = bot.mention("reboot pve01")
    bot.approval_messages(thread)
    clicks = [threading.Thread(target=bot.click, args=(1, ONCALL)) for _ in range(4)]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    bot.answer(thread)
    bot.click(1, ONCALL)  # Slack's retried delivery of the same click
    bot.click(1, GROUP_MEMBER)  # a second approver, a moment later
    slack.wait_call("chat.postEphemeral", count=5)
    assert bot.tools["ssh"].calls == [{"host": "pve01", "command": "reboot"}]
    assert [k for k, _ in audit_kinds(bot)].count("approved") == 1
    assert len(ephemerals(slack, ONCALL)) == 4 and len(ephemerals(slack, GROUP_MEMBER)) == 1
    assert set(ephemerals(slack, ONCALL) + ephemerals(slack, GROUP_MEMBER)) <= {
        "Someone else decided this request first; nothing more happens.",
        "This request is already approved; nothing more happens.",
        "This request is already executed; nothing more happens.",
    }


def test_restart_with_a_pending_approval_never_executes(make_bot, slack, tmp_path) -> None:
    before = make_bot(reboot_script("Nothing ran."))
    thread = before.mention("reboot pve01")
    [post] = before.approval_messages(thread)
    # The stand-in records the post before the bot stores the message's ts: wait for the store,
    # or recovery below would find no message to update.
    before.message_ts(1)
    # A new process on the same database: startup recovery cancels the orphaned request.
    after = make_bot({})
    assert after.deps.approvals.store.get(1).state == "cancelled"
    cancelled = slack.of("chat.update", ts=post.result["ts"])[-1].args["blocks"]
    assert "actions" not in [b["type"] for b in cancelled]
    assert cancelled[-1]["elements"][0]["text"].startswith(":no_entry_sign: Cancelled: the bot")
    after.click(1, ONCALL)
    slack.wait_call("chat.postEphemeral", user=ONCALL)
    assert ephemerals(slack, ONCALL) == ["This request is already cancelled; nothing more happens."]
    assert before.tools["ssh"].calls == [] and after.tools["ssh"].calls == []
    kinds = audit_kinds(after)
    assert kinds == [("proposed", ASKER), ("cancelled", "halops")]
    # The old process's conversation, if it were still alive, learns that nothing ran.
    before.deps.approvals.shutdown()
    assert before.answer(thread)["text"] == "Nothing ran."
    assert before.tools["ssh"].calls == []


def test_click_on_an_orphaned_request_cancels_it(make_bot, slack, tmp_path) -> None:
    bot = make_bot({})
    # A pending row no conversation in this process waits for (written by an older process
    # after this one's startup recovery ran).
    store = ApprovalStore(tmp_path / "audit.sqlite")
    store.create(
        verdict_id=0,
        conversation_id=f"slack:{CHANNEL}:1.0",
        channel=CHANNEL,
        thread_ts="1.0",
        message_ts="1.5",
        requester=ASKER,
        tool="ssh",
        transport="ssh",
        host="pve01",
        command="reboot",
        rule_id="power.shutdown_reboot",
        reason="reboot of the host",
        created_at=time.time(),
        deadline=time.time() + 600,
    )
    bot.click(1, ONCALL)
    slack.wait_call("chat.postEphemeral", user=ONCALL)
    assert ephemerals(slack, ONCALL) == [
        "The bot restarted and this conversation is gone; nothing ran. Ask again."
    ]
    assert bot.deps.approvals.store.get(1).state == "cancelled"
    [update] = slack.of("chat.update", ts="1.5")
    assert "Cancelled" in update.args["blocks"][-1]["elements"][0]["text"]
    store.close()


def test_restart_after_the_deadline_records_expiry(slack, tmp_path, monkeypatch) -> None:
    store = ApprovalStore(tmp_path / "audit.sqlite")
    store.create(
        verdict_id=0,
        conversation_id=f"slack:{CHANNEL}:1.0",
        channel=CHANNEL,
        thread_ts="1.0",
        message_ts="1.5",
        requester=ASKER,
        tool="ssh",
        transport="ssh",
        host="pve01",
        command="reboot",
        rule_id="power.shutdown_reboot",
        reason="reboot of the host",
        created_at=time.time() - 1000,
        deadline=time.time() - 100,
    )
    store.close()
    bot = start_bot(slack, tmp_path / "audit.sqlite", {}, monkeypatch)
    try:
        assert bot.deps.approvals.store.get(1).state == "expired"
        [update] = slack.of("chat.update", ts="1.5")
        assert update.args["blocks"][-1]["elements"][0]["text"].startswith(":hourglass: Expired")
    finally:
        from tests.bot.slack.conftest import stop_bot

        stop_bot(bot)


class FlakyGroups:
    """usergroups.users.list that fails first, then answers; counts calls."""

    def __init__(self) -> None:
        self.calls = 0

    def usergroups_users_list(self, usergroup: str):
        from slack_sdk.errors import SlackApiError

        self.calls += 1
        if self.calls == 1:
            raise SlackApiError("ratelimited", {"ok": False, "error": "ratelimited"})
        return {"ok": True, "users": [GROUP_MEMBER]}


def test_group_lookup_failure_grants_nothing_and_members_are_cached() -> None:
    from bot.slack.approvals import ApproverPolicy
    from tests.bot.slack.conftest import bot_config

    client = FlakyGroups()
    now = [1000.0]
    policy = ApproverPolicy(bot_config().approvals, client, clock=lambda: now[0])  # type: ignore[arg-type]
    assert policy.refusal(GROUP_MEMBER, ASKER) is not None  # lookup failed: fail closed
    assert policy.refusal(GROUP_MEMBER, ASKER) is None
    assert policy.refusal(GROUP_MEMBER, ASKER) is None
    assert client.calls == 2  # the second answer is cached
    now[0] += 301  # group_cache_s is 300
    assert policy.refusal(GROUP_MEMBER, ASKER) is None and client.calls == 3


def test_requests_can_go_to_the_on_call_channel(make_bot, slack) -> None:
    bot = make_bot(reboot_script("Rebooted."), channel="CONCALL")
    thread = bot.mention("reboot pve01")
    [post] = slack.wait_call("chat.postMessage", channel="CONCALL")
    assert "thread_ts" not in post.args  # a top-level message the on-call sees
    assert post.args["blocks"][1]["fields"][2]["text"] == f"*Asked by*\n<@{ASKER}> in <#{CHANNEL}>"
    body = standin.block_actions_body(
        "halops_approve", "1", ONCALL, "CONCALL", post.result["ts"], slack.response_url
    )
    assert bot.post(body, standin.FORM)[0] == 200
    assert bot.answer(thread)["text"] == "Rebooted."
    assert bot.tools["ssh"].calls == [{"host": "pve01", "command": "reboot"}]
    [*_, last] = slack.of("chat.update", channel="CONCALL")
    assert last.args["ts"] == post.result["ts"]


def test_a_pending_approval_holds_no_worker(make_bot, slack) -> None:
    # One worker: were the parked reboot holding it, the approver's question would wait for
    # the request to expire (15 minutes).
    bot = make_bot({**reboot_script("Rebooted."), "is pve01 up?": ["Yes."]}, workers=1)
    thread = bot.mention("reboot pve01")
    bot.approval_messages(thread)
    question = bot.mention("is pve01 up?", user=ONCALL)
    assert bot.answer(question)["text"] == "Yes."
    assert bot.deps.approvals.store.get(1).state == "pending"
    bot.click(1, ONCALL)
    assert bot.answer(thread)["text"] == "Rebooted."
    assert bot.tools["ssh"].calls == [{"host": "pve01", "command": "reboot"}]


def test_requests_past_the_per_user_limit_are_withheld_and_audited(make_bot, slack) -> None:
    reboot_two = format_tool_call("ssh", {"host": "pve02", "command": "reboot"})
    bot = make_bot(
        {**reboot_script(), "reboot pve02": [reboot_two, "Not asked."]}, max_pending_per_user=1
    )
    first = bot.mention("reboot pve01")
    bot.approval_messages(first)
    second = bot.mention("reboot pve02")
    assert bot.answer(second)["text"] == "Not asked."
    observation = bot.model.seen["reboot pve02"][1][-1]["content"]
    assert "not put to an approver (1 earlier requests of yours are still waiting" in observation
    assert not [c for c in slack.of("chat.postMessage") if "pve02" in str(c.args.get("text"))]
    [entry] = [e for e in bot.audit.recent(5) if e.host == "pve02"]
    [event] = bot.audit.events(entry.id)
    assert (event.kind, event.detail["reason"]) == (
        "cancelled",
        "1 earlier requests of yours are still waiting for an approver",
    )
    # Another person's request is not affected by ASKER's limit.
    bot.click(1, ONCALL, approve=False)
    bot.answer(first)


def test_shutdown_cancels_parked_requests_and_tells_their_threads(make_bot, slack) -> None:
    bot = make_bot(reboot_script())
    thread = bot.mention("reboot pve01")
    bot.approval_messages(thread)
    status_ts = bot.status_ts(thread)
    slack.wait_call("chat.update", ts=status_ts, text="Waiting for an approver…")
    bot.deps.conversations.shutdown(grace_s=1)
    slack.wait_call("chat.update", ts=status_ts, text=STOPPED_TEXT)
    assert bot.deps.approvals.store.get(1).state == "cancelled"
    assert audit_kinds(bot) == [("proposed", ASKER), ("cancelled", "halops")]
    assert bot.tools["ssh"].calls == []


def test_a_click_must_come_from_the_requests_own_message(make_bot, slack) -> None:
    bot = make_bot(
        {
            **reboot_script("Rebooted pve01."),
            "reboot pve02": [format_tool_call("ssh", {"host": "pve02", "command": "reboot"}), "x"],
        }
    )
    first = bot.mention("reboot pve01")
    second = bot.mention("reboot pve02")
    bot.approval_messages(first)
    bot.approval_messages(second)
    ids = {a.host: a.id for a in bot.deps.approvals.store.in_state("pending")}
    # An approver clicks Approve on pve02's message, but the button carries pve01's id.
    body = standin.block_actions_body(
        "halops_approve",
        str(ids["pve01"]),
        ONCALL,
        CHANNEL,
        bot.message_ts(ids["pve02"]),
        slack.response_url,
    )
    assert bot.post(body, standin.FORM)[0] == 200
    slack.wait_call("chat.postEphemeral", user=ONCALL)
    assert ephemerals(slack, ONCALL) == [
        "This button is not on the message of that request; nothing happened."
    ]
    assert {a.state for a in bot.deps.approvals.store.in_state("pending")} == {"pending"}
    assert len(bot.deps.approvals.store.in_state("pending")) == 2
    # Its own message approves it.
    bot.click(ids["pve01"], ONCALL)
    assert bot.answer(first)["text"] == "Rebooted pve01."
    assert bot.tools["ssh"].calls == [{"host": "pve01", "command": "reboot"}]
    [refusal] = [e for e in bot.audit.refusals(5) if e.detail.get("approval_id") == ids["pve01"]]
    assert refusal.actor == ONCALL and refusal.detail["message_ts"] == bot.message_ts(ids["pve02"])
    bot.click(ids["pve02"], ONCALL, approve=False)
    bot.answer(second)


@pytest.mark.parametrize("value", ["999", "1; DROP TABLE approvals", "-1", "", "1" * 40, "٣"])
def test_unknown_and_tampered_ids_are_refused_and_audited(make_bot, slack, value) -> None:
    bot = make_bot(reboot_script())
    thread = bot.mention("reboot pve01")
    bot.approval_messages(thread)
    body = standin.block_actions_body(
        "halops_approve", value, ONCALL, CHANNEL, bot.message_ts(1), slack.response_url
    )
    assert bot.post(body, standin.FORM)[0] == 200
    slack.wait_call("chat.postEphemeral", user=ONCALL)
    assert ephemerals(slack, ONCALL) == ["I do not know this approval request."]
    [refusal] = bot.audit.refusals(5)
    assert (refusal.verdict_id, refusal.actor) == (None, ONCALL)
    assert refusal.detail["value"] == value[:100]
    assert bot.deps.approvals.store.get(1).state == "pending" and bot.tools["ssh"].calls == []
    bot.click(1, ONCALL, approve=False)
    bot.answer(thread)


def test_refused_clicks_of_people_are_in_the_audit(make_bot, slack) -> None:
    bot = make_bot(reboot_script())
    thread = bot.mention("reboot pve01")
    bot.approval_messages(thread)
    bot.click(1, STRANGER)
    bot.click(1, ASKER)
    slack.wait_call("chat.postEphemeral", count=2)
    assert audit_kinds(bot) == [("proposed", ASKER), ("refused", STRANGER), ("refused", ASKER)]
    reasons = {e.actor: e.detail["reason"] for e in bot.audit.refusals(2)}
    assert reasons == {
        STRANGER: "You are not an approver for HALops commands; ask the on-call.",
        ASKER: "You asked for this command, so someone else has to approve it.",
    }
    bot.click(1, ONCALL, approve=False)
    bot.answer(thread)


def test_an_approved_command_whose_result_never_came_back_is_interrupted(
    make_bot, slack, tmp_path
) -> None:
    before = make_bot(reboot_script())
    thread = before.mention("reboot pve01")
    before.approval_messages(thread)
    # The bot dies between the approval and the command's result: the store says approved.
    store = before.deps.approvals.store
    assert store.transition(1, "pending", "approved", decided_by=ONCALL, decided_at=time.time())
    after = make_bot({})
    assert after.deps.approvals.store.get(1).state == "interrupted"
    assert audit_kinds(after)[-1] == ("interrupted", "halops")


def test_an_approval_that_cannot_be_posted_runs_nothing_and_frees_its_slot(make_bot, slack):
    import urllib.error

    bot = make_bot(
        {**reboot_script("Could not ask."), "again": [REBOOT, "Asked."]}, max_pending_per_user=1
    )
    post = bot.deps.client.chat_postMessage
    failed: list[str] = []

    def unreachable_for_approvals(**kwargs):
        if str(kwargs.get("text", "")).startswith("Approval needed") and not failed:
            failed.append(kwargs["text"])
            raise urllib.error.URLError("Slack is unreachable")
        return post(**kwargs)

    bot.deps.client.chat_postMessage = unreachable_for_approvals
    thread = bot.mention("reboot pve01")
    assert bot.answer(thread)["text"] == "Could not ask."
    assert bot.deps.approvals.store.get(1).state == "cancelled"
    assert bot.tools["ssh"].calls == []
    # The failed request holds no slot of the asker's pending limit (1).
    again = bot.mention("again")
    bot.approval_messages(again)
    bot.click(2, ONCALL, approve=False)
    assert bot.answer(again)["text"] == "Asked."
