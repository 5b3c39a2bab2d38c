"""buildorch's benchmarks: each claim measured against its natural alternative, interleaved, as ratios.

Run with ``make bench`` or ``python -m bench [--only NAME] [--runs N] [--warmup N]``;
results go to ``bench/results/latest.{json,md,png}``. Not part of ``make test``.
"""
