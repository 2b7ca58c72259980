"""The plotly map figure: one trace per class, rows in customdata, names escaped, an offline page."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pytest
from lookalike.engine.map.figure import NO_CLASS, WEBGL_ABOVE, map_figure, map_html
from lookalike.engine.map.projection import Projection

EVIL_FILE = "<img src=x onerror=alert(1)>.png"
EVIL_CLASS = "<script>"


def _projection(n: int, indices: np.ndarray | None = None, n_total: int | None = None) -> Projection:
    idx = np.arange(n) if indices is None else indices
    pts = np.random.default_rng(0).standard_normal((len(idx), 2)).astype(np.float32)
    return Projection(pts, idx, n if n_total is None else n_total, "opentsne")


def _data(fig: Any) -> list[dict[str, Any]]:
    """The traces exactly as the browser receives them (plotly's own JSON, decoded)."""
    traces: list[dict[str, Any]] = json.loads(fig.to_json())["data"]
    return traces


def _xy(trace: dict[str, Any], axis: str) -> np.ndarray:
    value = trace[axis]
    if isinstance(value, dict):  # plotly 6+ ships typed arrays as base64
        import base64

        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
    return np.asarray(value)


def test_one_trace_per_class_with_every_row_once() -> None:
    labels = ["b", "a", None, "b", "a", "c", None, "b"]
    paths = [f"{lab or 'root'}/img{i}.png" for i, lab in enumerate(labels)]
    proj = _projection(len(labels))
    traces = _data(map_figure(proj, paths, labels))
    assert [t["name"] for t in traces] == sorted(["a", "b", "c", NO_CLASS])
    rows = []
    for trace in traces:
        assert trace["type"] == "scatter"
        for (row, path), x, y in zip(trace["customdata"], _xy(trace, "x"), _xy(trace, "y"), strict=True):
            rows.append(row)
            assert path == paths[row]
            assert (labels[row] or NO_CLASS) == trace["name"]
            assert (x, y) == tuple(proj.points[row])
    assert sorted(rows) == list(range(len(labels)))


def test_subsampled_map_shows_only_the_sample_and_says_so() -> None:
    labels = ["a", "b"] * 10
    paths = [f"p{i}.png" for i in range(20)]
    indices = np.array([1, 4, 5, 9, 12, 19])
    fig = map_figure(_projection(20, indices, n_total=20), paths, labels)
    rows = sorted(r for t in _data(fig) for r, _ in t["customdata"])
    assert rows == indices.tolist()
    title = fig.layout.title.text
    assert "6 of 20 images" in title
    assert "sample" in title


def test_many_points_switch_to_webgl() -> None:
    n = WEBGL_ABOVE + 1
    fig = map_figure(
        _projection(n), [f"{i}.png" for i in range(n)], ["a", "b", "c"] * (n // 3) + ["a"] * (n % 3)
    )
    assert {t["type"] for t in _data(fig)} == {"scattergl"}
    assert "WebGL" in fig.layout.title.text
    small = map_figure(_projection(10), [f"{i}.png" for i in range(10)], ["a"] * 10)
    assert "WebGL" not in small.layout.title.text


def test_file_and_class_names_are_escaped_in_the_figure() -> None:
    labels = [EVIL_CLASS, EVIL_CLASS, "b&b", "b&b"]
    paths = [f"{EVIL_CLASS}/{EVIL_FILE}", f"{EVIL_CLASS}/ok.png", 'b&b/"quoted".png', "b&b/x.png"]
    fig = map_figure(_projection(4), paths, labels, title="<b>my</b> folder")
    traces = {t["name"]: t for t in _data(fig)}
    assert set(traces) == {"&lt;script&gt;", "b&amp;b"}
    evil = traces["&lt;script&gt;"]
    assert evil["customdata"][0][1] == "&lt;script&gt;/&lt;img src=x onerror=alert(1)&gt;.png"
    assert evil["text"] == ["&lt;script&gt;", "&lt;script&gt;"]
    assert traces["b&amp;b"]["customdata"][0][1] == "b&amp;b/&quot;quoted&quot;.png"
    assert fig.layout.title.text.startswith("&lt;b&gt;my&lt;/b&gt; folder")
    text = fig.to_json()
    for raw in (EVIL_FILE, EVIL_CLASS, "<b>my"):
        assert raw not in text
        assert raw not in json.loads(text)["data"].__repr__()


def test_page_is_standalone_offline_and_escaped() -> None:
    labels = [EVIL_CLASS, "b", "b"]
    paths = [f"{EVIL_CLASS}/{EVIL_FILE}", "b/1.png", "b/2.png"]
    page = map_html(map_figure(_projection(3), paths, labels), extra_script="window.lookalikeReady = true;")
    assert page.lstrip().lower().startswith(("<!doctype html>", "<html"))
    assert len(page) > 1_000_000  # plotly.js itself is inlined
    assert "Plotly.newPlot" in page
    assert "window.lookalikeReady = true;" in page
    tags = re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", page, flags=re.IGNORECASE)
    assert tags
    assert not [t for t in tags if re.search(r"\b(src|href)\s*=", t, flags=re.IGNORECASE)]
    assert "cdn.plot.ly/plotly" not in page
    assert EVIL_FILE not in page
    assert '"<script>"' not in page
    assert "&lt;img src=x onerror=alert(1)&gt;.png" in page
    assert page.count("<script") == page.count("</script>")


@pytest.mark.parametrize("title", ["", "t-SNE map of photos"])
def test_title_counts_images(title: str) -> None:
    fig = map_figure(_projection(5), [f"{i}" for i in range(5)], ["a"] * 5, title=title)
    assert "5 images" in fig.layout.title.text


def test_hundreds_of_classes_get_distinct_colours_and_no_legend_wall() -> None:
    from lookalike.engine.map.colours import class_colours
    from lookalike.engine.map.figure import LEGEND_MAX

    assert len(set(class_colours(755))) == 755  # a 10-hue cycle would repeat each colour 75 times
    labels = [f"class{i % 60:02d}" for i in range(180)]
    paths = [f"{lab}/x{i}.png" for i, lab in enumerate(labels)]
    proj = _projection(len(labels))
    (trace,) = _data(map_figure(proj, paths, labels))  # 60 > LEGEND_MAX: one trace, no legend
    assert trace["showlegend"] is False
    colour_of: dict[str, str] = {}
    points = zip(_xy(trace, "x"), _xy(trace, "y"), strict=True)
    for (row, path), colour, text, xy in zip(
        trace["customdata"], trace["marker"]["color"], trace["text"], points, strict=True
    ):
        assert path == paths[row]
        assert text == labels[row]
        assert xy == tuple(proj.points[row])
        assert colour_of.setdefault(labels[row], colour) == colour  # one colour per class
    assert sorted(r for r, _ in trace["customdata"]) == list(range(len(labels)))
    assert len(set(colour_of.values())) == 60
    few = _data(
        map_figure(_projection(8), [f"c{i % 4}/x.png" for i in range(8)], [f"c{i % 4}" for i in range(8)])
    )
    assert len(few) == 4
    assert all(t["showlegend"] is True for t in few)
    assert LEGEND_MAX < 60


def test_cluster_colours_follow_the_embedding_not_the_labels() -> None:
    from lookalike.engine.map.colours import cluster_colours

    rng = np.random.default_rng(0)
    centres = rng.normal(scale=10, size=(3, 8))
    x = np.concatenate([c + rng.normal(size=(40, 8)) for c in centres]).astype(np.float32)
    colours = cluster_colours(x, n_clusters=3)
    groups = [set(colours[i * 40 : (i + 1) * 40]) for i in range(3)]
    assert all(len(g) == 1 for g in groups)  # each blob one colour
    assert len(set().union(*groups)) == 3  # and three different ones
