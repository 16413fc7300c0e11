"""docker-compose.yml and .env.example keep up with the service registry."""

from __future__ import annotations

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
