"""The automation's errors (the tree is drawn in the package's docstring)."""

from __future__ import annotations

__all__ = ["ActionFailed", "AutomationError", "UnknownGoal"]


class AutomationError(Exception):
    """Every error of the automation package."""


class UnknownGoal(AutomationError):
    """The planner cannot turn this goal into allowed actions (the message lists the goals
    it understands)."""


class ActionFailed(AutomationError):
    """An action could not be done: a service refused, did not answer, or answered badly."""
