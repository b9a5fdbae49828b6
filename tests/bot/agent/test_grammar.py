"""The tool-call grammar, checked with llama.cpp's own grammar sampler (never a regex): it
accepts every tool call the model is trained on, rejects malformed ones, and whatever it
admits parses into calls valid for one tool on an inventory host of that tool's transport."""

from __future__ import annotations

import ctypes
import dataclasses
import json
import random
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.agent.config import load_agent_config
from bot.agent.grammar import (
    GrammarAcceptor,
    agent_grammar,
    hosts_by_transport,
    offered_specs,
    tool_call_grammar,
)
from bot.agent.model import OpenAIChatModel
from bot.safety.inventory import Inventory
from halops.contract.toolcall import (
    format_tool_call,
    parse_tool_calls,
    render_messages_for_training,
)
from halops.contract.tools import AGENT_TOOL_SPECS
from tests.conftest import REPO, llama_serve_config

llama_cpp = pytest.importorskip("llama_cpp")

INVENTORY = Inventory.from_yaml(REPO / "config" / "inventory.yaml")
HOSTS = hosts_by_transport(INVENTORY)
SPECS = {spec.name: spec for spec in AGENT_TOOL_SPECS}
GRAMMAR = tool_call_grammar(AGENT_TOOL_SPECS, HOSTS)
SAMPLE_SESSIONS = REPO / "workflow" / "resources" / "sessions"


@pytest.fixture(scope="module")
def acceptor() -> GrammarAcceptor:
    from bot.serve import embedded_base_gguf

    try:
        return GrammarAcceptor(embedded_base_gguf(), GRAMMAR)
    except FileNotFoundError as exc:
        pytest.skip(str(exc))


# --- the training data -------------------------------------------------------------------------


def curated_examples(work: Path) -> list[list[dict]]:
    """A small generated sample lab (scripted sessions and shifts) through extract -> qualify
    -> curate, as the rules do."""
    from halops.curate.config import STRATEGIES, CurateConfig
    from halops.curate.pipeline import curate_strategy
    from halops.extract.session import extract_shard
    from halops.extract.sessions import find_sessions
    from halops.qualify import DomainConfig, QualifyConfig, qualify_sessions
    from halops.reach import reach_of_hosts, unreachable_hosts
    from halops.samplegen.corpus import generate_corpus

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    sessions = work / "sessions"
    generate_corpus(sessions, n_sessions=12, seed=3, shifts=24)
    extracted = [work / "extracted.parquet"]
    extract_shard(find_sessions(sessions), sessions, extracted[0], work / "quarantine.jsonl")
    inventory = yaml.safe_load((REPO / "config" / "inventory.yaml").read_text())["hosts"]
    domain = DomainConfig.from_dict(config["domain"], inventory)
    qualify = QualifyConfig.from_dict(config["qualify"])
    qualified = qualify_sessions(extracted, qualify, domain)
    curate = CurateConfig.from_dict(config["curate"])
    examples = []
    for strategy in STRATEGIES:
        frame = curate_strategy(strategy, extracted, qualified, curate)
        examples += [json.loads(messages) for messages in frame["messages"]]
    # validate_split drops what the agent could never call (halops.reach); the rest is trained.
    reach = reach_of_hosts(inventory)
    assert any(unreachable_hosts(m, reach) for m in examples), "the corpus has such calls"
    return [m for m in examples if not unreachable_hosts(m, reach)]


