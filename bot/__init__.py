"""HALops chat-ops agent and Slack bot."""
