"""The transformers-free tokenizer of the curate jobs (halops.model.chat_tokenizer) renders and
counts exactly as transformers does with the same checkpoint: on the committed sample examples,
on generated text (added tokens inside, unicode, whitespace runs) and through window fitting."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halops.contract.toolcall import render_messages_for_training
from halops.model.chat_tokenizer import ChatTokenizer
from halops.window import TokenCounter, fit_examples, token_lengths

pytest.importorskip("transformers")

DATA = Path(__file__).parent / "data"
SLOW_FIXTURE = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def sample_examples() -> list[list[dict[str, Any]]]:
    """The committed sample examples (OpenAI messages with tool calls), as training sees them."""
    examples = []
    for path in sorted(DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            examples.append(json.loads(line)["messages"])
    assert len(examples) >= 10
    return examples


@pytest.fixture(scope="module")
def saved_dir(smollm2_tokenizer: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tokenizer as the base rule saves it (transformers' save_pretrained layout)."""
    folder = tmp_path_factory.mktemp("tokenizer")
    smollm2_tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def reference(saved_dir: Path) -> Any:
    """transformers' tokenizer loaded from that folder, as the train rule loads it."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(saved_dir)


@pytest.fixture(scope="module")
def fast(saved_dir: Path) -> ChatTokenizer:
    tokenizer = ChatTokenizer.from_dir(saved_dir)
    assert tokenizer is not None and tokenizer.splitter is not None
    return tokenizer


def assert_same_tokens(fast: ChatTokenizer, reference: Any, text: str) -> None:
    expected = reference(text, add_special_tokens=False, return_offsets_mapping=True)
    ours = fast(text, add_special_tokens=False, return_offsets_mapping=True)
    assert ours["input_ids"] == expected["input_ids"]
    assert [tuple(o) for o in ours["offset_mapping"]] == [
        tuple(o) for o in expected["offset_mapping"]
    ]
    starts = [start for start, _ in expected["offset_mapping"]]
    assert fast.token_starts(text) == starts  # memoised by segment: first time
    assert fast.token_starts(text) == starts  # and from the memo
    assert fast.token_count(text) == len(starts)


def test_renders_and_tokenizes_the_sample_examples_like_transformers(
    fast: ChatTokenizer, reference: Any
) -> None:
    for example in sample_examples():
        messages = render_messages_for_training(example)
        for end in range(1, len(messages) + 1):
            for prompt in (False, True):
                text = reference.apply_chat_template(
                    messages[:end], tokenize=False, add_generation_prompt=prompt
                )
                assert (
                    fast.apply_chat_template(
                        messages[:end], tokenize=False, add_generation_prompt=prompt
                    )
                    == text
                )
                assert_same_tokens(fast, reference, text)


def test_counts_the_sample_examples_like_transformers(fast: ChatTokenizer, reference: Any) -> None:
    examples = sample_examples()
    assert token_lengths(examples, fast) == token_lengths(examples, reference)
    for example in examples:
        assert TokenCounter(fast).render(example) == TokenCounter(reference).render(example)


@pytest.mark.parametrize("max_tokens", [64, 128, 300, 4096])
def test_fits_the_sample_examples_like_transformers(
    fast: ChatTokenizer, reference: Any, max_tokens: int
) -> None:
    """Splits, trims and drops (small windows) come out the same, piece for piece; the
    samples' requests joined into one long conversation give the splits."""
    examples = sample_examples()
    joined = [examples[0][0]] + [m for e in examples for m in e if m["role"] != "system"]
    examples = [*examples, joined] * 2  # the second pass is served from the memo
    ours, our_stats = fit_examples(examples, fast, max_tokens)
    theirs, their_stats = fit_examples(examples, reference, max_tokens)
    assert ours == theirs
    assert our_stats == their_stats
    if max_tokens == 300:
        assert our_stats.examples["split"] and our_stats.examples["fit"]
    if max_tokens == 64:
        assert our_stats.examples["dropped"]


# Text that stresses the cut at added tokens: added tokens glued to words, partial ones, unicode
# that byte-level BPE splits into several tokens per character, whitespace runs and newlines.
PIECES = st.sampled_from(
    [
        "<|im_start|>",
        "<|im_end|>",
        "<|endoftext|>",
        "<|im_",
        "|>",
        "<repo_name>",
        "<file_sep>",
        " ",
        "  ",
        "\n",
        "\n\n",
        "\t",
        "ssh pve01",
        "ipmitool -H 10.20.0.5",
        "héllo",
        "日本語",
        "😀",
        "0123",
        "'s",
    ]
)
TEXTS = st.lists(st.one_of(PIECES, st.text(max_size=12)), max_size=25).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=SLOW_FIXTURE)
@given(text=TEXTS)
def test_generated_text_tokenizes_like_transformers(
    fast: ChatTokenizer, reference: Any, text: str
) -> None:
    assert_same_tokens(fast, reference, text)


