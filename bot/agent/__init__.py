"""The agent: a short step loop that asks the model, checks every tool call with the safety
policy, executes or asks a person, and feeds the (scrubbed) results back.

Agent code never imports Slack code; the Slack bot hands it a `Confirmer` of its own.
"""
