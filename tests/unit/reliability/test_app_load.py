"""app-load's pure parts: wrk's summary read right, the goal taken from the app's own source."""

from __future__ import annotations

import pytest

from reliability import app_load

# wrk 4.1.0 (Debian) against the app, here; the error lines as wrk prints them when it meets them.
WRK = """Running 2s test @ http://127.0.0.1:18931/api
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.70ms   10.37ms 154.77ms   93.65%
    Req/Sec     4.35k     1.82k    7.26k    70.00%
  Latency Distribution
     50%  606.00us
     75%    2.27ms
     90%    8.66ms
     99%   50.57ms
  17377 requests in 2.01s, 4.62MB read
  Socket errors: connect 0, read 9, write 2041, timeout 0
  Non-2xx or 3xx responses: 3
Requests/sec:   8634.36
Transfer/sec:      2.30MB
"""


def test_parse_wrk() -> None:
    got = app_load.parse_wrk(WRK)
    assert got["p50_ms"] == pytest.approx(0.606) and got["p99_ms"] == pytest.approx(50.57)
    assert got["avg_ms"] == pytest.approx(3.70) and got["max_ms"] == pytest.approx(154.77)
    assert got["requests"] == 17377 and got["rps"] == pytest.approx(8634.36)
    assert (got["connect_errors"], got["read_errors"], got["write_errors"], got["timeouts"]) == (0, 9, 2041, 0)
    assert got["non_2xx"] == 3


def test_parse_wrk_seconds_and_no_errors() -> None:
    quiet = "\n".join(ln for ln in WRK.splitlines() if "Socket errors" not in ln)
    got = app_load.parse_wrk(quiet.replace("50.57ms", "1.20s"))
    assert got["p99_ms"] == pytest.approx(1200.0)
    assert "read_errors" not in got


def test_the_shutdown_goal_is_the_apps_own_timeout() -> None:
    assert app_load.app_shutdown_timeout() == 10.0
