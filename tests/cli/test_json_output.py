"""`--json` output is written as it is encoded (a 100,000-image `neighbours --json` is 120 MB of
text), and is exactly the text json.dumps would give."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lookalike.cli import output


def test_streamed_json_is_the_text_json_dumps_gives(capsys: pytest.CaptureFixture[str]) -> None:
    rows = {
        f"dir/img_{i:03d}.png": [{"path": "x", "distance": np.float32(i / 7), "match": i % 2 == 0}]
        for i in range(50)
    }
    doc = {"k": 1, "neighbours": rows, "provider": "CPU", "ratio": np.float64(0.5)}
    output.print_json(doc)
    text = capsys.readouterr().out
    want = json.dumps(doc, indent=2, sort_keys=True, allow_nan=False, default=output._default) + "\n"
    assert text == want
    assert len(text) > 20 * 100
    assert json.loads(text)["neighbours"]["dir/img_007.png"][0]["distance"] == pytest.approx(1.0)
