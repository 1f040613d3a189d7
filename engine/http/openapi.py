"""The OpenAPI 3.1 document, generated from the declared endpoints."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from engine import __version__
from engine.http.api import Api, Endpoint

_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["id", "message", "details"],
            "properties": {
                "id": {"type": "string"},
                "message": {"type": "string"},
                "details": {},
            },
        }
    },
}

_ERROR_TEXT = {
    400: "Malformed request",
    401: "Not authenticated",
    403: "Role not allowed",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Body too large",
    415: "Body is not JSON",
    422: "Invalid fields",
    429: "Too many requests",
}


def _schema_ref(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", endpoint.path)
    ]
    if endpoint.query is not None:
        schema = endpoint.query.model_json_schema()
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append(
                {"name": name, "in": "query", "required": name in required, "schema": prop}
            )
    return params


def _error_statuses(endpoint: Endpoint) -> list[int]:
    statuses = set(endpoint.errors)
    if endpoint.roles is not None:
        statuses |= {401, 403}
    if endpoint.body is not None:
        statuses |= {400, 413, 415, 422}
    if endpoint.query is not None:
        statuses.add(422)
    if "{" in endpoint.path:
        statuses.add(404)
    return sorted(statuses)


def _operation(endpoint: Endpoint, components: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": endpoint.summary,
        "operationId": endpoint.handler.__name__,
        "tags": [endpoint.tag],
        "parameters": _parameters(endpoint),
        "responses": {},
    }
    if endpoint.roles is not None:
        operation["security"] = [{"bearer": []}, {"apiKey": []}]
        operation["description"] = "Roles: " + ", ".join(sorted(endpoint.roles))
    else:
        operation["security"] = []
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema_ref(endpoint.body, components)}},
        }
    ok: dict[str, Any] = {"description": "Success"}
    if endpoint.response is not None:
        ok["content"] = {"application/json": {"schema": _schema_ref(endpoint.response, components)}}
    operation["responses"][str(endpoint.status)] = ok
    for status in _error_statuses(endpoint):
        operation["responses"][str(status)] = {
            "description": _ERROR_TEXT.get(status, "Error"),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return operation


def build_document(api: Api) -> dict[str, Any]:
    components: dict[str, Any] = {"Error": _ERROR_SCHEMA}
    paths: dict[str, Any] = {}
    for endpoint in api.endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(
            endpoint, components
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Dialspool API",
            "version": __version__,
            "description": "Native API of the Dialspool dialing engine.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "Key=<api key>",
                },
            },
        },
    }
