"""Which agent takes an answered call: longest idle, within the campaign, skills weighed."""

from __future__ import annotations

import random

from engine.agents.routing import Candidate, choose_agent

NOW = 1_000.0


def _agent(agent_id: int, idle_since: float, *campaigns: int, **skills: int) -> Candidate:
    return Candidate(
        agent_id,
        idle_since,
        frozenset(campaigns or {1}),
        {int(k.removeprefix("s")): v for k, v in skills.items()},
    )


def test_the_longest_idle_agent_of_the_campaign_takes_the_call() -> None:
    agents = [_agent(1, 990.0), _agent(2, 950.0, 2), _agent(3, 970.0), _agent(4, 980.0)]
    assert choose_agent(agents, 1, None, NOW) == 3
    assert choose_agent(agents, 2, None, NOW) == 2
    assert choose_agent(agents, 3, None, NOW) is None
    assert choose_agent([], 1, None, NOW) is None


def test_equal_idle_times_go_to_the_lower_id() -> None:
    assert choose_agent([_agent(7, 970.0), _agent(5, 970.0)], 1, None, NOW) == 5


def test_a_skill_weighs_the_idle_time_by_capacity() -> None:
    # 20 s idle at 50 % counts as 10 s: the 15 s idle agent at 100 % goes first.
    agents = [_agent(1, 980.0, s9=50), _agent(2, 985.0, s9=100), _agent(3, 900.0)]
    assert choose_agent(agents, 1, 9, NOW) == 2
    assert choose_agent([_agent(1, 900.0, s9=0)], 1, 9, NOW) is None


def test_without_a_skill_the_choice_is_that_of_a_full_capacity_skill() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        agents = [
            _agent(
                rng.randint(1, 6),
                rng.choice([980.0, 990.0, 995.5, 1_000.0, 1_002.0]),  # some "idle" in the future
                *rng.sample([1, 2, 3], rng.randint(1, 3)),
                s9=100,
            )
            for _ in range(rng.randint(0, 8))
        ]
        assert choose_agent(agents, 1, None, NOW) == choose_agent(agents, 1, 9, NOW)
