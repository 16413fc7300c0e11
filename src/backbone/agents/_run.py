"""``run_crew``: one agent, one task, its tools; the offline engine or a real model."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from backbone.agents._environment import crewai
from backbone.agents._errors import AgentsError, LLMConfigError, ToolFailed
from backbone.agents._prompt import task_prompt
from backbone.agents._providers import api_key_for
from backbone.agents._settings import AgentSettings, engine_label
from backbone.agents._specs import CrewOutcome, CrewSpec, Step, ToolCall
from backbone.agents._translate import redact, translate
from backbone.core.logging import mask_secret

__all__ = ["run_crew"]

_NO_UNTRUSTED: Mapping[str, str] = MappingProxyType({})


def _refuse_running_loop() -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise AgentsError(
        "run_crew is synchronous and CrewAI runs its own event loop: call it from a "
        "worker thread (await asyncio.to_thread(run_crew, ...)) or a worker process"
    )


def _real_llm(settings: AgentSettings) -> tuple[Any, str | None]:
    """CrewAI's LLM for ``settings`` and the key it holds (to keep it out of messages)."""
    key = api_key_for(settings)
    mask_secret(key)  # whatever echoes it (a server's error, a library's log line)
    options: dict[str, Any] = {
        "model": settings.model,
        "timeout": settings.timeout,
        "temperature": settings.temperature,
        "max_retries": settings.max_retries,
    }
    if settings.base_url is not None:
        options["base_url"] = settings.base_url
    if settings.max_tokens is not None:
        options["max_tokens"] = settings.max_tokens
    if key is not None:
        options["api_key"] = key
    try:
        return crewai().LLM(**options), key
    except (ImportError, ValueError, TypeError) as exc:
        message = redact(f"{type(exc).__name__}: {exc}", key)
        raise LLMConfigError(f"{settings.model}: cannot be used: {message}") from exc


@contextlib.contextmanager
def _provider_retries_only() -> Iterator[None]:
    # CrewAI wraps every call in its own loop of 3 attempts on a 429, around the provider
    # SDK's own retries (max_retries): 3 x (max_retries + 1) attempts. Its loop stands
    # aside when this context variable is set (it is what CrewAI sets while it retries);
    # the SDK's retries, which honour Retry-After, stay the one bound.
    retry = importlib.import_module("crewai.llms.retry")
    token = retry._active_llm_rate_limit_retry.set(True)
    try:
        yield
    finally:
        retry._active_llm_rate_limit_retry.reset(token)


def _kickoff(spec: CrewSpec, llm: Any, tools: list[Any], description: str, iterations: int) -> Any:
    module = crewai()
    failure_policy = importlib.import_module("crewai.tools.tool_failure").ToolFailurePolicy
    agent = module.Agent(
        role=spec.agent.role,
        goal=spec.agent.goal,
        backstory=spec.agent.backstory,
        llm=llm,
        tools=tools,
        max_iter=iterations,
        max_retry_limit=0,  # retries belong to the model client, bounded by max_retries
        allow_delegation=False,
        cache=False,  # a cached result would skip the tool, and its step
        tool_failure_policy=failure_policy.RAISE,  # an unknown tool or a failure ends the run
        verbose=False,
    )
    task = module.Task(
        description=description, expected_output=spec.task.expected_output, agent=agent
    )
    crew = module.Crew(agents=[agent], tasks=[task], verbose=False)
    with _provider_retries_only():
        return crew.kickoff()


def run_crew(
    spec: CrewSpec,
    *,
    settings: AgentSettings,
    inputs: Mapping[str, str],
    untrusted: Mapping[str, str] = _NO_UNTRUSTED,
    plan: Sequence[ToolCall] = (),
    compose: Callable[[Sequence[Step]], str] | None = None,
    on_step: Callable[[Step], None] | None = None,
) -> CrewOutcome:
    """Run ``spec``'s task once and return the answer with the steps behind it.

    ``inputs`` fill the task description's ``{name}`` placeholders; each ``untrusted``
    text is appended fenced as data (:func:`delimit`). With ``settings.model == "local"``
    the offline engine takes ``plan`` and answers ``compose(steps)``; with a model, the
    model chooses among the task's tools and ``plan``/``compose`` are not used.
    ``on_step`` hears of each tool as it finishes; what it raises stops the run and is
    raised here unchanged. Synchronous: never call it from a running event loop.
    """
    _refuse_running_loop()
    description = task_prompt(spec.task.description, inputs, untrusted)
    tools_module = importlib.import_module("backbone.agents._tools")
    recorder = tools_module.StepRecorder(agent=spec.agent.role, on_step=on_step)
    tools = tools_module.adapt_tools(spec.tools, recorder)
    llm, key = _engine(settings, plan, compose, recorder)
    try:
        output = _kickoff(spec, llm, tools, description, settings.max_iterations)
    except Exception as exc:
        if recorder.callback_error is not None:
            raise recorder.callback_error from None
        if recorder.failed is not None:
            raise ToolFailed(str(recorder.failed.error), step=recorder.failed) from exc
        attempts = settings.max_retries + 1
        raise translate(exc, model=settings.model, attempts=attempts, secret=key) from exc
    finally:
        _close_client(llm)
    text = llm.answer if settings.is_local else str(output.raw)
    return CrewOutcome(text=text or "", steps=recorder.steps, engine=engine_label(settings))


def _close_client(llm: Any) -> None:
    """Close the provider's HTTP client: CrewAI keeps one per LLM and never closes it, so
    each run would leave its pooled connections (and sockets) to the garbage collector."""
    client = getattr(llm, "_client", None)
    close = getattr(client, "close", None)
    if callable(close):
        close()


def _engine(
    settings: AgentSettings,
    plan: Sequence[ToolCall],
    compose: Callable[[Sequence[Step]], str] | None,
    recorder: Any,
) -> tuple[Any, str | None]:
    if not settings.is_local:
        return _real_llm(settings)
    if compose is None:
        raise AgentsError("the local engine needs compose (it writes the final answer)")
    if len(plan) >= settings.max_iterations:
        raise AgentsError(
            f"a plan of {len(plan)} tool calls needs max_iterations > {len(plan)} "
            f"(BACKBONE_LLM_MAX_ITERATIONS is {settings.max_iterations})"
        )
    local = importlib.import_module("backbone.agents._local")
    return local.LocalLLM(model="local", plan=tuple(plan), compose=compose, recorder=recorder), None
