"""The ``backbone`` command: ``up``, ``serve NAME``, ``bench``."""

from backbone.cli._app import app, main

__all__ = ["app", "main"]
