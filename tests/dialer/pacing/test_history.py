"""The pacing's start from a campaign's own past calls."""

from __future__ import annotations

from engine.dialer.pacing.history import (
    ANSWER_WEIGHT,
    CARRY_SECONDS,
    MIN_DIALS,
    TALK_WEIGHT,
    PastCall,
    priors_from,
    stats_from_history,
)
from engine.dialer.pacing.stats import HOUR, Priors

NOW = 1_800_000_000.0  # on a clock-hour boundary
assert NOW % HOUR == 0


def _calls(
    dials: int, live_every: int, *, talk: float = 90.0, at: float = NOW - 600
) -> list[PastCall]:
    return [
        PastCall(
            dialled_at=at - i,
            live=i % live_every == 0,
            answered_at=at - i + 8 if i % live_every == 0 else None,
            talk=talk if i % live_every == 0 else None,
        )
        for i in range(dials)
    ]


def test_no_history_keeps_the_generic_priors() -> None:
    assert priors_from([]) == Priors()


def test_a_few_dials_are_not_enough_to_replace_the_answer_rate() -> None:
    priors = priors_from(_calls(MIN_DIALS - 1, 2))
    assert priors.answer_rate == Priors().answer_rate
    # Talks are measured durations: even a few are better than a guess, at their weight.
    assert priors.talk_mean == 90.0 and priors.talk_weight == 25  # the even i of 0..48


def test_history_sets_the_answer_rate_and_talk_time_with_capped_weights() -> None:
    priors = priors_from(_calls(1000, 4, talk=120.0))
    assert abs(priors.answer_rate - 0.25) < 1e-9
    assert priors.answer_weight == ANSWER_WEIGHT
    assert priors.talk_mean == 120.0 and priors.talk_weight == TALK_WEIGHT
    few = priors_from(_calls(100, 5))
    assert abs(few.answer_rate - 0.2) < 1e-9 and few.answer_weight == 100


def test_a_campaign_that_never_reached_anyone_is_low_not_zero() -> None:
    nobody = [PastCall(NOW - i, live=False) for i in range(200)]
    assert priors_from(nobody).answer_rate == 0.01


def test_the_learnt_rate_moves_the_starting_estimate() -> None:
    generic = stats_from_history(NOW, [])
    learnt = stats_from_history(NOW, _calls(1000, 2))
    assert abs(generic.answer.mean() - 0.25) < 1e-9
    assert abs(learnt.answer.mean() - 0.5) < 1e-9
    # Worth ANSWER_WEIGHT dials: today's own outcomes still move it.
    for _ in range(200):
        learnt.answer.add(False)
    assert learnt.answer.mean() < 0.3


def test_the_wrap_up_timer_is_the_wrap_prior() -> None:
    assert stats_from_history(NOW, [], wrap_mean=45.0).priors.wrap_mean == 45.0
    assert stats_from_history(NOW, [], wrap_mean=0.0).priors.wrap_mean == Priors().wrap_mean


def test_abandons_of_the_last_day_stay_on_the_books() -> None:
    calls = [
        # This clock hour: 10 live answers, 2 of them abandoned.
        *(PastCall(NOW + 60 + i, True, NOW + 70 + i, abandoned=i < 2) for i in range(10)),
        # Earlier today: 30 live, 1 abandoned; and a failed attempt.
        *(
            PastCall(NOW - 5 * HOUR + i, True, NOW - 5 * HOUR + i, abandoned=i == 0)
            for i in range(30)
        ),
        PastCall(NOW - HOUR, False),
        # Older than the carry window: not counted.
        PastCall(NOW - CARRY_SECONDS - 100, True, NOW - CARRY_SECONDS - 90, abandoned=True),
    ]
    stats = stats_from_history(NOW + 1000, calls)
    ledger = stats.ledger
    assert ledger.hour(NOW + 1000) == (10, 2)
    assert (ledger.day_live, ledger.day_abandoned) == (40, 3)
    # The restart's first hour starts clean: it is its own learning period.
    assert (ledger.first_live, ledger.first_abandoned) == (0, 0)
