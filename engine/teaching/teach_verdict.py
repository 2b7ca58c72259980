"""Is the taught model better than the one it started from, on the same held-out images?

The dialog offers switching as its default action only when the answer is a plain yes; a worse or
mixed result says so in words and leaves the starting model in use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lookalike.engine.teaching.teach_run import HeldOutFigures

TOLERANCE = 0.005  # a change smaller than this on either figure counts as no change
Kind = Literal["better", "worse", "mixed", "same", "unknown"]


@dataclass(frozen=True)
class TeachVerdict:
    """The comparison's kind and one plain sentence for the user."""

    kind: Kind
    text: str

    @property
    def switch_by_default(self) -> bool:
        """Only a model better on the held-out images is offered as the default next step."""
        return self.kind == "better"


def compare_models(before: HeldOutFigures | None, after: HeldOutFigures | None) -> TeachVerdict:
    """Compare precision@1 and MAP@R of the starting and the taught model on the same images."""
    if before is None or after is None:
        return TeachVerdict(
            "unknown",
            "The held-out images could not score both models, so there is no telling whether the "
            "taught model is better; the starting model stays in use.",
        )
    deltas = (after.precision_at_1 - before.precision_at_1, after.map_at_r - before.map_at_r)
    up = any(d > TOLERANCE for d in deltas)
    down = any(d < -TOLERANCE for d in deltas)
    change = (
        f"precision@1 {before.precision_at_1:.3f} → {after.precision_at_1:.3f}, "
        f"MAP@R {before.map_at_r:.3f} → {after.map_at_r:.3f} on the same {after.n_images} held-out images"
    )
    if up and not down:
        return TeachVerdict("better", f"The taught model is better: {change}.")
    if down and not up:
        return TeachVerdict("worse", f"The taught model is WORSE: {change}. The starting model stays in use.")
    if up and down:
        return TeachVerdict(
            "mixed",
            f"The taught model is better on one figure and worse on the other: {change}. "
            "The starting model stays in use.",
        )
    return TeachVerdict("same", f"The taught model is no better: {change}. The starting model stays in use.")
