"""HALops: operations transcripts -> a small local model -> a safe chat-ops agent."""

__version__ = "0.1.0"
