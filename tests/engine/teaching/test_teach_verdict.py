"""The taught model is judged against the starting one on both held-out figures."""

from __future__ import annotations

import pytest
from lookalike.engine.teaching.teach_run import HeldOutFigures, stop_reason
from lookalike.engine.teaching.teach_verdict import compare_models


def figs(p1: float, mapr: float) -> HeldOutFigures:
    return HeldOutFigures(p1, mapr, n_images=60, n_classes=3)


@pytest.mark.parametrize(
    ("after", "kind", "default"),
    [
        (figs(0.95, 0.85), "better", True),
        (figs(0.844, 0.624), "worse", False),  # the 2.5-minute teach on cards
        (figs(0.95, 0.70), "mixed", False),
        (figs(0.912, 0.803), "same", False),
    ],
)
def test_verdict(after: HeldOutFigures, kind: str, default: bool) -> None:
    verdict = compare_models(figs(0.911, 0.806), after)
    assert verdict.kind == kind
    assert verdict.switch_by_default is default
    assert "0.911 →" in verdict.text
    assert ("stays in use" in verdict.text) is not default


def test_no_figures_is_not_better() -> None:
    verdict = compare_models(None, figs(0.9, 0.8))
    assert verdict.kind == "unknown"
    assert not verdict.switch_by_default


def test_stop_reason_picks_the_lines_that_end_a_run() -> None:
    assert stop_reason("early stop: no MAP@R gain for 8 epochs (best epoch 3)") is not None
    assert stop_reason("time budget of 2.5 min reached") == "time budget of 2.5 min reached"
    assert stop_reason("epoch 3 | loss 0.2") is None
