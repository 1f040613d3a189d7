import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.dialer.pacing.budget import Rules, allowed_rate, budget_rate
from engine.dialer.pacing.estimators import AnswerRate, Histogram, Survival
from engine.dialer.pacing.stats import HOUR, AbandonLedger, CampaignStats
from engine.dialer.pacing.tail import count_cdf, spendable


def test_answer_rate_learns_the_rate() -> None:
    est = AnswerRate(prior=0.25)
    rng = random.Random(1)
    for _ in range(3000):
        est.add(rng.random() < 0.35)
    assert abs(est.mean() - 0.35) < 0.03
    assert est.mean() < est.upper(1.0) < est.mean() + 0.03


def test_answer_rate_is_cautious_with_little_data() -> None:
    est = AnswerRate(prior=0.25)
    assert est.upper(1.0) > 0.3


def test_answer_rate_ignores_chance_runs_on_a_long_shift() -> None:
    # A day of a large team on a poor list: chance runs of answers must not
    # restart the estimate from a wild recent share.
    est = AnswerRate(prior=0.25)
    rng = random.Random(5)
    worst = 0.0
    for i in range(40_000):
        est.add(rng.random() < 0.15)
        if i > 2000:
            worst = max(worst, abs(est.mean() - 0.15))
    assert worst < 0.04


def test_answer_rate_batch_order_does_not_matter() -> None:
    # A round's failures come back before its answers: fed as one batch, the
    # outcomes cannot look like a jump.
    est = AnswerRate(prior=0.25)
    est.add_batch(90, 260)
    assert est.jumps == 0
    assert abs(est.mean() - 0.35) < 0.02


def test_answer_rate_follows_a_jump_down() -> None:
    est = AnswerRate(prior=0.25)
    rng = random.Random(6)
    for _ in range(1500):
        est.add(rng.random() < 0.30)
    for _ in range(600):
        est.add(rng.random() < 0.15)
    assert est.jumps >= 1
    assert est.mean() < 0.2


def test_answer_rate_follows_a_jump_up() -> None:
    est = AnswerRate(prior=0.25)
    rng = random.Random(2)
    for _ in range(1500):
        est.add(rng.random() < 0.15)
    for _ in range(300):
        est.add(rng.random() < 0.40)
    assert est.jumps >= 1
    assert est.mean() > 0.3


def test_survival_learns_an_exponential_mean() -> None:
    surv = Survival(prior_mean=150.0)
    rng = random.Random(3)
    for _ in range(4000):
        surv.add(rng.expovariate(1 / 100.0))
    surv.refresh([])
    assert abs(surv.mean() - 100.0) < 8.0
    assert abs(surv.at(100.0) - 0.368) < 0.03


def test_survival_counts_calls_still_running() -> None:
    # Short calls ended, long ones still going: ignoring the running ones
    # would make talk look short.
    with_running = Survival(prior_mean=150.0)
    ended_only = Survival(prior_mean=150.0)
    for d in (30.0, 40.0, 50.0) * 20:
        with_running.add(d)
        ended_only.add(d)
    with_running.refresh([300.0] * 30)
    ended_only.refresh([])
    assert with_running.mean() > 1.5 * ended_only.mean()


def test_histogram_quantiles_invert_the_cdf() -> None:
    hist = Histogram(4.0, 24.0)
    rng = random.Random(4)
    for _ in range(2000):
        hist.add(rng.uniform(5.0, 15.0))
    hist.refresh()
    for q in (0.1, 0.5, 0.9):
        assert abs(hist.at(hist.quantile(q)) - q) < 0.01
    assert abs(hist.quantile(0.5) - 10.0) < 0.5


@given(
    live=st.integers(0, 2000),
    extra=st.integers(0, 50),
    expected=st.floats(1.0, 3000.0),
)
@settings(max_examples=60, deadline=None)
def test_budget_shrinks_as_abandons_accumulate(live: int, extra: int, expected: float) -> None:
    low = allowed_rate(0.03, live, 0, expected, eps=0.05, burst=2.0)
    high = allowed_rate(0.03, live, extra, expected, eps=0.05, burst=2.0)
    assert 0.0 <= high <= low <= 0.03


def test_budget_is_zero_once_spent() -> None:
    assert allowed_rate(0.04, 100, 10, 20.0, eps=0.05, burst=2.0) == 0.0


def test_budget_counts_whole_abandons() -> None:
    # 4 % of 90 live answers is 3 abandons, not 3.6: with 3 spent, nothing is left.
    assert allowed_rate(0.04, 85, 3, 5.0, eps=0.05, burst=1.0) == 0.0
    assert allowed_rate(0.04, 85, 2, 5.0, eps=0.05, burst=1.0) > 0.0


def test_budget_counts_calls_already_dialled() -> None:
    free = allowed_rate(0.04, 40, 1, 50.0, eps=0.05, burst=1.5)
    assert allowed_rate(0.04, 40, 1, 50.0, eps=0.05, burst=1.5, committed=0.3) < free


