"""Calibration (the 10-fold threshold search) runs once per export, never per epoch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from lookalike.engine.metrics import verification
from lookalike.engine.metrics.evaluation import evaluate
from lookalike.train.loop.trainer import run
from lookalike.train.loop.validation import HEADLINE, held_out_metrics

from tests.train.conftest import tiny_config


def _count_calibrations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    search: Callable[..., Any] = verification.best_threshold

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return search(*args, **kwargs)

    monkeypatch.setattr(verification, "best_threshold", counted)
    return calls


def test_epoch_metrics_are_the_headline_without_calibration(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    labels = [f"c{i // 15}" for i in range(90)]  # six classes around six corners, with noise
    vectors = (np.repeat(np.eye(6, 8), 15, axis=0) + 0.5 * rng.standard_normal((90, 8))).astype(np.float32)
    full = evaluate(vectors, labels)
    calls = _count_calibrations(monkeypatch)
    got = held_out_metrics(vectors, labels)
    assert calls == []
    assert set(got) == set(HEADLINE)
    assert got["precision_at_1"] == full["precision_at_1"]
    assert got["mean_average_precision_at_r"] == full["mean_average_precision_at_r"]
    assert got["roc_auc"] == pytest.approx(full["roc_auc"])
    assert got["val_at_far_1e-3"] == pytest.approx(full["val_at_far"]["1e-3"])


def test_a_run_calibrates_once_at_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_calibrations(monkeypatch)
    result = run(tiny_config(tmp_path / "run", epochs=2), log=lambda message: None)
    assert result.export is not None
    assert len(calls) == 1
