"""``backbone serve NAME``: one HTTP service in the foreground, under uvicorn."""

from __future__ import annotations

from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

from backbone.cli._config import ConfigError, load_environment, resolve_ports
from backbone.cli._services import SERVICES, ServiceSpec
from backbone.core.config import CoreSettings
from backbone.core.logging import configure_logging
from backbone.devstack import port_is_free

__all__ = ["UnknownServiceError", "lookup", "serve"]


class UnknownServiceError(LookupError):
    """No HTTP service has that name."""


def lookup(name: str) -> tuple[ServiceSpec, str]:
    """The HTTP service called ``name``, and its ``module:factory``."""
    spec = SERVICES.get(name)
    if spec is None:
        known = sorted(n for n, s in SERVICES.items() if s.is_http)
        raise UnknownServiceError(f"unknown service {name!r}; known: {', '.join(known)}")
    if spec.app is None:
        command = " ".join(("backbone", *(spec.command or ())[1:]))
        raise UnknownServiceError(f"{name!r} is not an HTTP service: run `{command}`")
    return spec, spec.app


def serve(
    name: str,
    *,
    host: str,
    port: int | None,
    log_level: str | None,
    log_format: str | None,
    err: Console,
) -> int:
    """Run service ``name`` until SIGINT / SIGTERM (uvicorn stops gracefully); the exit code.

    Logging defaults come from the core settings (``LOG_LEVEL``, ``LOG_FORMAT``, ``LOG_FILE``).
    """
    spec, factory = lookup(name)
    try:
        settings = CoreSettings()
        if port is None:
            port = resolve_ports([name], load_environment())[name]
    except (ConfigError, ValidationError) as exc:
        err.print(Text(f"backbone serve: {exc}", style="bold red"))
        return 1
    if not port_is_free(host, port):
        err.print(
            Text(
                f"backbone serve: port {port} on {host} is already in use"
                f" (set {spec.port_env} or --port)",
                style="bold red",
            )
        )
        return 1
    level = (log_level or settings.log_level).upper()
    configure_logging(level=level, fmt=log_format or settings.log_format, file=settings.log_file)
    import uvicorn

    from backbone.core.server import server_config

    # Logging is configured above: server_config keeps uvicorn from replacing it.
    config = server_config(
        factory,
        host=host,
        port=port,
        settings=settings,
        factory=True,
        log_level=level.lower(),
        **dict(spec.server_options),
    )
    uvicorn.Server(config).run()
    return 0
