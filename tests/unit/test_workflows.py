"""The GitHub Actions workflows parse, and publish and deploy only what they should."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
MAIN_PUSH = "github.event_name == 'push' && github.ref == 'refs/heads/main'"


def _load(name: str) -> dict[str, Any]:
    """A workflow as a dict; PyYAML reads the key ``on`` as True, put back under "on"."""
    document: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    if True in document:
        document["on"] = document.pop(True)
    return document


def _needs(job: dict[str, Any]) -> set[str]:
    needs = job.get("needs", [])
    return {needs} if isinstance(needs, str) else set(needs)


def _upstream(jobs: dict[str, Any], name: str) -> set[str]:
    """Every job ``name`` waits for, directly or through another job."""
    seen: set[str] = set()
    todo = list(_needs(jobs[name]))
    while todo:
        job = todo.pop()
        if job not in seen:
            seen.add(job)
            todo.extend(_needs(jobs[job]))
    return seen


def _steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job.get("steps", []) if str(step.get("uses", "")).startswith(action)]


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.y*ml")), ids=lambda p: p.name)
def test_every_workflow_parses_with_a_trigger_and_jobs(path: Path) -> None:
    """Each file is YAML with a name, an ``on`` trigger and jobs that each run steps."""
    workflow = _load(path.name)
    assert workflow["name"]
    assert workflow["on"]
    assert workflow["jobs"]
    for name, job in workflow["jobs"].items():
        assert job["runs-on"] == "ubuntu-latest", name
        assert job["steps"], name
        for need in _needs(job):
            assert need in workflow["jobs"], f"{name} needs unknown job {need}"


def test_ci_tests_python_311_to_313() -> None:
    """The test matrix is 3.11, 3.12 and 3.13, as pyproject promises."""
    tests = _load("ci.yml")["jobs"]["tests"]
    assert tests["strategy"]["matrix"]["python"] == ["3.11", "3.12", "3.13"]


def test_the_image_is_pushed_only_from_main_after_every_check() -> None:
    """The image job runs on a push to main only, after lint, types, docs and all tests."""
    jobs = _load("ci.yml")["jobs"]
    image = jobs["image"]
    assert image["if"] == MAIN_PUSH
    assert {"lint", "types", "docs", "make-test", "tests"} <= _needs(image)
    assert image["permissions"]["packages"] == "write"
    (login,) = _steps_using(image, "docker/login-action@")
    assert login["with"]["registry"] == "ghcr.io"
    assert login["with"]["password"] == "${{ secrets.GITHUB_TOKEN }}"
    (build,) = _steps_using(image, "docker/build-push-action@")
    assert build["with"]["push"] is True
    assert "ghcr.io/${GITHUB_REPOSITORY,,}" in str(image["steps"])


def test_no_other_ci_job_can_write_packages() -> None:
    """Only the image job holds packages: write; the workflow's default is read-only."""
    workflow = _load("ci.yml")
    assert workflow["permissions"] == {"contents": "read"}
    writers = {
        name
        for name, job in workflow["jobs"].items()
        if job.get("permissions", {}).get("packages") == "write"
    }
    assert writers == {"image"}


def test_the_deploy_job_runs_only_on_main_after_the_image_and_the_tests() -> None:
    """Deploy: a push to main, the production environment, after image, itself after tests."""
    workflow = _load("ci.yml")
    jobs = workflow["jobs"]
    deploy = jobs["deploy"]
    assert deploy["if"] == MAIN_PUSH
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert _needs(deploy) == {"image"}
    assert {"image", "tests", "make-test", "lint", "types", "docs"} <= _upstream(jobs, "deploy")
    assert deploy["environment"]["name"] == "production"
    assert deploy["environment"]["url"]


def test_the_deploy_job_runs_the_deploy_script_with_the_commit_image() -> None:
    """The deploy step is deploy/deploy.sh on the image tagged with this commit, not an echo."""
    deploy = _load("ci.yml")["jobs"]["deploy"]
    runs = [step["run"] for step in deploy["steps"] if "run" in step]
    assert runs == ['deploy/deploy.sh "${{ needs.image.outputs.image }}:${{ github.sha }}"']
    env = next(step["env"] for step in deploy["steps"] if "run" in step)
    assert env["DEPLOY_HOST"] == "${{ secrets.DEPLOY_HOST }}"
    assert env["DEPLOY_SSH_KEY"] == "${{ secrets.DEPLOY_SSH_KEY }}"
    script = ROOT / "deploy" / "deploy.sh"
    assert script.stat().st_mode & 0o111, "deploy/deploy.sh must be executable"
    assert "docker compose up -d" in script.read_text()


def test_the_docs_job_builds_strictly_and_keeps_the_site() -> None:
    """CI builds the site with tox -e docs (mkdocs --strict) and uploads site/."""
    docs = _load("ci.yml")["jobs"]["docs"]
    assert any(step.get("run") == "tox -e docs" for step in docs["steps"])
    (upload,) = _steps_using(docs, "actions/upload-artifact@")
    assert upload["with"]["path"] == "site/"
    tox = (ROOT / "tox.ini").read_text()
    assert "mkdocs build --strict" in tox


def test_coverage_and_load_reports_are_kept_as_artifacts() -> None:
    """coverage.xml and htmlcov/ from every matrix run; bench-results/ when a run made it."""
    jobs = _load("ci.yml")["jobs"]
    (coverage,) = _steps_using(jobs["tests"], "actions/upload-artifact@")
    assert "coverage.xml" in coverage["with"]["path"]
    assert "htmlcov/" in coverage["with"]["path"]
    (load,) = _steps_using(jobs["load"], "actions/upload-artifact@")
    assert load["with"]["path"] == "bench-results/"
    assert load["with"]["if-no-files-found"] == "ignore"


def test_the_release_runs_on_version_tags_with_dists_and_a_versioned_image() -> None:
    """A v* tag builds sdist and wheel, pushes the image tagged with the version, releases."""
    release = _load("release.yml")
    assert release["on"] == {"push": {"tags": ["v*"]}}
    jobs = release["jobs"]
    assert any("python -m build" in step.get("run", "") for step in jobs["dist"]["steps"])
    (build,) = _steps_using(jobs["image"], "docker/build-push-action@")
    assert "${{ steps.name.outputs.version }}" in build["with"]["tags"]
    assert build["with"]["push"] is True
    (publish,) = _steps_using(jobs["release"], "softprops/action-gh-release@")
    assert publish["with"]["files"] == "dist/*"
    assert jobs["release"]["permissions"]["contents"] == "write"
    assert _needs(jobs["release"]) == {"dist", "image"}


def test_workflows_install_the_pinned_tox() -> None:
    """Every ``pip install tox`` in a workflow uses the version requirements-dev.txt pins."""
    pinned = re.search(r"^tox==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.M)
    assert pinned is not None
    for path in WORKFLOWS.glob("*.y*ml"):
        text = path.read_text()
        for version in re.findall(r'TOX_VERSION: "([^"]+)"', text):
            assert version == pinned.group(1), path.name
        assert not re.search(r"pip install [\"']?tox==(?!\$\{TOX_VERSION\})", text), path.name


def test_actions_are_pinned_to_a_version() -> None:
    """No action is used at a branch (``@main``, ``@master``) or without a version."""
    for path in WORKFLOWS.glob("*.y*ml"):
        for job in _load(path.name)["jobs"].values():
            for step in job["steps"]:
                uses = step.get("uses")
                if uses is None or uses.startswith("docker://"):
                    continue
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+(\.\d+)*", uses), (path.name, uses)
