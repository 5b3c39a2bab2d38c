"""``make reliability``: faults, kills, concurrency and hostile input against the real stack, measured.

Each scenario (one module here) runs trials on the real engine, buildx, registry and app, and returns
:class:`report.Figure` values, each with its goal. ``python -m reliability`` writes ``results/latest.json``
and ``results/latest.md``; it exits 1 when a figure misses its goal, so CI fails on a regression.
"""
