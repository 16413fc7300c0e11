"""The agentic AI backend (a later issue)."""
