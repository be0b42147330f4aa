"""Reading a roster CSV file: encoding, line ends and quotes, one record at a time, streamed.

Decisions (issue 15, points 10 and 11):

* **Encoding.** A byte order mark decides: UTF-8, UTF-16 LE or BE (Excel's « Texte
  Unicode », tab-separated), UTF-32 LE or BE. Without one, each line is read as UTF-8 if
  it decodes, else as Windows-1252 — files concatenated from several sources mix both;
  bytes Windows-1252 leaves undefined become U+FFFD and the row is then rejected. A file
  holding NUL bytes without a UTF-16/32 mark is binary (or UTF-16 without a mark) and is
  refused, as is an Excel 97-2003 workbook (``.xls``): :class:`RosterError` naming the file.
* **Line ends.** CRLF (Windows), LF (Unix) and a lone CR (old Mac) each end a physical
  line, even mixed in one file. Line numbers are physical line numbers, as an editor shows.
* **Quotes** (RFC 4180). A cell may be quoted (``"…"``); a quote inside is doubled
  (``""``). A quote in a cell that is not quoted, or text other than spaces after a
  closing quote, rejects the row (Excel never writes either). A quoted cell may continue
  on the next physical lines — Excel writes a line break typed in a cell that way — only
  while (a) the continued part holds no separator, (b) it closes within
  :data:`MAX_CONTINUATION_LINES` lines and (c) the record then ends cleanly. Otherwise the
  quote is taken as never closed: the line where the record starts is rejected on its
  own and reading resumes with the next physical line. Every roster row holds separators
  (three required columns at least), so a stray quote can no longer swallow the rows that
  follow it. The price: a cell holding a line break *and* the separator after it is
  rejected (with its line number) instead of loaded — HR rosters do not hold such cells.
"""

from __future__ import annotations

import codecs
import io
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, NamedTuple

from .errors import RosterError
from .wording import agree, plural

MAX_CONTINUATION_LINES: Final = 20
"""How many physical lines a quoted cell may continue on before its quote counts as unclosed."""

UNCLOSED_QUOTE: Final = (
    'guillemet (") ouvert et jamais refermé dans cette ligne ; les lignes suivantes ont été lues séparément'
)
MISPLACED_QUOTE: Final = (
    'guillemet (") mal placé : une cellule qui contient un guillemet doit être entièrement entre '
    'guillemets, chaque guillemet intérieur doublé ("")'
)

_CHUNK: Final = 1 << 20
_SNIFF_BYTES: Final = 1 << 16
_EOL: Final = re.compile(r"\r\n|\r|\n")
_ESCAPED_BYTE: Final = re.compile("[\udc80-\udcff]")  # undecodable byte kept by surrogateescape
_LINE_END_LABELS: Final = {"\r\n": "CRLF (Windows)", "\n": "LF (Unix)", "\r": "CR (ancien Mac)"}
_BOMS: Final = (  # UTF-32 first: its little-endian mark starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32 LE"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32 BE"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 BE"),
)
_OLE2_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class Record(NamedTuple):
    """One record: the physical line it starts on, its cells, and why it is malformed (French)."""

    line: int
    cells: list[str]
    problem: str | None = None


# --- splitting a record into cells ------------------------------------------------------------

_START, _UNQUOTED, _QUOTED, _QUOTE, _CLOSED = range(5)