ROLES = st.sampled_from(["system", "user", "assistant"])
MESSAGE = st.fixed_dictionaries({"role": ROLES, "content": TEXTS})


@settings(max_examples=100, deadline=None, suppress_health_check=SLOW_FIXTURE)
@given(messages=st.lists(MESSAGE, min_size=1, max_size=6), prompt=st.booleans())
def test_generated_conversations_render_like_transformers(
    fast: ChatTokenizer, reference: Any, messages: list[dict[str, str]], prompt: bool
) -> None:
    text = reference.apply_chat_template(messages, tokenize=False, add_generation_prompt=prompt)
    assert fast.apply_chat_template(messages, add_generation_prompt=prompt) == text
    assert_same_tokens(fast, reference, text)


# A template that uses what the stock one does not: special-token variables, the training
# template's generation tag, tojson, namespace, loop controls, raise_exception.
RICH_TEMPLATE = (
    "{{ bos_token }}{% set ns = namespace(n=0) %}"
    "{% for message in messages %}{% if message['role'] == 'tool' %}{% continue %}{% endif %}"
    "{% set ns.n = ns.n + 1 %}"
    "{% if message['role'] == 'assistant' %}{% generation %}{{ message['content'] }}"
    "{{ eos_token }}{% endgeneration %}"
    "{% elif message['role'] == 'bad' %}{{ raise_exception('bad role') }}"
    "{% else %}{{ message['role'] }}: {{ message | tojson }}\n{% endif %}{% endfor %}"
    "{{ ns.n }}{% if add_generation_prompt %}assistant:{% endif %}"
)


def test_a_richer_template_renders_like_transformers(
    saved_dir: Path, tmp_path: Path, reference: Any
) -> None:
    folder = tmp_path / "rich"
    folder.mkdir()
    for path in saved_dir.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "chat_template.jinja").write_text(RICH_TEMPLATE)
    from transformers import AutoTokenizer

    theirs = AutoTokenizer.from_pretrained(folder)
    ours = ChatTokenizer.from_dir(folder)
    assert ours is not None
    messages = [
        {"role": "user", "content": "héllo <b>", "name": None},
        {"role": "tool", "content": "skipped"},
        {"role": "assistant", "content": "done"},
    ]
    for prompt in (False, True):
        expected = theirs.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=prompt
        )
        assert ours.apply_chat_template(messages, add_generation_prompt=prompt) == expected
    with pytest.raises(Exception, match="bad role"):
        ours.apply_chat_template([{"role": "bad", "content": "x"}])


def test_a_folder_it_cannot_read_exactly_is_left_to_transformers(
    saved_dir: Path, tmp_path: Path
) -> None:
    assert ChatTokenizer.from_dir(tmp_path) is None  # no tokenizer.json
    folder = tmp_path / "listed"
    folder.mkdir()
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (folder / name).write_bytes((saved_dir / name).read_bytes())
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config["chat_template"] = [{"name": "default", "template": "{{ messages }}"}]
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    assert ChatTokenizer.from_dir(folder) is None  # a list of named templates
    config["chat_template"] = "{{ messages }}"
    config["add_prefix_space"] = True  # transformers would rebuild the pre-tokenizer
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    assert ChatTokenizer.from_dir(folder) is None


def test_a_stripping_added_token_turns_the_segment_memo_off(
    saved_dir: Path, tmp_path: Path
) -> None:
    """Where the library's cut at added tokens is not a plain string match, whole texts are
    encoded (still the same counts, only without the memo)."""
    folder = tmp_path / "lstrip"
    folder.mkdir()
    for path in saved_dir.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    spec = json.loads((folder / "tokenizer.json").read_text())
    spec["added_tokens"][1]["lstrip"] = True
    (folder / "tokenizer.json").write_text(json.dumps(spec))
    tokenizer = ChatTokenizer.from_dir(folder)
    assert tokenizer is not None and tokenizer.splitter is None
    text = "a  <|im_start|>user\nhi<|im_end|>"
    ids = tokenizer(text, return_offsets_mapping=True)
    assert tokenizer.token_starts(text) == [start for start, _ in ids["offset_mapping"]]
    assert tokenizer.token_count(text) == len(ids["input_ids"])
