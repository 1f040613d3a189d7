"""Chunks of bytes (or text) in, whole lines out, a chunk at a time."""

from __future__ import annotations

_BOM = "\ufeff"


class LineSplitter:
    """Splits a stream into lines that keep their '\\n'.

    A line that is not valid in the encoding comes out as None, so the format
    can report that line and go on with the next.
    """

    def __init__(self, encoding: str = "utf-8") -> None:
        self.encoding = encoding
        self._bytes = b""
        self._text = ""
        self._started = False

    def feed(self, chunk: bytes | str) -> list[str | None]:
        if isinstance(chunk, str):
            self._text += chunk
            cut = self._text.rfind("\n") + 1
            if not cut:
                return []
            block, self._text = self._text[:cut], self._text[cut:]
            return self._lines(block)
        self._bytes += chunk
        cut = self._bytes.rfind(b"\n") + 1
        if not cut:
            return []
        raw, self._bytes = self._bytes[:cut], self._bytes[cut:]
        return self._decode(raw)

    def close(self) -> list[str | None]:
        tail: list[str | None] = []
        if self._bytes:
            tail += self._decode(self._bytes)
            self._bytes = b""
        if self._text:
            tail += self._lines(self._text)
            self._text = ""
        return tail

    def _decode(self, raw: bytes) -> list[str | None]:
        try:
            return self._lines(raw.decode(self.encoding))
        except UnicodeDecodeError:
            pass
        # Only now pay for line-by-line decoding, to find the bad lines.
        out: list[str | None] = []
        parts = raw.split(b"\n")
        pieces = [part + b"\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
        for piece in pieces:
            try:
                out += self._lines(piece.decode(self.encoding))
            except UnicodeDecodeError:
                self._started = True
                out.append(None)
        return out

    def _lines(self, block: str) -> list[str | None]:
        if not self._started:
            self._started = True
            block = block.removeprefix(_BOM)
        lines: list[str | None] = []
        lines += [line + "\n" for line in block.split("\n")]
        last = str(lines.pop())
        # split() leaves an empty last piece after the final '\n'; a real tail has text.
        if last != "\n":
            lines.append(last[:-1])
        return lines
