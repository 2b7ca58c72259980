"""`lookalike export`: rebuild a run's held-out set from its checkpoint, then export."""

from __future__ import annotations

import json
from pathlib import Path

from lookalike.train.config import config_from_dict, with_changes
from lookalike.train.data.class_split import split_from_dict
from lookalike.train.data.prepared import prepare
from lookalike.train.data.provenance import check_fingerprint, stored_folders
from lookalike.train.export.package_run import ExportReport, export_trained, training_summary
from lookalike.train.loop.checkpoint import load_checkpoint, state_from
from lookalike.train.loop.trainer import log_stderr
from lookalike.train.models.networks import build_model


def export_checkpoint(checkpoint: Path, out: Path, int8: bool = False) -> ExportReport:
    """Load weights and config, reload the held-out classes from the saved split, export.

    The data is read from the absolute folders the checkpoint records (never resolved against the
    current directory) and must still hold the images it was trained on (its fingerprint)."""
    payload = load_checkpoint(checkpoint)
    cfg = config_from_dict(json.loads(payload["config"]))
    read = with_changes(cfg, data=stored_folders(payload, checkpoint))  # the manifest keeps cfg's
    split = split_from_dict(payload["split"])
    data = prepare(read, log_stderr, split)
    check_fingerprint(payload, data, checkpoint)
    model = build_model(cfg, pretrained=False)
    model.load_state_dict(payload["model"])
    state = state_from(payload)
    training = training_summary(data, cfg, state, model)
    return export_trained(model, with_changes(cfg, int8=int8), data, training, out)
