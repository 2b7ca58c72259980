"""Quoting a library's error to the user: its first line, or its type when it says nothing."""

from __future__ import annotations

from lookalike.engine.errors import first_line


def test_first_line_of_a_multi_line_message() -> None:
    assert first_line(RuntimeError("  bad header\nat byte 12\n  trace...")) == "bad header"


def test_an_empty_message_gives_the_type() -> None:
    assert first_line(EOFError()) == "EOFError"
    assert first_line(ValueError("   \n ")) == "ValueError"


def test_long_lines_are_cut() -> None:
    assert first_line(OSError("x" * 500), 120) == "x" * 120
