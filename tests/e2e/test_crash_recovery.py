"""An engine killed mid-campaign loses nothing: the next start closes its calls, hangs up
what it left in the PBX and puts every claimed lead back, never dialling one twice."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from engine.auth.service import AuthService
from engine.clock import LoopClock
from engine.config import AuthConfig
from engine.sim.profiles import lab_profile
from engine.sim.server import start_sim
from engine.store.db import create_engine
from engine.store.tables import calls, campaigns, spool_entries
from tests.e2e.support import add_leads, engine_with_sim, eventually

ALWAYS = {"windows": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}]}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _api(base: str, key: str, method: str, path: str, body: Any = None) -> Any:
    # In a thread: the simulator shares this event loop and must keep answering.
    return await asyncio.to_thread(_call, base, key, method, path, body)


def _call(base: str, key: str, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={"Authorization": f"Key={key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        payload = response.read()
    return json.loads(payload) if payload else None


@pytest.mark.timeout(120)
async def test_killed_engine_loses_no_lead(sqlite_url: str) -> None:
    sim = await start_sim(profile=lab_profile(), time_scale=10, seed=3)
    engine = create_engine(sqlite_url)
    key = await AuthService(
        engine, LoopClock(), AuthConfig(password_hash_time_cost=1, password_hash_memory_kib=1024)
    ).create_api_key("t", "admin")
    port = _free_port()
    env = {
        **os.environ,
        "DIALSPOOL_DATABASE_URL": sqlite_url,
        "DIALSPOOL_HTTP_PORT": str(port),
        "DIALSPOOL_ARI_URL": sim.ari_url,
    }
    log_path = Path(sqlite_url.split(":///", 1)[1]).with_name("engine.log")
    log_file = log_path.open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "engine",
        "serve",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log_file,
    )
    base = f"http://127.0.0.1:{port}"
    try:

        async def health() -> bool:
            try:
                body = await _api(base, key, "GET", "/v1/health")
            except OSError:
                return False
            return bool(body["components"]["ari"]["ok"])

        await eventually(health, within=30)
        db = await _api(
            base,
            key,
            "POST",
            "/v1/contact-databases",
            {"name": "d", "fields": ["phone"], "main_phone_field": "phone"},
        )
        campaign = await _api(
            base,
            key,
            "POST",
            "/v1/campaigns",
            {
                "name": "c",
                "mode": "progressive",
                "contact_database_id": db["id"],
                "rule_pack": "custom",
                "custom_rule_pack": ALWAYS,
            },
        )
        agent = await _api(base, key, "POST", "/v1/agents", {"name": "a", "endpoint": "PJSIP/9001"})
        await _api(
            base, key, "PUT", f"/v1/campaigns/{campaign['id']}/agents", {"agent_ids": [agent["id"]]}
        )
        await _api(base, key, "POST", f"/v1/agents/{agent['id']}/login", {})
        # 5xxx answer and stay up: the first call is still up when the engine dies.
        leads = await add_leads(
            sqlite_url, campaign["id"], db["id"], [["5001"], ["5002"], ["5003"]]
        )
        await _api(base, key, "POST", f"/v1/campaigns/{campaign['id']}/start")

        async def connected() -> bool:
            live = await _api(base, key, "GET", "/v1/live/campaigns")
            return bool(live["items"] and live["items"][0]["connected"] >= 1)

        await eventually(connected, within=30)
    except Exception:
        print(log_path.read_text())
        raise
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        log_file.close()
    assert len(sim.state.channels) >= 2  # the agent's leg and the customer, orphaned

    async with engine.connect() as conn:
        before = dict((await conn.execute(select(spool_entries.c.id, spool_entries.c.state))).all())
    assert sorted(before.values()) == ["dialling", "pending", "pending"]

    # The next start: pause the campaign first so that recovery alone is observed.
    async with engine.begin() as conn:
        await conn.execute(update(campaigns).values(status="paused"))
    await sim.close()
    async with engine_with_sim(sqlite_url) as stack:
        ari = stack.runtime.ari

        async def open_calls() -> list[Any]:
            async with engine.connect() as conn:
                found = await conn.execute(select(calls.c.uuid).where(calls.c.ended_at.is_(None)))
                return list(found.all())

        async def recovered() -> bool:
            # Recovery hangs the orphans up, then closes their calls: wait for both.
            ours = [c for c in await ari.channels.list() if c.id.startswith("ds")]
            return not ours and not await open_calls()

        await eventually(recovered)
        async with engine.connect() as conn:
            after = dict(
                (
                    await conn.execute(
                        select(
                            spool_entries.c.id,
                            spool_entries.c.state,
                        )
                    )
                ).all()
            )
            due = (
                await conn.execute(
                    select(spool_entries.c.due_at).where(spool_entries.c.id == leads[0])
                )
            ).scalar_one()
    await engine.dispose()
    assert sorted(after.values()) == ["pending", "pending", "pending"]
    # The lead whose call was up is not dialled again at once: it may have reached someone.
    assert due > datetime.now(UTC)