class _RecordParser:
    """Cells of one record fed one physical line at a time (RFC 4180, lenient on spaces)."""

    __slots__ = ("cells", "delimiter", "field", "problem", "spanning", "state")

    def __init__(self, delimiter: str) -> None:
        self.delimiter = delimiter
        self.cells: list[str] = []
        self.field: list[str] = []
        self.state = _START
        self.spanning = False  # inside a quoted cell opened on an earlier line
        self.problem: str | None = None

    @property
    def open(self) -> bool:
        """A quoted cell is still open at the end of the lines fed so far."""
        return self.state == _QUOTED and self.problem is None

    def snapshot(self) -> list[str]:
        """The cells so far, the open one included."""
        return [*self.cells, "".join(self.field)]

    def feed(self, line: str) -> None:
        """Add one physical line (without its line end)."""
        if self.state == _QUOTED:
            self.field.append("\n")
            self.spanning = True
        delimiter, field = self.delimiter, self.field
        for ch in line:
            state = self.state
            if state == _QUOTED:
                if ch == '"':
                    self.state = _QUOTE
                elif ch == delimiter and self.spanning:
                    self.problem = UNCLOSED_QUOTE  # a separator in a continued cell: a real row
                    return
                else:
                    field.append(ch)
            elif ch == delimiter:
                if state in (_QUOTE, _CLOSED):
                    self.spanning = False
                self.cells.append("".join(field))
                field.clear()
                self.state = _START
            elif state == _START:
                if ch == '"':
                    self.state = _QUOTED
                else:
                    field.append(ch)
                    self.state = _UNQUOTED
            elif state == _UNQUOTED:
                if ch == '"':  # RFC 4180; Excel never writes it: a broken cell, or its end
                    self.problem = MISPLACED_QUOTE
                    return
                field.append(ch)
            elif state == _QUOTE:
                if ch == '"':
                    field.append('"')
                    self.state = _QUOTED
                elif ch in " \t":
                    self.state = _CLOSED
                else:
                    self.problem = MISPLACED_QUOTE
                    return
            elif ch not in " \t":  # _CLOSED: only spaces may follow a closing quote
                self.problem = MISPLACED_QUOTE
                return

    def finish(self) -> list[str]:
        """The cells of the record."""
        self.cells.append("".join(self.field))
        return self.cells


def split_line(line: str, delimiter: str) -> list[str]:
    """The cells of one physical line; a quote left open keeps the rest of the line."""
    if '"' not in line:
        return line.split(delimiter)
    parser = _RecordParser(delimiter)
    parser.feed(line)
    return parser.snapshot() if parser.open or parser.problem else parser.finish()


def _split_lines(chunks: Iterator[str]) -> Iterator[tuple[str, str]]:
    """(line, line end) for each physical line; a CRLF split across two chunks stays whole."""
    buffer = ""
    for chunk in chunks:
        buffer += chunk
        start = 0
        for match in _EOL.finditer(buffer):
            if match.end() == len(buffer) and match.group() == "\r":
                break  # maybe the first half of a CRLF: wait for the next chunk
            yield buffer[start : match.start()], match.group()
            start = match.end()
        buffer = buffer[start:]
    start = 0
    for match in _EOL.finditer(buffer):
        yield buffer[start : match.start()], match.group()
        start = match.end()
    if start < len(buffer):
        yield buffer[start:], ""


# --- the file ----------------------------------------------------------------------------------


