"""docker-compose.yml, .env.example and the requirement files keep up with the project."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from backbone.cli._services import SERVICES

ROOT = Path(__file__).resolve().parents[3]


def _compose() -> dict[str, dict[str, object]]:
    services: dict[str, dict[str, object]] = yaml.safe_load(
        (ROOT / "docker-compose.yml").read_text()
    )["services"]
    return services


def test_compose_runs_every_registered_service() -> None:
    """``docker compose up`` starts what ``backbone up`` starts, under the same names."""
    assert set(SERVICES) <= set(_compose())


def test_compose_serves_each_http_app_on_its_default_port() -> None:
    """Each HTTP service runs ``backbone serve NAME`` on its registered port, published."""
    compose = _compose()
    for spec in SERVICES.values():
        if not spec.is_http:
            continue
        service = compose[spec.name]
        assert service["command"] == [
            "backbone", "serve", spec.name, "--host", "0.0.0.0", "--port", str(spec.port),
        ]  # fmt: skip
        assert f"{spec.port}:{spec.port}" in service["ports"]  # type: ignore[operator]


def test_report_api_and_worker_share_the_reports_volume() -> None:
    """The worker writes the files the API serves: one volume, one directory."""
    compose = _compose()
    for name in ("reports", "reports-worker"):
        assert compose[name]["volumes"] == ["reports-data:/data/reports"]
        assert compose[name]["environment"]["BACKBONE_REPORTS_DIR"] == "/data/reports"  # type: ignore[index]


def test_env_example_lists_every_port() -> None:
    """.env.example documents each HTTP service's port variable with its default."""
    text = (ROOT / ".env.example").read_text()
    for spec in SERVICES.values():
        if spec.is_http:
            assert f"# {spec.port_env}={spec.port}\n" in text


def _name(requirement: str) -> str:
    return re.split(r"[\[=<>~ ]", requirement, maxsplit=1)[0].lower()


def _pinned(name: str) -> set[str]:
    """The distributions a requirements file pins (its own lines, not those it includes)."""
    lines = (ROOT / name).read_text().splitlines()
    return {_name(line) for line in lines if line and not line.startswith(("#", "-r"))}


def test_the_bench_extra_is_pinned_apart_from_the_runtime() -> None:
    """Libraries only the benchmarks use are no runtime dependency; their pins live apart."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    bench = {_name(spec) for spec in project["optional-dependencies"]["bench"]}
    runtime = {_name(spec) for spec in project["dependencies"]}
    assert bench == {"psutil", "tenacity"}
    assert not bench & runtime
    assert not bench & _pinned("requirements.txt")
    assert bench <= _pinned("requirements-bench.txt")
    assert "-r requirements.txt" in (ROOT / "requirements-bench.txt").read_text().splitlines()
    assert "-r requirements-bench.txt" in (ROOT / "requirements-dev.txt").read_text().splitlines()
    assert "extras = bench" in (ROOT / "tox.ini").read_text().splitlines()
    assert "-e '.[bench]'" in (ROOT / "Makefile").read_text()
