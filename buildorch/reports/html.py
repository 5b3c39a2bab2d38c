"""One self-contained HTML page for a build record: inline CSS and SVG, no script, nothing fetched.

Every timeline bar is an SVG ``rect`` with ``class="bar run"`` (executed) or
``class="bar cached"``, and ``data-lane``, ``data-platform``, ``data-step``: the
Chromium test counts them from the DOM. It reads at 1280 px and prints on A4
(``@page``, the SVGs scale to the page width).
"""

from __future__ import annotations

from html import escape

from buildorch.builds.history import BuildRecord
from buildorch.core.units import human_duration, human_size
from buildorch.reports.summary import summarize
from buildorch.reports.timeline import CacheMiss, Timeline, TrendPoint, first_cache_miss, timeline, trend

WIDTH, LABEL, ROW, CACHED_ROW, GAP = 1180, 200, 18, 10, 10
PALETTE = ["#3b6fb6", "#c4572a", "#4a9a5b", "#8e5ea8", "#b08a1e", "#2b8c8c"]

CSS = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;margin:0;background:#fff}
main{max-width:1240px;margin:0 auto;padding:16px 20px}
h1{font-size:20px;margin:4px 0 2px} h2{font-size:16px;margin:22px 0 8px;border-bottom:1px solid #dde2ea;padding-bottom:3px}
.sub{color:#5b6475;margin:0 0 10px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #eceff4;vertical-align:top}
th{background:#f4f6f9;font-weight:600}
td.mono{word-break:break-all}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code,pre,.mono{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,monospace;font-size:12px}
pre{margin:4px 0 0;white-space:pre-wrap;word-break:break-all;background:#f7f8fa;padding:4px 6px;max-height:16em;overflow:auto}
.grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px}
.kv th{width:34%}
svg{width:100%;height:auto;display:block}
svg text{font:11px system-ui,sans-serif;fill:#39414f}
.bar.run{stroke:#0000;stroke-width:0}
.bar.cached{fill:#fff;stroke:#9aa3b2;stroke-width:1;stroke-dasharray:2 1.5}
.bar.critical{stroke:#d11f1f;stroke-width:2.2}
.bar.error{fill:#d11f1f}
.lane-bg{fill:#f7f8fa} .axis{stroke:#c9cfd9;stroke-width:1}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.sw{display:inline-block;width:14px;height:10px;margin-right:4px;vertical-align:-1px}
.tag{display:inline-block;font-size:11px;padding:0 5px;border-radius:3px;background:#eef1f5}
.tag.cached{background:#eceff3;color:#5b6475}.tag.run{background:#dfe9f7}.tag.critical{background:#fbe1e1;color:#9c1010}
.warn{background:#fff6e0;border-left:3px solid #e0a800;padding:4px 8px;margin:3px 0}
.miss{background:#fdf0ec;border-left:3px solid #c4572a;padding:6px 10px}
details summary{cursor:pointer;color:#3b6fb6}
@page{size:A4;margin:12mm}
@media print{body{font-size:10px}main{max-width:none;padding:0}h2{break-after:avoid}
 svg,table,.miss{break-inside:avoid}tr{break-inside:avoid}pre{max-height:none;font-size:8px}
 details>summary{display:none}details>pre{display:block}.grid{grid-template-columns:1fr 1fr}}
"""


def _color(platform: str, platforms: list[str]) -> str:
    return PALETTE[platforms.index(platform) % len(PALETTE)] if platform in platforms else PALETTE[0]


def gantt(t: Timeline) -> str:
    """The timeline: one lane per target and platform; executed steps in rows, cached steps in a dashed row beneath."""
    span = t.span or 1.0
    chart = WIDTH - LABEL - 10
    platforms = sorted({ln.platform for ln in t.lanes})

    def x(sec: float) -> float:
        return LABEL + sec / span * chart

    parts: list[str] = []
    y = 22
    for n in range(0, 6):  # time axis
        sec = span * n / 5
        parts.append(f'<line class="axis" x1="{x(sec):.1f}" y1="16" x2="{x(sec):.1f}" y2="__H__"/>'
                     f'<text x="{x(sec):.1f}" y="11" text-anchor="middle">{escape(human_duration(sec))}</text>')
    for lane in t.lanes:
        h = lane.rows * ROW + CACHED_ROW + 6
        parts.append(f'<g class="lane" data-lane="{escape(lane.target)}" data-platform="{escape(lane.platform)}">')
        parts.append(f'<rect class="lane-bg" x="0" y="{y}" width="{WIDTH}" height="{h}"/>')
        parts.append(f'<text x="6" y="{y + 13}">{escape(lane.label)}</text>'
                     f'<text x="6" y="{y + 26}" style="fill:#7a8394">{len(lane.executed)} run · {len(lane.cached)} cached</text>')
        color = _color(lane.platform, platforms)
        for b in lane.bars:
            classes = "bar " + ("cached" if b.cached else "run")
            classes += (" critical" if b.critical else "") + (" error" if b.error else "")
            if b.cached:
                by, bh, fill = y + lane.rows * ROW + 3, CACHED_ROW - 2, ""
            else:
                by, bh, fill = y + 2 + b.row * ROW, ROW - 4, f' fill="{color}"'
            w = max(2.0, b.duration / span * chart)
            tip = f"{b.name} ({b.step_platform}) — {'cached' if b.cached else human_duration(b.duration)}"
            parts.append(
                f'<rect class="{classes}" data-lane="{escape(b.lane)}" data-platform="{escape(b.platform)}" '
                f'data-step="{escape(b.name)}" data-cached="{str(b.cached).lower()}" data-critical="{str(b.critical).lower()}" '
                f'x="{x(b.start):.1f}" y="{by}" width="{w:.1f}" height="{bh}" rx="2"{fill}><title>{escape(tip)}</title></rect>'
            )
            if not b.cached and w > 70:
                label = b.instruction[: int(w / 6.2)]
                parts.append(f'<text x="{x(b.start) + 3:.1f}" y="{by + 11}" style="fill:#fff;pointer-events:none">'
                             f"{escape(label)}</text>")
        parts.append("</g>")
        y += h + GAP
    height = y + 4
    body = "".join(parts).replace("__H__", str(height - GAP))
    return (f'<svg class="timeline" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="timeline of the build steps">'
            f"{body}</svg>")


def trend_panel(points: list[TrendPoint], current: str) -> str:
    if len(points) < 2:
        note = "<p class='sub'>The trend needs two builds of this target: only this one is recorded.</p>"
        return note + trend_table(points, current)
    w, h, pad = 1180, 170, 40
    durations = [p.duration_seconds for p in points]
    sizes = [p.size_bytes for p in points]
    dmax = max(durations) or 1.0
    smax = max((s for s in sizes if s is not None), default=0) or 1
    step = (w - 2 * pad) / (len(points) - 1)
    parts = [f'<line class="axis" x1="{pad}" y1="{h - 30}" x2="{w - pad}" y2="{h - 30}"/>']
    dline = " ".join(f"{pad + i * step:.1f},{h - 30 - d / dmax * (h - 60):.1f}" for i, d in enumerate(durations))
    parts.append(f'<polyline points="{dline}" fill="none" stroke="#3b6fb6" stroke-width="2"/>')
    sline = " ".join(f"{pad + i * step:.1f},{h - 30 - s / smax * (h - 60):.1f}" for i, s in enumerate(sizes) if s is not None)
    if sline:
        parts.append(f'<polyline points="{sline}" fill="none" stroke="#c4572a" stroke-width="2" stroke-dasharray="5 3"/>')
    for i, p in enumerate(points):
        cx = pad + i * step
        r = 5 if p.id == current else 3
        parts.append(f'<circle class="point" cx="{cx:.1f}" cy="{h - 30 - p.duration_seconds / dmax * (h - 60):.1f}" r="{r}" '
                     f'fill="#3b6fb6"><title>{escape(p.version)}: {escape(human_duration(p.duration_seconds))}, '
                     f"{escape(human_size(p.size_bytes))}</title></circle>")
        if len(points) <= 20 or i % max(1, len(points) // 10) == 0:
            anchor = "start" if i == 0 else "end" if i == len(points) - 1 else "middle"
            parts.append(f'<text x="{cx:.1f}" y="{h - 14}" text-anchor="{anchor}">{escape(p.version[-24:])}</text>')
    parts.append(f'<text x="{pad}" y="14">duration (max {escape(human_duration(dmax))})</text>'
                 f'<text x="{pad + 220}" y="14" style="fill:#c4572a">size, dashed (max {escape(human_size(smax))})</text>')
    svg = f'<svg class="trend" viewBox="0 0 {w} {h}" role="img" aria-label="duration and size trend">{"".join(parts)}</svg>'
    return svg + trend_table(points, current)


BOLD = ' style="font-weight:600"'


def trend_table(points: list[TrendPoint], current: str) -> str:
    rows = "".join(
        f"<tr{BOLD if p.id == current else ''}><td class='mono'>{escape(p.version or '-')}</td>"
        f"<td>{escape(p.created)}</td><td class='num'>{escape(human_duration(p.duration_seconds))}</td>"
        f"<td class='num'>{escape(human_size(p.size_bytes))}</td><td class='num'>{p.steps_cached}/{p.steps_total}</td></tr>"
        for p in points[-10:]
    )
    return ("<table class='trend-table'><tr><th>version</th><th>when</th><th>duration</th><th>size</th><th>cached</th></tr>"
            f"{rows}</table>")


def steps_table(t: Timeline) -> str:
    rows = []
    for b in sorted(t.bars, key=lambda b: (b.start, b.lane, b.platform)):
        state = "cached" if b.cached else ("critical" if b.critical else "run")
        log = (f"<details><summary>{len(b.log_tail)} log lines</summary><pre>{escape(chr(10).join(b.log_tail))}</pre></details>"
               if b.log_tail else "")
        err = f"<pre>{escape(b.error)}</pre>" if b.error else ""
        rows.append(
            f"<tr class='step' data-platform='{escape(b.platform)}'><td>{escape(_lane_name(b.lane, b.step_platform))}</td>"
            f"<td class='mono'>{escape(b.name)}{err}{log}</td><td><span class='tag {state}'>{state}</span></td>"
            f"<td class='num'>{escape(human_duration(b.start))}</td>"
            f"<td class='num'>{escape('-' if b.cached else human_duration(b.duration))}</td></tr>"
        )
    return ("<table class='steps'><tr><th>lane</th><th>step (command, log tail)</th><th>state</th><th>start</th>"
            f"<th>duration</th></tr>{''.join(rows)}</table>")


def _lane_name(lane: str, platform: str) -> str:
    return f"{lane} · {platform}" if lane else platform


def miss_panel(miss: CacheMiss | None) -> str:
    if miss is None:
        return "<p>Every step came from the cache.</p>"
    items = "".join(f"<li>{escape(r)}</li>" for r in miss.reasons)
    return (f"<div class='miss'><b>First step that missed the cache</b> ({escape(_lane_name(miss.bar.lane, miss.bar.platform))}, "
            f"{escape(human_duration(miss.bar.duration))}): <code>{escape(miss.bar.name)}</code><ul>{items}</ul></div>")


def render_html(rec: BuildRecord, history: list[BuildRecord]) -> str:
    """The report of ``rec``; ``history`` is the earlier records of the same target (the trend), ``rec`` last."""
    t = timeline(rec)
    s = summarize(rec)
    previous = [r for r in history if r.id < rec.id]
    miss = first_cache_miss(rec, previous[-1] if previous else None, t)
    kv = "".join(f"<tr><th>{escape(k)}</th><td class='mono'>{escape(v)}</td></tr>" for k, v in s.rows)
    images = "".join(
        f"<tr><td>{escape(lane or '-')}</td><td>{escape(p)}</td>"
        f"<td class='mono'>{escape(d)}</td><td class='num'>{escape(z)}</td></tr>"
        for lane, p, d, z in s.images
    ) or "<tr><td colspan='4'>no image recorded (not loaded or pushed)</td></tr>"
    warnings = "".join(f"<div class='warn'>{escape(w)}</div>" for w in s.warnings) or "<p class='sub'>none</p>"
    colors = sorted({ln.platform for ln in t.lanes})
    legend = "".join(f"<span><i class='sw' style='background:{_color(p, colors)}'></i>{escape(p)}</span>" for p in colors)
    legend += ("<span><i class='sw' style='border:1px dashed #9aa3b2'></i>cached (drawn apart, beneath)</span>"
               "<span><i class='sw' style='border:2px solid #d11f1f'></i>critical path</span>")
    critical = sum(b.duration for b in t.bars if b.critical)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>buildorch report: {escape(rec.kind)} {escape(rec.name)} {escape(rec.version)}</title>
<style>{CSS}</style></head>
<body><main>
<h1>{escape(rec.kind)} {escape(rec.name)} <span class="tag">{escape(rec.version or "-")}</span></h1>
<p class="sub">{escape(rec.created)} · {escape(human_duration(rec.duration_seconds))} ·
{rec.steps_cached}/{rec.steps_total} steps cached · critical path {escape(human_duration(critical))}</p>
<h2>Timeline</h2>
<p class="legend">{legend}</p>
{gantt(t)}
<h2>Cache</h2>
{miss_panel(miss)}
<div class="grid">
<section><h2>Summary</h2><table class="kv">{kv}</table></section>
<section><h2>Images</h2><table><tr><th>lane</th><th>platform</th><th>digest</th><th>size</th></tr>{images}</table>
<h2>Warnings</h2>{warnings}</section>
</div>
<h2>Trend: the last builds of {escape(rec.name)}</h2>
{trend_panel(trend(history or [rec]), rec.id)}
<h2>Steps</h2>
{steps_table(t)}
<p class="sub">Made by buildorch from the build record {escape(rec.id)}.</p>
</main></body></html>
"""