@dataclass
class CsvSource:
    """The records of one CSV file; what was found about it is filled in while reading.

    ``choose_delimiter`` receives the first non-blank line (the header) and returns the
    separator to use.
    """

    path: Path
    choose_delimiter: Callable[[str], str]
    encoding: str | None = None
    delimiter: str | None = None
    line_endings: str | None = None
    warnings: list[str] = field(default_factory=list)
    _cp1252_lines: list[int] = field(default_factory=list)
    _utf8_non_ascii: bool = False
    _ends: set[str] = field(default_factory=set)

    def _codec(self, head: bytes) -> tuple[str, str, bool]:
        """(Python codec, French label, per-line Windows-1252 fallback) for a file's first bytes."""
        for bom, codec, label in _BOMS:
            if head.startswith(bom):
                return codec, label, codec == "utf-8-sig"
        name = self.path.name
        if head.startswith(_OLE2_MAGIC):
            raise RosterError(
                f"Le fichier « {name} » est un classeur Excel 97-2003 (.xls) ou un autre document "
                "Office ancien : enregistrez-le en classeur Excel (.xlsx) ou en « CSV UTF-8 »."
            )
        if b"\x00" in head:
            raise RosterError(
                f"Le fichier « {name} » n'est ni un fichier texte CSV ni un classeur Excel (.xlsx) : "
                "il contient des octets nuls (fichier binaire, ou texte UTF-16 sans marque d'ordre "
                "des octets). Enregistrez la liste depuis Excel en « CSV UTF-8 (délimité par des "
                "virgules) », en « Texte Unicode » ou en classeur .xlsx."
            )
        return "utf-8", "UTF-8", True

    def _lines(self, handle: io.BufferedReader) -> Iterator[tuple[int, str]]:
        """(physical line number, text) of each line, decoded."""
        codec, label, fallback = self._codec(handle.read(_SNIFF_BYTES))
        handle.seek(0)
        self.encoding = label
        text = io.TextIOWrapper(
            handle, encoding=codec, errors="surrogateescape" if fallback else "replace", newline=""
        )
        chunks = iter(lambda: text.read(_CHUNK), "")
        ends = self._ends
        for number, (line, end) in enumerate(_split_lines(chunks), start=1):
            if end and end not in ends:
                ends.add(end)
            if fallback and not line.isascii():
                if _ESCAPED_BYTE.search(line):
                    raw = line.encode("utf-8", "surrogateescape")
                    line = raw.decode("cp1252", errors="replace")
                    self._cp1252_lines.append(number)
                else:
                    self._utf8_non_ascii = True
            yield number, line
        text.detach()

    def records(self) -> Iterator[Record]:
        """Each record (the header first), streamed: memory does not grow with the file."""
        try:
            handle = self.path.open("rb")
        except OSError as exc:
            raise RosterError(
                f"Fichier de personnel « {self.path.name} » illisible : {exc.strerror}"
            ) from exc
        with handle:
            lines = self._lines(handle)
            pushed: deque[tuple[int, str]] = deque()
            for item in lines:
                pushed.append(item)
                if item[1].strip():
                    break
            self.delimiter = self.choose_delimiter(pushed[-1][1]) if pushed else ";"
            yield from self._records(lines, pushed, self.delimiter)
        self._summarize()

    @staticmethod
    def _records(
        lines: Iterator[tuple[int, str]], pushed: deque[tuple[int, str]], delimiter: str
    ) -> Iterator[Record]:
        def next_line() -> tuple[int, str] | None:
            return pushed.popleft() if pushed else next(lines, None)

        while (item := next_line()) is not None:
            number, line = item
            if '"' not in line:
                yield Record(number, line.split(delimiter))
                continue
            parser = _RecordParser(delimiter)
            parser.feed(line)
            if not parser.open:
                yield Record(number, parser.finish(), parser.problem)
                continue
            first_cells = parser.snapshot()
            taken: list[tuple[int, str]] = []
            while parser.open and len(taken) < MAX_CONTINUATION_LINES:
                following = next_line()
                if following is None:
                    break
                taken.append(following)
                parser.feed(following[1])
            if parser.open or parser.problem is not None:
                # Never closed, or closed only by swallowing what looks like rows: reject
                # this line alone and read the following lines again, on their own.
                pushed.extendleft(reversed(taken))
                yield Record(number, first_cells, UNCLOSED_QUOTE)
            else:
                yield Record(number, parser.finish())

    def _summarize(self) -> None:
        if self._cp1252_lines:
            self.encoding = "mixte (UTF-8 et Windows-1252)" if self._utf8_non_ascii else "Windows-1252"
            if self._utf8_non_ascii:
                shown = ", ".join(str(n) for n in self._cp1252_lines[:10])
                more = " …" if len(self._cp1252_lines) > 10 else ""
                count = len(self._cp1252_lines)
                self.warnings.append(
                    f"Fichier à encodage mixte : {plural(count, 'ligne lue', 'lignes lues')} en "
                    f"Windows-1252 ({agree(count, 'ligne')} {shown}{more})."
                )
        labels = [label for end, label in _LINE_END_LABELS.items() if end in self._ends]
        if labels:
            self.line_endings = labels[0] if len(labels) == 1 else "mixtes : " + ", ".join(labels)
