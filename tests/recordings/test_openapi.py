"""The recordings routes document themselves beside the rest of the native API.

(Full OpenAPI validation of the whole document runs in tests/http/test_openapi.py.)"""

from __future__ import annotations

from engine.app import build_api
from engine.http.openapi import build_document


def test_recordings_routes_are_documented_with_unique_operation_ids() -> None:
    api = build_api()  # the recordings routes are part of it
    document = build_document(api)
    names = [endpoint.handler.__name__ for endpoint in api.endpoints]
    assert len(names) == len(set(names))
    search = document["paths"]["/v1/recordings"]["get"]
    assert {p["name"] for p in search["parameters"]} >= {"date_from", "tag", "cursor", "limit"}
    download = document["paths"]["/v1/recordings/{id}/file"]["get"]
    assert {"401", "403", "404", "416"} <= set(download["responses"])
    assert "/v1/calls/{call_id}/recording/pause" in document["paths"]
