"""Constrained decoding: a GBNF grammar under which every reply is an answer or readable calls.

llama.cpp's server takes a `grammar` per request (sent through the openai client's
`extra_body`); its sampler then masks every token that would leave the grammar. The grammar
admits exactly two shapes of reply, the two the model was trained to write
(`halops.contract.toolcall`):

- an answer: prose that never contains ``<t`` (so it cannot open a ``<tool_call>`` block that
  the parser would then fail to read);
- optional prose, then one or more ``<tool_call>`` blocks, each holding one JSON object that is
  valid for one of the offered tools: the name is one of theirs, the arguments follow the tool's
  JSON schema, and ``host`` is one of the inventory names that allow that tool's transport.
  Keys come in the order the tool declares them (required first), which is the order the
  training data writes them in; the converter fixes an order so the grammar stays small.

The JSON part is not written by hand: each tool's call schema goes through llama.cpp's own
JSON-schema-to-GBNF converter as shipped in llama-cpp-python (`json_schema_to_gbnf`), and only
the few lines around it (prose, block tags) are ours.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.agent.config import AgentConfig
from bot.safety.inventory import Inventory
from halops.contract.toolcall import TOOL_CALL_CLOSE, TOOL_CALL_OPEN
from halops.contract.tools import AGENT_TOOL_SPECS, SEARCH_RUNBOOKS_SPEC, ToolSpec

# Rule that the converter names its top-level schema; renamed so our own root can wrap it.
_CONVERTER_ROOT = "root"
CALL_JSON_RULE = "halops-call-json"
# A reference to the root rule, outside string literals and character classes.
_ROOT_REFERENCE = re.compile(rf"(?<![\w-]){_CONVERTER_ROOT}(?![\w-])")
_LITERALS = re.compile(r'"(?:[^"\\]|\\.)*"|\[(?:[^\]\\]|\\.)*\]')

# Prose is any text without "<t": a "<" must be followed by a character other than "t" or
# "<" (so "<<tool_call>" cannot slip through either). Answers lose almost nothing by this,
# and a reply can then never hold a half-written tool-call block.
_OPEN, _CLOSE = json.dumps(TOOL_CALL_OPEN + "\n"), json.dumps("\n" + TOOL_CALL_CLOSE)
_ROOT_ANSWER_OR_CALLS = "root ::= halops-prose | halops-prose? halops-calls\n"
_ROOT_CALLS = "root ::= halops-calls\n"
_FRAME = f"""halops-prose ::= ( [^<] | "<"+ [^<t] )+
halops-calls ::= halops-call ( "\\n" halops-call )*
halops-call ::= {_OPEN} {CALL_JSON_RULE} {_CLOSE}
"""


def call_schema(spec: ToolSpec, hosts: Sequence[str] | None) -> dict[str, Any]:
    """JSON schema of one `{"name": ..., "arguments": {...}}` object for `spec`.

    `hosts` (when the tool takes a `host`) replaces the free string with the inventory names
    that allow the tool's transport.
    """
    parameters = json.loads(json.dumps(spec.parameters))  # a deep copy we may change
    properties = parameters.get("properties", {})
    if "host" in properties and hosts is not None:
        properties["host"] = {
            "type": "string",
            "enum": sorted(hosts),
            "description": properties["host"].get("description", ""),
        }
    return {
        "type": "object",
        "properties": {"name": {"const": spec.name}, "arguments": parameters},
        "required": ["name", "arguments"],
        "additionalProperties": False,
    }


def offered_schemas(
    specs: Iterable[ToolSpec], hosts_by_transport: Mapping[str, Sequence[str]]
) -> list[dict[str, Any]]:
    """The call schemas of the tools a model can actually use: a tool whose `host` has no
    inventory name left is not offered (no call to it could pass the host allowlist)."""
    schemas = []
    for spec in sorted(specs, key=lambda s: s.name):
        takes_host = "host" in spec.parameters.get("properties", {})
        hosts = hosts_by_transport.get(spec.transport) if takes_host else None
        if takes_host and not hosts:
            continue
        schemas.append(call_schema(spec, hosts))
    return schemas


def tool_call_grammar(
    specs: Iterable[ToolSpec],
    hosts_by_transport: Mapping[str, Sequence[str]],
    require_call: bool = False,
) -> str:
    """The GBNF grammar (root rule `root`) for replies to a model offered `specs`;
    `require_call` admits calls only, no prose (OpenAI's `tool_choice: "required"`)."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    schemas = offered_schemas(specs, hosts_by_transport)
    if not schemas:
        raise ValueError("no tool can be offered: every tool needs a host and none is listed")
    union = schemas[0] if len(schemas) == 1 else {"oneOf": schemas}
    converted = _strict_json_strings(json_schema_to_gbnf(json.dumps(union)))
    root = _ROOT_CALLS if require_call else _ROOT_ANSWER_OR_CALLS
    return root + _FRAME + _rename_root(converted)


# The converter llama-cpp-python ships lets a JSON string hold raw control characters (a
# newline, say), which JSON forbids and `json.loads` rejects: the base model wrote a raw
# newline into a command and the "call" ran on through "\n</tool_call>" inside its string.
# llama.cpp's current converter excludes them; this applies its rule to the shipped one.
_LOOSE_CHAR = 'char ::= [^"\\\\] |'
_STRICT_CHAR = 'char ::= [^"\\\\\\x7F\\x00-\\x1F] |'


def _strict_json_strings(converted: str) -> str:
    """The converter's grammar with JSON's own string characters (no raw control
    characters); fails loudly if the converter's string rule is not the one this expects."""
    lines = converted.splitlines()
    chars = [i for i, line in enumerate(lines) if line.startswith("char ::= ")]
    if not chars:
        return converted  # no string in any schema: nothing to tighten
    if len(chars) != 1 or not lines[chars[0]].startswith(_LOOSE_CHAR):
        raise ValueError(f"unexpected JSON string rule from the converter: {lines[chars[0]]!r}")
    lines[chars[0]] = _STRICT_CHAR + lines[chars[0]][len(_LOOSE_CHAR) :]
    return "\n".join(lines) + "\n"


def _rename_root(converted: str) -> str:
    """The converter's rules with its `root` renamed; the converter never refers back to its
    root rule, which this checks rather than assumes."""
    renamed = []
    for line in converted.splitlines():
        name, _, body = line.partition(" ::= ")
        if _ROOT_REFERENCE.search(_LITERALS.sub(" ", body)):
            raise ValueError(f"converter rule {name!r} refers to its root rule")
        renamed.append(f"{CALL_JSON_RULE} ::= {body}" if name == _CONVERTER_ROOT else line)
    return "\n".join(renamed) + "\n"


# --- from the agent's config -----------------------------------------------------------------


def hosts_by_transport(inventory: Inventory) -> dict[str, list[str]]:
    """Inventory names per transport: what a call's `host` may be."""
    transports = {t for host in inventory.hosts for t in host.transports}
    return {t: [h.name for h in inventory.hosts if h.allows(t)] for t in sorted(transports)}


def offered_specs(cfg: AgentConfig) -> list[ToolSpec]:
    """The tools the agent built from `cfg` offers: the enabled transports, and search_runbooks
    when the runbook index exists (as `bot.agent.wiring.build_tool_set` decides)."""
    enabled = set(cfg.tools.get("enabled", [s.name for s in AGENT_TOOL_SPECS]))
    specs = [s for s in AGENT_TOOL_SPECS if s.transport != "local" and s.name in enabled]
    if Path(cfg.retrieval["db_dir"]).exists():
        specs.append(SEARCH_RUNBOOKS_SPEC)
    return specs


def agent_grammar(cfg: AgentConfig, specs: Iterable[ToolSpec] | None = None) -> str | None:
    """The grammar for the agent of `cfg` (its tools, or `specs`), or None when switched off."""
    if not cfg.tool_call_grammar:
        return None
    inventory = Inventory.from_yaml(cfg.inventory)
    chosen = list(specs) if specs is not None else offered_specs(cfg)
    return tool_call_grammar(chosen, hosts_by_transport(inventory))


# --- checking text against a grammar with llama.cpp's own sampler ------------------------------


class GrammarAcceptor:
    """Whether llama.cpp's grammar sampler would let a model write `text`.

    The text is tokenized with the model's vocabulary (loaded alone, without weights) and fed
    token by token through `llama_sampler_init_grammar`, exactly as sampling does: a token the
    grammar forbids gets a logit of -inf. A complete reply must also allow end-of-generation
    afterwards. Any tokenization of the same text gives the same verdict, since the grammar
    works on the characters the tokens spell.
    """

    def __init__(self, gguf: Path, grammar: str, root: str = "root") -> None:
        from llama_cpp import Llama

        self._llm = Llama(model_path=str(gguf), vocab_only=True, verbose=False)
        self.grammar, self.root = grammar, root
        self._free(self._new_sampler())  # a grammar llama.cpp cannot parse fails here

    def accepts(self, text: str, complete: bool = True) -> bool:
        """True when every token of `text` is allowed in turn and, if `complete`, the
        grammar may end there; False for the first forbidden token."""
        tokens = self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        eos = self._llm.token_eos()
        sampler = self._new_sampler()
        try:
            for token in tokens:
                if not self._allowed(sampler, token):
                    return False
                self._accept(sampler, token)
            return not complete or self._allowed(sampler, eos)
        finally:
            self._free(sampler)

    def _new_sampler(self) -> Any:
        import llama_cpp

        vocab = self._llm._model.vocab
        sampler = llama_cpp.llama_sampler_init_grammar(
            vocab, self.grammar.encode("utf-8"), self.root.encode("utf-8")
        )
        if not sampler:
            raise ValueError("llama.cpp could not parse the grammar (see its log above)")
        return sampler

    @staticmethod
    def _allowed(sampler: Any, token: int) -> bool:
        import ctypes

        import llama_cpp

        data = (llama_cpp.llama_token_data * 1)(llama_cpp.llama_token_data(token, 0.0, 0.0))
        candidates = llama_cpp.llama_token_data_array(data, 1, -1, False)
        llama_cpp.llama_sampler_apply(sampler, ctypes.byref(candidates))
        return data[0].logit != float("-inf")

    @staticmethod
    def _accept(sampler: Any, token: int) -> None:
        import llama_cpp

        llama_cpp.llama_sampler_accept(sampler, token)

    @staticmethod
    def _free(sampler: Any) -> None:
        import llama_cpp

        llama_cpp.llama_sampler_free(sampler)
