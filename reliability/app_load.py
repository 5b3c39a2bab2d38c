"""Scenario ``app-load``: the demo app under load from wrk while it receives SIGTERM.

What runs: the ``app`` binary out of the image buildorch builds (``buildorch build app``,
then ``docker cp`` of ``/app``), as a process on this machine. Not the container: a
signal from ``docker kill`` reaches the app an unknown few milliseconds after the call
(and a published port puts docker-proxy between client and app, which accepts
connections the app never sees), so "sent before the signal" could not be told from
"sent after it" to the millisecond; and the shared engine's log driver would carry every
request's log line. The binary is the same file the image runs.

Each trial: the app on a free loopback port; **wrk** (Debian's, ``-t2 -c32``, ``--latency``)
for the load and its latency distribution; beside it a **Python load client** that
records every request it makes (connected at, fully sent at, answered at, outcome) on the
same monotonic clock as the signal, because wrk counts errors but cannot say whether a
failed request was sent before or after the signal. At a random moment 1.5-3 s in,
SIGTERM goes to the app; the scenario waits for it to exit and stops the clients.

* A request was **accepted before the signal** when its connection was established (the
  app's listening socket took it) and the request was written to it completely before
  the SIGTERM was sent: the failed ones among those must be 0. Half of the client's
  threads reuse keep-alive connections (the classic shutdown race: a request written on
  a connection the server is closing as idle), half open a connection per request.
* Shutdown: from the signal to the process's exit, at most the app's own timeout
  (``shutdownTimeout`` in app/run.go, read from the source), and exit code 0 (the app
  exits 1 when ``Shutdown`` runs out of time).
* p99: wrk's, over the whole run (load, signal, drain), worst trial. The handlers do no
  I/O (sub-millisecond when idle), so latency here is queueing: 40 closed-loop clients
  (wrk's 32 connections and the client's 8 threads) share 2 cores with the app, and on a
  quiet machine p99 was 30-50 ms at 4,000-6,000 req/s. Goal 250 ms: room for a CI machine
  whose cores other jobs share (seen here: 126 ms with a load average of 11), while a
  server that stalls a share of its requests (a drain that holds responses, connections
  left to the 10 s timeout) is far above it. wrk's max and the client's per-request
  figures are in the trials' details.

Budget: about 40 s (a build of the app, cached after the first, and 4 trials of ~5 s).
"""

from __future__ import annotations

import http.client
import os
import random
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from reliability.common import APP, ScenarioError, docker, run_buildorch, unique
from reliability.report import Figure

TRIALS = 4
WRK = ["wrk", "-t2", "-c32", "-d30s", "--latency", "--timeout", "5s"]
CLIENT_THREADS = 8  # half keep-alive, half a new connection per request
P99_GOAL_MS = 250.0


def app_shutdown_timeout() -> float:
    """The app's own grace period, read from its source (so the goal follows the code)."""
    m = re.search(r"shutdownTimeout\s*=\s*(\d+)\s*\*\s*time\.Second", (APP / "run.go").read_text())
    if not m:
        raise ScenarioError("cannot find shutdownTimeout in app/run.go")
    return float(m.group(1))


def build_app_image(work: Path) -> str:
    """``buildorch build app`` (cached after the first time): the image's tag (the caller removes it)."""
    tag = f"{unique('bo-rel-appload')}:load"
    r = run_buildorch("build", str(APP), "--tag", tag, "--platform", "linux/amd64", "--progress", "none",
                      timeout=600, cwd=work)  # fmt: skip
    if r.returncode != 0:
        raise ScenarioError(f"buildorch build app failed (exit {r.returncode}): {r.stderr.strip()[-300:]}")
    return tag


def copy_binary(tag: str, out: Path) -> Path:
    """The image's ``/app``, copied out: the very file the container runs."""
    cid = docker("create", tag).strip()
    try:
        docker("cp", f"{cid}:/app", str(out))
    finally:
        docker("rm", cid, check=False)
    return out


