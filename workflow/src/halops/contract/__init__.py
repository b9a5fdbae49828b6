"""The contract between training and serving: what both halves must agree on byte for byte.

- `toolcall`: the tool-call text format the model is trained on and the agent parses;
- `prompts`: the system-prompt layout (base prompt, reference documents, tools section);
- `tools`: the declarations of the agent's tools (names, JSON schemas, transports);
- `scrub`: the credential scanner that cleans training data and the bot's tool output alike;
- `configfile`: how a config file is read (YAML, its JSON Schema and the schema's defaults).

`workflow/docs/contracts.md` says what each side relies on.

Both `halops` (the pipeline) and `bot` (the agent) import this package; it imports nothing of
either (`tests/test_architecture.py` enforces it), so a change here is a change to the contract
and shows up as such in review.
"""
