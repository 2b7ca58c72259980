"""The one writer of tables: CSV or JSON chosen by the file's suffix, for the CLI and the app alike.

Every CSV Lookalike writes (File → Export, the map's lasso selection, the marks export,
`lookalike duplicates --csv`) goes through `csv_text`:

- formula injection: a text cell that starts with =, +, -, @, a tab or a carriage return is
  written with a leading apostrophe (OWASP's advice), so a spreadsheet shows it as text instead of
  running it; a cell that starts with an apostrophe gets one more, so `read_cell` undoes it exactly;
- valid UTF-8: a file name whose bytes are not UTF-8 (Python holds them as surrogate escapes) is
  written with those bytes as backslash escapes (b'caf\\xe9.jpg' → `caf\\xe9.jpg`), in CSV and JSON;
- one line ending, LF, whatever the platform.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from lookalike.engine.io.output_paths import check_output_path, write_output

FORMATS = ("csv", "json")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def safe_text(text: str) -> str:
    """Text that encodes as UTF-8: undecodable bytes of a file name become backslash escapes."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "".join(_escaped(ch) for ch in text)


def _escaped(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte surrogateescape kept: write it as the byte it was
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}" if 0xD800 <= code <= 0xDFFF else ch


def safe_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not run as a formula (numbers pass unchanged)."""
    if not isinstance(value, str):
        return value
    text = safe_text(value)
    return QUOTE + text if text.startswith((*FORMULA_STARTS, QUOTE)) else text


def read_cell(text: str) -> str:
    """Undo safe_cell on a cell read back from one of our CSV files."""
    return text[1:] if text.startswith(QUOTE) else text


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The table as CSV text (RFC 4180 quoting): header row, neutralised cells, LF line endings."""
    lines = [",".join(_field(c) for c in columns)]
    lines += [",".join(_field(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def _field(value: object) -> str:
    """One CSV field; quoted when it holds a comma, a quote or any line break (the csv module
    leaves a lone carriage return unquoted when lines end in LF, and readers then split the row)."""
    cell = safe_cell(value)
    text = "" if cell is None else str(cell)
    if any(ch in text for ch in ',"\r\n') or text != text.strip(" "):
        return '"' + text.replace('"', '""') + '"'
    return text


def json_text(document: Any) -> str:
    """The document as JSON text (UTF-8, no NaN: JSON has none), strings made valid UTF-8."""
    return json.dumps(_clean(document), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {safe_text(str(k)): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def table_format(path: Path) -> str:
    """csv or json, from the file's suffix; anything else is refused in one line."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"export as .csv or .json, not {path.suffix or 'no suffix'}")
    return fmt


def write_table(
    path: Path,
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    document: Any,
    reads: Sequence[Path] = (),
) -> Path:
    """Write CSV (columns, rows) or JSON (document) by the suffix, through the output guard.

    Never over an input or inside `reads` (the folder shown); the file dialog has already asked
    before replacing a file, hence force. Atomic: a failure leaves the old file as it was."""
    fmt = table_format(path)
    check_output_path(path, reads=reads, suffixes=[f".{f}" for f in FORMATS], flag="export", force=True)
    text = json_text(document) if fmt == "json" else csv_text(columns, rows)
    data = text.encode("utf-8")
    write_output(path, lambda fh: fh.write(data), "export")
    return path
