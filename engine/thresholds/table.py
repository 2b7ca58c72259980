"""The one table of named thresholds: their keys, what the app calls them, and the FAR each targets.

Calibration (engine.metrics.verification), the default rule, the folder's own thresholds, the
duplicate calibration, the app's slider marks and menus all read it, so a name means one value
everywhere.
"""

from __future__ import annotations

# False-accept-rate points calibrated into every manifest and computed on a labelled folder.
FAR_TARGETS = {"far_1e-4": 1e-4, "far_1e-3": 1e-3, "far_1e-2": 1e-2}
# Target FARs the app's "Set from…" box offers on any folder (its labels decide the threshold).
MENU_FARS = (1e-4, 1e-3, 1e-2, 1e-1)
# The duplicate ("same picture") thresholds: embedding distance, then the picture check.
DUPLICATE_KEY = "duplicate"
# The picture check's key names its method: a model calibrated for an earlier check (an 8×8
# thumbnail distance, key "duplicate_picture") falls back to the uncalibrated defaults.
DUPLICATE_PICTURE_KEY = "duplicate_picture_local"
# Distance on the embedding's own small picture (the manifest's "pixels" part) below which a
# candidate pair is worth reading from disk: a cheap gate before the picture check.
DUPLICATE_PIXELS_KEY = "duplicate_pixels"
# Not match thresholds: other questions ("same picture") or other distances (the picture check's,
# the pixel gate's). The slider, its marks and the model card's precision table leave them out.
DUPLICATE_KEYS = (DUPLICATE_KEY, DUPLICATE_PICTURE_KEY, DUPLICATE_PIXELS_KEY)

NAMES = {
    "best_accuracy": "best balanced accuracy",
    "best_f1": "best F1",
    **{key: f"FAR {key.removeprefix('far_')}" for key in FAR_TARGETS},
    DUPLICATE_KEY: "duplicate (same picture)",
    DUPLICATE_PICTURE_KEY: "duplicate picture check",
    DUPLICATE_PIXELS_KEY: "duplicate pixel gate",
}
SHORT_NAMES = {**NAMES, "best_accuracy": "best acc."}  # the slider's marks have ~90 px each


def far_suffix(key: str) -> str:
    """'far_1e-3' → '1e-3' (how VAL@FAR figures are keyed in reports and the manifest)."""
    return key.removeprefix("far_")


def name(key: str) -> str:
    """What the app says for a threshold key ('FAR 1e-3'); unknown keys as they are."""
    return NAMES.get(key, key)
