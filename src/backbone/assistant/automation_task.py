"""Capability 3, process automation with a person approving: plan, wait, then act.

1. **Plan** (the first run): the planner agent turns the goal into actions of the
   allow-list, each proposed through a tool that validates its arguments and acts on
   nothing. The offline engine proposes what the documented rules make of the goal
   (:func:`~backbone.assistant.automation.plan_goal`); a real model chooses among the
   same proposing tools. The task stops in ``awaiting-approval`` with the plan in
   ``result.data.plan``; a goal the rules do not understand fails the task with the list
   of goals they do.
2. **Approve** (a request): all actions, or the listed ids (``approved_actions``).
3. **Act** (the run after approval): the approved actions in plan order, no model in
   between — what runs is the plan the person read. Each action is a step (its
   arguments and id in, its answer out). An action a step already records as done (an
   earlier delivery did it) is not done again; each action also carries the
   ``Idempotency-Key`` of its task and id, for the moment between acting and recording.
   A failed action stops the run: the task fails with the reason, and ``result.data``
   lists what was done.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from backbone.agents import AgentSettings, ToolCall, engine_label, run_crew
from backbone.assistant.automation import (
    MAX_ACTIONS,
    ActionFailed,
    Services,
    UnknownGoal,
    perform,
    plan_goal,
    understood,
)
from backbone.assistant.config import AssistantSettings
from backbone.assistant.crews.automation import PROPOSE, automation_crew
from backbone.assistant.steps import StepRecorder
from backbone.assistant.tasks.schemas import AutomationInput
from backbone.jobs import AwaitApproval, JobContext, JobFailed

__all__ = ["EXECUTOR", "Action", "Plan", "run_automation"]

EXECUTOR = "Automation Executor"
"""The agent name of the acting steps (the approved plan runs as written: no model)."""
_REASON_LIMIT = 300


class Action(BaseModel):
    """One action of a plan (the contract's ``Action``)."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=r"^a[0-9]{1,2}$")
    tool: str
    arguments: dict[str, Any]
    why: str


class Plan(BaseModel):
    """What the planner proposed (the contract's ``Plan``)."""

    model_config = ConfigDict(extra="ignore")

    goal: str
    actions: list[Action] = Field(min_length=1, max_length=MAX_ACTIONS)


class _Planner:
    """Collects the actions the proposing tools add, numbering them a1, a2..."""

    def __init__(self) -> None:
        self.actions: list[dict[str, Any]] = []

    def propose(self, tool: str, arguments: dict[str, Any], why: str) -> dict[str, Any]:
        if len(self.actions) >= MAX_ACTIONS:
            raise ValueError(f"a plan holds at most {MAX_ACTIONS} actions")
        action = {"id": f"a{len(self.actions) + 1}", "tool": tool, "arguments": arguments}
        action["why"] = why
        self.actions.append(action)
        return action


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _REASON_LIMIT else line[: _REASON_LIMIT - 3] + "..."


def _plan_text(actions: Sequence[Mapping[str, Any]]) -> str:
    lines = [f"- {a['id']} {a['tool']} {a['arguments']}: {a['why']}" for a in actions]
    return "Plan, for your approval:\n" + "\n".join(lines)


def _hints(task: AutomationInput) -> str:
    """Trusted numbers for the prompt (the goal itself goes in as data)."""
    hints = []
    if task.user_id is not None:
        hints.append(f"When the goal names no user, the user is user {task.user_id}.")
    if task.older_than_days is not None:
        hints.append(f"When it names no age, orders older than {task.older_than_days} days.")
    return " ".join(hints)


def _local_plan(task: AutomationInput) -> list[ToolCall]:
    try:
        proposals = plan_goal(task.goal, user_id=task.user_id, older_than_days=task.older_than_days)
    except UnknownGoal as exc:
        raise JobFailed(_one_line(str(exc))) from None
    return [ToolCall(PROPOSE + p.tool, {**p.arguments, "why": p.why}) for p in proposals]


def plan_automation(job: JobContext, *, agents: AgentSettings) -> AwaitApproval:
    """The planning run: the plan, to wait for a person's approval."""
    task = AutomationInput.model_validate(job.row["input"])
    calls = _local_plan(task) if agents.is_local else []
    job.note(total_steps=len(calls) if agents.is_local else None, completed_steps=0)
    planner, record = _Planner(), StepRecorder(job)

    outcome = run_crew(
        automation_crew(planner.propose),
        settings=agents,
        inputs={"max_actions": str(MAX_ACTIONS), "user_hint": _hints(task)},
        untrusted={"goal": task.goal},
        plan=calls,
        compose=lambda _steps: _plan_text(planner.actions),
        on_step=record,
    )
    if not planner.actions:
        raise JobFailed(_one_line("the planner proposed no action; " + understood()))
    plan = {"goal": task.goal, "actions": planner.actions}
    return AwaitApproval(
        plan={"text": outcome.text, "data": {"plan": plan}, "engine": outcome.engine}
    )


def _done_before(job: JobContext) -> dict[str, Any]:
    """The answers of the actions earlier deliveries did, by action id."""
    done: dict[str, Any] = {}
    for step in job.recorded_steps():
        given, answer = step["input"], step["output"]
        if step["agent"] != EXECUTOR or not isinstance(given, dict):
            continue
        if isinstance(answer, dict) and set(answer) == {"error"}:
            continue
        done.setdefault(str(given.get("action_id")), answer)
    return done


def _data(
    plan: Plan, approved: Sequence[Action], done: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    ids = {action.id for action in approved}
    return {
        "plan": plan.model_dump(mode="json"),
        "approved": [action.id for action in approved],
        "done": done,
        "not_approved": [action.id for action in plan.actions if action.id not in ids],
        **extra,
    }


def _perform(job: JobContext, action: Action, services: Services) -> Any:
    """Do one action and record its step; :class:`ActionFailed` (its step recorded too)."""
    given = {**action.arguments, "action_id": action.id}
    try:
        answer = perform(
            action.tool,
            action.arguments,
            services=services,
            task_id=job.job_id,
            action_id=action.id,
        )
    except ActionFailed as exc:
        reason = _one_line(f"action {action.id} ({action.tool}) failed: {exc}")
        job.step(agent=EXECUTOR, tool=action.tool, input=given, output={"error": reason})
        raise ActionFailed(reason) from exc
    job.step(agent=EXECUTOR, tool=action.tool, input=given, output=answer)
    return answer


def act(job: JobContext, *, services: Services, engine: str) -> dict[str, Any]:
    """The acting run: the approved actions in plan order, each once (see the docstring)."""
    plan = Plan.model_validate(((job.plan or {}).get("data") or {}).get("plan"))
    chosen = job.row["approved_actions"]
    approved = [a for a in plan.actions if chosen is None or a.id in chosen]
    earlier = _done_before(job)
    job.note(total_steps=len(approved), completed_steps=0)
    done: list[dict[str, Any]] = []
    for number, action in enumerate(approved, start=1):
        answer = earlier.get(action.id)
        if answer is None:
            try:
                answer = _perform(job, action, services)
            except ActionFailed as exc:
                failed = {"action_id": action.id, "tool": action.tool, "error": str(exc)}
                data = _data(plan, approved, done, failed=failed)
                result = {"text": str(exc), "data": data, "engine": engine}
                raise JobFailed(str(exc), result=result) from exc
        done.append({"action_id": action.id, "tool": action.tool, "answer": answer})
        job.note(completed_steps=number)
        job.progress(95 * number // len(approved))
    text = "Done: " + ", ".join(f"{d['action_id']} {d['tool']}" for d in done) + "."
    return {"text": text, "data": _data(plan, approved, done), "engine": engine}


def run_automation(
    job: JobContext,
    *,
    settings: AssistantSettings,
    agents: AgentSettings,
    request_id: str | None,
) -> dict[str, Any] | AwaitApproval:
    """Plan (the first run) or act (the run after a person approved)."""
    if not job.approved:
        return plan_automation(job, agents=agents)
    database = settings.database_url
    services = Services(
        gateway_url=settings.gateway_url,
        reports_url=settings.reports_url,
        database_url=None if database is None else database.get_secret_value(),
        request_id=request_id,
    )
    return act(job, services=services, engine=engine_label(agents))
