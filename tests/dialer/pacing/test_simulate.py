import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.dialer.pacing import Predictive, Progressive
from engine.dialer.simulate import Dist, World, load, run_one
from engine.dialer.simulate.fates import FateStream
from engine.dialer.simulate.scenario import parse
from engine.errors import InvalidInput


def _accounted(world: World) -> None:
    assert world.dials == world.live + world.late + world.failed + len(world.dialling)
    assert world.live == world.routed + world.abandoned
    assert not world.waiting


@pytest.mark.parametrize("policy", [Progressive, Predictive])
def test_every_dial_is_accounted_for(policy: type) -> None:
    world = World(load("S2"), policy(), seed=3, hours=0.5)
    result = world.run()
    _accounted(world)
    assert result.dials == world.dials > 0


def test_progressive_never_abandons() -> None:
    result = run_one(load("S1"), "progressive", seed=0, hours=1.0)
    assert result.abandoned == 0


def test_occupancy_stays_under_the_bound() -> None:
    sc = load("S2")
    for policy in ("progressive", "predictive"):
        result = run_one(sc, policy, seed=1, hours=0.5)
        assert 0.0 < result.occupancy <= sc.foresight_bound() + 0.02


class RecordingStream(FateStream):
    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.seen: list[object] = []

    def next(self):  # type: ignore[no-untyped-def]
        fate = super().next()
        self.seen.append(fate)
        return fate


def test_every_policy_dials_the_same_call_list() -> None:
    sc = load("S1")
    lists = []
    for policy in (Progressive(), Predictive()):
        world = World(sc, policy, seed=7, hours=0.5)
        world.fates = RecordingStream(sc, 7)
        world.run()
        lists.append(world.fates.seen)
    short, long = sorted(lists, key=len)
    assert len(short) > 50
    assert long[: len(short)] == short


def test_a_seed_replays_exactly() -> None:
    sc = load("S5")
    a = run_one(sc, "predictive", seed=2, hours=0.25)
    b = run_one(sc, "predictive", seed=2, hours=0.25)
    assert a == b


SANE = {
    "S1": (0.55, 0.85),
    "S2": (0.65, 0.9),
    "S3": (0.5, 0.9),
    "S4": (0.7, 0.93),
    "S5": (0.65, 0.9),
}


@pytest.mark.parametrize("scenario", sorted(SANE))
def test_short_predictive_run_is_sane(scenario: str) -> None:
    sc = load(scenario)
    hours = 0.25 if sc.agents > 20 else 0.5
    result = run_one(sc, "predictive", seed=0, hours=hours)
    low, high = SANE[scenario]
    assert low < result.occupancy < high
    assert result.abandon_day <= 0.03
    assert result.peak_lines <= sc.agents * (1 + sc.max_lines_per_agent)
    assert result.connects_per_agent_hour > 10


@given(
    agents=st.integers(1, 8),
    p=st.floats(0.05, 0.7),
    talk=st.floats(10.0, 200.0),
    wrap=st.floats(1.0, 30.0),
    seed=st.integers(0, 1000),
)
@settings(max_examples=5, deadline=None)
def test_invariants_hold_in_random_worlds(
    agents: int, p: float, talk: float, wrap: float, seed: int
) -> None:
    sc = parse(
        {
            "agents": agents,
            "answer_rate": p,
            "talk": {"kind": "lognormal", "mean": talk, "cv": 1.0},
            "wrap": {"kind": "exponential", "mean": wrap},
        }
    )
    for policy in (Progressive(), Predictive()):
        world = World(sc, policy, seed=seed, hours=0.1)
        result = world.run()
        _accounted(world)
        assert 0.0 <= result.occupancy <= 1.0
        assert 0.0 <= result.abandon_day <= 1.0
        in_flight_cap = sc.agents * sc.max_lines_per_agent
        assert result.peak_lines <= in_flight_cap + sc.agents


def test_scenario_schedule_and_validation() -> None:
    sc = load("S5")
    assert sc.answer_rate_at(0.0) == 0.30
    assert sc.answer_rate_at(3 * 3600.0) == 0.15
    assert sc.answer_rate_at(7 * 3600.0) == 0.40
    with pytest.raises(InvalidInput):
        parse({"agents": 1, "talk": {"kind": "fixed", "mean": 1}, "wrap": {}, "typo": 1})
    with pytest.raises(InvalidInput):
        parse({"agents": 1, "talk": {"kind": "fixed", "mean": 1},
               "wrap": {"kind": "fixed", "mean": 1}, "busy": 0.5})  # fmt: skip


def test_foresight_bound_matches_pacing_md() -> None:
    bounds = {"S1": 0.909, "S2": 0.923, "S3": 0.900, "S4": 0.938, "S5": 0.923}
    for sid, bound in bounds.items():
        assert abs(load(sid).foresight_bound() - bound) < 0.002


def test_talk_floor_in_the_expected_value() -> None:
    assert Dist("fixed", mean=3.0).expected(5.0) == 5.0
    assert Dist("exponential", mean=150.0).expected(5.0) == pytest.approx(
        5.0 + 150.0 * 0.96722, rel=1e-4
    )
