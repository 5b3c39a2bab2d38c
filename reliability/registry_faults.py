"""``registry-faults``: releases and ``build --push`` through a registry that fails on purpose.

Every case runs the real CLI against tests/integration/fault_proxy.py, a loopback proxy in
front of the stack's registry (127.0.0.1:5000) that fails one kind of request one way:
5xx bursts within the retry budget (N failures, then the real answer), 5xx beyond it,
connection resets, slow answers (below and above the client's timeout), and a full disk
(distribution's own answer: HTTP 500 UNKNOWN, detail "no space left on device"). One
repository; a good release 1.0.0 first (no proxy), then one version per case.

Judged per case: a recoverable fault must end with exit 0 and the tags on a complete
index (every manifest and blob it lists is in the registry); an unrecoverable one with
exit 4 and one ``error:`` line, the tags where they were. The attempts the client made
on the faulted operation (counted by the proxy, per request path) must stay within
``--push-attempts``. Budget: about 4 minutes (11 cases of a few seconds; retries wait
0.2 s, then 0.4 s).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reliability.common import REGISTRY, Outcome, ScenarioError, git, run_buildorch, small_context, unique
from reliability.report import Figure
from tests.integration.fault_proxy import TAG_PUT, Rule, fault_proxy

ATTEMPTS = 3
MANIFEST_PUT = r"^/v2/.+/manifests/sha256:"
BLOB_HEAD = r"^/v2/.+/blobs/sha256:"
UPLOAD = r"^/v2/.+/blobs/uploads/"
OURS = "^buildorch"


@dataclass
class Case:
    name: str
    rules: list[Rule]
    recoverable: bool
    # the faulted operation's requests, counted per path: (method, path regex, agent regex)
    measure: tuple[str, str, str | None] | None = None
    command: str = "release"
    env: dict[str, str] = field(default_factory=dict)


CASES = [
    Case("5xx burst on the manifest push", [Rule("status", "PUT", MANIFEST_PUT, OURS, 503, times=2)], True,
         ("PUT", MANIFEST_PUT, OURS)),
    Case("5xx burst on the tag moves", [Rule("status", "PUT", TAG_PUT, OURS, 500, times=2)], True, ("PUT", TAG_PUT, OURS)),
    Case("reset burst on the manifest push", [Rule("reset", "PUT", MANIFEST_PUT, OURS, times=2)], True,
         ("PUT", MANIFEST_PUT, OURS)),
    Case("slow registry (0.5 s per manifest request)", [Rule("delay", "GET|HEAD|PUT", r"/manifests/", delay=0.5)], True),
    Case("build --push: 5xx burst on the tag", [Rule("status", "PUT", TAG_PUT, None, 503, times=1)], True,
         ("PUT", TAG_PUT, None), command="build"),
    Case("5xx beyond the budget on the manifest push", [Rule("status", "PUT", MANIFEST_PUT, OURS, 503)], False,
         ("PUT", MANIFEST_PUT, OURS)),
    Case("5xx beyond the budget on the tag moves", [Rule("status", "PUT", TAG_PUT, OURS, 503)], False, ("PUT", TAG_PUT, OURS)),
    Case("resets beyond the budget on blob uploads", [Rule("reset", "PUT", UPLOAD, OURS)], False, ("HEAD", BLOB_HEAD, OURS)),
    Case("full disk (500 UNKNOWN: no space left on device)", [Rule("full-disk", "PUT", UPLOAD)], False),
    Case("no answer within the client's timeout (tag list)", [Rule("hang", "GET", r"/tags/list$", OURS, delay=3.0)], False,
         ("GET", r"/tags/list$", OURS), env={"BUILDORCH_REGISTRY_TIMEOUT": "1.5"}),
    Case("build --push: 5xx beyond the budget", [Rule("status", "PUT", TAG_PUT, None, 503)], False, command="build"),
]



def run() -> tuple[list[Figure], list[str]]:
    work = Path(tempfile.mkdtemp(prefix="r2-registry-faults-"))
    try:
        return _run(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _complete(client: Any, digest: str) -> bool:
    """Whether every manifest and blob the index ``digest`` lists is in the registry."""
    try:
        doc = client.manifest_json(digest)
        for child in doc.get("manifests") or []:
            if not _complete(client, child["digest"]):
                return False
        blobs = ([doc["config"]] if "config" in doc else []) + list(doc.get("layers") or [])
        return all(client.has_blob(b["digest"]) for b in blobs)
    except Exception:  # anything unreadable is incomplete
        return False


def _attempts(seen: list[Any], measure: tuple[str, str, str | None]) -> int:
    """The most requests one path of the faulted operation received: the attempts of one operation."""
    method, path, agent = measure
    probe = Rule("status", method, path, agent)
    counts = Counter(s.path for s in seen if probe.matches(s.method, s.path, s.agent))
    return max(counts.values(), default=0)


def _run(work: Path) -> tuple[list[Figure], list[str]]:
    from buildorch.engine.registry import Client

    ctx = small_context(work / "ctx", steps=3, payload_kib=32)
    git(ctx, "init", "-q")
    git(ctx, "add", "-A")
    git(ctx, "commit", "-q", "-m", "registry-faults")
    repo = f"{unique('r2-faults')}/app"
    env = {"TMPDIR": str(work), "XDG_CACHE_HOME": str(work / "cache"), "BUILDORCH_HISTORY_DIR": str(work / "history")}
    retry = ("--push-attempts", str(ATTEMPTS), "--retry-delay", "0.2")

    def release(image: str, version: str, extra_env: dict[str, str]) -> Outcome:
        r = run_buildorch("release", "--version", version, "--image", image, "--platform", "linux/amd64", "--verify", "none",
                          "--progress", "quiet", *retry, "--output-dir", str(work / "out" / version), str(ctx),
                          env={**env, **extra_env}, timeout=300)  # fmt: skip
        return Outcome(r.returncode, r.stderr)

    first = release(f"{REGISTRY}/{repo}", "1.0.0", {})
    if first.code != 0:
        raise ScenarioError(f"the first release failed (exit {first.code}): {first.stderr.strip()[-300:]}")
    direct = Client(f"{REGISTRY}/{repo}")
    recovered = recoverable = failed_well = unrecoverable = within = measured = half = 0
    notes: list[str] = []
    for n, case in enumerate(CASES, start=1):
        version = f"1.0.{n}"
        before = {t: direct.digest_of(t) for t in ("1.0", "1", "latest")}
        t0 = time.monotonic()
        with fault_proxy(0, [Rule(r.kind, r.method, r.path, r.agent, r.status, r.times, r.delay) for r in case.rules]) as proxy:
            image = f"{proxy.address}/{repo}"
            if case.command == "release":
                out = release(image, version, case.env)
            else:
                r = run_buildorch("build", "--platform", "linux/amd64", "--tag", f"{image}:build-{n}", "--push",
                                  "--progress", "quiet", str(ctx), env={**env, **case.env}, timeout=300)  # fmt: skip
                out = Outcome(r.returncode, r.stderr)
            seen = list(proxy.seen)
        took = time.monotonic() - t0
        faults = sum(1 for s in seen if s.fault)
        errors = [ln for ln in out.stderr.splitlines() if ln.startswith("error:")]
        verdict = f"exit {out.code}, {faults} faults answered, {took:.1f} s" + (f": {errors[0][:160]}" if errors else "")
        if case.measure is not None:
            tries = _attempts(seen, case.measure)
            measured += 1
            within += tries <= ATTEMPTS
            verdict += f"; {tries} attempts of one operation (budget {ATTEMPTS})"
        if faults == 0:
            verdict += "; THE FAULT NEVER FIRED"
        after = {t: direct.digest_of(t) for t in ("1.0", "1", "latest")}
        if case.recoverable:
            recoverable += 1
            ok = out.code == 0 and faults > 0
            recovered += ok
            if case.command == "release" and (after["latest"] is None or not _complete(direct, after["latest"])):
                half += 1
                verdict += "; TAGGED AN INCOMPLETE INDEX"
        else:
            unrecoverable += 1
            ok = out.code == 4 and out.one_line_error and faults > 0
            failed_well += ok
            if after != before:
                half += 1
                verdict += f"; TAGS MOVED {before} -> {after}"
        notes.append(f"{case.name}: {'ok' if ok else 'FAILED'} ({verdict}).")
    notes = [f"repository {REGISTRY}/{repo}; --push-attempts {ATTEMPTS} --retry-delay 0.2.", *notes]

    def pct(x: int, of: int) -> float:
        return round(100.0 * x / of, 1) if of else 0.0

    figures = [
        Figure("recovered", "recoverable faults recovered (exit 0)", pct(recovered, recoverable), 100.0, "==", "%", recoverable),
        Figure("failed_cleanly", "unrecoverable faults: exit 4 and one error line", pct(failed_well, unrecoverable), 100.0,
               "==", "%", unrecoverable),
        Figure("attempts", "faulted operations retried within the budget", pct(within, measured), 100.0, "==", "%", measured),
        Figure("half_pushed", "tags moved to a half-pushed index (or moved by a failed release)", half, 0, "==",
               trials=len(CASES)),
    ]  # fmt: skip
    return figures, notes


