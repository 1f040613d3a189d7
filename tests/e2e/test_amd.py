"""Answering-machine detection: machines are hung up, people reach an agent."""

from __future__ import annotations

from engine.sim.profiles import lab_profile
from engine.sim.world import parse_profile
from tests.e2e.support import add_leads, engine_with_sim, eventually

MACHINES = """
[[numbers]]
match = "8*"
outcome = "machine"
ring = 1.0
talk = 20.0
"""


async def test_machines_are_detected_and_people_routed(db_url: str) -> None:
    lab = lab_profile()
    # First match wins: the machines' rule goes ahead of the lab's catch-all.
    profile = lab.model_copy(update={"numbers": parse_profile(MACHINES).numbers + lab.numbers})
    async with engine_with_sim(db_url, profile=profile) as stack:
        campaign = await stack.campaign(
            {
                "name": "amd",
                "mode": "progressive",
                "amd_enabled": True,
                "wrapup_seconds": 0,
            }
        )
        agent = await stack.api(
            "POST", "/v1/agents", {"name": "a", "endpoint": "PJSIP/9001"}, status=201
        )
        await stack.api(
            "PUT", f"/v1/campaigns/{campaign['id']}/agents", {"agent_ids": [agent["id"]]}
        )
        await stack.api("POST", f"/v1/agents/{agent['id']}/login", {})
        await add_leads(
            db_url, campaign["id"], campaign["contact_database_id"], [["8001"], ["1001"]]
        )
        await stack.api("POST", f"/v1/campaigns/{campaign['id']}/start")

        async def both_ended() -> dict[str, int] | None:
            live = (await stack.api("GET", "/v1/live/campaigns"))["items"]
            outcomes: dict[str, int] = live[0]["outcomes"] if live else {}
            return outcomes if sum(outcomes.values()) >= 2 else None

        outcomes = await eventually(both_ended, within=30)
        assert outcomes == {"machine": 1, "answered": 1}
        live = (await stack.api("GET", "/v1/live/campaigns"))["items"][0]
        assert live["connected"] == 1 and live["abandoned"] == 0