@dataclass
class ContainerStop:
    seconds: float
    exit_code: int
    requests: int


def container_trial(tag: str, timeout: float) -> ContainerStop:
    """The image as shipped: ``/app`` as PID 1 of a FROM scratch container, stopped by ``docker stop`` under light load.

    Only its shutdown is judged (time, exit code): between the client and the app sits docker-proxy,
    which takes connections the app never sees, so requests are not counted here (see the module docstring).
    """
    name = unique("bo-rel-appload")
    # No log driver: the shared engine would carry one log line per request.
    docker("run", "-d", "--name", name, "--log-driver", "none", "-p", "127.0.0.1::8080", tag)
    try:
        port = int(docker("port", name, "8080/tcp").strip().splitlines()[0].rsplit(":", 1)[1])
        deadline = time.monotonic() + 15
        while not _healthy(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        client = LoadClient(port)
        threads = client.start()
        time.sleep(1.0)
        t0 = time.monotonic()
        docker("stop", "--time", str(int(timeout) + 5), name, timeout=timeout + 30)
        seconds = time.monotonic() - t0
        client.stop.set()
        for t in threads:
            t.join(10)
        code = int(docker("inspect", "--format", "{{.State.ExitCode}}", name).strip())
    finally:
        docker("rm", "-f", name, check=False)
    return ContainerStop(seconds, code, len(client.records))


def _healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", "/health")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


@dataclass
class Request:
    connected_at: float
    reused: bool  # not the first request on its connection (keep-alive)
    sent_at: float | None = None
    done_at: float | None = None
    ok: bool = False
    error: str = ""


@dataclass
class LoadClient:
    """Threads that GET /api as fast as they can and record each request's times on the monotonic clock."""

    port: int
    stop: threading.Event = field(default_factory=threading.Event)
    records: list[Request] = field(default_factory=list)
    connect_failures: list[float] = field(default_factory=list)  # when a connection could not be made
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _connect(self) -> http.client.HTTPConnection | None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.connect()
        except OSError:
            with self.lock:
                self.connect_failures.append(time.monotonic())  # judged later against the signal's time
            conn.close()
            return None
        return conn

    def _worker(self, keep_alive: bool) -> None:
        conn: http.client.HTTPConnection | None = None
        while not self.stop.is_set():
            if conn is None:
                conn = self._connect()
                if conn is None:
                    time.sleep(0.005)
                    continue
                connected, used = time.monotonic(), 0
            rec = Request(connected_at=connected, reused=used > 0)
            used += 1
            try:
                conn.request("GET", "/api", headers={} if keep_alive else {"Connection": "close"})
                rec.sent_at = time.monotonic()
                resp = conn.getresponse()
                resp.read()
                rec.done_at = time.monotonic()
                rec.ok = resp.status == 200
                rec.error = "" if rec.ok else f"HTTP {resp.status}"
                if not keep_alive or resp.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                rec.done_at = time.monotonic()
                rec.error = type(exc).__name__
                if conn is not None:
                    conn.close()
                conn = None
            with self.lock:
                self.records.append(rec)
        if conn is not None:
            conn.close()

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._worker, args=(i % 2 == 0,), daemon=True) for i in range(CLIENT_THREADS)]
        for t in threads:
            t.start()
        return threads


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(port: int, proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ScenarioError(f"the app exited with {proc.returncode} before answering")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise ScenarioError(f"the app did not answer /health within {timeout:.0f} s")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_wrk(text: str) -> dict[str, float]:
    """wrk's summary: average, max and p50-p99 latency in ms, requests, socket errors, non-2xx, requests/s."""
    out: dict[str, float] = {}
    m = re.search(r"^\s+Latency\s+([\d.]+)(us|ms|s|m)\s+([\d.]+)(us|ms|s|m)\s+([\d.]+)(us|ms|s|m)", text, re.M)
    if m:
        out["avg_ms"], out["max_ms"] = float(m.group(1)) * _UNITS[m.group(2)], float(m.group(5)) * _UNITS[m.group(6)]
    for pct, value, unit in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M):
        out[f"p{pct}_ms"] = float(value) * _UNITS[unit]
    m = re.search(r"(\d+) requests in", text)
    out["requests"] = float(m.group(1)) if m else 0.0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        out.update(zip(("connect_errors", "read_errors", "write_errors", "timeouts"), map(float, m.groups()), strict=True))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    out["non_2xx"] = float(m.group(1)) if m else 0.0
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    out["rps"] = float(m.group(1)) if m else 0.0
    return out


