import random

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.dialer.pacing.budget import allowed_rate
from engine.dialer.pacing.estimators import AnswerRate, Histogram, Survival
from engine.dialer.pacing.stats import AbandonLedger


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
    low = allowed_rate(0.03, live, 0, expected, z=1.5, burst=2.0)
    high = allowed_rate(0.03, live, extra, expected, z=1.5, burst=2.0)
    assert 0.0 <= high <= low <= 0.03


def test_budget_is_zero_once_spent() -> None:
    assert allowed_rate(0.04, 100, 10, 20.0, z=1.5, burst=2.0) == 0.0


def test_ledger_counts_by_clock_hour_of_the_answer() -> None:
    ledger = AbandonLedger(start=1800.0)
    ledger.answered(3599.0)
    ledger.resolved(3599.0, abandoned=True)
    ledger.answered(3601.0)
    assert ledger.hour(3000.0) == (1, 1)
    assert ledger.hour(3700.0) == (1, 0)
    assert (ledger.first_live, ledger.first_abandoned) == (2, 1)
