"""Lead loading over HTTP: streamed body, per-line errors, loads listed and removed."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.helpers import bearer, error_of, user_token

CSV = "phone,name,crm_id\n(202) 555-0101,Ann,c1\nnot-a-number,Bob,c2\n+1 312 555 0102,Cid,c3\n"


async def test_upload_list_and_remove(client: TestClient) -> None:
    admin = bearer(await user_token(client, "root", "admin"))
    db = await (
        await client.post(
            "/v1/contact-databases",
            json={
                "name": "d",
                "fields": ["phone", "name", "crm_id"],
                "main_phone_field": "phone",
                "external_id_field": "crm_id",
            },
            headers=admin,
        )
    ).json()
    campaign = await (
        await client.post(
            "/v1/campaigns", json={"name": "c", "contact_database_id": db["id"]}, headers=admin
        )
    ).json()

    response = await client.post(
        f"/v1/campaigns/{campaign['id']}/leads?format=csv&name=spring.csv",
        data=CSV.encode(),
        headers=admin | {"Content-Type": "text/csv"},
    )
    assert response.status == 201, await response.text()
    report = await response.json()
    assert (report["loaded"], report["failed"]) == (2, 1)
    assert report["errors"][0]["line"] == 3 and report["errors"][0]["field"] == "phone"

    again = await client.post(
        f"/v1/campaigns/{campaign['id']}/leads?duplicates=skip", data=CSV.encode(), headers=admin
    )
    assert (await again.json())["skipped"] == 2

    loads = await (await client.get(f"/v1/campaigns/{campaign['id']}/loads", headers=admin)).json()
    assert {load["source_name"] for load in loads["items"]} == {"spring.csv", "upload"}
    first = min(load["id"] for load in loads["items"])
    removed = await client.delete(f"/v1/loads/{first}", headers=admin)
    assert removed.status == 200
    assert (await removed.json())["entries_removed"] == 2

    unknown = await client.post("/v1/campaigns/999/leads", data=CSV.encode(), headers=admin)
    assert unknown.status == 404
    bad_query = await client.post(
        f"/v1/campaigns/{campaign['id']}/leads?format=xls", data=b"x", headers=admin
    )
    assert bad_query.status == 422
    assert (await error_of(bad_query))["details"][0]["field"] == "format"
