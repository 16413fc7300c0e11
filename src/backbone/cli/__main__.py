"""``python -m backbone.cli``."""

from backbone.cli import main

main()
