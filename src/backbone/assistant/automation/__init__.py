"""``backbone.assistant.automation``: the actions an automation may take, and its planner's
offline rules.

The allow-list (:data:`ACTIONS`), each a typed function first:

- ``cancel_pending_orders(user_id, older_than_days)``: the Order Service, through the
  gateway — the user's pending orders older than N days are set to ``cancelled``;
- ``generate_report(user_id)``: the report processor's ``POST /generate-report``;
- ``flag_for_follow_up(user_id, reason)``: a row in the assistant's own database.

:func:`perform` does one approved action with the ``Idempotency-Key`` of its task and
action id (:func:`action_key`), through :class:`~backbone.resilience.ResilientClient`;
URLs come from the configured services only (:class:`Services`), paths from integers.
:func:`plan_goal` is the ``local`` engine's planner: documented rules over the goal's
words (see :mod:`backbone.assistant.automation._rules`).

Exception tree::

    Exception
    └── AutomationError        the root
        ├── UnknownGoal        the planner cannot make allowed actions of the goal
        └── ActionFailed       an action could not be done (the run stops there)
"""

from backbone.assistant.automation._actions import (
    ACTIONS,
    MAX_ACTIONS,
    ActionTool,
    CancelPendingOrders,
    FlagForFollowUp,
    GenerateReport,
    action_key,
)
from backbone.assistant.automation._errors import ActionFailed, AutomationError, UnknownGoal
from backbone.assistant.automation._http import Services
from backbone.assistant.automation._perform import perform
from backbone.assistant.automation._rules import UNDERSTOOD, Proposal, plan_goal, understood

__all__ = [
    "ACTIONS",
    "MAX_ACTIONS",
    "UNDERSTOOD",
    "ActionFailed",
    "ActionTool",
    "AutomationError",
    "CancelPendingOrders",
    "FlagForFollowUp",
    "GenerateReport",
    "Proposal",
    "Services",
    "UnknownGoal",
    "action_key",
    "perform",
    "plan_goal",
    "understood",
]
