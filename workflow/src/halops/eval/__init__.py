"""Evaluation of the agent: cases, replayed tool outputs, AST-style call matching, scores.

`cases` loads and validates `config/eval/cases.jsonl`; `replay` answers tool calls from the
recorded outputs after the real safety policy has judged them; `matching` compares calls by name
and arguments (the Berkeley function-calling leaderboard's AST checker); `scoring` turns one run
into pass / partial / fail with a reason; `runner` serves each GGUF and runs the agent loop;
`heldout` scores next-turn tool calls on the held-out split; `report` writes the parquet, the
Markdown report and the plots.
"""
