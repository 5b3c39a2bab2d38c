"""Retries with exponential backoff for registry calls that fail for a moment.

Only transient failures are retried: a refused or reset connection, a timeout,
an HTTP 5xx or 429. A 401, a 404 or a malformed manifest fails at once: trying
again would give the same answer.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TypeVar

T = TypeVar("T")

_TRANSIENT = re.compile(
    r"connection refused|connection reset|broken pipe|\bEOF\b|timed out|timeout|deadline exceeded"
    r"|temporar(?:y|ily) unavailable|service unavailable|bad gateway|gateway time-?out|too many requests"
    r"|no route to host|network is unreachable|remote end closed|connection aborted",
    re.I,
)
_PERMANENT = re.compile(
    r"unauthorized|authentication required|denied|forbidden|name unknown|manifest unknown|blob unknown|not found"
    r"|no such host|unsupported",
    re.I,
)
# HTTP statuses as registries and Docker print them: "503 Service Unavailable", "HTTP 503", "status: 503".
_STATUS = re.compile(r"\b([45]\d\d) [A-Z][a-z]|(?:HTTP|[Ss]tatus(?: code)?)[: ]+([45]\d\d)\b")


def is_transient(text: str) -> bool:
    """Whether an error message describes a failure worth retrying.

    >>> is_transient("failed to do request: Head ...: dial tcp 127.0.0.1:5999: connect: connection refused")
    True
    >>> is_transient("unexpected status from PUT request to http://r/v2/a/manifests/1: 401 Unauthorized")
    False
    """
    statuses = {int(a or b) for a, b in _STATUS.findall(text)}
    if any(400 <= s < 500 and s != 429 for s in statuses) or _PERMANENT.search(text):
        return False
    return any(s >= 500 or s == 429 for s in statuses) or bool(_TRANSIENT.search(text))


@dataclass(frozen=True)
class Backoff:
    """``attempts`` tries in all, waiting ``base``, ``2*base``, ``4*base``... (at most ``cap``) in between."""

    attempts: int = 4
    base: float = 1.0
    cap: float = 30.0

    def delays(self) -> list[float]:
        return [min(self.cap, self.base * 2**i) for i in range(max(0, self.attempts - 1))]


def with_retries(
    call: Callable[[], T],
    *,
    what: str,
    backoff: Backoff,
    transient: Callable[[Exception], bool],
    log: IO[str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``call``; on a transient failure wait and try again, up to ``backoff.attempts`` times.

    The last exception is re-raised; a permanent one at once. ``log`` gets one line per retry.
    """
    out = log or sys.stderr
    delays = backoff.delays()
    for attempt in range(len(delays) + 1):
        try:
            return call()
        except Exception as exc:
            if attempt >= len(delays) or not transient(exc):
                raise
            # "warning:": a retry is not the failure; if the last try fails, the one error line says so
            out.write(f"warning: {what}: {first_line(exc)}; retry {attempt + 1}/{len(delays)} in {delays[attempt]:g}s\n")
            sleep(delays[attempt])
    raise AssertionError("unreachable")  # pragma: no cover


def first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
