"""The system prompt and its layout, shared by training data and the agent (no heavy imports).

`SYSTEM_PROMPT` is the one base prompt of HALops: curation writes it into every training example
and the agent sends it with every request, so the model is served with exactly the prompt it was
trained on. It lives here and nowhere else (no config key repeats it); change it here and
retrain.

The skills strategy trains the model on "instructions in the system prompt, then the request";
the agent later puts retrieved runbooks in exactly the same place with exactly the same layout,
so what the model learned from skill bodies transfers to runbooks. Both call
`skill_system_prompt`; change the layout only here.
"""

from __future__ import annotations

SYSTEM_PROMPT = (
    "You are HAL, an operations assistant for a small infrastructure lab. Investigate with the "
    "tools you are given, prefer read-only commands, and explain what you found and did."
)

DOCUMENTS_HEADING = "# Reference documents"
DOCUMENTS_INTRO = (
    "The following documents apply to this request. Follow their instructions where they fit "
    "the situation, and say so when they do not."
)


def skill_system_prompt(base_prompt: str, documents: list[tuple[str, str]]) -> str:
    """The base prompt followed by a "Reference documents" section, one `## title` per document.

    Layout (blank line between blocks; bodies are stripped of surrounding whitespace):

        <base_prompt>

        # Reference documents

        The following documents apply to this request. ...

        ## <title 1>

        <body 1>

        ## <title 2>

        <body 2>

    With no documents the base prompt is returned unchanged, so a request without retrieved
    runbooks looks exactly like a plain example.
    """
    if not documents:
        return base_prompt
    blocks = [base_prompt.rstrip(), DOCUMENTS_HEADING, DOCUMENTS_INTRO]
    for title, body in documents:
        blocks.append(f"## {title.strip()}")
        blocks.append(body.strip())
    return "\n\n".join(blocks)
