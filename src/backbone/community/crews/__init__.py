"""The community bot's crews: prompts as data in ``config/``, tools bound by the caller."""
