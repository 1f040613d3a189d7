"""Supervisors listen, whisper and barge through snoop channels and the agent's bridge."""

from __future__ import annotations

from tests.e2e.support import engine_with_sim, eventually


async def test_listen_whisper_and_barge(db_url: str) -> None:
    async with engine_with_sim(db_url) as stack:
        agent = await stack.api(
            "POST", "/v1/agents", {"name": "a", "endpoint": "PJSIP/9001"}, status=201
        )
        await stack.api("POST", f"/v1/agents/{agent['id']}/login", {})
        session = stack.runtime.sessions.get(agent["id"])
        ari = stack.runtime.ari

        for mode in ("listen", "whisper"):
            started = await stack.api(
                "POST",
                f"/v1/agents/{agent['id']}/supervise",
                {"mode": mode, "endpoint": "PJSIP/9100"},
                status=201,
            )
            sid = started["supervision_id"]

            async def bridged(sid: str = sid) -> bool:
                bridges = {b.id: b for b in await ari.bridges.list()}
                bridge = bridges.get(f"dsy-{sid}")
                return bridge is not None and set(bridge.channels) == {f"dss-{sid}", f"dsn-{sid}"}

            await eventually(bridged)
            snoop = await ari.channels.get(f"dsn-{sid}")
            assert snoop.name.startswith("Snoop/")
            await stack.api("DELETE", f"/v1/supervisions/{sid}", status=204)

            async def gone(sid: str = sid) -> bool:
                ids = {c.id for c in await ari.channels.list()}
                return f"dss-{sid}" not in ids and f"dsn-{sid}" not in ids

            await eventually(gone)

        barge = await stack.api(
            "POST",
            f"/v1/agents/{agent['id']}/supervise",
            {"mode": "barge", "endpoint": "PJSIP/9100"},
            status=201,
        )

        async def in_agent_bridge() -> bool:
            bridge = await ari.bridges.get(session.bridge_id)
            return f"dss-{barge['supervision_id']}" in bridge.channels

        await eventually(in_agent_bridge)
        missing = await stack.client.delete("/v1/supervisions/nope", headers=stack.admin)
        assert missing.status == 404
