"""The map page: engine's plotly figure (plotly.js inlined), qwebchannel.js from Qt's resources,
a strict content policy, and a short fixed script wiring clicks, lassos and hover thumbnails.

No data ever becomes script: names reach the page only HTML-escaped inside plotly's labels, and
thumbnails only as data:image/png URIs set on an <img>.
"""

from __future__ import annotations

from collections.abc import Sequence

from lookalike.engine.map.figure import map_figure, map_html
from lookalike.engine.map.projection import Projection
from PySide6.QtCore import QFile, QIODevice

CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'none'"
)

PAGE_SCRIPT = r"""
(function () {
  var gd = document.getElementById('{plot_id}');
  var tip = document.createElement('div');
  tip.id = 'lookalike-thumb';
  tip.style.cssText = 'position:fixed;display:none;pointer-events:none;z-index:1000;padding:3px;' +
    'background:#fff;border:1px solid #888;border-radius:4px;box-shadow:0 2px 8px rgba(0,0,0,.35)';
  var img = document.createElement('img');
  img.style.cssText = 'display:block;max-width:128px;max-height:128px';
  tip.appendChild(img);
  document.body.appendChild(tip);
  var hoverRow = -1;
  function place(p) {
    var r = gd.getBoundingClientRect();
    var x = r.left + p.xaxis._offset + p.xaxis.l2p(p.x);
    var y = r.top + p.yaxis._offset + p.yaxis.l2p(p.y);
    tip.style.left = Math.max(4, x - 150) + 'px';
    tip.style.top = Math.max(4, y - 150) + 'px';
  }
  new QWebChannel(qt.webChannelTransport, function (channel) {
    var bridge = channel.objects.bridge;
    bridge.thumbnailReady.connect(function (row, uri) {
      if (row === hoverRow && uri.indexOf('data:image/png;base64,') === 0) {
        img.src = uri;
        tip.style.display = 'block';
      }
    });
    gd.on('plotly_click', function (ev) {
      if (ev && ev.points && ev.points.length) { bridge.pointClicked(Number(ev.points[0].customdata[0])); }
    });
    gd.on('plotly_selected', function (ev) {
      if (!ev || !ev.points) { return; }
      bridge.pointsSelected(ev.points.map(function (p) { return Number(p.customdata[0]); }));
    });
    gd.on('plotly_hover', function (ev) {
      if (!ev || !ev.points || !ev.points.length) { return; }
      var p = ev.points[0];
      hoverRow = Number(p.customdata[0]);
      place(p);
      bridge.requestThumbnail(hoverRow);
    });
    gd.on('plotly_unhover', function () { hoverRow = -1; tip.style.display = 'none'; });
    // Thumbnails: tell the app what part of the map is on screen; it answers with one picture of
    // that part's thumbnails, laid beneath the points (an image URI and numbers, nothing else).
    function sendView() {
      var xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
      bridge.viewChanged(xa.range[0], xa.range[1], ya.range[0], ya.range[1],
        Math.round(xa._length), Math.round(ya._length));
    }
    var viewTimer = null;
    gd.on('plotly_relayout', function (ev) {
      if (ev && Object.keys(ev).every(function (k) { return k.indexOf('images') === 0; })) { return; }
      clearTimeout(viewTimer);
      viewTimer = setTimeout(sendView, 150);
    });
    window.lookalikeAtlas = 0;
    bridge.atlasReady.connect(function (uri, x0, x1, y0, y1) {
      if (uri !== '' && uri.indexOf('data:image/png;base64,') !== 0) { return; }
      var images = uri === '' ? [] : [{source: uri, xref: 'x', yref: 'y', x: x0, y: y1,
        sizex: x1 - x0, sizey: y1 - y0, sizing: 'stretch', xanchor: 'left', yanchor: 'top',
        layer: 'below'}];
      Plotly.relayout(gd, {images: images});
      if (window.lookalikeBaseTraces) {  // smaller points over the pictures, so the images show
        Plotly.restyle(gd, {'marker.size': images.length ? 5 : 8}, window.lookalikeBaseTraces);
      }
      window.lookalikeAtlas = window.lookalikeAtlas + 1;
    });
    sendView();
    window.lookalikeReady = true;
    bridge.pageReady();
  });
})();
"""