@dataclass
class TrialResult:
    accepted_before: int
    failed_before: list[str]
    in_flight: int
    in_flight_max_ms: float  # how long the slowest of them took, sent to answered
    after_signal: int
    refused_before: int  # connections refused before the signal (the listener must take them all)
    shutdown_s: float
    exit_code: int
    wrk: dict[str, float]
    client_p99_ms: float


def trial(binary: Path, work: Path, timeout: float) -> TrialResult:
    port = free_port()
    log = (work / f"app-{port}.log").open("wb")
    app = subprocess.Popen([str(binary)], env={"PORT": str(port), "PATH": "/usr/bin:/bin"}, stdout=log, stderr=log,
                           stdin=subprocess.DEVNULL)  # fmt: skip
    wrk: subprocess.Popen[str] | None = None
    client = LoadClient(port)
    try:
        wait_healthy(port, app)
        wrk = subprocess.Popen([*WRK, f"http://127.0.0.1:{port}/api"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)  # fmt: skip
        threads = client.start()
        time.sleep(random.uniform(1.5, 3.0))
        signal_at = time.monotonic()
        app.send_signal(signal.SIGTERM)
        try:
            code = app.wait(timeout + 5)
        except subprocess.TimeoutExpired:
            app.kill()
            code = app.wait()
        exited_at = time.monotonic()
        time.sleep(0.2)  # let the clients meet the closed port
        client.stop.set()
        wrk.send_signal(signal.SIGINT)  # wrk prints its summary on SIGINT
        wrk_out, _ = wrk.communicate(timeout=30)
        for t in threads:
            t.join(10)
    finally:
        for p in (app, wrk):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        log.close()
    with client.lock:
        records = list(client.records)
        refused_before = sum(1 for t in client.connect_failures if t < signal_at)
    before = [r for r in records if r.connected_at < signal_at and r.sent_at is not None and r.sent_at < signal_at]
    latencies = sorted((r.done_at - r.sent_at) * 1000 for r in records if r.ok and r.sent_at and r.done_at)
    return TrialResult(
        accepted_before=len(before),
        failed_before=[f"{r.error} ({'a reused keep-alive connection' if r.reused else 'a new connection'}, connected "
                       f"{(signal_at - r.connected_at) * 1000:.1f} ms and sent {(signal_at - (r.sent_at or 0)) * 1000:.1f} ms "
                       f"before the signal)" for r in before if not r.ok],
        in_flight=sum(1 for r in before if r.done_at is None or r.done_at > signal_at),
        in_flight_max_ms=max((((r.done_at or exited_at) - (r.sent_at or 0)) * 1000 for r in before
                              if r.done_at is None or r.done_at > signal_at), default=0.0),
        after_signal=len(records) - len(before),
        refused_before=refused_before,
        shutdown_s=exited_at - signal_at,
        exit_code=code,
        wrk=parse_wrk(wrk_out),
        client_p99_ms=latencies[int(len(latencies) * 0.99)] if latencies else 0.0,
    )


def run() -> tuple[list[Figure], list[str]]:
    if not any(os.access(os.path.join(d, "wrk"), os.X_OK) for d in os.environ.get("PATH", "").split(os.pathsep)):
        raise ScenarioError("wrk is not installed: run scripts/stack reliability-tools (scripts/stack up --all does)")
    timeout = app_shutdown_timeout()
    with tempfile.TemporaryDirectory(prefix="bo-rel-appload-") as tmp:
        work = Path(tmp)
        tag = build_app_image(work)
        try:
            binary = copy_binary(tag, work / "app")
            results = [trial(binary, work, timeout) for _ in range(TRIALS)]
            stop = container_trial(tag, timeout)
        finally:
            docker("image", "rm", tag, check=False)
    accepted = sum(r.accepted_before for r in results)
    failed = [e for r in results for e in r.failed_before]
    in_flight = sum(r.in_flight for r in results)
    p99 = max(r.wrk.get("p99_ms", float("inf")) for r in results)
    per_trial = [{
        "accepted_before_signal": r.accepted_before, "failed_of_those": len(r.failed_before), "in_flight_at_signal": r.in_flight,
        "in_flight_max_ms": round(r.in_flight_max_ms, 1),
        "client_requests_after_signal": r.after_signal,
        "client_connections_refused_before_signal": r.refused_before, "shutdown_s": round(r.shutdown_s, 3),
        "exit_code": r.exit_code,
        "client_p99_ms": round(r.client_p99_ms, 2), "wrk": r.wrk,
    } for r in results]  # fmt: skip
    notes = [
        f"The app binary from the image buildorch builds, on a loopback port; wrk {' '.join(WRK[1:])} plus a Python client "
        f"({CLIENT_THREADS} threads, half keep-alive) timing each request; SIGTERM at a random 1.5-3 s.",
        f"wrk: {sum(r.wrk.get('requests', 0) for r in results):.0f} requests, "
        f"{max(r.wrk.get('rps', 0) for r in results):.0f} req/s at most; connect errors after the listener closed: "
        f"{sum(r.wrk.get('connect_errors', 0) for r in results):.0f}, read errors "
        f"{sum(r.wrk.get('read_errors', 0) for r in results):.0f} (wrk cannot tell before from after the signal).",
    ]
    figures = [
        Figure("app_load_failed_accepted_before_signal", "failed requests among those accepted before SIGTERM",
               len(failed), 0, "==", trials=len(results),
               notes=[f"{accepted} requests accepted before the signal, {in_flight} of them still in flight at it; "
                      f"{sum(r.refused_before for r in results)} connections refused before it"
                      + (f"; failures: {'; '.join(failed[:10])}" if failed else "") + "."],
               extra={"trials": per_trial}),
        Figure("app_load_in_flight_at_signal", "requests in flight at SIGTERM (the measurement reaches the race)",
               in_flight, 1, ">=", trials=len(results),
               notes=[f"the slowest of them was answered {max(r.in_flight_max_ms for r in results):.0f} ms after it was sent."]),
        Figure("app_load_shutdown_s", f"shutdown after SIGTERM, binary or docker stop (the app's timeout: {timeout:g} s)",
               round(max([r.shutdown_s for r in results] + [stop.seconds]), 3), timeout, "<=", "s", trials=len(results) + 1,
               notes=[f"binary: {max(r.shutdown_s for r in results):.2f} s at most (1 s of it the drain); the image "
                      f"under docker stop (PID 1 of a FROM scratch container, {stop.requests} requests during it): "
                      f"{stop.seconds:.2f} s, exit {stop.exit_code}."]),
        Figure("app_load_graceful_exit", "shutdowns ending in exit 0 (Shutdown finished in time)",
               round(100.0 * (sum(r.exit_code == 0 for r in results) + (stop.exit_code == 0)) / (len(results) + 1), 1),
               100, "==", "%", trials=len(results) + 1),
        Figure("app_load_p99_ms", "p99 latency under load through the signal (wrk, worst trial)", round(p99, 2), P99_GOAL_MS,
               "<=", "ms", trials=len(results),
               notes=[f"Python client's p99 (worst trial): {max(r.client_p99_ms for r in results):.1f} ms."]),
    ]  # fmt: skip
    return figures, notes
