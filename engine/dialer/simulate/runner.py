"""Runs of scenarios x policies x seeds, optionally on several processes."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor

from engine.dialer.pacing import (
    Caps,
    PacingPolicy,
    Power,
    Predictive,
    PredictiveConfig,
    Progressive,
    VicidialAdaptAverage,
)
from engine.dialer.simulate.metrics import Limits, RunResult
from engine.dialer.simulate.scenario import Scenario
from engine.dialer.simulate.world import simulate
from engine.errors import InvalidInput

# The analytic bound is a policy name like the others but is computed, not simulated.
FORESIGHT = "foresight"


def _predictive(sc: Scenario) -> PacingPolicy:
    caps = Caps(sc.abandon_cap_day, sc.abandon_cap_hour, sc.abandon_cap_first_hour)
    # Caps and drop time are the campaign's own settings, not the world's secrets.
    return Predictive(PredictiveConfig(caps=caps, drop_time=sc.drop_time))


def _vicidial(sc: Scenario) -> PacingPolicy:
    return VicidialAdaptAverage(cap=sc.abandon_cap_day)


FACTORIES: dict[str, Callable[[Scenario], PacingPolicy]] = {
    "progressive": lambda sc: Progressive(),
    "power": lambda sc: Power(2.0),
    "vicidial": _vicidial,
    "predictive": _predictive,
}
POLICY_NAMES = (*FACTORIES, FORESIGHT)
DEFAULT_POLICIES = ("progressive", "vicidial", "predictive", FORESIGHT)


def foresight_result(sc: Scenario, seed: int, hours: float) -> RunResult:
    bound = sc.foresight_bound()
    n_hours = max(1, math.ceil(hours - 1e-9))
    connects = 3600.0 * bound / sc.talk.expected(sc.talk_min)
    return RunResult(
        scenario=sc.id,
        policy=FORESIGHT,
        seed=seed,
        hours=hours,
        agents=sc.agents,
        occupancy=bound,
        abandon_day=0.0,
        abandon_worst_hour=0.0,
        worst_hour=0,
        abandon_first_hour=0.0,
        connects_per_agent_hour=connects,
        idle_per_connect=0.0,
        peak_lines=sc.agents,
        dials=0,
        live=0,
        routed=0,
        abandoned=0,
        unresolved=0,
        occupancy_by_hour=(bound,) * n_hours,
        abandon_by_hour=(0.0,) * n_hours,
        live_by_hour=(0,) * n_hours,
        abandoned_by_hour=(0,) * n_hours,
        limits=Limits(sc.abandon_cap_day, sc.abandon_cap_hour, sc.abandon_cap_first_hour),
    )


def run_one(sc: Scenario, policy: str, seed: int, hours: float | None = None) -> RunResult:
    h = sc.hours if hours is None else hours
    if policy == FORESIGHT:
        return foresight_result(sc, seed, h)
    factory = FACTORIES.get(policy)
    if factory is None:
        raise InvalidInput(f"unknown policy {policy!r}; one of {', '.join(POLICY_NAMES)}")
    return simulate(sc, factory(sc), seed, h)


def _run_job(job: tuple[Scenario, str, int, float | None]) -> RunResult:
    return run_one(*job)


def run_many(
    scenarios: Iterable[Scenario],
    policies: Iterable[str],
    *,
    seeds: int | None = None,
    hours: float | None = None,
    jobs: int = 1,
    first_seed: int = 0,
) -> list[RunResult]:
    """Every scenario x policy x seed (seeds first_seed.. first_seed + n - 1; n
    from the scenario if None). Seeds other than the benchmark's 0..9 check
    that a result holds on call lists it was not tuned on."""
    policies = list(policies)
    for policy in policies:
        if policy not in POLICY_NAMES:
            raise InvalidInput(f"unknown policy {policy!r}; one of {', '.join(POLICY_NAMES)}")
    work = [
        (sc, policy, seed, hours)
        for sc in scenarios
        for policy in policies
        for seed in range(first_seed, first_seed + (sc.seeds if seeds is None else seeds))
    ]
    if jobs <= 1:
        return [_run_job(job) for job in work]
    # Costliest first, so that no long run starts last.
    order = sorted(range(len(work)), key=lambda i: -work[i][0].agents)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        done = dict(zip(order, pool.map(_run_job, [work[i] for i in order]), strict=True))
    return [done[i] for i in range(len(work))]
