"""The OpenAPI document is generated from the routes and is valid OpenAPI 3.1."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from openapi_spec_validator import validate

from engine.app import build_api


async def test_document_is_valid_and_lists_every_route(client: TestClient) -> None:
    response = await client.get("/v1/openapi.json")
    assert response.status == 200
    document = await response.json()
    validate(document)  # raises on an invalid document
    assert document["openapi"] == "3.1.0"
    served = {
        (route.method, route.resource.canonical)
        for route in client.app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }
    documented = {
        (method.upper(), path) for path, ops in document["paths"].items() for method in ops
    }
    assert served == documented


async def test_protected_operations_declare_security_and_auth_errors(client: TestClient) -> None:
    document = await (await client.get("/v1/openapi.json")).json()
    users = document["paths"]["/v1/users"]["post"]
    assert users["security"] == [{"bearer": []}, {"apiKey": []}]
    assert {"201", "401", "403", "409", "422"} <= set(users["responses"])
    assert document["paths"]["/v1/health"]["get"]["security"] == []
    body_ref = users["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body_ref.rsplit("/", 1)[1] in document["components"]["schemas"]


def test_every_endpoint_has_a_unique_operation_id() -> None:
    names = [endpoint.handler.__name__ for endpoint in build_api().endpoints]
    assert len(names) == len(set(names))


async def test_docs_page_is_served(client: TestClient) -> None:
    response = await client.get("/docs")
    assert response.status == 200
    assert response.content_type == "text/html"
    assert "/v1/openapi.json" in await response.text()
