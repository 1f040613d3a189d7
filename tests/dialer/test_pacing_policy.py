"""A campaign's dial settings reach the pacing policy its runner uses."""

from __future__ import annotations

from engine.dialer.campaigns import Campaign
from engine.dialer.pacing import Power, Predictive, PredictiveConfig, Progressive
from engine.dialer.runner import NoDialling, pacing_policy


def _campaign(**settings: object) -> Campaign:
    return Campaign.model_validate({"id": 1, "status": "running", "name": "c", **settings})


def test_predictive_takes_the_cap_the_set_point_and_the_drop_time() -> None:
    policy = pacing_policy(
        _campaign(
            mode="predictive",
            abandon_cap_percent=2.0,
            abandon_set_point_percent=1.5,
            drop_time_seconds=3.0,
        )
    )
    assert isinstance(policy, Predictive)
    config = policy.config
    assert (config.caps.day, config.caps.first_hour) == (0.02, 0.02)
    assert abs(config.caps.hour - 0.03) < 1e-12
    assert config.day_aim == 0.75
    assert config.drop_time == 3.0


def test_a_default_campaign_paces_as_the_benchmark_does() -> None:
    # `dialspool simulate` runs PredictiveConfig's defaults with the
    # scenario's caps and drop time: the figures it prints are a new
    # campaign's.
    policy = pacing_policy(_campaign(mode="predictive"))
    assert isinstance(policy, Predictive)
    benchmark = PredictiveConfig()
    assert abs(policy.config.day_aim - benchmark.day_aim) < 1e-12
    assert policy.config.caps == benchmark.caps
    assert policy.config.drop_time == benchmark.drop_time


def test_other_modes() -> None:
    assert isinstance(pacing_policy(_campaign(mode="progressive")), Progressive)
    power = pacing_policy(_campaign(mode="power", power_ratio=2.5))
    assert isinstance(power, Power) and power.ratio == 2.5
    assert isinstance(pacing_policy(_campaign(mode="preview")), NoDialling)
