"""The tool-call text format: what training renders is exactly what the agent parses back."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from halops.contract.toolcall import (
    ParsedReply,
    ToolCall,
    format_tool_call,
    parse_tool_calls,
    render_messages_for_training,
    tool_signature,
    tools_system_prompt,
)
from halops.contract.tools import AGENT_TOOL_SPECS, agent_tools_openai

RUN_COMMAND = {
    "type": "function",
    "function": {
        "name": "run_command",
        "description": "Run a shell command on a lab host.",
        "parameters": {
            "type": "object",
            "properties": {"host": {"type": "string"}, "command": {"type": "string"}},
            "required": ["host", "command"],
        },
    },
}


def openai_call(call_id: str, name: str, arguments: dict) -> dict:
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


def conversation() -> list[dict]:
    return [
        {"role": "system", "content": "You are HAL."},
        {"role": "user", "content": "Uptime of pve01 and nas01?"},
        {
            "role": "assistant",
            "content": "Checking both.",
            "tool_calls": [
                openai_call("a", "run_command", {"host": "pve01", "command": "uptime"}),
                openai_call("b", "run_command", {"host": "nas01", "command": "uptime"}),
            ],
        },
        {"role": "tool", "tool_call_id": "a", "name": "run_command", "content": "up 41 days"},
        {"role": "tool", "tool_call_id": "b", "name": "run_command", "content": "up 12 days"},
        {"role": "assistant", "content": "pve01: 41 days, nas01: 12 days."},
    ]


def test_render_is_text_only_chat() -> None:
    rendered = render_messages_for_training(conversation())
    assert [m["role"] for m in rendered] == ["system", "user", "assistant", "user", "assistant"]
    assert all(set(m) == {"role", "content"} for m in rendered)
    assert rendered[2]["content"] == (
        "Checking both.\n"
        "<tool_call>\n"
        '{"name": "run_command", "arguments": {"host": "pve01", "command": "uptime"}}\n'
        "</tool_call>\n"
        "<tool_call>\n"
        '{"name": "run_command", "arguments": {"host": "nas01", "command": "uptime"}}\n'
        "</tool_call>"
    )
    # Parallel results answer one assistant turn: one user message, one block per result.
    assert rendered[3]["content"] == (
        "<tool_response>\nup 41 days\n</tool_response>\n"
        "<tool_response>\nup 12 days\n</tool_response>"
    )


def test_round_trip_render_then_parse() -> None:
    source = conversation()[2]
    rendered = render_messages_for_training([source])[0]["content"]
    parsed = parse_tool_calls(rendered)
    assert parsed.content == "Checking both."
    assert parsed.errors == []
    assert [call.to_openai()["function"] for call in parsed.calls] == [
        {"name": c["function"]["name"], "arguments": c["function"]["arguments"]}
        for c in source["tool_calls"]
    ]
    assert [call.id for call in parsed.calls] == ["call_0", "call_1"]


def test_tool_call_without_prose_renders_only_blocks() -> None:
    message = {"role": "assistant", "content": None, "tool_calls": [openai_call("x", "f", {})]}
    content = render_messages_for_training([message])[0]["content"]
    assert content == format_tool_call("f", {})
    assert parse_tool_calls(content) == ParsedReply("", [ToolCall("f", {}, "call_0")], [])


def test_tools_prompt_joins_existing_system_message() -> None:
    rendered = render_messages_for_training(conversation(), tools=[RUN_COMMAND])
    system = rendered[0]["content"]
    assert system.startswith("You are HAL.\n\n# Tools\n<tools>\n")
    assert "\nrun_command(host, command) - Run a shell command on a lab host.\n</tools>" in system
    assert len(rendered) == 5


def test_tools_prompt_creates_system_message_and_accepts_bare_functions() -> None:
    messages = [{"role": "user", "content": "hi"}]
    rendered = render_messages_for_training(messages, tools=[RUN_COMMAND["function"]])
    assert rendered[0] == {"role": "system", "content": tools_system_prompt([RUN_COMMAND])}
    assert rendered[1] == {"role": "user", "content": "hi"}


def test_render_refuses_non_json_arguments() -> None:
    bad = {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "f"}}]}
    bad["tool_calls"][0]["function"]["arguments"] = "{not json"
    with pytest.raises(ValueError, match="message 1: tool call arguments are not JSON"):
        render_messages_for_training([{"role": "user", "content": "x"}, bad])


def test_plain_text_has_no_calls() -> None:
    assert parse_tool_calls("  All good.  ") == ParsedReply("All good.", [], [])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<tool_call>\n{not json}\n</tool_call>", "invalid JSON"),
        ('<tool_call>\n["run_command"]\n</tool_call>', 'non-empty string "name"'),
        ('<tool_call>\n{"name": ""}\n</tool_call>', 'non-empty string "name"'),
        ('<tool_call>\n{"name": "f", "arguments": [1]}\n</tool_call>', "must be a JSON object"),
        ('<tool_call>\n{"name": "f", "arguments": "{oops"}\n</tool_call>', "string that is not"),
        ('<tool_call>\n{"name": "f", "arguments": {}', "unterminated"),
    ],
)
def test_malformed_calls_become_errors(text: str, reason: str) -> None:
    parsed = parse_tool_calls("Let me check.\n" + text)
    assert parsed.calls == []
    assert len(parsed.errors) == 1
    assert reason in parsed.errors[0].reason
    assert parsed.content == "Let me check."


def test_good_calls_survive_a_bad_neighbour() -> None:
    text = (
        format_tool_call("a", {"x": 1})
        + "\n<tool_call>\n{broken\n</tool_call>\n"
        + format_tool_call("b", {})
    )
    parsed = parse_tool_calls(text)
    assert [(c.name, c.arguments, c.id) for c in parsed.calls] == [
        ("a", {"x": 1}, "call_0"),
        ("b", {}, "call_1"),
    ]
    assert [e.raw for e in parsed.errors] == ["{broken"]


# Text a command may carry inside its JSON string: the block's own tags among it.
TAG_TEXT = st.text(
    alphabet=st.sampled_from(list("<>/_ abcdelot'\"\\\n")), max_size=40
) | st.sampled_from(
    ["</tool_call>", "<tool_call>", "echo '</tool_call>'", "}}</tool_call>x", "\n</tool_call>\n"]
)


@given(command=TAG_TEXT, prose=st.text(alphabet="ab .", max_size=10))
def test_a_tag_inside_a_json_string_does_not_close_the_block(command: str, prose: str) -> None:
    """The block is one JSON object read with JSON's grammar: `</tool_call>` (or a second
    `<tool_call>`) inside the command's string is part of the command."""
    text = prose + format_tool_call("ssh", {"host": "pve01", "command": command}) + prose
    parsed = parse_tool_calls(text)
    assert [(c.name, c.arguments) for c in parsed.calls] == [
        ("ssh", {"host": "pve01", "command": command})
    ]
    assert parsed.errors == []


