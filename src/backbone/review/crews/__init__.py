"""The review's crew: prompts as data (``config/*.yaml``), its one tool a typed function."""