def test_budget_counts_only_live_answers_the_period_will_have() -> None:
    # 28 abandons of 934 live answers with the first hour about to end: 3 %
    # allows no more. Spreading over a longer horizon must not invent the
    # live answers (and abandons) of a period that is over.
    assert allowed_rate(0.03, 934, 28, 5.0, eps=0.03, burst=1.5, spread=234.0) == 0.0
    assert allowed_rate(0.03, 934, 28, 234.0, eps=0.03, burst=1.5) > 0.0


def test_clock_hour_end_spreads_its_last_abandon() -> None:
    # Twenty agents, a minute before the hour ends, one abandon left of 20.
    ledger = AbandonLedger(-HOUR)
    for i in range(495):
        ledger.answered(3.5 + 7.0 * i)
    for i in range(19):
        ledger.resolved(100.0 * i, abandoned=True)
    lam = 0.14
    rate = budget_rate(ledger, Rules(hour_eps=0.03), HOUR - 60.0, lam)
    short = budget_rate(ledger, Rules(hour_eps=0.03, hour_floor=60.0), HOUR - 60.0, lam)
    assert 0.0 < rate < 0.01
    assert short > 2 * rate


def test_first_hour_end_spreads_its_last_abandon() -> None:
    # Five agents, ten minutes before the first hour ends: 78 live answers,
    # one abandon, so one more is allowed and a second breaks the hour. Over
    # the next five minutes alone that last one would be spent near the cap.
    ledger = AbandonLedger(0.0)
    for i in range(78):
        ledger.answered(40.0 * i)
    ledger.resolved(1000.0, abandoned=True)
    lam = 0.022  # live answers per second
    rate = budget_rate(ledger, Rules(hour_eps=0.03), 3000.0, lam)
    assert 0.0 < rate < 0.01
    short = budget_rate(ledger, Rules(hour_eps=0.03, horizon_floor=300.0), 3400.0, lam)
    assert short > 2 * budget_rate(ledger, Rules(hour_eps=0.03), 3400.0, lam)


@given(m=st.integers(0, 80), burst=st.floats(1.0, 3.0), eps=st.floats(0.01, 0.3))
@settings(max_examples=60, deadline=None)
def test_spendable_keeps_the_tail_under_eps(m: int, burst: float, eps: float) -> None:
    mean = spendable(m, burst, eps)
    assert 0.0 <= mean <= m + 1
    if 0 < m <= 60:
        assert 1.0 - count_cdf(m, mean, burst) <= eps + 1e-6
        assert 1.0 - count_cdf(m, mean * 1.05 + 1e-3, burst) > eps


def test_clustered_abandons_allow_less() -> None:
    assert spendable(3, 2.0, 0.05) < spendable(3, 1.0, 0.05)
    assert spendable(20, 1.5, 0.05) > spendable(3, 1.5, 0.05)


def test_count_cdf_is_poisson_without_clusters() -> None:
    assert abs(count_cdf(0, 2.0, 1.0) - math.exp(-2.0)) < 1e-12
    # Negative binomial with variance / mean 2: mean 1 gives P(0) = 1/2.
    assert abs(count_cdf(0, 1.0, 2.0) - 0.5) < 1e-12


def test_answer_rate_waits_for_a_round_to_settle() -> None:
    # Busy and invalid numbers fail within seconds, answers take ten: outcomes
    # are counted only once every call of their round has surely resolved.
    stats = CampaignStats(0.0)
    for _ in range(30):
        stats.record_failure(3.0, 3.0)
    assert stats.answer.observations == 0
    for _ in range(10):
        stats.record_live(10.0, 10.0)
    for _ in range(60):
        stats.record_failure(25.0, 25.0)
    stats.settle(10.0 + stats.maturity)
    assert stats.answer.observations == 100
    assert abs(stats.answer.mean() - (10 + 3) / (100 + 12)) < 1e-9


def test_ledger_learns_how_abandons_cluster() -> None:
    alone, paired = AbandonLedger(0.0), AbandonLedger(0.0)
    for i in range(40):
        alone.resolved(100.0 * i, abandoned=True)
        paired.resolved(100.0 * i, abandoned=True)
        paired.resolved(100.0 * i + 1.0, abandoned=True)
    assert alone.burstiness() < 1.1
    assert paired.burstiness() > 1.8


def test_ledger_counts_by_clock_hour_of_the_answer() -> None:
    ledger = AbandonLedger(start=1800.0)
    ledger.answered(3599.0)
    ledger.resolved(3599.0, abandoned=True)
    ledger.answered(3601.0)
    assert ledger.hour(3000.0) == (1, 1)
    assert ledger.hour(3700.0) == (1, 0)
    assert (ledger.first_live, ledger.first_abandoned) == (2, 1)
