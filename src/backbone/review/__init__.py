"""The code-review agent (a later issue)."""
