"""The offline planner's rules: a goal's words to allowed actions, deterministically.

The rules (case does not matter; actions come in the order the goal names them):

- **cancel** and **order** → ``cancel_pending_orders``: only pending orders are ever
  cancelled; "older than N days" (or the input's ``older_than_days``; else 0) bounds them;
- **report** → ``generate_report``;
- **flag** or **follow up** → ``flag_for_follow_up``, with the reason after "because"
  (else a reason that says the goal asked for it).

The user is "user 123" (also "user #123", "user id 123") in the goal, else the input's
``user_id``; one user per goal. Nothing else in the goal is used: no URL, host or path it
holds reaches an action, whose arguments are integers and a bounded reason. A goal that
matches no rule, names no user, or names several is :class:`UnknownGoal`, whose message
lists the goals understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from backbone.assistant.automation._actions import ACTIONS, MAX_ACTIONS
from backbone.assistant.automation._errors import UnknownGoal

__all__ = ["UNDERSTOOD", "Proposal", "plan_goal"]

UNDERSTOOD = (
    '"cancel the pending orders of user 123 older than 30 days"',
    '"generate a report for user 123"',
    '"flag user 123 for follow-up because <reason>"',
)
"""Examples of each rule, as a goal that fails lists them."""

_USER = re.compile(r"\buser(?:\s+id)?\s*#?\s*(\d{1,12})\b", re.IGNORECASE)
_DAYS = re.compile(r"\bolder\s+than\s+(\d{1,6})\s+days?\b", re.IGNORECASE)
_BECAUSE = re.compile(r"\bbecause\b\s*(.+)$", re.IGNORECASE | re.DOTALL)
_CANCEL = re.compile(r"\bcancel\w*\b", re.IGNORECASE)
_ORDER = re.compile(r"\borders?\b", re.IGNORECASE)
_REPORT = re.compile(r"\breports?\b", re.IGNORECASE)
_FLAG = re.compile(r"\bflag\w*\b|\bfollow[\s-]*ups?\b", re.IGNORECASE)
_REASON_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Proposal:
    """One action the planner proposes: the tool, its validated arguments, and why."""

    tool: str
    arguments: dict[str, Any]
    why: str


def understood() -> str:
    """The sentence a goal that fails ends with."""
    return "it understands goals like " + ", ".join(UNDERSTOOD) + " (one user, any of these)"


def _user(goal: str, user_id: int | None) -> int:
    named = sorted({int(number) for number in _USER.findall(goal)})
    if len(named) > 1:
        raise UnknownGoal(f"the goal names several users ({', '.join(map(str, named))}): one user")
    if named and user_id is not None and named[0] != user_id:
        raise UnknownGoal(f"the goal names user {named[0]} but the input's user_id is {user_id}")
    if named:
        return named[0]
    if user_id is None:
        raise UnknownGoal(
            'the goal names no user (say "user 123" or give user_id); ' + understood()
        )
    return user_id


def _days(goal: str, older_than_days: int | None) -> int:
    found = _DAYS.search(goal)
    return int(found.group(1)) if found else (older_than_days or 0)


def _reason(goal: str) -> str:
    found = _BECAUSE.search(goal)
    reason = " ".join(found.group(1).split()) if found else ""
    return reason[:_REASON_LIMIT] or "the automation's goal asks for a follow-up"


def _proposals(goal: str, user: int, days: int) -> list[tuple[int, Proposal]]:
    found: list[tuple[int, Proposal]] = []
    cancel, order = _CANCEL.search(goal), _ORDER.search(goal)
    if cancel and order:
        older = f" placed more than {days} days ago" if days else ""
        why = f"the goal asks to cancel the pending orders of user {user}{older}"
        arguments: dict[str, Any] = {"user_id": user, "older_than_days": days}
        found.append((cancel.start(), Proposal("cancel_pending_orders", arguments, why)))
    if report := _REPORT.search(goal):
        why = f"the goal asks for a report on user {user}"
        found.append((report.start(), Proposal("generate_report", {"user_id": user}, why)))
    if flag := _FLAG.search(goal):
        why = f"the goal asks to flag user {user} for follow-up"
        flagging = {"user_id": user, "reason": _reason(goal)}
        found.append((flag.start(), Proposal("flag_for_follow_up", flagging, why)))
    return sorted(found, key=lambda item: item[0])


def plan_goal(
    goal: str, *, user_id: int | None = None, older_than_days: int | None = None
) -> list[Proposal]:
    """The actions the rules make of ``goal`` (see the module docstring); :class:`UnknownGoal`."""
    user = _user(goal, user_id)
    proposals = [proposal for _, proposal in _proposals(goal, user, _days(goal, older_than_days))]
    if not proposals:
        raise UnknownGoal("the planner does not understand this goal; " + understood())
    for proposal in proposals[:MAX_ACTIONS]:
        try:
            ACTIONS[proposal.tool].args_model.model_validate(proposal.arguments)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
            )
            raise UnknownGoal(f"the goal's {proposal.tool} cannot be done: {problems}") from None
    return proposals
