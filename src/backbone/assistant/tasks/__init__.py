"""Agent tasks: the assistant's job kind (its table and steps)."""
