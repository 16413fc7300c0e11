"""deploy/deploy.sh, run against stand-ins for ssh, scp and docker that record each call."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "deploy.sh"
IMAGE = "ghcr.io/acme/backbone:0123abcd"

# ssh runs the remote command here, as the host would; scp copies to the "host" path.
SSH = """#!/usr/bin/env bash
printf 'ssh %s\\n' "$*" >> "$CALLS"
exec bash -c "${@: -1}"
"""
SCP = """#!/usr/bin/env bash
printf 'scp %s\\n' "$*" >> "$CALLS"
dest="${@: -1}"
cp "${@: -2:1}" "${dest#*:}"
"""
# docker compose ps answers with the health the test sets in HEALTH.
DOCKER = """#!/usr/bin/env bash
printf 'docker %s BACKBONE_IMAGE=%s\\n' "$*" "${BACKBONE_IMAGE:-}" >> "$CALLS"
if [[ $1 == login ]]; then cat > "$CALLS.token"; fi
if [[ $* == "compose ps --format"* ]]; then printf 'gateway %s\\nredis healthy\\n' "$HEALTH"; fi
exit 0
"""


def _run(tmp_path: Path, *, health: str, extra: dict[str, str] | None = None) -> tuple[int, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in (("ssh", SSH), ("scp", SCP), ("docker", DOCKER)):
        stub = bin_dir / name
        stub.write_text(body)
        stub.chmod(0o755)
    calls = tmp_path / "calls.log"
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "CALLS": str(calls),
        "HEALTH": health,
        "DEPLOY_HOST": "deploy.example.test",
        "DEPLOY_PATH": str(tmp_path / "host" / "backbone"),
        "DEPLOY_WAIT": "2",
        **(extra or {}),
    }
    result = subprocess.run(
        [str(SCRIPT), IMAGE], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    return result.returncode, calls.read_text() if calls.exists() else ""


def test_deploy_copies_compose_pulls_migrates_and_starts_the_given_image(tmp_path: Path) -> None:
    """A healthy deploy: compose file on the host, pull, migrate, up -d with that image."""
    code, calls = _run(tmp_path, health="healthy")
    assert code == 0, calls
    host_dir = tmp_path / "host" / "backbone"
    assert (host_dir / "docker-compose.yml").read_text() == (
        ROOT / "docker-compose.yml"
    ).read_text()
    docker = [line for line in calls.splitlines() if line.startswith("docker ")]
    assert [line.split(" BACKBONE_IMAGE=")[0] for line in docker[:3]] == [
        "docker compose pull --quiet",
        "docker compose run --rm --no-build migrate",
        "docker compose up -d --no-build --remove-orphans",
    ]
    assert all(line.endswith(f"BACKBONE_IMAGE={IMAGE}") for line in docker)
    assert "deploy@deploy.example.test" in calls
    assert "StrictHostKeyChecking=yes" in calls


def test_deploy_fails_when_a_service_stays_unhealthy(tmp_path: Path) -> None:
    """A service that never turns healthy within DEPLOY_WAIT fails the deploy (non-zero)."""
    code, calls = _run(tmp_path, health="unhealthy")
    assert code != 0
    assert "compose up -d" in calls


def test_deploy_logs_in_with_the_token_on_stdin_and_writes_the_key_privately(
    tmp_path: Path,
) -> None:
    """The registry token goes to docker login on stdin, never in an argument."""
    code, calls = _run(
        tmp_path,
        health="healthy",
        extra={
            "REGISTRY_USER": "octocat",
            "REGISTRY_TOKEN": "ghs_secret-token",
            "DEPLOY_SSH_KEY": "-----BEGIN KEY-----",
        },
    )
    assert code == 0, calls
    assert "docker login ghcr.io -u octocat --password-stdin" in calls
    assert "ghs_secret-token" not in calls
    assert (tmp_path / "calls.log.token").read_text() == "ghs_secret-token"
    assert "-i " in calls
    assert "IdentitiesOnly=yes" in calls


def test_deploy_without_a_host_or_an_image_says_so(tmp_path: Path) -> None:
    """No DEPLOY_HOST, or no image argument: exit non-zero before any remote call."""
    missing_host = subprocess.run(
        [str(SCRIPT), IMAGE], env={"PATH": os.environ["PATH"]}, capture_output=True, text=True
    )
    assert missing_host.returncode != 0
    assert "DEPLOY_HOST" in missing_host.stderr
    missing_image = subprocess.run(
        [str(SCRIPT)], env={"PATH": os.environ["PATH"]}, capture_output=True, text=True
    )
    assert missing_image.returncode != 0
    assert "usage" in missing_image.stderr
