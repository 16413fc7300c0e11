"""Request and response bodies of contracts/openapi/flaky.yaml."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from backbone.mocks._common import JsonInt, JsonNumber, json_number

KEY_PATTERN = r"^[A-Za-z0-9._-]{1,128}$"

# A header value must be visible ASCII (RFC 9110 field-value), spaces allowed inside.
RetryAfter = Annotated[
    str, StringConstraints(max_length=64, pattern=r"^[!-~]([ -~]*[!-~])?$", strict=True)
]


class Pattern(BaseModel):
    """How a key fails: the first ``fail_times`` calls fail, later calls succeed."""

    model_config = ConfigDict(extra="forbid")

    fail_times: JsonInt = Field(default=2, ge=0, le=1_000_000)
    failure: Literal["status", "hang"] = "status"
    status: Annotated[Literal[429, 500, 502, 503, 504], BeforeValidator(json_number)] = 503
    hang_seconds: JsonNumber = Field(default=30, ge=0, le=300)
    retry_after: RetryAfter | None = None


DEFAULT_PATTERN = Pattern()


class PatternState(BaseModel):
    """A key's pattern and what it has seen since its last reset."""

    key: str
    pattern: Pattern
    calls: int = Field(ge=0)
    failures_left: int = Field(ge=0)


class FlakyResult(BaseModel):
    """A successful call."""

    key: str
    attempt: int = Field(ge=1)
    message: str
    body_bytes: int | None = Field(default=None, ge=0)
