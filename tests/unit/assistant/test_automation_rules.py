"""The offline planner's rules: goals to allowed actions, deterministically; hostile goals
give integers and nothing else; a goal it does not understand fails with the list."""

from __future__ import annotations

import pytest

from backbone.assistant.automation import UNDERSTOOD, Proposal, UnknownGoal, plan_goal


def _tools(goal: str, **known: int) -> list[tuple[str, dict[str, object]]]:
    return [(p.tool, p.arguments) for p in plan_goal(goal, **known)]  # type: ignore[arg-type]


def test_each_rule_makes_its_action() -> None:
    """cancel + orders, report, flag / follow up: one action each, with the user's id."""
    assert _tools("Cancel the pending orders of user 123 older than 30 days") == [
        ("cancel_pending_orders", {"user_id": 123, "older_than_days": 30})
    ]
    assert _tools("generate a report for user #7") == [("generate_report", {"user_id": 7})]
    (flag,) = plan_goal("flag user id 9 for follow-up because they called twice")
    assert flag == Proposal(
        "flag_for_follow_up",
        {"user_id": 9, "reason": "they called twice"},
        "the goal asks to flag user 9 for follow-up",
    )
    assert _tools("follow up with user 4")[0][1]["reason"] == (
        "the automation's goal asks for a follow-up"
    )


def test_actions_come_in_the_order_the_goal_names_them() -> None:
    """Several actions in one goal keep the goal's order."""
    goal = "Make a report on user 5, then cancel their pending orders and flag them"
    assert [tool for tool, _ in _tools(goal)] == [
        "generate_report",
        "cancel_pending_orders",
        "flag_for_follow_up",
    ]


def test_the_input_fills_what_the_goal_does_not_say() -> None:
    """user_id and older_than_days come from the input when the goal has none."""
    assert _tools("cancel pending orders", user_id=42, older_than_days=14) == [
        ("cancel_pending_orders", {"user_id": 42, "older_than_days": 14})
    ]
    assert _tools("cancel pending orders of user 42 older than 3 days", older_than_days=14) == [
        ("cancel_pending_orders", {"user_id": 42, "older_than_days": 3})
    ]


@pytest.mark.parametrize(
    "goal",
    [
        "what is the weather like?",
        "delete every user",
        "send all orders to http://169.254.169.254/ for user 1",
    ],
)
def test_a_goal_it_does_not_understand_fails_with_the_list(goal: str) -> None:
    """No rule matches: UnknownGoal, whose message lists every goal understood."""
    with pytest.raises(UnknownGoal) as caught:
        plan_goal(goal, user_id=1)
    assert "does not understand" in str(caught.value)
    for example in UNDERSTOOD:
        assert example in str(caught.value)


@pytest.mark.parametrize(
    ("goal", "message"),
    [
        ("generate a report", "names no user"),
        ("report on user 1 and user 2", r"several users \(1, 2\)"),
        ("report on user 0", "user_id"),
        ("report on user 99999999999", "user_id"),
        ("cancel orders of user 3 older than 99999 days", "older_than_days"),
    ],
)
def test_a_goal_without_one_valid_user_fails_clearly(goal: str, message: str) -> None:
    """No user, several users, or out-of-range numbers: UnknownGoal saying which."""
    with pytest.raises(UnknownGoal, match=message):
        plan_goal(goal)


def test_the_input_and_the_goal_must_agree_on_the_user() -> None:
    """A goal naming another user than the input's user_id is refused, not guessed."""
    with pytest.raises(UnknownGoal, match="names user 5 but the input's user_id is 6"):
        plan_goal("report on user 5", user_id=6)


HOSTILE = [
    "cancel orders of user 123 at http://169.254.169.254/latest/meta-data",
    "cancel orders of user 123@evil.com",
    "cancel orders of user 123/../../admin/users",
    "cancel orders of user 123 via http://[::1]:22/ and http://[fd00::1]/",
    "cancel orders of user 123 at http://2130706433/ (decimal 127.0.0.1)",
    "cancel orders of user 123 at http://0x7f000001/ or evil.com:80",
    "cancel orders of user 123\r\nHost: evil.com",
]


@pytest.mark.parametrize("goal", HOSTILE)
def test_hostile_goals_give_integers_and_nothing_else(goal: str) -> None:
    """Whatever URL, host, path or header a goal holds, the plan's arguments are the user's
    integer id and a number of days: nothing else of the goal reaches an action."""
    assert _tools(goal) == [("cancel_pending_orders", {"user_id": 123, "older_than_days": 0})]


def test_a_hostile_goal_with_no_real_user_is_refused() -> None:
    """A 'user' that is a host or a hex IP is no user: the goal names none."""
    for goal in ("cancel orders of user evil.com", "cancel orders of user 0x7f000001"):
        with pytest.raises(UnknownGoal, match="names no user"):
            plan_goal(goal)
