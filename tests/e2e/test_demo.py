"""`make demo`'s main job, shortened: a predictive campaign against the simulator.

The same code as `dialspool demo` (seed, serve, log the agents in, start, show
progress, pause, drain), on the demo's own PBX profile, with fewer leads and
seconds. What it must show: answered people reach the agents, and after the
drain every lead is in a resting state and every call has ended. (How far
predictive dials ahead is the pacing benchmark's business: in its first
seconds it is cautious by design.)
"""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from engine.demo.run import run_demo
from engine.sim.server import start_sim
from engine.sim.world import load_profile
from engine.store.db import create_engine
from engine.store.tables import calls, spool_entries
from tests.e2e.support import sim_config

AGENTS = 10
LEADS = 500


async def test_demo_runs_a_predictive_campaign_and_accounts_for_every_lead(db_url: str) -> None:
    sim = await start_sim(profile=load_profile("engine/demo/profile.toml"), time_scale=10.0, seed=1)
    config = sim_config(
        db_url, sim, http={"host": "127.0.0.1", "port": 0, "shutdown_grace_seconds": 5}
    )
    out = io.StringIO()
    try:
        assert await run_demo(config, seconds=8, agents=AGENTS, leads=LEADS, out=out) == 0
    finally:
        await sim.close()
    text = out.getvalue()

    summary = re.search(
        r"dialled (\d+), answered by a person (\d+), connected to an agent (\d+), "
        r"abandoned (\d+)",
        text,
    )
    assert summary, text
    dialled, answered, connected, abandoned = map(int, summary.groups())
    assert dialled > answered > 0 and connected > 0, text
    assert connected + abandoned <= answered, text
    # Counted after the drain: every call dialled has its outcome.
    outcomes = re.search(r"outcomes: (.*)", text)
    assert outcomes, text
    assert sum(int(item.split()[-1]) for item in outcomes.group(1).split(", ")) == dialled, text
    assert f"of {LEADS} loaded (every lead accounted for)" in text, text

    db = create_engine(db_url)
    try:
        async with db.connect() as conn:
            states: dict[str, int] = dict(
                (
                    await conn.execute(
                        select(spool_entries.c.state, func.count()).group_by(spool_entries.c.state)
                    )
                ).all()
            )
            open_calls = (
                await conn.execute(
                    select(func.count()).select_from(calls).where(calls.c.ended_at.is_(None))
                )
            ).scalar_one()
            calls_made = (await conn.execute(select(func.count()).select_from(calls))).scalar_one()
    finally:
        await db.dispose()
    assert sum(states.values()) == LEADS
    # Drained: no lead is left claimed or dialling, no call left open.
    assert set(states) <= {"pending", "waiting_retry", "done"}, states
    assert open_calls == 0
    assert calls_made == dialled
