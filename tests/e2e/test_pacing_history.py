"""A predictive campaign started again picks its pacing up from its own call records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from engine.dialer.pacing.stats import HOUR
from engine.store.db import create_engine
from engine.store.tables import calls
from tests.e2e.support import engine_with_sim, eventually


async def _history(db_url: str, campaign_id: int, answered_at: datetime) -> None:
    """400 attempts an hour ago and more: 120 people, 4 of them abandoned, talks of 80 s;
    and an abandon a day and an hour old."""
    rows = []
    for i in range(400):
        dialled = answered_at - timedelta(seconds=10 + i)
        outcome = "no_answer"
        if i % 10 < 3:
            outcome = "abandoned" if i < 40 and i % 10 == 0 else "answered"
        row = {
            "uuid": f"history-{i}",
            "campaign_id": campaign_id,
            "direction": "outbound",
            "number": f"+1202555{i:04d}",
            "created_at": dialled,
            "answered_at": None,
            "bridged_at": None,
            "ended_at": dialled + timedelta(seconds=25),
            "outcome": outcome,
        }
        if outcome == "answered":
            row |= {
                "answered_at": answered_at,
                "bridged_at": answered_at,
                "ended_at": answered_at + timedelta(seconds=80),
            }
        elif outcome == "abandoned":
            row |= {"answered_at": answered_at, "ended_at": answered_at + timedelta(seconds=2)}
        rows.append(row)
    old = answered_at - timedelta(days=1, hours=1)
    rows.append(
        {
            "uuid": "history-old",
            "campaign_id": campaign_id,
            "direction": "outbound",
            "number": "+12025559999",
            "created_at": old,
            "answered_at": old,
            "bridged_at": None,
            "ended_at": old,
            "outcome": "abandoned",
        }
    )
    engine = create_engine(db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(calls), rows)
    finally:
        await engine.dispose()


async def test_a_restarted_campaign_learns_from_and_answers_for_its_past_calls(
    db_url: str,
) -> None:
    async with engine_with_sim(db_url) as stack:
        campaign = await stack.campaign(
            {
                "name": "again",
                "mode": "predictive",
                "wrapup_seconds": 30,
            }
        )
        answered_at = datetime.now(UTC) - timedelta(hours=1)
        await _history(db_url, campaign["id"], answered_at)
        await stack.api("POST", f"/v1/campaigns/{campaign['id']}/start")
        dialer = stack.runtime.dialer
        await eventually(lambda: campaign["id"] in dialer.runners)
        runner = dialer.runners[campaign["id"]]
        await eventually(lambda: runner.stats.priors.wrap_mean == 30.0)

        priors = runner.stats.priors
        # The week's dials teach the rate, the old one included; only the last
        # 24 hours' answers stay in the abandon ledger.
        assert abs(priors.answer_rate - 121 / 401) < 1e-9
        assert priors.talk_mean == 80.0
        ledger = runner.stats.ledger
        hour = int(answered_at.timestamp() // HOUR)
        assert (ledger.live[hour], ledger.abandoned[hour]) == (120, 4)
        assert (ledger.day_live, ledger.day_abandoned) == (120, 4)
        assert (ledger.first_live, ledger.first_abandoned) == (0, 0)
