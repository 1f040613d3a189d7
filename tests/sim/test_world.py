"""The world model and profiles: pure, seeded, no I/O."""

from __future__ import annotations

import statistics

import pytest
from pydantic import ValidationError

from engine.sim.profiles import lab_profile, resolve_profile
from engine.sim.world import Distribution, Profile, World, parse_profile


def test_same_seed_same_world_whatever_the_order() -> None:
    a, b = World(Profile(), seed=7), World(Profile(), seed=7)
    plans_a = [a.plan(n) for n in ("100", "200", "100")]
    plans_b = [b.plan(n) for n in ("200", "100", "100")]
    assert plans_a[0] == plans_b[1]
    assert plans_a[1] == plans_b[0]
    assert plans_a[2] == plans_b[2]


def test_mix_is_respected() -> None:
    world = World(Profile(mix={"person": 0.5, "busy": 0.5}), seed=1)
    outcomes = [world.plan(str(n)).outcome for n in range(2000)]
    assert set(outcomes) == {"person", "busy"}
    assert 0.45 < outcomes.count("person") / 2000 < 0.55


def test_first_matching_rule_wins() -> None:
    profile = parse_profile(
        """
[[numbers]]
match = "55*"
outcome = "busy"
ring = 1.5

[[numbers]]
match = "5*"
outcome = "person"
ring = 2.0
talk = 4.0
"""
    )
    world = World(profile)
    busy, person = world.plan("5512"), world.plan("5012")
    assert (busy.outcome, busy.ring, busy.cause) == ("busy", 1.5, 17)
    assert (person.outcome, person.ring, person.talk, person.cause) == ("person", 2.0, 4.0, 16)


def test_lab_profile_reproduces_the_trace_dialplan() -> None:
    world = World(lab_profile())
    expect = {
        "1001": ("person", 2.0, 4.5),
        "2001": ("busy", 1.0, None),
        "3001": ("no_answer", None, None),
        "4001": ("congestion", 1.0, None),
        "5001": ("person", 1.0, None),
        "6001": ("rejected", 0.0, 1.5),
        "9001": ("person", 0.0, None),
    }
    for number, (outcome, ring, talk) in expect.items():
        plan = world.plan(number)
        assert plan.outcome == outcome, number
        if ring is not None:
            assert plan.ring == ring, number
        assert plan.talk == talk, number
    assert world.plan("6001").cause == 21
    assert resolve_profile("lab") == lab_profile()


@pytest.mark.parametrize(
    ("dist", "mean"),
    [
        (Distribution(kind="fixed", value=3.0), 3.0),
        (Distribution(kind="uniform", low=2.0, high=4.0), 3.0),
        (Distribution(kind="exponential", mean=5.0), 5.0),
        (Distribution(kind="lognormal", mean=60.0, cv=0.5), 60.0),
    ],
)
def test_distribution_means(dist: Distribution, mean: float) -> None:
    import random

    rng = random.Random(3)
    samples = [dist.sample(rng) for _ in range(20000)]
    assert statistics.fmean(samples) == pytest.approx(mean, rel=0.05)
    assert min(samples) >= 0


def test_lognormal_cv() -> None:
    import random

    rng = random.Random(5)
    dist = Distribution(kind="lognormal", mean=10.0, cv=0.8)
    samples = [dist.sample(rng) for _ in range(50000)]
    cv = statistics.pstdev(samples) / statistics.fmean(samples)
    assert cv == pytest.approx(0.8, rel=0.1)


def test_amd_error_rate() -> None:
    profile = parse_profile(
        "[amd]\nerror_rate = 0.1\nnotsure_rate = 0.0\n"
        '[[numbers]]\nmatch = "*"\noutcome = "machine"\n'
    )
    world = World(profile, seed=2)
    verdicts = [world.plan(str(n)).amd_status for n in range(4000)]
    assert 0.07 < verdicts.count("HUMAN") / 4000 < 0.13


def test_bad_profiles_are_refused() -> None:
    with pytest.raises(ValidationError):
        parse_profile('[[numbers]]\nmatch = "1*"\noutcome = "maybe"\n')
    with pytest.raises(ValidationError):
        parse_profile("unknown_key = 1\n")
    with pytest.raises(ValidationError):
        Profile(mix={"person": 0.0})