@given(command=TAG_TEXT, cut=st.integers(min_value=0))
def test_a_call_cut_short_is_unterminated_never_misread(command: str, cut: int) -> None:
    """Whatever prefix of a well-formed block the text ends with (a reply stopped by its token
    budget), the block is reported unterminated: never a call, never another error."""
    block = format_tool_call("ssh", {"host": "pve01", "command": command})
    prefix = block[: len("<tool_call>") + cut % (len(block) - len("<tool_call>"))]
    parsed = parse_tool_calls("Checking.\n" + prefix)
    assert parsed.calls == []
    assert [e.reason for e in parsed.errors] == ["unterminated <tool_call> block"]
    assert parsed.content == "Checking."


def test_a_string_left_open_past_a_closing_tag_is_cut_not_unreadable() -> None:
    """Seen in the eval (base model, grammar on): the command's string swallows the closing
    tag and the reply's token budget ends inside it. That block never closed."""
    text = (
        'Pure.\n<tool_call>\n{"name": "ssh", "arguments": {"host": "pve02", "command": '
        "\"echo -n 168,534 | echo 'S'}}</tool_call>You can use the command to check"
    )
    parsed = parse_tool_calls(text)
    assert parsed.calls == []
    assert [e.reason for e in parsed.errors] == ["unterminated <tool_call> block"]
    assert parsed.content == "Pure."


