"""File and class names reach the t-SNE page as text: no markup, no script, whatever they contain."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import numpy as np
import pytest
from lookalike.engine.map.figure import map_figure, map_html
from lookalike.engine.map.projection import Projection

HOSTILE = [
    "<script>/<img src=x onerror=window.__pwned=1>.png",
    "<script>/plain.png",
    "b/</script><script>window.__pwned=2</script>.png",
    'b/<a href="javascript:window.__pwned=3">click</a>.png',
    "b/<b>bold</b> & <i>italic</i>.png",
    "c/x\udcffy.png",  # a file name that is not valid UTF-8 on disk (surrogate-escaped)
    "c/new\nline'quote\".png",
    "c/{{7*7}} ${7*7} %{customdata[0]}.png",
]
BENIGN = [f"cls{i % 3}/image{i}.png" for i in range(len(HOSTILE))]


class _Tags(HTMLParser):
    """Every start tag with its attributes (script bodies are data, not tags)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _page(paths: list[str]) -> tuple[object, str]:
    rng = np.random.default_rng(0)
    projection = Projection(
        points=rng.standard_normal((len(paths), 2)).astype(np.float32),
        indices=np.arange(len(paths)),
        n_total=len(paths),
        method="opentsne",
    )
    labels = [p.split("/")[0] for p in paths]
    fig = map_figure(projection, paths, labels, title="map of <script>alert(4)</script>")
    return fig, map_html(fig)


def _tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


@pytest.fixture(scope="module")
def pages() -> tuple[Any, str, str]:
    fig, hostile = _page(HOSTILE)
    _, benign = _page(BENIGN)
    return fig, hostile, benign


def test_hostile_names_add_no_element_to_the_page(pages: tuple[Any, str, str]) -> None:
    _, hostile, benign = pages
    hostile_tags, benign_tags = _tags(hostile), _tags(benign)
    assert [t for t, _ in hostile_tags] == [t for t, _ in benign_tags]
    assert not [t for t, _ in hostile_tags if t in ("img", "a", "b", "i", "iframe")]
    handlers = [(t, k) for t, attrs in hostile_tags for k in attrs if k.lower().startswith("on")]
    assert handlers == []


def test_no_raw_markup_from_names_survives(pages: tuple[Any, str, str]) -> None:
    _, hostile, _ = pages
    for raw in ("<img src=x", "</script><script>", 'href="javascript:', "<b>bold", "alert(4)</script>"):
        assert raw not in hostile
    assert hostile.count("<script") == pages[2].count("<script")
    hostile.encode("utf-8")  # the page can be written, undecodable names included


def test_names_are_shown_as_escaped_text(pages: tuple[Any, str, str]) -> None:
    fig, _, _ = pages
    data = json.loads(fig.to_json())
    names = {trace["name"] for trace in data["data"]}
    assert "&lt;script&gt;" in names
    shown = [row[1] for trace in data["data"] for row in trace["customdata"]]
    assert "&lt;script&gt;/&lt;img src=x onerror=window.__pwned=1&gt;.png" in shown
    assert all("<" not in s and ">" not in s for s in shown)
    rows = sorted(row[0] for trace in data["data"] for row in trace["customdata"])
    assert rows == list(range(len(HOSTILE)))  # every point still maps back to its image
    assert not re.search(r"<(?!br>)", data["layout"]["title"]["text"])


def test_hover_template_does_not_expand_name_placeholders(pages: tuple[Any, str, str]) -> None:
    """Plotly fills %{...} in templates, never in data: the name's %{customdata[0]} stays text."""
    fig, _, _ = pages
    data = json.loads(fig.to_json())
    for trace in data["data"]:
        assert trace["hovertemplate"].count("%{") == 2
