"""``local``: the offline engine. It is not a language model.

:class:`LocalLLM` plays the model's part in CrewAI's text protocol so a crew runs with no
model at all (offline, in tests, in demos): for each call it answers with the next
:class:`ToolCall` of its plan (``Thought:`` / ``Action:`` / ``Action Input:``), and once
every planned tool has run, ``Final Answer:`` with ``compose(steps)``. It reads nothing
CrewAI sends it: its progress is the number of steps the tool adapter recorded, and the
final text is composed from those steps, so nothing in the data (a fake ``Observation:``,
``Final Answer:``, ``Action: other_tool``, "ignore your instructions") can move it. It
does not understand, plan, summarise or choose: the service wrote the plan and the
composer; the same plan over the same data gives the same steps and the same answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from backbone.agents._environment import crewai

crewai()  # before any crewai import: its import writes under the home directory otherwise

from crewai.llms.base_llm import BaseLLM  # noqa: E402
from pydantic import ConfigDict, Field, PrivateAttr  # noqa: E402

from backbone.agents._prompt import action_input  # noqa: E402
from backbone.agents._specs import Step, ToolCall  # noqa: E402
from backbone.agents._tools import StepRecorder  # noqa: E402

__all__ = ["LocalLLM"]

Compose = Callable[[Sequence[Step]], str]


class LocalLLM(BaseLLM):
    """The deterministic tool runner behind ``BACKBONE_LLM_MODEL=local``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model: str = "local"
    plan: tuple[ToolCall, ...] = ()
    compose: Any = Field(exclude=True)
    recorder: Any = Field(exclude=True)
    _answer: str | None = PrivateAttr(default=None)

    @property
    def answer(self) -> str | None:
        """The text of the final answer, once given (as composed, before CrewAI parses it)."""
        return self._answer

    def call(
        self,
        messages: Any,
        tools: Any = None,
        callbacks: Any = None,
        available_functions: Any = None,
        from_task: Any = None,
        from_agent: Any = None,
        response_model: Any = None,
    ) -> str:
        """The next planned action, or the final answer: ``messages`` are not read."""
        recorder: StepRecorder = self.recorder
        steps = recorder.steps
        if len(steps) < len(self.plan):
            call = self.plan[len(steps)]
            return (
                f"Thought: step {len(steps) + 1} of {len(self.plan)}: {call.tool}\n"
                f"Action: {call.tool}\n"
                f"Action Input: {action_input(call.args)}"
            )
        compose: Compose = self.compose
        self._answer = compose(steps)
        return f"Thought: all {len(self.plan)} planned steps ran.\nFinal Answer: {self._answer}"

    async def acall(
        self,
        messages: Any,
        tools: Any = None,
        callbacks: Any = None,
        available_functions: Any = None,
        from_task: Any = None,
        from_agent: Any = None,
        response_model: Any = None,
    ) -> str:
        """:meth:`call`: nothing here waits."""
        return self.call(messages)

    def supports_function_calling(self) -> bool:
        """No: the text protocol, whose actions CrewAI parses and runs."""
        return False

    def supports_stop_words(self) -> bool:
        return False

    def get_input_tokens_count(
        self, messages: Any, tools: Any = None, response_model: Any = None
    ) -> int:
        """No tokens: nothing is sent anywhere (and no warning that the count is a guess)."""
        return 0
