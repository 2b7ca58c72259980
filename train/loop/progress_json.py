"""`lookalike train --progress-json`: one JSON object per line on stdout, for the app to read.

Events: {"event": "log", "message"}, {"event": "split", "train", "val"} once the class split is
written, {"event": "epoch", ...the epoch's metrics row...} after each epoch, and at the end
{"event": "done", "model", "best_epoch", "images_per_s"} or {"event": "error", "message"}.
It follows the run folder's split.json and metrics.json, so it needs no hook inside the loop.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO


class JsonProgress:
    """A log function for `run(cfg, log)` that turns the run's progress into JSON lines."""

    def __init__(self, out_dir: str | Path, stream: TextIO | None = None) -> None:
        self.out = Path(out_dir)
        self.stream = stream or sys.stdout
        self.epochs_sent = 0
        self.split_sent = False

    def __call__(self, message: str) -> None:
        """Forward one log line, then whatever the run folder gained since the last call."""
        self._catch_up()
        self.emit({"event": "log", "message": message})

    def emit(self, event: dict[str, Any]) -> None:
        """Write one event as a line and flush, so the reader sees it at once."""
        self.stream.write(json.dumps(event, default=float) + "\n")
        self.stream.flush()

    def finish(self, model: Path | None, best_epoch: int, images_per_s: float) -> None:
        """The last event of a run that ended normally."""
        self._catch_up()
        self.emit(
            {
                "event": "done",
                "model": None if model is None else str(model),
                "best_epoch": best_epoch,
                "images_per_s": images_per_s,
            }
        )

    def _catch_up(self) -> None:
        if not self.split_sent and (self.out / "split.json").is_file():
            split = _read(self.out / "split.json")
            if split is not None:
                self.split_sent = True
                self.emit({"event": "split", "train": split["train"], "val": split["val"]})
        rows = _read(self.out / "metrics.json") or []
        for row in rows[self.epochs_sent :]:
            self.emit({"event": "epoch", **row})
        self.epochs_sent = max(self.epochs_sent, len(rows))


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def train_with_json_progress(cfg: Any) -> int:
    """Run training with JSON-line progress; an input problem becomes an error event and exit 2."""
    from lookalike.engine.errors import LookalikeError
    from lookalike.train.loop.trainer import run

    progress = JsonProgress(cfg.out)
    try:
        result = run(cfg, log=progress)
    except (ValueError, LookalikeError) as exc:
        progress.emit({"event": "error", "message": str(exc)})
        return 2
    model = result.export.path if result.export is not None else None
    progress.finish(model, result.state.best_epoch, result.images_per_s)
    return 0