# Linked-map calls the app makes with runJavaScript: only row numbers, numbers and colours the app
# built itself ever arrive here, never a file or class name.
LINK_SCRIPT = r"""
(function () {
  var gd = document.getElementById('{plot_id}');
  var nBase = gd.data.length;
  var kind = gd.data[0].type || 'scatter';
  var baseColours = [], baseRows = [], rowXY = {};
  gd._fullData.forEach(function (t, i) {
    baseColours.push(t.marker.color);
    baseRows.push(t.customdata.map(function (c) { return c[0]; }));
    t.customdata.forEach(function (c, j) { rowXY[c[0]] = [t.x[j], t.y[j], c]; });
  });
  var marks = {
    selection: {size: 17, color: 'rgba(0,0,0,0)', line: {width: 3, color: '#e6194b'}},
    search: {size: 12, symbol: 'diamond', color: '#ff9900', line: {width: 1, color: '#000000'}}
  };
  var markIndex = {};
  window.lookalikeMarked = {selection: [], search: []};
  // Both overlay traces in one call: each call redraws the whole plot.
  Plotly.addTraces(gd, Object.keys(marks).map(function (name, i) {
    markIndex[name] = nBase + i;
    return {type: kind, x: [], y: [], customdata: [], mode: 'markers', name: name,
      showlegend: false, hoverinfo: 'skip', marker: marks[name]};
  }));
  var baseIdx = baseRows.map(function (_, i) { return i; });
  window.lookalikeBaseTraces = baseIdx;
  window.lookalikeMark = function (name, rows) {
    var xs = [], ys = [], cd = [];
    rows.forEach(function (r) {
      var p = rowXY[r];
      if (p) { xs.push(p[0]); ys.push(p[1]); cd.push(p[2]); }
    });
    Plotly.restyle(gd, {x: [xs], y: [ys], customdata: [cd]}, [markIndex[name]]);
    window.lookalikeMarked[name] = cd.map(function (c) { return c[0]; });
    return cd.length;
  };
  window.lookalikeColourClasses = function () {
    Plotly.restyle(gd, {'marker.color': baseColours, 'marker.showscale': false}, baseIdx);
    window.lookalikeColouring = 'class';
  };
  window.lookalikeColourValues = function (values, cmin, cmax) {
    var colours = baseRows.map(function (rows) { return rows.map(function (r) { return values[r]; }); });
    // Near is bright (yellow); the scale sits bottom left, clear of the legend, on a white ground
    // so the thumbnails beneath it do not hide its ticks.
    Plotly.restyle(gd, {'marker.color': colours, 'marker.colorscale': 'Viridis', 'marker.reversescale': true,
      'marker.cmin': cmin, 'marker.cmax': cmax, 'marker.colorbar': {x: 0, xanchor: 'left', y: 0,
      yanchor: 'bottom', len: 0.4, thickness: 12, title: {text: 'distance'},
      bgcolor: 'rgba(255,255,255,0.9)'},
      'marker.showscale': baseIdx.map(function (i) { return i === 0; })}, baseIdx);
    window.lookalikeColouring = 'values';
  };
  window.lookalikeColourList = function (byRow) {
    var colours = baseRows.map(function (rows) { return rows.map(function (r) { return byRow[r]; }); });
    Plotly.restyle(gd, {'marker.color': colours, 'marker.showscale': false}, baseIdx);
    window.lookalikeColouring = 'list';
  };
  window.lookalikeColourOf = function (row) {
    for (var i = 0; i < nBase; i++) {
      var j = baseRows[i].indexOf(row);
      if (j >= 0) {
        var c = gd.data[i].marker.color;
        return Array.isArray(c) ? c[j] : (c === undefined ? baseColours[i] : c);
      }
    }
    return null;
  };
})();
"""


def qwebchannel_js() -> str:
    """Qt's own qwebchannel.js, read from the Qt resources (no network, no copy in the repo)."""
    f = QFile(":/qtwebchannel/qwebchannel.js")
    if not f.open(QIODevice.OpenModeFlag.ReadOnly):
        raise RuntimeError("qwebchannel.js is missing from Qt's resources")
    try:
        return bytes(f.readAll().data()).decode("utf-8")
    finally:
        f.close()


def build_map_page(
    projection: Projection, paths: Sequence[str], labels: Sequence[str | None], dark: bool, channel_js: str
) -> str:
    """The whole HTML page for one map (several MB: plotly.js is inlined, so load it from a file)."""
    fig = map_figure(projection, paths, labels)
    if dark:
        fig.update_layout(template="plotly_dark")
    return wrap_map_page(map_html(fig, PAGE_SCRIPT + LINK_SCRIPT), channel_js)


def wrap_map_page(page: str, channel_js: str) -> str:
    """The app's head for a map page made with PAGE_SCRIPT + LINK_SCRIPT: content policy, channel."""
    style = "<style>html,body{margin:0;padding:0;height:100%;overflow:hidden}</style>\n"
    head = (
        style
        + f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n<script>{channel_js}</script>\n'
    )
    return page.replace("<head>", "<head>\n" + head, 1)
