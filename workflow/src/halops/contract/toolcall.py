"""The one tool-call text format: what the model is trained on is exactly what the agent parses.

Convention (Hermes / Qwen2.5, chosen because small models cannot emit OpenAI tool calls and because
Qwen2.5-Instruct already knows it):

- The available tools are described in the system message (`tools_system_prompt`): one compact
  signature per line inside ``<tools></tools>`` (``ssh(host, command) - Run a command ...``,
  enum values spelled out), derived from the same JSON schemas the agent validates calls with.
  Hermes/Qwen print the whole JSON schema per tool (~140 tokens each); the compact line carries
  what a model needs to write a call (names, optional marks, types other than string, allowed
  values, defaults) in ~30, which keeps a single-turn example within a 512-token window.
- An assistant tool call is plain text in the assistant content, one block per call, after any
  prose::

      <tool_call>
      {"name": "run_command", "arguments": {"host": "pve01", "command": "uptime"}}
      </tool_call>

- A tool result goes back to the model as a **user** message whose content is one
  ``<tool_response>\\n...\\n</tool_response>`` block per result; consecutive results are joined
  into one user message (as Qwen2.5's own template does). The role is ``user``, not ``tool``,
  because many chat templates (Llama 2, Mistral, Gemma) reject unknown roles or require strict
  user/assistant alternation; ``user`` renders in any template.

`render_messages_for_training` turns OpenAI-style messages (``tool_calls`` on assistant messages,
``role: tool`` results) into such text-only messages, and `parse_tool_calls` reads model output
back into calls. Parsing never raises on model output: malformed blocks become `errors`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

TOOL_CALL_OPEN = "<tool_call>"
TOOL_CALL_CLOSE = "</tool_call>"
TOOL_RESPONSE_OPEN = "<tool_response>"
TOOL_RESPONSE_CLOSE = "</tool_response>"

# A block's body is one JSON object, read with the JSON grammar: the first `</tool_call>`
# outside a JSON string closes it (a command may well contain that text inside its string).
_DECODER = json.JSONDecoder()
UNTERMINATED = "unterminated <tool_call> block"

TOOLS_HEADING = "# Tools"
_TOOLS_INSTRUCTIONS = (
    "Call a tool with:\n"
    f"{TOOL_CALL_OPEN}\n"
    '{"name": "<tool>", "arguments": {<arguments as JSON>}}\n'
    f"{TOOL_CALL_CLOSE}"
)


@dataclass(frozen=True)
class ToolCall:
    """One parsed call; `id` is positional (`call_0`, ...) since the text format carries none."""

    name: str
    arguments: dict[str, Any]
    id: str = ""

    def to_openai(self) -> dict[str, Any]:
        """The OpenAI `tool_calls` entry for this call (arguments as a JSON string)."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": json.dumps(self.arguments)},
        }


@dataclass(frozen=True)
class ToolCallError:
    """A `<tool_call>` block that could not be read; `raw` is the block body as written."""

    raw: str
    reason: str


@dataclass(frozen=True)
class ParsedReply:
    """Model output split into prose (`content`) and tool calls, plus unreadable blocks."""

    content: str
    calls: list[ToolCall] = field(default_factory=list)
    errors: list[ToolCallError] = field(default_factory=list)


def tools_system_prompt(tools: list[dict[str, Any]]) -> str:
    """Describe the available tools (OpenAI `tools` entries or bare function dicts)."""
    lines = [tool_signature(_as_tool_entry(tool)["function"]) for tool in tools]
    return "\n".join([TOOLS_HEADING, "<tools>", *lines, "</tools>", _TOOLS_INSTRUCTIONS])


