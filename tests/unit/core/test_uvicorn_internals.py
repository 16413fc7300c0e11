"""The uvicorn internals core/server.py relies on are still there, and of the same kind.

server.py subclasses uvicorn's ``HttpToolsProtocol`` and uses members uvicorn does not
document: parser callbacks it overrides and calls through ``super()``, per-connection
and per-request attributes, ``RequestResponseCycle`` attributes. pyproject.toml bounds
uvicorn to the versions tested; when the bound is raised, these tests name each member
that moved, instead of a refused request somewhere in the gateway's tests.

The tables are checked against server.py itself (the last tests): a member server.py
starts to use without a row here fails too.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import tomllib
from collections import deque
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from packaging.requirements import Requirement
from packaging.version import Version
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.server import ServerState

from backbone.core import server
from backbone.core.server import LimitedHttpToolsProtocol
from tests.unit.core.test_server import FakeTransport, ok_app, settle

ROOT = Path(__file__).resolve().parents[3]

# HttpToolsProtocol methods server.py overrides or calls: name -> parameters after self.
METHODS: dict[str, tuple[str, ...]] = {
    "__init__": ("config", "server_state", "app_state", "_loop"),
    "connection_made": ("transport",),
    "connection_lost": ("exc",),
    "data_received": ("data",),
    "on_message_begin": (),
    "on_url": ("url",),
    "on_header": ("name", "value"),
    "on_headers_complete": (),
    "on_body": ("body",),
    "on_message_complete": (),
    "on_response_complete": (),
    "send_400_response": ("msg",),
    "_unset_keepalive_if_required": (),
}
# HttpToolsProtocol attributes set in __init__ -> their type once a request is in.
PROTOCOL_ATTRIBUTES: dict[str, type | tuple[type, ...]] = {
    "loop": asyncio.AbstractEventLoop,
    "parser": object,  # an httptools parser: its get_http_version() is checked below
    "server_state": ServerState,
    "transport": asyncio.Transport,
    "flow": FlowControl,
    "pipeline": deque,
    "scope": dict,
    "headers": list,
    "cycle": RequestResponseCycle,
}
# RequestResponseCycle attributes set in __init__ -> their type.
CYCLE_ATTRIBUTES: dict[str, type] = {
    "transport": asyncio.Transport,
    "scope": dict,
    "response_started": bool,
    "response_complete": bool,
    "disconnected": bool,
    "message_event": asyncio.Event,
}


def _fail(member: str, relied_on: str, found: str) -> None:
    pytest.fail(
        f"uvicorn {uvicorn.__version__}: {member} changed; backbone/core/server.py relies"
        f" on it as {relied_on}, found {found}",
        pytrace=False,
    )


def test_pyproject_bounds_uvicorn_to_the_tested_minor_version() -> None:
    """[project] allows the uvicorn requirements.txt pins, and no later minor version."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (spec,) = [r for r in map(Requirement, project["dependencies"]) if r.name == "uvicorn"]
    pins = (ROOT / "requirements.txt").read_text().splitlines()
    (pinned,) = [Requirement(line).specifier for line in pins if line.startswith("uvicorn")]
    tested = Version(next(iter(pinned)).version)
    assert spec.specifier.contains(tested)
    assert Version(uvicorn.__version__) == tested
    next_minor = Version(f"{tested.major}.{tested.minor + 1}.0")
    assert not spec.specifier.contains(next_minor), f"{spec} allows untested {next_minor}"


@pytest.mark.parametrize("name", METHODS)
def test_protocol_methods_keep_their_signature(name: str) -> None:
    """Each method server.py overrides or calls is a method with the same parameters."""
    member = f"HttpToolsProtocol.{name}"
    method = inspect.getattr_static(HttpToolsProtocol, name, None)
    if not inspect.isfunction(method):
        _fail(member, "a method", repr(method))
    parameters = tuple(inspect.signature(method).parameters)[1:]
    if parameters != METHODS[name]:
        _fail(member, f"a method taking {METHODS[name]}", f"one taking {parameters}")


def _protocol() -> HttpToolsProtocol:
    config = uvicorn.Config(ok_app, lifespan="off", log_config=None, ws="none")
    return HttpToolsProtocol(config=config, server_state=ServerState(), app_state={})


