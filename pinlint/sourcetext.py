"""Reading a file's text and turning character offsets into ``Span``s.

Parsers work on decoded text and report character offsets (libyaml counts
characters); fix mode edits bytes.  ``SourceText.span`` bridges the two so
every located reference carries byte offsets into the file as stored
(a UTF-8 BOM included) and the 1-based line/column an editor shows.
"""
from __future__ import annotations

import bisect
import codecs

from pinlint.model import Span

BOM = codecs.BOM_UTF8


class DecodeError(Exception):
    """The bytes are not text pinlint can read (binary, not UTF-8)."""


class OtherEncoding(DecodeError):
    """Text in an encoding that YAML tools read but pinlint does not: UTF-16
    or UTF-32 with a byte-order mark.  Unlike other undecodable bytes, such a
    file can be deployed as it is, so it is an error (PIN900), not a warning."""


# UTF-32 first: its little-endian mark starts with UTF-16's.
_OTHER_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
               (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def decode(data: bytes) -> tuple[str, int]:
    """Decode file bytes to text; return (text, number of BOM bytes)."""
    for mark, name in _OTHER_BOMS:
        if data.startswith(mark):
            raise OtherEncoding(f"{name} text (it starts with a byte-order mark): pinlint reads only UTF-8, "
                                "though YAML tools read this; store it as UTF-8")
    if b"\x00" in data[:8192]:
        raise DecodeError("binary file (contains NUL bytes)")
    bom = len(BOM) if data.startswith(BOM) else 0
    try:
        return data[bom:].decode("utf-8"), bom
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DecodeError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x} on line {line})") from None


_COUNTED = 8  # positions counted in the text before the lines are indexed


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset in ``text``, counted in
    it (only ``\n`` ends a line)."""
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


class SourceText:
    """Decoded text of one file with offset bookkeeping."""

    __slots__ = ("text", "bom", "_line_starts", "_ascii", "_lookups")

    def __init__(self, text: str, bom: int = 0) -> None:
        self.text = text
        self.bom = bom
        self._line_starts: list[int] | None = None
        self._ascii = text.isascii()
        self._lookups = 0

    @classmethod
    def from_bytes(cls, data: bytes) -> SourceText:
        text, bom = decode(data)
        return cls(text, bom)

    def _starts(self) -> list[int]:
        if self._line_starts is None:
            starts = [0]
            find = self.text.find
            i = find("\n")
            while i != -1:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._line_starts = starts
        return self._line_starts

    def byte_offset(self, char_offset: int) -> int:
        if self._ascii:
            return self.bom + char_offset
        return self.bom + len(self.text[:char_offset].encode("utf-8"))

    def position(self, char_offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset; only ``\n`` ends a
        line, as in an editor (libyaml also ends one at a lone CR, NEL and
        U+2028/U+2029).  The first few are counted in the text; a file asked
        more often gets an index of its lines."""
        if self._line_starts is None and self._lookups < _COUNTED:
            self._lookups += 1
            return position(self.text, char_offset)
        starts = self._starts()
        idx = bisect.bisect_right(starts, char_offset) - 1
        return idx + 1, char_offset - starts[idx] + 1

    def span(self, start: int, end: int, line: int | None = None, column: int | None = None) -> Span:
        """Span of text[start:end]; pass 1-based line/column when the parser already knows them."""
        if line is None or column is None:
            line, column = self.position(start)
        return Span(self.byte_offset(start), self.byte_offset(end), line, column)
