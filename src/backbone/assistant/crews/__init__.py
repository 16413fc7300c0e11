"""The assistant's crews: prompts as data (``config/*.yaml``), tools as typed functions."""
