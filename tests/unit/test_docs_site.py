"""mkdocs.yml's navigation and the documentation files keep up with each other."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


class _ConfigLoader(yaml.SafeLoader):
    """SafeLoader that reads mkdocs.yml's ``!!python/name:`` tags as plain strings."""


_ConfigLoader.add_multi_constructor(
    "tag:yaml.org,2002:python/name:", lambda loader, suffix, node: suffix
)


def _config() -> dict[str, Any]:
    config: dict[str, Any] = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=_ConfigLoader)  # noqa: S506 - SafeLoader subclass
    return config


def _pages(nav: Any) -> list[str]:
    """Every file the navigation names, in order."""
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [page for item in nav for page in _pages(item)]
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in _pages(value)]
    return []


def test_every_page_in_the_nav_exists() -> None:
    """Each file mkdocs.yml's nav names is under docs/."""
    missing = [page for page in _pages(_config()["nav"]) if not (DOCS / page).is_file()]
    assert missing == []


def test_every_markdown_file_is_in_the_nav_once() -> None:
    """No page is left out of the navigation, and none is listed twice."""
    pages = _pages(_config()["nav"])
    assert len(pages) == len(set(pages))
    on_disk = {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}
    assert on_disk == set(pages)


def test_the_site_is_strict_material_with_mermaid_and_the_openapi_renderer() -> None:
    """Material theme, strict builds, Mermaid fences and neoteroi's OpenAPI plugin."""
    config = _config()
    assert config["theme"]["name"] == "material"
    assert config["strict"] is True
    assert any(
        isinstance(plugin, dict) and "neoteroi.mkdocsoad" in plugin for plugin in config["plugins"]
    )
    fences = next(
        ext["pymdownx.superfences"]["custom_fences"]
        for ext in config["markdown_extensions"]
        if isinstance(ext, dict) and "pymdownx.superfences" in ext
    )
    assert {
        "name": "mermaid",
        "class": "mermaid",
        "format": "pymdownx.superfences.fence_code_format",
    } in fences


def test_every_contract_has_an_api_page_rendering_it() -> None:
    """Each contracts/openapi/*.yaml is rendered by an [OAD(...)] line on its own page."""
    for contract in sorted((ROOT / "contracts" / "openapi").glob("*.yaml")):
        page = DOCS / "api" / f"{contract.stem}.md"
        assert f"[OAD(./contracts/openapi/{contract.name})]" in page.read_text(), contract.name


def test_the_docs_tooling_is_pinned_and_part_of_the_dev_requirements() -> None:
    """mkdocs and its plugins are pinned exactly, and make / tox build the site strictly."""
    lines = (ROOT / "requirements-docs.txt").read_text().splitlines()
    pins = dict(line.split("==") for line in lines if line and not line.startswith("#"))
    assert {"mkdocs", "mkdocs-material", "pymdown-extensions", "neoteroi-mkdocs"} <= set(pins)
    assert "-r requirements-docs.txt" in (ROOT / "requirements-dev.txt").read_text().splitlines()
    assert re.search(
        r"^docs: .*\n\t.*mkdocs build --strict$", (ROOT / "Makefile").read_text(), re.M
    )
    assert re.search(r"^envlist = .*\bdocs\b", (ROOT / "tox.ini").read_text(), re.M)
