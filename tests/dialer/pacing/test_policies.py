from engine.dialer.pacing import (
    CampaignStats,
    Power,
    Predictive,
    Progressive,
    VicidialAdaptAverage,
)

from .helpers import NOW, snapshot


def test_progressive_dials_one_line_per_available_agent() -> None:
    assert Progressive().decide(snapshot(available=4)) == 4


def test_progressive_counts_calls_already_in_flight() -> None:
    snap = snapshot(available=4, talking=(30.0,), dialling=(3.0, 8.0), waiting=(1.0,))
    assert Progressive().decide(snap) == 1


def test_progressive_never_negative_and_ignores_paused_agents() -> None:
    assert Progressive().decide(snapshot(available=1, paused=3, dialling=(1.0, 2.0))) == 0


def test_lines_per_agent_cap_binds_power() -> None:
    snap = snapshot(available=2, dialling=(1.0,) * 4, max_lines_per_agent=3.0)
    assert snap.line_room() == 2
    assert Power(10.0).decide(snap) == 2


def test_paused_agents_do_not_earn_lines() -> None:
    snap = snapshot(available=1, paused=5, max_lines_per_agent=3.0)
    assert snap.line_room() == 3


def test_predictive_never_dials_fewer_than_progressive() -> None:
    assert Predictive().decide(snapshot(available=6)) >= 6


def test_predictive_dials_ahead_of_agents_about_to_free_up() -> None:
    # Ten agents late in wrap-up: they will all be free within seconds.
    snap = snapshot(wrapping=(40.0,) * 10)
    assert Predictive().decide(snap) > 0


def test_predictive_holds_back_when_every_agent_just_started_talking() -> None:
    snap = snapshot(talking=(1.0,) * 10)
    assert Predictive().decide(snap) == 0


def test_predictive_respects_the_lines_cap() -> None:
    snap = snapshot(available=3, wrapping=(50.0,) * 3, max_lines_per_agent=1.0)
    assert Predictive().decide(snap) <= snap.line_room()


def test_predictive_falls_back_to_progressive_near_the_cap() -> None:
    stats = CampaignStats(NOW - 7200.0)
    for i in range(200):
        stats.record_live(NOW - 3000 + i, 10.0)
        if i % 36 == 0:  # 6 of 200: 3 %, at the cap
            stats.record_abandon(NOW - 2998 + i, NOW - 3000 + i)
        else:
            stats.record_routed(NOW - 3000 + i, NOW - 3000 + i)
    snap = snapshot(available=2, wrapping=(40.0,) * 10, stats=stats)
    assert Predictive().decide(snap) == snap.progressive_lines() == 2


def test_predictive_first_decision_is_cautious() -> None:
    # A fresh campaign, 10 agents free: not much more than one call each.
    stats = CampaignStats(NOW)
    snap = snapshot(available=10, stats=stats)
    assert 10 <= Predictive().decide(snap) <= 20


def test_vicidial_starts_at_level_one() -> None:
    policy = VicidialAdaptAverage()
    snap = snapshot(available=3, talking=(10.0,) * 2, dialling=(2.0,))
    # round(1 x (3 + 2)) - (1 ringing + 2 in call) = 2
    assert policy.decide(snap) == 2
    # The next dial pass comes 2.5 s later.
    assert policy.decide(snapshot(available=3, now=NOW + 1.0)) == 0


def test_vicidial_raises_its_level_when_agents_sit_ready() -> None:
    policy = VicidialAdaptAverage()
    for t in range(31):
        policy.decide(snapshot(available=4, talking=(10.0,) * 4, now=NOW + t))
    assert policy.level > 1.0