@pytest.mark.parametrize(
    ("text", "reason", "content"),
    [
        # A syntax error before the tag: the block runs to the tag, prose resumes after it.
        (
            '<tool_call>\n{"name": "f", "arguments": {"a": 1)}}\n</tool_call> after',
            "invalid",
            "after",
        ),
        # Text between the object and its tag.
        (
            '<tool_call>\n{"name": "f", "arguments": {}} extra\n</tool_call> after',
            "Extra data",
            "after",
        ),
        # A syntax error and no tag at all.
        ('<tool_call>\n{"name": "f", "arguments": {"a": 1)}} after', "unterminated", ""),
        # An object and no tag.
        ('<tool_call>\n{"name": "f", "arguments": {}}\nafter', "unterminated", ""),
    ],
)
def test_blocks_that_are_not_one_object_and_its_tag(text: str, reason: str, content: str) -> None:
    parsed = parse_tool_calls("Before. " + text)
    assert parsed.calls == []
    assert len(parsed.errors) == 1 and reason in parsed.errors[0].reason
    assert parsed.content.split() == ("Before. " + content).split()


def test_double_encoded_arguments_are_accepted() -> None:
    text = '<tool_call>\n{"name": "f", "arguments": "{\\"host\\": \\"pve01\\"}"}\n</tool_call>'
    assert parse_tool_calls(text).calls == [ToolCall("f", {"host": "pve01"}, "call_0")]


@pytest.mark.parametrize(
    ("parameters", "signature"),
    [
        ({}, "f() - Does f."),
        ({"properties": {"a": {"type": "string"}}, "required": ["a"]}, "f(a) - Does f."),
        ({"properties": {"a": {"type": "string"}}}, "f(a?) - Does f."),
        ({"properties": {"n": {"type": "integer"}}, "required": ["n"]}, "f(n: integer) - Does f."),
        ({"properties": {"b": {"type": "boolean"}}}, "f(b?: boolean) - Does f."),
        ({"properties": {"h": {"type": "object"}}}, "f(h?: object) - Does f."),
        (
            {"properties": {"m": {"type": "string", "enum": ["GET", "PUT"], "default": "GET"}}},
            "f(m?) - Does f. m: GET|PUT (default GET).",
        ),
        (
            {"properties": {"k": {"type": "integer", "enum": [1, 2]}}, "required": ["k"]},
            "f(k) - Does f. k: 1|2.",
        ),
    ],
)
def test_tool_signature_for_every_kind_of_parameter(parameters: dict, signature: str) -> None:
    assert tool_signature({"name": "f", "description": "Does f.", "parameters": parameters}) == (
        signature
    )


def test_tool_signature_without_description_has_no_dash() -> None:
    assert tool_signature({"name": "g", "parameters": {}}) == "g()"


@pytest.mark.parametrize("spec", AGENT_TOOL_SPECS, ids=lambda s: s.name)
def test_every_agent_tool_is_one_line_naming_each_argument_and_allowed_value(spec) -> None:
    prompt = tools_system_prompt([spec.to_openai()])
    lines = prompt.splitlines()
    line = lines[lines.index("<tools>") + 1]
    assert line.startswith(f"{spec.name}(") and lines[lines.index("<tools>") + 2] == "</tools>"
    for name, schema in spec.parameters["properties"].items():
        required = name in spec.parameters.get("required", [])
        assert (f"{name}," in line or f"{name})" in line) == required, name
        assert (f"{name}?" in line) != required, name
        for value in schema.get("enum", []):
            assert value in line, (name, value)


def test_tools_prompt_keeps_the_hermes_tags_and_call_example() -> None:
    prompt = tools_system_prompt(agent_tools_openai())
    assert prompt.startswith("# Tools\n<tools>\n") and "\n</tools>\n" in prompt
    example = prompt.split("</tools>\n", 1)[1]
    assert "<tool_call>\n" in example and example.endswith("\n</tool_call>")
    assert [line.split("(")[0] for line in prompt.splitlines()[2:7]] == sorted(
        spec.name for spec in AGENT_TOOL_SPECS
    )
