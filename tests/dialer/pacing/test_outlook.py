import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.dialer.pacing.outlook import ExactOutlook, Outlook

probs = st.lists(st.floats(0.0, 1.0), min_size=0, max_size=6)


def brute_force(plus: list[float], minus: list[float], fixed: int) -> float:
    """P(fixed + #plus - #minus <= 0) by enumerating every outcome."""
    total = 0.0
    terms = [(p, 1) for p in plus] + [(q, -1) for q in minus]
    for outcome in itertools.product((0, 1), repeat=len(terms)):
        weight = 1.0
        d = fixed
        for (p, sign), hit in zip(terms, outcome, strict=True):
            weight *= p if hit else 1.0 - p
            d += sign * hit
        if d <= 0:
            total += weight
    return total


@given(plus=probs, minus=probs, fixed=st.integers(-2, 3))
@settings(max_examples=40, deadline=None)
def test_exact_outlook_matches_enumeration(
    plus: list[float], minus: list[float], fixed: int
) -> None:
    outlook = ExactOutlook(1, [(p,) for p in plus], [(q,) for q in minus], fixed)
    assert abs(outlook.risk() - brute_force(plus, minus, fixed)) < 1e-9


@given(plus=probs, minus=probs, fixed=st.integers(-2, 3), q=st.floats(0.0, 1.0))
@settings(max_examples=60, deadline=None)
def test_risk_never_falls_when_a_call_is_added(
    plus: list[float], minus: list[float], fixed: int, q: float
) -> None:
    outlook = ExactOutlook(1, [(p,) for p in plus], [(x,) for x in minus], fixed)
    before = outlook.risk()
    outlook.add_call([q])
    assert before - 1e-12 <= outlook.risk() <= 1.0 + 1e-12


def test_normal_outlook_agrees_with_exact_on_a_large_team() -> None:
    plus = [0.3] * 60
    minus = [0.2] * 40
    exact = ExactOutlook(1, [(p,) for p in plus], [(q,) for q in minus], 0)
    rows = [(p, p * (1 - p), p * (1 - p) * (1 - 2 * p)) for p in plus]
    rows += [(-q, q * (1 - q), -q * (1 - q) * (1 - 2 * q)) for q in minus]
    approx = Outlook(1, rows, 0.0)
    assert abs(exact.risk() - approx.risk()) < 0.01
    exact.add_arrivals([3.0])
    approx.add_arrivals([3.0])
    assert abs(exact.risk() - approx.risk()) < 0.02


def test_arrivals_raise_the_risk() -> None:
    outlook = ExactOutlook(1, [(0.5,)] * 4, [], 0)
    before = outlook.risk()
    outlook.add_arrivals([1.5])
    assert outlook.risk() > before


def test_displacement_needs_callees_answering_later() -> None:
    # Three agents, each free by either instant with chance 0.5.
    agents = [(0.5, 0.5)] * 3
    alone = ExactOutlook(2, agents, [], 0)
    assert alone.costs() == (alone.risk(), 0.0)
    # Calls on the lines that answer only between the two instants: a new
    # callee answered at the first one can take the agent they needed.
    later = ExactOutlook(2, agents, [(0.0, 0.8)] * 2, 0)
    risk, caused = later.costs()
    assert risk == later.risk()
    assert 0.0 < caused < 0.8
    # Calls that have answered by the first instant are ahead of it instead.
    early = ExactOutlook(2, agents, [(0.8, 0.8)] * 2, 0)
    assert early.costs()[1] == 0.0


def test_normal_outlook_costs_agree_with_exact_on_a_large_team() -> None:
    plus = [(0.3, 0.4)] * 60
    minus = [(0.1, 0.3)] * 60
    exact = ExactOutlook(2, plus, minus, 0)
    rows = [_moments(p, 1) for p in plus] + [_moments(q, -1) for q in minus]
    approx = Outlook(2, rows, 0.0, [sum(q[i] for q in minus) for i in range(2)])
    for _ in range(3):
        (er, ed), (ar, ad) = exact.costs(), approx.costs()
        assert abs(er - ar) < 0.01
        assert ed > 0.0
        assert abs(ed - ad) < 0.02
        exact.add_call([0.1, 0.3])
        approx.add_call([0.1, 0.3])


def _moments(probs: tuple[float, ...], sign: int) -> tuple[float, ...]:
    """A +1 (sign 1) or -1 (sign -1) Bernoulli term's row of moments per instant."""
    var = [q * (1 - q) for q in probs]
    third = [sign * v * (1 - 2 * q) for v, q in zip(var, probs, strict=True)]
    return (*(sign * q for q in probs), *var, *third)
