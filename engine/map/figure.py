"""The plotly figure of a t-SNE map: one trace per class (the legend toggles classes), offline.

Every file and class name is HTML-escaped before it reaches plotly, whose labels accept markup:
a file named `<img src=x onerror=alert(1)>.png` is shown as text, never run.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
from lookalike.engine.io.output_paths import HTML_MARKER
from lookalike.engine.map.colours import class_colours
from lookalike.engine.map.projection import Projection

WEBGL_ABOVE = 3000
LEGEND_MAX = 40  # above this many classes a legend is a wall of names: find a class by name instead
NO_CLASS = "(no class)"


def escape(text: str) -> str:
    """Escape for plotly labels (HTML subset) and for our own page."""
    return html.escape(text, quote=True)


def map_figure(
    projection: Projection,
    paths: Sequence[str],
    labels: Sequence[str | None],
    title: str = "t-SNE map",
) -> Any:
    """A plotly Figure: points coloured by class, hover with file name and class; customdata=row."""
    import plotly.graph_objects as go

    webgl = len(projection.indices) > WEBGL_ABOVE
    scatter = go.Scattergl if webgl else go.Scatter
    fig = go.Figure()
    by_class: dict[str, list[int]] = {}
    for pos, row in enumerate(projection.indices):
        by_class.setdefault(labels[row] or NO_CLASS, []).append(pos)
    names = sorted(by_class)
    legend = len(names) <= LEGEND_MAX
    for name, colour in zip(names, class_colours(len(names)), strict=True):
        pos_arr = np.asarray(by_class[name])
        rows = projection.indices[pos_arr]
        fig.add_trace(
            scatter(
                x=projection.points[pos_arr, 0],
                y=projection.points[pos_arr, 1],
                mode="markers",
                name=escape(name),
                marker={"size": 6 if webgl else 8, "opacity": 0.85, "color": colour},
                showlegend=legend,
                customdata=[[int(r), escape(paths[r])] for r in rows],
                text=[escape(name)] * len(rows),
                hovertemplate="%{customdata[1]}<br>class: %{text}<extra></extra>",
            )
        )
    fig.update_layout(
        title=escape(_title(title, projection, webgl) + ("" if legend else f" — {len(names)} classes")),
        dragmode="lasso",
        legend={"itemsizing": "constant"},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis={"visible": False},
        yaxis={"visible": False},
        template="plotly_white",
    )
    return fig


def _title(title: str, projection: Projection, webgl: bool) -> str:
    shown = len(projection.indices)
    note = f"{shown} images"
    if projection.subsampled:
        note = f"{shown} of {projection.n_total} images (random sample)"
    return f"{title} — {note}" + (" — WebGL" if webgl else "")


def map_html(fig: Any, extra_script: str = "") -> str:
    """A standalone page with plotly.js inlined (no CDN, works offline), marked as Lookalike's."""
    page = str(
        fig.to_html(
            include_plotlyjs=True,
            full_html=True,
            config={"displaylogo": False, "scrollZoom": True},
            post_script=extra_script or None,
            div_id="map",
        )
    )
    # The marker lets `map --html` replace its own earlier page but refuse any other file.
    return page.replace("<head>", f"<head>{HTML_MARKER}", 1)
