"""Augmentation: preference pairs mined from the transcripts, safety pairs checked by the real
command policy, and optional synthetic examples from an OpenAI-compatible endpoint.

The one pipeline package allowed to import `bot.safety` (tests/test_architecture.py
`PERMITTED`): a safety pair is kept only if the policy the agent runs blocks its rejected call.
Nothing else of `bot` is imported.
"""
