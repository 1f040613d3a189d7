"""The simulator against Asterisk's declarations, programmatically.

Every handler serves a declared operation; every declared operation answers
(none falls through to 501); required parameters are enforced, undeclared
ones and values outside allowableValues refused; the api-docs are served.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from engine.sim.declarations import Declarations, Operation
from engine.sim.routes import ROUTES


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x-missing", path)


def _valid_value(param: Any) -> str:
    if param.allowed_values:
        return str(param.allowed_values[0])
    return {"int": "1", "long": "1", "boolean": "true", "double": "1.0"}.get(param.data_type, "x")


def _rest_ops(declarations: Declarations) -> list[Operation]:
    return [op for op in declarations.operations if op.upgrade is None]


def test_every_handler_is_a_declared_operation(declarations: Declarations) -> None:
    declared = {op.key for op in declarations.operations}
    assert set(ROUTES) <= declared, set(ROUTES) - declared


def test_every_declared_rest_operation_is_implemented(declarations: Declarations) -> None:
    missing = {op.key for op in _rest_ops(declarations)} - set(ROUTES)
    assert not missing


def test_sim_serves_no_undeclared_ari_route(sim: Any) -> None:
    resources = {r.canonical for r in sim._runner.app.router.resources()}
    assert {c for c in resources if not c.startswith("/_sim/")} == {"/ari/{tail}"}


async def test_unknown_path_and_method(ari: Any) -> None:
    reply = await ari.call("GET", "/channels/a/b/c")
    assert (reply.status, reply.body) == (404, {"message": "Resource not found"})
    reply = await ari.call("PATCH", "/channels")
    assert (reply.status, reply.body) == (405, {"message": "Invalid method"})


async def test_required_parameters_are_enforced(ari: Any, declarations: Declarations) -> None:
    checked = 0
    for op in _rest_ops(declarations):
        required = [p for p in op.params if p.required and p.location == "query"]
        for missing in required:
            params = {p.name: _valid_value(p) for p in required if p is not missing}
            reply = await ari.call(op.method, _fill(op.path), params=params)
            assert reply.status == 400, (op.key, missing.name, reply.status, reply.body)
            assert reply.body["message"], op.key
            checked += 1
    assert checked >= 30


async def test_undeclared_parameters_are_refused(ari: Any, declarations: Declarations) -> None:
    for op in _rest_ops(declarations):
        reply = await ari.call(op.method, _fill(op.path), params={"noSuchParam": "1"})
        assert reply.status == 400, op.key
        assert reply.body == {"message": "Unknown parameter noSuchParam"}, op.key


async def test_allowable_values_are_enforced(ari: Any, declarations: Declarations) -> None:
    checked = 0
    for op in _rest_ops(declarations):
        for param in op.params:
            if param.location != "query" or not param.allowed_values:
                continue
            params = {
                p.name: _valid_value(p)
                for p in op.params
                if p.location == "query" and p.required and p is not param
            }
            params[param.name] = "not-an-allowed-value"
            reply = await ari.call(op.method, _fill(op.path), params=params)
            assert reply.status == 400, (op.key, param.name, reply.body)
            checked += 1
    assert checked >= 15


async def test_typed_parameters_are_checked(ari: Any) -> None:
    reply = await ari.call(
        "POST", "/channels", params={"endpoint": "Local/1@lab", "app": "a", "timeout": "soon"}
    )
    assert reply.status == 400
    assert reply.body == {"message": "Invalid value for parameter timeout"}


async def test_parameters_may_come_in_a_json_body(ari: Any) -> None:
    log = await ari.events("app1")
    reply = await ari.call(
        "POST",
        "/channels",
        body={"endpoint": "Local/5001@lab", "app": "app1", "variables": {"X": "1"}},
    )
    assert reply.status == 200
    assert ari.sim.state.channels[reply.body["id"]].variables == {"X": "1"}
    await log.close()


@pytest.mark.parametrize("name", ["resources", "channels", "events", "bridges"])
async def test_api_docs_are_the_declarations(
    ari: Any, declarations: Declarations, name: str
) -> None:
    reply = await ari.call("GET", f"/api-docs/{name}.json")
    assert reply.status == 200
    source = declarations.listing if name == "resources" else declarations.apis[name]
    assert reply.body == {**source, "basePath": ari.sim.ari_url}


def test_declarations_directory_is_overridable(monkeypatch: Any, tmp_path: Any) -> None:
    from engine.sim.declarations import ENV_VAR, declarations_dir

    assert declarations_dir(tmp_path) == tmp_path
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert declarations_dir() == tmp_path
