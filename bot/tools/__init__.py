"""Tool executors, one per transport. They only execute: `bot.safety` decides, the loop wires.

Every failure of a tool (host down, non-zero exit, timeout, refusal, bad arguments) is a
`ToolResult` with an `error_kind`, never an exception. Nothing is imported here, so that
`halops.contract.tools` stays importable without the transport libraries.
"""
