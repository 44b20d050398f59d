"""The multi-rate chapter's rate explorer: a slider over the pruning rates of the committed SBU MRMP model's
accuracy curve that shows, at each rate, its accuracy, its kept weights and compact size, its surviving
units, and on the skeleton the share of the hidden layer's weights reading each joint that survive.

Everything is precomputed (``scripts/rate_explorer.py`` writes ``models/sbu/rate_explorer.json``) and embedded
in the page with a few lines of JavaScript, so it works in the static HTML, offline, without a kernel. The
browser check moves the slider and reads the page back (:mod:`gcnprune.book.browser_check.browser`)."""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import Any

from .committed_models import MODELS_DIR

EXPLORER_FILE = "rate_explorer.json"
START_RATE = 0.9  # where the slider starts
WIDTH, HEIGHT, MARGIN = 360, 300, 20  # the skeleton's drawing, in pixels


def read_explorer(folder: str | os.PathLike[str] = MODELS_DIR) -> dict[str, Any] | None:
    """The precomputed explorer, or None where it was not computed."""
    path = Path(folder) / EXPLORER_FILE
    return json.loads(path.read_text()) if path.is_file() else None


def _skeleton(data: dict[str, Any]) -> str:
    """The SVG of the skeleton: bones as lines, joints as circles whose radius the script sets."""
    xs, ys = data["skeleton"]["x"], data["skeleton"]["y"]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    scale = (min(WIDTH, HEIGHT) - 2 * MARGIN) / span
    px = [MARGIN + (x - min(xs)) * scale for x in xs]
    py = [HEIGHT - MARGIN - (y - min(ys)) * scale for y in ys]  # y up
    bones = "".join(f'<line x1="{px[a]:.1f}" y1="{py[a]:.1f}" x2="{px[b]:.1f}" y2="{py[b]:.1f}" stroke="#999" '
                    'stroke-width="2"/>' for a, b in data["skeleton"]["bones"])  # fmt: skip
    joints = "".join(f'<circle data-joint="{j}" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#6a3d9a" fill-opacity="0.8"/>'
                     for j, (x, y) in enumerate(zip(px, py)))  # fmt: skip
    return f'<svg width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="skeleton">{bones}{joints}</svg>'


def explorer_html(data: dict[str, Any], element_id: str = "rate-explorer") -> str:
    """The explorer as one self-contained HTML fragment (a slider, its readouts, the units and the skeleton)."""
    rates = data["rates"]
    start = min(range(len(rates)), key=lambda i: abs(rates[i] - START_RATE))
    units = "".join(f'<tr><td>{html.escape(kind)}</td><td data-unit="{k}"></td><td>{u["dense"]}</td></tr>'
                    for k, (kind, u) in enumerate(data["units"].items()))  # fmt: skip
    payload = json.dumps(data, separators=(",", ":"))
    layout = "display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start"
    return f"""<div id="{element_id}" data-rate-explorer style="{layout}">
<div style="min-width:320px">
<label>pruning rate
<input type="range" min="0" max="{len(rates) - 1}" step="1" value="{start}" style="width:260px"></label>
<p style="font-size:1.3em;margin:0.4em 0">rate <b data-field="rate"></b>: accuracy <b data-field="accuracy"></b></p>
<p style="margin:0.2em 0"><span data-field="kept"></span> weights kept;
compact model <span data-field="bytes"></span></p>
<table><thead><tr><th>units</th><th>kept</th><th>of</th></tr></thead><tbody>{units}</tbody></table>
</div>
<div>{_skeleton(data)}<p style="max-width:{WIDTH}px;font-size:0.85em">Each joint's circle grows with the share of the
hidden layer's weights reading it that survive at this rate.</p></div>
<script type="application/json">{payload}</script>
<script>
(function () {{
  const root = document.getElementById("{element_id}");
  const data = JSON.parse(root.querySelector('script[type="application/json"]').textContent);
  const slider = root.querySelector('input[type="range"]');
  const kinds = Object.keys(data.units);
  const set = (name, text) => {{ root.querySelector('[data-field="' + name + '"]').textContent = text; }};
  function show(i) {{
    set("rate", String(data.rates[i]));
    set("accuracy", (100 * data.accuracy[i]).toFixed(1) + " %");
    set("kept", data.kept_weights[i].toLocaleString("en"));
    set("bytes", (data.bytes[i] / 1024).toFixed(1) + " KiB");
    kinds.forEach((kind, k) => {{
      root.querySelector('[data-unit="' + k + '"]').textContent = data.units[kind].kept[i];
    }});
    const shares = data.joint_share[i], top = Math.max(...data.joint_share[0]) || 1;
    root.querySelectorAll("circle[data-joint]").forEach((c) => {{
      c.setAttribute("r", (2 + 12 * Math.sqrt(shares[+c.dataset.joint] / top)).toFixed(1));
    }});
    root.dataset.shown = String(i);
  }}
  slider.addEventListener("input", () => show(+slider.value));
  show(+slider.value);
}})();
</script>
</div>"""
