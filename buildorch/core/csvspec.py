"""buildx's comma-separated specs (``type=local,dest=DIR``), written so a value cannot rewrite them.

buildx reads ``--output``, ``--cache-to``, ``--cache-from``, ``--secret`` and friends
with Go's ``encoding/csv``: a field holding a comma or a quote must be quoted, its
quotes doubled. Written naively, a cache directory ``/tmp/a,mode=max`` would add a
``mode=max`` field to the spec.

>>> spec(("type", "local"), ("dest", "/tmp/a,mode=max"))
'type=local,"dest=/tmp/a,mode=max"'
>>> fields('type=local,"dest=/tmp/a,mode=max"')
[('type', 'local'), ('dest', '/tmp/a,mode=max')]
"""

from __future__ import annotations

import csv
import io


def spec(*pairs: tuple[str, object]) -> str:
    """``key=value`` fields joined as buildx reads them (quoted only when a field needs it)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(f"{k}={v}" for k, v in pairs)
    return out.getvalue()


def fields(text: str) -> list[tuple[str, str]]:
    """The ``(key, value)`` fields of a spec; a field without ``=`` has an empty key. ValueError when unreadable."""
    try:
        rows = list(csv.reader([text], strict=True))
    except csv.Error as exc:
        raise ValueError(f"cannot read {text!r} as buildx does (comma-separated, quoted fields): {exc}") from None
    out: list[tuple[str, str]] = []
    for field in rows[0] if rows else []:
        key, sep, value = field.partition("=")
        out.append((key, value) if sep else ("", field))
    return out
