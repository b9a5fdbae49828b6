"""Development tools, never imported by the running bot: the benchmarks that print the bot's
figures, and the local stand-in for Slack's Web API that the tests and benchmarks talk to."""
