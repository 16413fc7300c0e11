"""``backbone.agents``: the shared AI layer, and the one place that imports CrewAI.

A service describes a crew as data (:class:`CrewSpec`: an agent, a task, the task's
allow-list of :class:`ToolSpec`; or :func:`load_crew_config` from CrewAI's YAML) and runs
it with :func:`run_crew`, which returns the answer and the :class:`Step` each tool took,
as the tool adapter recorded them. :class:`AgentSettings` (``BACKBONE_LLM_*``) choose
the engine:

- ``local`` (the default): :class:`LocalLLM`, a deterministic tool runner and not a
  language model. It runs the service's plan (:class:`ToolCall`) and composes the
  answer from the steps; the data it reads cannot steer it. Offline, for tests and demos.
- any model CrewAI supports (``openai/gpt-4o-mini``, ``anthropic/...``,
  ``ollama/llama3``), or any OpenAI-compatible server through ``base_url``: the model
  chooses among the allowed tools; retries and timeouts are bounded by the settings.

Untrusted text enters prompts through :func:`delimit`, as fenced data. Importing this
package does not import CrewAI (2.5 s): that happens on the first :func:`run_crew`, after
:func:`configure_crewai` has pointed its files inside the service's data directory and
turned its telemetry off. :func:`check_llm` / :func:`acheck_llm` serve ``/readyz``.

Errors::

    AgentsError                 the root: catch this to catch everything below
    ├── CrewConfigError         a crew's spec or YAML is wrong
    ├── LLMError                the model could not be used for the task
    │   ├── LLMConfigError      unknown provider, missing or refused key, unknown model
    │   ├── LLMUnavailable      unreachable, 429, 5xx or timeout after bounded retries
    │   └── LLMBadResponse      an answer that is not a usable completion
    └── ToolFailed              a tool raised, or the model asked for one not allowed
                                (.step: the failed Step, when a tool ran)
"""

import typing as _typing

from backbone.agents._config import load_crew_config
from backbone.agents._environment import configure_crewai, preload_crewai
from backbone.agents._errors import (
    AgentsError,
    CrewConfigError,
    LLMBadResponse,
    LLMConfigError,
    LLMError,
    LLMUnavailable,
    ToolFailed,
)
from backbone.agents._health import LLMStatus, acheck_llm, check_llm
from backbone.agents._prompt import delimit
from backbone.agents._run import run_crew
from backbone.agents._settings import LOCAL_MODEL, AgentSettings, engine_label
from backbone.agents._specs import (
    AgentSpec,
    CrewOutcome,
    CrewSpec,
    Step,
    TaskSpec,
    ToolCall,
    ToolSpec,
)

if _typing.TYPE_CHECKING:
    from backbone.agents._local import LocalLLM as LocalLLM

__all__ = [
    "LOCAL_MODEL",
    "AgentSettings",
    "AgentSpec",
    "AgentsError",
    "CrewConfigError",
    "CrewOutcome",
    "CrewSpec",
    "LLMBadResponse",
    "LLMConfigError",
    "LLMError",
    "LLMStatus",
    "LLMUnavailable",
    "Step",
    "TaskSpec",
    "ToolCall",
    "ToolFailed",
    "ToolSpec",
    "acheck_llm",
    "check_llm",
    "configure_crewai",
    "delimit",
    "engine_label",
    "load_crew_config",
    "preload_crewai",
    "run_crew",
]


# LocalLLM subclasses CrewAI's BaseLLM, so importing it imports CrewAI: it is public, but
# resolved on first use and kept out of __all__ (a star import would pay for CrewAI).
def __getattr__(name: str) -> object:
    if name == "LocalLLM":
        from backbone.agents._local import LocalLLM

        return LocalLLM
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
