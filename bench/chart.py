"""``latest.png``: each ratio's median (bar) and min-max (whisker) against its goal (black tick)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

COLORS = {True: "#2e7d32", False: "#c62828", None: "#9e9e9e"}


def draw(data: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    rows = [r for c in data.get("comparisons", {}).values() if c.get("status") == "measured" for r in c["ratios"]]
    diffs = [r for r in rows if (r.get("goal") or {}).get("on") == "difference"]
    if not rows:
        return
    fig, axes = plt.subplots(
        2 if diffs else 1,
        1,
        figsize=(11, 1.2 + 0.42 * len(rows) + (1.4 if diffs else 0)),
        squeeze=False,
        gridspec_kw={"height_ratios": [len(rows), max(1, len(diffs)) + 0.6]} if diffs else None,
    )
    ax = axes[0][0]
    ys = list(range(len(rows)))[::-1]
    for y, r in zip(ys, rows, strict=True):
        q = r["ratio"]
        on_ratio = (r.get("goal") or {}).get("on") == "ratio"
        met = r.get("met") if on_ratio else None
        ax.barh(y, q["median"], color=COLORS[met], height=0.6)
        ax.errorbar(
            q["median"], y, xerr=[[q["median"] - q["min"]], [q["max"] - q["median"]]], fmt="none", ecolor="black", capsize=3, lw=1
        )
        if on_ratio:
            ax.vlines(r["goal"]["max"], y - 0.42, y + 0.42, colors="black", lw=2.5)
        label = f"{q['median']:.3g}" + (f"  (goal ≤ {r['goal']['max']:g})" if on_ratio else "")
        label += "  (goal on A - B: below)" if r in diffs else ""
        ax.text(1.01, y, label, va="center", fontsize=8, transform=ax.get_yaxis_transform())
    ax.axvline(1.0, color="#555555", ls="--", lw=0.8)
    ax.set_xscale("log")
    lo = min(r["ratio"]["min"] for r in rows) / 2
    hi = max(max(r["ratio"]["max"] for r in rows), 2) * 1.5
    ax.set_xlim(lo, hi)
    ax.set_yticks(ys, [r["name"] for r in rows], fontsize=9)
    ax.set_xlabel("ratio A/B, median and min-max (log scale; dashed: A = B; black tick: goal, lower is better)")
    m = data.get("machine", {})
    ax.set_title(
        f"buildorch benchmarks, {data.get('updated', '')[:10]}: {m.get('nproc')} CPUs, {m.get('memory_gib')} GiB, "
        f"Docker {m.get('docker_engine')}",
        fontsize=10,
        pad=22,
    )
    ax.legend(
        handles=[
            Patch(color=COLORS[True], label="goal met"),
            Patch(color=COLORS[False], label="goal missed"),
            Patch(color=COLORS[None], label="no ratio goal"),
        ],
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        ncol=3,
        frameon=False,
        fontsize=8,
    )
    if diffs:
        ax2 = axes[1][0]
        ys2 = list(range(len(diffs)))[::-1]
        for y, r in zip(ys2, diffs, strict=True):
            d = r["difference"]
            ax2.barh(y, d["median"], color=COLORS[r.get("met")], height=0.5)
            ax2.errorbar(
                d["median"],
                y,
                xerr=[[d["median"] - d["min"]], [d["max"] - d["median"]]],
                fmt="none",
                ecolor="black",
                capsize=3,
                lw=1,
            )
            ax2.vlines(r["goal"]["max"], y - 0.4, y + 0.4, colors="black", lw=2.5)
            label = f"{d['median'] * 1000:.0f} ms  (goal ≤ {r['goal']['max'] * 1000:.0f} ms)"
            ax2.text(1.01, y, label, va="center", fontsize=8, transform=ax2.get_yaxis_transform())
        ax2.set_yticks(ys2, [f"{r['name']} (A - B)" for r in diffs], fontsize=9)
        ax2.set_xlim(
            min(0, *(r["difference"]["min"] for r in diffs)),
            max(max(r["difference"]["max"], r["goal"]["max"]) for r in diffs) * 1.15,
        )
        ax2.set_xlabel("seconds more than B (median and min-max)")
    fig.tight_layout()
    fig.subplots_adjust(right=0.8)
    fig.savefig(path, dpi=110)
    plt.close(fig)
