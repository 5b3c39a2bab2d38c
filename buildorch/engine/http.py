"""Plain HTTP GETs against a container that buildorch started (``buildorch smoke``, release verification)."""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request

# What a GET raises when the server is not (yet) there: refused, reset, cut short, a bad URL.
GET_ERRORS: tuple[type[Exception], ...] = (OSError, ValueError, http.client.HTTPException)


def http_get(url: str, timeout: float) -> tuple[int, float]:
    """GET ``url``; return ``(status, latency in ms)``. An HTTP error status is an answer, not an exception.

    Raises one of :data:`GET_ERRORS` when no answer came.
    """
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            resp.read()
            status = int(resp.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, round((time.monotonic() - t0) * 1000, 1)