async def _serving() -> HttpToolsProtocol:
    """uvicorn's own protocol, with a request's headers in and its answer written."""
    protocol = _protocol()
    protocol.connection_made(FakeTransport())
    protocol.data_received(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    await settle()
    return protocol


@pytest.mark.parametrize("name", PROTOCOL_ATTRIBUTES)
async def test_protocol_attributes_are_set_in_init_and_keep_their_type(name: str) -> None:
    """Each attribute is an instance attribute from __init__ on, of the type server.py uses."""
    member = f"HttpToolsProtocol.{name}"
    if callable(inspect.getattr_static(HttpToolsProtocol, name, None)):
        _fail(member, "an instance attribute", "a method")
    if name not in vars(_protocol()):
        _fail(member, "an attribute set in __init__", "none after __init__")
    value = getattr(await _serving(), name)
    if not isinstance(value, PROTOCOL_ATTRIBUTES[name]):
        _fail(member, f"a {PROTOCOL_ATTRIBUTES[name]}", repr(value))


@pytest.mark.parametrize("name", CYCLE_ATTRIBUTES)
async def test_cycle_attributes_are_set_in_init_and_keep_their_type(name: str) -> None:
    """Each RequestResponseCycle attribute server.py reads or sets is there, of its type."""
    cycle = (await _serving()).cycle
    if name not in vars(cycle):
        _fail(f"RequestResponseCycle.{name}", "an attribute set in __init__", "none")
    if not isinstance(vars(cycle)[name], CYCLE_ATTRIBUTES[name]):
        _fail(
            f"RequestResponseCycle.{name}", f"a {CYCLE_ATTRIBUTES[name]}", repr(vars(cycle)[name])
        )


async def test_the_members_of_the_members() -> None:
    """parser.get_http_version, server_state.total_requests, flow.resume_reading."""
    protocol = await _serving()
    if protocol.parser.get_http_version() != "1.1":
        _fail("HttpToolsProtocol.parser.get_http_version()", "'1.1'", "something else")
    if not isinstance(vars(protocol.server_state).get("total_requests"), int):
        _fail("ServerState.total_requests", "an int attribute", repr(vars(ServerState())))
    resume = inspect.getattr_static(FlowControl, "resume_reading", None)
    if not inspect.isfunction(resume) or tuple(inspect.signature(resume).parameters) != ("self",):
        _fail("FlowControl.resume_reading", "a method without parameters", repr(resume))


def test_the_cycle_uses_no_transport_method_the_cycle_transport_lacks() -> None:
    """RequestResponseCycle calls on its transport only what _CycleTransport overrides."""
    source = inspect.getsource(RequestResponseCycle)
    used = _attributes_of(ast.parse(source), lambda value: _is_self_attr(value, "transport"))
    overridden = set(vars(server._CycleTransport))
    if missing := used - overridden:
        _fail("RequestResponseCycle's use of its transport", "write/close/is_closing", missing)


# ------------------------------------------------------------------ the tables vs server.py


def _is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _is_self_attr(node: ast.expr, attr: str) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == attr and _is_name(node.value, "self")


def _attributes_of(tree: ast.AST, on: Any) -> set[str]:
    """The attribute names read or set on the expressions ``on`` accepts."""
    return {
        node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute) and on(node.value)
    }


def _server_class(name: str) -> ast.ClassDef:
    tree = ast.parse(Path(server.__file__).read_text())
    (found,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name]
    return found


def _our_members() -> set[str]:
    """What LimitedHttpToolsProtocol defines: class members and attributes its __init__ sets."""
    init = next(
        node
        for node in _server_class("LimitedHttpToolsProtocol").body
        if isinstance(node, ast.FunctionDef) and node.name == "__init__"
    )
    assigned = _attributes_of(init, lambda value: _is_name(value, "self"))
    return assigned | set(vars(LimitedHttpToolsProtocol)) - set(vars(HttpToolsProtocol))


def test_every_uvicorn_member_server_py_uses_is_checked_here() -> None:
    """self.X, super().X, cycle.X and _protocol.X in server.py all have a row above."""
    protocol = _server_class("LimitedHttpToolsProtocol")
    ours = _our_members()
    checked = set(METHODS) | set(PROTOCOL_ATTRIBUTES)
    on_self = _attributes_of(protocol, lambda value: _is_name(value, "self")) - ours
    on_super = _attributes_of(
        protocol, lambda value: isinstance(value, ast.Call) and _is_name(value.func, "super")
    )
    on_cycle = _attributes_of(
        protocol, lambda value: _is_name(value, "cycle") or _is_self_attr(value, "cycle")
    )
    on_protocol = _attributes_of(
        _server_class("_CycleTransport"), lambda value: _is_self_attr(value, "_protocol")
    )
    overridden = set(vars(LimitedHttpToolsProtocol)) & set(vars(HttpToolsProtocol))
    assert on_self - checked == set()
    assert on_super - set(METHODS) == set()
    assert on_cycle - set(CYCLE_ATTRIBUTES) == set()
    assert on_protocol - ours - checked == set()
    assert {name for name in overridden if not name.startswith("__")} - set(METHODS) == set()
