"""How many leading digits decide whether a string of digits matches a pattern.

phonenumbers' number patterns are finite unions of digit sequences, such as
`(?:201|212)[2-9]\\d{6}`: past some position every sequence allows any digit,
so whether a number of a given length matches depends on its first few
digits only (here 4 of 10), and the answer can be remembered per prefix
(`phones.PhoneNormalizer`).

A pattern is read as the set of its sequences' shapes: (length, depth),
where depth is one past the last position that does not allow every digit.
A digit string of length L matches some sequence of length L iff its first
`max(depth)` digits do, whatever follows. Only the syntax these patterns use
is understood (digits, `\\d`, classes of digits and ranges, groups,
alternation, `?` and bounded `{m,n}`); anything else makes the answer
unknown (None), never wrong.
"""

from __future__ import annotations

_DIGITS = frozenset("0123456789")
# Longer sequences are not phone numbers; a pattern that allows them is not analysed.
_MAX_LENGTH = 32

Shapes = frozenset[tuple[int, int]]


class _Unsupported(Exception):
    pass


def deciding_digits(pattern: str, length: int) -> int | None:
    """How many leading digits of any `length`-digit string decide whether `pattern`
    matches it in full; None when the pattern is outside the syntax understood here.
    """
    try:
        shapes = _Reader(pattern).read()
    except _Unsupported:
        return None
    return max((depth for size, depth in shapes if size == length), default=0)


def _concat(first: Shapes, second: Shapes) -> Shapes:
    joined = frozenset(
        (size + more, size + deeper if deeper else depth)
        for size, depth in first
        for more, deeper in second
    )
    if any(size > _MAX_LENGTH for size, _ in joined):
        raise _Unsupported
    return joined


def _position(digits: frozenset[str]) -> Shapes:
    if not digits:
        return frozenset()
    return frozenset({(1, 0 if digits == _DIGITS else 1)})


class _Reader:
    """Recursive descent over the pattern, computing shapes as it goes."""

    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.pos = 0

    def read(self) -> Shapes:
        shapes = self._alternation()
        if self.pos != len(self.text):
            raise _Unsupported
        return shapes

    def _take(self, token: str) -> bool:
        if self.text.startswith(token, self.pos):
            self.pos += len(token)
            return True
        return False

    def _alternation(self) -> Shapes:
        shapes = self._sequence()
        while self._take("|"):
            shapes |= self._sequence()
        return shapes

    def _sequence(self) -> Shapes:
        shapes: Shapes = frozenset({(0, 0)})
        while self.pos < len(self.text) and self.text[self.pos] not in "|)":
            shapes = _concat(shapes, self._repeated(self._atom()))
        return shapes

    def _atom(self) -> Shapes:
        if self._take("(?:") or self._take("("):
            inner = self._alternation()
            if not self._take(")"):
                raise _Unsupported
            return inner
        if self._take("["):
            return _position(self._class())
        if self._take("\\d"):
            return _position(_DIGITS)
        return _position(frozenset(self._digit()))

    def _class(self) -> frozenset[str]:
        digits: set[str] = set()
        while not self._take("]"):
            if self._take("\\d"):
                digits |= _DIGITS
                continue
            first = self._digit()
            last = self._digit() if self._take("-") else first
            digits.update(chr(c) for c in range(ord(first), ord(last) + 1))
        return frozenset(digits)

    def _digit(self) -> str:
        char = self.text[self.pos : self.pos + 1]
        if char not in _DIGITS:
            raise _Unsupported
        self.pos += 1
        return char

    def _repeated(self, shapes: Shapes) -> Shapes:
        if self._take("?"):
            return shapes | {(0, 0)}
        if not self._take("{"):
            return shapes
        least = most = self._number()
        if self._take(","):
            most = self._number()
        if not self._take("}") or most < least:
            raise _Unsupported
        repeated: Shapes = frozenset()
        power: Shapes = frozenset({(0, 0)})
        for count in range(most + 1):
            if count >= least:
                repeated |= power
            if count < most:
                power = _concat(power, shapes)
        return repeated

    def _number(self) -> int:
        start = self.pos
        while self.text[self.pos : self.pos + 1] in _DIGITS:
            self.pos += 1
        if start == self.pos:
            raise _Unsupported
        return int(self.text[start : self.pos])