@pytest.fixture(scope="module")
def trained_call_turns(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Every assistant turn with tool calls, rendered exactly as the model is trained on it."""
    turns = []
    for messages in curated_examples(tmp_path_factory.mktemp("curated")):
        for index, message in enumerate(messages):
            if message["role"] == "assistant" and message.get("tool_calls"):
                [rendered] = render_messages_for_training([message])
                turns.append((index, rendered["content"]))
    return [text for _, text in turns]


def test_the_grammar_accepts_every_tool_call_in_the_training_data(
    acceptor: GrammarAcceptor, trained_call_turns: list[str]
) -> None:
    assert len(trained_call_turns) > 50, "the sample lab should yield many tool-call turns"
    rejected = [text for text in trained_call_turns if not acceptor.accepts(text)]
    assert rejected == []
    # Each block alone too (the held-out scoring reads the first call of a turn).
    blocks = [
        format_tool_call(call.name, call.arguments)
        for text in trained_call_turns
        for call in parse_tool_calls(text).calls
    ]
    assert all(acceptor.accepts(block) for block in blocks)


# --- malformed replies -------------------------------------------------------------------------

VALID = format_tool_call("ssh", {"host": "nas01", "command": "zpool status tank"})

MALFORMED = {
    "unknown host": format_tool_call("ssh", {"host": "nas02", "command": "uptime"}),
    "address instead of name": format_tool_call("ssh", {"host": "10.20.0.20", "command": "x"}),
    "BMC over ssh": format_tool_call("ssh", {"host": "bmc-pve01", "command": "uptime"}),
    "host without transports": format_tool_call("ssh", {"host": "fw01", "command": "uptime"}),
    "ssh host over ipmi": format_tool_call("ipmi", {"host": "pve01", "action": "power_status"}),
    "unknown tool": format_tool_call("telnet", {"host": "nas01", "command": "uptime"}),
    "missing required argument": format_tool_call("ssh", {"host": "nas01"}),
    "undeclared argument": format_tool_call("shell", {"command": "ls", "cwd": "/"}),
    "wrong type": format_tool_call("ssh", {"host": "nas01", "command": 7}),
    "value outside the enum": format_tool_call("ipmi", {"host": "bmc-pve01", "action": "nuke"}),
    "boolean as string": format_tool_call(
        "ipmi",
        {"host": "bmc-pve01", "action": "bootdev_set", "bootdev": "hd", "persistent": "yes"},
    ),
    "bad method": format_tool_call("http", {"url": "http://mon01:9090/", "method": "PATCH"}),
    "arguments as a string": '<tool_call>\n{"name": "shell", "arguments": "{}"}\n</tool_call>',
    "unterminated block": VALID.removesuffix("\n</tool_call>"),
    "unterminated JSON": '<tool_call>\n{"name": "ssh", "arguments": {"host": "nas01"',
    "trailing comma": VALID.replace('tank"}', 'tank",}'),
    "single quotes": VALID.replace('"', "'"),
    "prose after the call": VALID + "\nDone.",
    "a tag inside prose": "I will call <tool_call> now.",
    "two calls in one block": VALID.replace("}}\n", "}}, {}\n"),
    # JSON forbids raw control characters in strings (json.loads rejects them); the base model
    # wrote one and its string ran on through the closing tag.
    "raw newline in a string": VALID.replace('tank"', 'tank\n"'),
    "raw tab in a string": VALID.replace('tank"', 'ta\tnk"'),
    "close tag inside an unterminated string": VALID.replace('tank"}}', "tank}}"),
    "empty reply": "",
}


@pytest.mark.parametrize("text", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_replies_are_rejected(acceptor: GrammarAcceptor, text: str) -> None:
    assert not acceptor.accepts(text)


@pytest.mark.parametrize(
    "text",
    [
        "nas01 is healthy: tank is ONLINE with no errors.",
        "Latency < 5 ms; use a <b>bold</b> word if you like.",
        VALID,
        "Checking the pool first.\n" + VALID,
        VALID + "\n" + format_tool_call("ipmi", {"host": "bmc-pve03", "action": "sensors"}),
        format_tool_call("http", {"url": "http://mon01:9090/-/healthy"}),
        format_tool_call("search_runbooks", {"query": "replace a disk in tank"}),
        format_tool_call(
            "ipmi",
            {"host": "bmc-pve02", "action": "bootdev_set", "bootdev": "hd", "persistent": True},
        ),
    ],
)
def test_answers_and_well_formed_calls_are_accepted(acceptor: GrammarAcceptor, text: str) -> None:
    assert acceptor.accepts(text)


def test_a_prefix_of_a_call_is_viable_but_not_complete(acceptor: GrammarAcceptor) -> None:
    half = VALID[: len(VALID) // 2]
    assert acceptor.accepts(half, complete=False) and not acceptor.accepts(half)


def test_require_call_rejects_a_plain_answer(acceptor: GrammarAcceptor) -> None:
    from bot.serve import embedded_base_gguf

    strict = GrammarAcceptor(
        embedded_base_gguf(), tool_call_grammar(AGENT_TOOL_SPECS, HOSTS, require_call=True)
    )
    assert strict.accepts(VALID) and not strict.accepts("It is fine.")
    assert not strict.accepts("Let me look.\n" + VALID)


def test_a_tool_whose_hosts_are_all_gone_is_not_offered(acceptor: GrammarAcceptor) -> None:
    from bot.serve import embedded_base_gguf

    no_bmc = GrammarAcceptor(
        embedded_base_gguf(), tool_call_grammar(AGENT_TOOL_SPECS, {"ssh": ["nas01"]})
    )
    assert no_bmc.accepts(VALID)
    assert not no_bmc.accepts(format_tool_call("ipmi", {"host": "bmc-pve01", "action": "sensors"}))
    with pytest.raises(ValueError, match="no tool can be offered"):
        tool_call_grammar([SPECS["ssh"]], {})


# --- whatever the grammar admits parses --------------------------------------------------------


def assert_readable(text: str) -> None:
    parsed = parse_tool_calls(text)
    assert parsed.errors == [], text
    for call in parsed.calls:
        spec = SPECS[call.name]
        jsonschema.validate(call.arguments, spec.parameters)
        if "host" in call.arguments:
            assert call.arguments["host"] in HOSTS[spec.transport], text


values = st.one_of(st.text(max_size=20), st.integers(), st.booleans(), st.none())


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from([*SPECS, "other"]),
    host=st.sampled_from([h.name for h in INVENTORY.hosts] + ["x"]),
    extra=st.dictionaries(st.sampled_from(["command", "action", "url", "query", "zz"]), values),
    prose=st.text(max_size=30),
)
def test_whatever_the_grammar_accepts_parses_into_valid_calls(
    acceptor: GrammarAcceptor, name: str, host: str, extra: dict, prose: str
) -> None:
    text = (prose + "\n" if prose else "") + format_tool_call(name, {"host": host, **extra})
    if acceptor.accepts(text):
        assert_readable(text)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(command=st.text(max_size=12))
def test_a_hand_written_string_the_grammar_accepts_is_valid_json(
    acceptor: GrammarAcceptor, command: str
) -> None:
    """Models write JSON character by character, not through json.dumps: whatever raw
    characters (control characters, quotes, backslashes) the grammar lets into a string, the
    call still parses."""
    text = (
        f'<tool_call>\n{{"name": "shell", "arguments": {{"command": "{command}"}}}}\n</tool_call>'
    )
    # A character the vocabulary cannot spell (SmolLM2 has no token for some control
    # characters) is lost in tokenizing: the model can never write it.
    assume(spelled(acceptor, text) == text)
    if acceptor.accepts(text):
        assert_readable(text)


def spelled(acceptor: GrammarAcceptor, text: str) -> str:
    llm = acceptor._llm
    tokens = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
    return llm.detokenize(tokens).decode("utf-8", errors="replace")


def grammar_walk(acceptor: GrammarAcceptor, rng: random.Random, max_tokens: int) -> str:
    """A random reply the grammar admits: at each step llama.cpp's grammar sampler masks the
    whole vocabulary and a random allowed token is taken (end-of-text whenever allowed and
    chosen), as constrained sampling from a model with random logits would."""
    llm = acceptor._llm
    vocab_size, eos = llm.n_vocab(), llm.token_eos()
    sampler = acceptor._new_sampler()
    pieces: list[int] = []
    layout = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)])
    try:
        for _ in range(max_tokens):
            data = (llama_cpp.llama_token_data * vocab_size)()
            view = np.frombuffer(data, dtype=layout)
            view["id"] = np.arange(vocab_size, dtype=np.int32)
            array = llama_cpp.llama_token_data_array(data, vocab_size, -1, False)
            llama_cpp.llama_sampler_apply(sampler, ctypes.byref(array))
            allowed = view["id"][np.isfinite(view["logit"])].tolist()
            token = rng.choice(allowed)
            if token == eos:
                break
            acceptor._accept(sampler, token)
            pieces.append(token)
    finally:
        acceptor._free(sampler)
    return llm.detokenize(pieces).decode("utf-8", errors="replace")


def test_random_replies_the_grammar_admits_are_readable(acceptor: GrammarAcceptor) -> None:
    rng = random.Random(11)
    complete = 0
    for _ in range(6):
        text = grammar_walk(acceptor, rng, max_tokens=60)
        parsed = parse_tool_calls(text)
        if acceptor.accepts(text):  # finished within the token budget
            complete += 1
            assert_readable(text)
        else:  # cut by the budget: a viable prefix, never a finished unreadable block
            assert acceptor.accepts(text, complete=False)
            assert all(e.reason == "unterminated <tool_call> block" for e in parsed.errors)
    assert complete > 0


# --- the switch and the request ----------------------------------------------------------------


class CapturingClient:
    """Just enough of the openai client to see what a request would send."""

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.chat = self
        self.completions = self

    def create(self, **kwargs):
        from types import SimpleNamespace as NS

        self.sent.append(kwargs)
        message = NS(content="ok", tool_calls=None)
        return NS(choices=[NS(message=message, finish_reason="stop")], model="halops")


def test_the_grammar_travels_in_extra_body_only_when_on() -> None:
    client = CapturingClient()
    OpenAIChatModel(client, "halops", grammar='root ::= "x"').complete([])
    OpenAIChatModel(client, "halops").complete([])
    assert client.sent[0]["extra_body"] == {"grammar": 'root ::= "x"'}
    assert "extra_body" not in client.sent[1]


def test_agent_config_switches_the_grammar_and_offers_its_tools(tmp_path: Path) -> None:
    cfg = load_agent_config(REPO / "config" / "agent.yaml")
    assert cfg.tool_call_grammar is True  # on by default
    without_index = dataclasses.replace(
        cfg, retrieval={**cfg.retrieval, "db_dir": tmp_path / "none"}
    )
    assert [s.name for s in offered_specs(without_index)] == ["shell", "ssh", "ipmi", "http"]
    with_index = dataclasses.replace(cfg, retrieval={**cfg.retrieval, "db_dir": tmp_path})
    assert "search_runbooks" in [s.name for s in offered_specs(with_index)]
    grammar = agent_grammar(without_index)
    assert grammar is not None and '"\\"nas01\\""' in grammar and "search_runbooks" not in grammar
    assert agent_grammar(dataclasses.replace(cfg, tool_call_grammar=False)) is None


def test_an_agent_config_without_optional_keys_gets_the_schema_defaults() -> None:
    from bot.agent.config import AgentConfig

    data = yaml.safe_load((REPO / "config" / "agent.yaml").read_text())
    data.pop("tool_call_grammar", None)
    data.pop("simulated_lab", None)
    cfg = AgentConfig.from_dict(data, root=REPO)
    assert cfg.tool_call_grammar is True
    assert cfg.simulated_lab == {"recordings": []}


# --- end to end --------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_grammar_constrained_server_returns_a_parseable_call() -> None:
    """The embedded base model through llama.cpp's server. With the grammar that requires a
    call, every reply is a call to an inventory host: readable whenever it ended by itself,
    and at worst left open by the token budget (the 135M base model can ramble inside a URL);
    with the agent's grammar the same holds for any call it makes."""
    from bot.agent.model import ModelReply
    from bot.serve import (
        LlamaServer,
        openai_client,
    )

    # The embedded model always: never a GGUF an earlier pipeline run left in results/.
    serve = llama_serve_config()
    system = "You are HAL, an operations assistant.\n\n" + json.dumps(
        [s.to_openai() for s in AGENT_TOOL_SPECS]
    )
    questions = ["Is the tank pool on nas01 healthy?", "What is the power state of pve02?"]
    strict = tool_call_grammar(AGENT_TOOL_SPECS, HOSTS, require_call=True)
    replies: list[ModelReply] = []
    with LlamaServer(serve) as server:
        client = openai_client(server.base_url, timeout=3600)
        for question in questions:
            messages = [
                {"role": "system", "content": system},
                {"role": "user", "content": question},
            ]
            for grammar in (strict, GRAMMAR):
                model = OpenAIChatModel(
                    client, "halops", max_tokens=160, timeout_s=3600, grammar=grammar
                )
                replies.append(model.complete(messages))
    complete = [r for r in replies if r.finish_reason == "stop"]
    for reply in complete:
        assert_readable(reply.text)
    for reply in replies:  # only the token budget can leave a call open
        errors = parse_tool_calls(reply.text).errors
        assert all(e.reason == "unterminated <tool_call> block" for e in errors), reply.text
    forced = [parse_tool_calls(r.text) for r in replies[::2] if r.finish_reason == "stop"]
    assert any(p.calls and not p.errors for p in forced), [r.text for r in replies]
