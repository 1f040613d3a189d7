"""`dialspool simulate`: the pacing policies in virtual time, on the PACING.md world.

A discrete-event simulation (`world`) of one campaign shift per scenario
(`scenario`, TOML files under scenarios/), policy and seed, dialling a call
list fixed by the seed (`fates`), driving the very policy objects the live
runner uses, and reporting occupancy and abandon figures (`metrics`, `report`).
"""

from engine.dialer.simulate.metrics import Limits, RunResult
from engine.dialer.simulate.runner import POLICY_NAMES, run_many, run_one
from engine.dialer.simulate.scenario import Dist, Scenario, builtin_ids, load
from engine.dialer.simulate.world import World, simulate

__all__ = [
    "POLICY_NAMES",
    "Dist",
    "Limits",
    "RunResult",
    "Scenario",
    "World",
    "builtin_ids",
    "load",
    "run_many",
    "run_one",
    "simulate",
]