def tool_signature(function: dict[str, Any]) -> str:
    """One tool as one line: `name(required, optional?: type) - description. arg: a|b`."""
    schema = function.get("parameters") or {}
    properties: dict[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    params = [_param(name, spec, name in required) for name, spec in properties.items()]
    notes = [_allowed_values(name, spec) for name, spec in properties.items()]
    head = f"{function['name']}({', '.join(params)})"
    description = (function.get("description") or "").strip()
    parts = [head, "-" if description else "", description, *notes]
    return " ".join(part for part in parts if part)


def _param(name: str, spec: dict[str, Any], required: bool) -> str:
    kind = spec.get("type")
    typed = f": {kind}" if isinstance(kind, str) and kind != "string" and "enum" not in spec else ""
    return f"{name}{'' if required else '?'}{typed}"


def _allowed_values(name: str, spec: dict[str, Any]) -> str:
    if "enum" not in spec:
        return ""
    default = f" (default {spec['default']})" if "default" in spec else ""
    return f"{name}: {'|'.join(map(str, spec['enum']))}{default}."


def format_tool_call(name: str, arguments: dict[str, Any]) -> str:
    """One call as the model writes it."""
    body = json.dumps({"name": name, "arguments": arguments}, ensure_ascii=False)
    return f"{TOOL_CALL_OPEN}\n{body}\n{TOOL_CALL_CLOSE}"


def format_tool_response(content: str) -> str:
    """One tool result as the model reads it."""
    return f"{TOOL_RESPONSE_OPEN}\n{content}\n{TOOL_RESPONSE_CLOSE}"


def render_messages_for_training(
    messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None
) -> list[dict[str, str]]:
    """OpenAI chat messages -> text-only `{"role", "content"}` messages any template renders.

    With `tools`, their description is appended to the system message (one is created if the
    conversation has none). Raises ValueError (naming the message) on a tool call whose
    `arguments` string is not a JSON object: training data is validated upstream, so this is a bug
    in the data, not something to learn from.
    """
    rendered: list[dict[str, str]] = []
    for index, message in enumerate(messages):
        role = message["role"]
        if role == "tool":
            _append_tool_response(rendered, message.get("content") or "")
        elif role == "assistant":
            rendered.append({"role": "assistant", "content": _assistant_text(message, index)})
        else:
            rendered.append({"role": role, "content": message.get("content") or ""})
    return _with_tools_prompt(rendered, tools) if tools else rendered


def parse_tool_calls(text: str) -> ParsedReply:
    """Split model output into prose and `<tool_call>` blocks; never raises on bad blocks.
    A block the text ends inside (the model stopped mid-call) is an unterminated error."""
    calls: list[ToolCall] = []
    errors: list[ToolCallError] = []
    prose: list[str] = []
    position = 0
    while (start := text.find(TOOL_CALL_OPEN, position)) >= 0:
        prose.append(text[position:start])
        body, close = _block_extent(text, start + len(TOOL_CALL_OPEN))
        if close is None:
            errors.append(ToolCallError(body, UNTERMINATED))
            position = len(text)
            break
        call, reason = _read_call(body, f"call_{len(calls)}")
        if call is None:
            errors.append(ToolCallError(body, reason))
        else:
            calls.append(call)
        position = close + len(TOOL_CALL_CLOSE)
    prose.append(text[position:])
    return ParsedReply(content="".join(prose).strip(), calls=calls, errors=errors)


def _block_extent(text: str, begin: int) -> tuple[str, int | None]:
    """The body of the block whose text starts at `begin`, and where its closing tag starts
    (None: the text ends before the block closes)."""
    value_start = len(text) - len(text[begin:].lstrip())
    try:
        _, value_end = _DECODER.raw_decode(text, value_start)
    except json.JSONDecodeError as exc:
        # A string still open at the end of the text: any tag after its quote is inside it.
        # (Other errors leave no tag to find before exc.pos, so the search below decides.)
        if exc.msg.startswith("Unterminated string"):
            return text[begin:].strip(), None
        valid_until = exc.pos  # no tag before the error is outside a string
    else:
        after = len(text) - len(text[value_end:].lstrip())
        if text.startswith(TOOL_CALL_CLOSE, after):
            return text[begin:value_end].strip(), after
        valid_until = value_end
    # Not one JSON object and its tag: the block runs to the next tag, as written.
    close = text.find(TOOL_CALL_CLOSE, valid_until)
    if close < 0:
        return text[begin:].strip(), None
    return text[begin:close].strip(), close


def _as_tool_entry(tool: dict[str, Any]) -> dict[str, Any]:
    # Accept bare {"name", "parameters"} dicts too, so callers need not wrap them.
    return tool if "function" in tool else {"type": "function", "function": tool}


def _assistant_text(message: dict[str, Any], index: int) -> str:
    content = message.get("content") or ""
    blocks = [_call_block(call, index) for call in message.get("tool_calls") or []]
    if not blocks:
        return content
    return "\n".join([content, *blocks]) if content else "\n".join(blocks)


def _call_block(call: dict[str, Any], index: int) -> str:
    function = call.get("function", call)
    arguments = function.get("arguments", {})
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as exc:
            raise ValueError(f"message {index}: tool call arguments are not JSON: {exc}") from exc
    if not isinstance(arguments, dict):
        raise ValueError(f"message {index}: tool call arguments are not a JSON object")
    return format_tool_call(function["name"], arguments)


def _append_tool_response(rendered: list[dict[str, str]], content: str) -> None:
    block = format_tool_response(content)
    previous = rendered[-1] if rendered else None
    # Parallel results answer one assistant turn: keep them in one user message.
    if (
        previous
        and previous["role"] == "user"
        and previous["content"].endswith(TOOL_RESPONSE_CLOSE)
    ):
        previous["content"] += "\n" + block
    else:
        rendered.append({"role": "user", "content": block})


def _with_tools_prompt(
    rendered: list[dict[str, str]], tools: list[dict[str, Any]]
) -> list[dict[str, str]]:
    prompt = tools_system_prompt(tools)
    if rendered and rendered[0]["role"] == "system":
        head = rendered[0]["content"]
        system = {"role": "system", "content": f"{head}\n\n{prompt}" if head else prompt}
        return [system, *rendered[1:]]
    return [{"role": "system", "content": prompt}, *rendered]


def _read_call(body: str, call_id: str) -> tuple[ToolCall | None, str]:
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc.msg} at position {exc.pos}"
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not data["name"]:
        return None, 'expected an object with a non-empty string "name"'
    arguments = data.get("arguments", {})
    if isinstance(arguments, str):
        # Some models double-encode arguments as a JSON string, as the OpenAI API does.
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError:
            return None, '"arguments" is a string that is not JSON'
    if not isinstance(arguments, dict):
        return None, '"arguments" must be a JSON object'
    return ToolCall(name=data["name"], arguments=arguments, id=call_id), ""
