"""Start-up: ``buildorch --version`` and ``buildorch build --help`` vs ``python -c pass`` and ``docker buildx version``."""

from __future__ import annotations

from bench.harness import Bench, Ratio, Side, shown

NOTES = [
    "The venv's python. Fast commands: four times the runs of the other comparisons (20 by default).",
    "Goal: `buildorch --version` within 0.15 s of `python -c pass` (the console script answers it before importing typer).",
]


def run(b: Bench) -> list[Ratio]:
    def side(label: str, argv: list[str]) -> Side:
        return Side(label, shown(argv), b.timed(argv))

    version = side("buildorch --version", [b.buildorch, "--version"])
    helps = side("buildorch build --help", [b.buildorch, "build", "--help"])
    python = side("python -c pass", [b.python, "-c", "pass"])
    buildx = side("docker buildx version", ["docker", "buildx", "version"])
    n = 4 * b.runs
    out = [
        Ratio(
            "startup.version-python",
            "buildorch --version / python -c pass",
            version,
            python,
            b.alternate(version, python, runs=n),
            goal=0.15,
            goal_on="difference",
        )
    ]
    for name, a, c in (("help-python", helps, python), ("version-buildx", version, buildx), ("help-buildx", helps, buildx)):
        out.append(Ratio(f"startup.{name}", f"{a.label} / {c.label}", a, c, b.alternate(a, c, runs=n)))
    return out
