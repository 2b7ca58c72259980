"""CLI progress: tqdm's bar on a terminal (count, rate, ETA), nothing when stderr is a pipe or a log."""

from __future__ import annotations

import io

import pytest

from lookalike.cli.output import progress_printer


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_that_ends_at_the_total(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    show = progress_printer("embedding")
    assert show is not None
    for done in (0, 40, 100):
        show(done, 100)
    text = screen.getvalue()
    assert "embedding" in text
    assert "100/100" in text
    assert "img/s" in text


def test_a_pipe_gets_no_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert progress_printer("embedding") is None
