"""The small part of Handlebars and moment.js that docker/metadata-action's patterns use.

metadata-action compiles every ``pattern``, ``value``, ``prefix``, ``suffix`` and ``enable``
with Handlebars: ``{{version}}``, ``{{major}}.{{minor}}``, ``{{branch}}``, ``{{date 'YYYYMMDD'
tz='Asia/Tokyo'}}``. Only mustaches with a name and optional quoted arguments occur there, so
that is what :func:`render` reads. Two differences on purpose: a name nobody defined is an
error here (Handlebars renders it empty, which silently makes an empty tag), and nothing is
HTML-escaped (Handlebars escapes ``&<>"'`=``, none of which a tag may hold anyway).

>>> render("{{major}}.{{minor}}", {"major": 1, "minor": 2})
'1.2'
>>> from datetime import datetime, timezone
>>> render("{{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}", {"date": date_helper(datetime(2020, 1, 10, 0, 30, tzinfo=timezone.utc))})
'20200110-093000'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MUSTACHE = re.compile(r"\{\{(.*?)\}\}", re.S)
_TOKEN = re.compile(r"""\s*(?:(\w+)=)?(?:'([^']*)'|"([^"]*)"|([^\s'"=]+))""")


def render(text: str, values: Mapping[str, Any]) -> str:
    """``text`` with each ``{{name args...}}`` replaced: a value, or a helper called with its arguments."""

    def one(m: re.Match[str]) -> str:
        name, args, hashes = _parse(m.group(1), text)
        if name not in values:
            known = ", ".join(sorted(values))
            raise ValueError(f"unknown expression {{{{{name}}}}} in {text!r}: use one of {known}")
        value = values[name]
        if callable(value):
            return str(value(*args, **hashes))
        if args or hashes:
            raise ValueError(f"{{{{{name}}}}} takes no arguments in {text!r}")
        return "" if value is None else str(value)

    return _MUSTACHE.sub(one, text)


def is_only(text: str, name: str) -> bool:
    """Whether ``text`` is exactly one mustache naming ``name`` (metadata-action's ``isRawStatement``)."""
    m = _MUSTACHE.fullmatch(text.strip())
    return m is not None and m.group(1).strip() == name


def _parse(inner: str, text: str) -> tuple[str, list[str | None], dict[str, str | None]]:
    parts = inner.strip()
    name_m = re.match(r"(\w+)", parts)
    if not name_m:
        raise ValueError(f"cannot read the expression {{{{{inner}}}}} in {text!r}")
    args: list[str | None] = []
    hashes: dict[str, str | None] = {}
    rest = parts[name_m.end() :]
    pos = 0
    while rest[pos:].strip():
        t = _TOKEN.match(rest, pos)
        if not t:
            raise ValueError(f"cannot read the arguments of {{{{{inner}}}}} in {text!r}")
        key, value = t.group(1), next(g for g in t.groups()[1:] if g is not None)
        if t.group(4) is not None:
            # Unquoted, Handlebars reads a name to look up: the patterns have none, so it is undefined
            # ({{commit_date YYYY-MM-DD}} renders the default format, as in metadata-action).
            value = None
        if key:
            hashes[key] = value
        else:
            args.append(value)
        pos = t.end()
    return name_m.group(1), args, hashes


def date_helper(moment: datetime) -> Callable[..., str]:
    """The ``date``/``commit_date`` helpers: ``{{date 'FORMAT' tz='Zone'}}``, UTC by default."""

    def helper(fmt: str | None = None, **hashes: str | None) -> str:
        unknown = set(hashes) - {"tz"}
        if unknown:
            raise ValueError(f"unknown {sorted(unknown)[0]} attribute of a date expression: only tz= is known")
        tz = hashes.get("tz") or "UTC"
        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {tz!r}: use an IANA name such as Europe/Paris") from exc
        # moment's default format; a UTC time ends in a literal Z
        default = "YYYY-MM-DDTHH:mm:ss[Z]" if tz == "UTC" else "YYYY-MM-DDTHH:mm:ssZ"
        return format_moment(moment.astimezone(zone), fmt or default)

    return helper


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MOMENT = re.compile(r"\[[^\]]*\]|YYYY|YY|MMMM|MMM|MM|M|Do|DD|D|dddd|ddd|HH|H|hh|h|mm|m|ss|s|SSS|A|a|ZZ|Z|X|x")


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def format_moment(t: datetime, fmt: str) -> str:
    """``t`` in a moment.js format string (the tokens dates in tags use; ``[text]`` is literal).

    >>> format_moment(datetime(2020, 1, 10, 15, 25, 50), "dddd, MMMM Do YYYY, h:mm:ss a")
    'Friday, January 10th 2020, 3:25:50 pm'
    """
    offset = t.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign, hours_off, mins_off = ("-" if minutes < 0 else "+"), abs(minutes) // 60, abs(minutes) % 60
    hour12 = t.hour % 12 or 12
    table: dict[str, Callable[[], str]] = {
        "YYYY": lambda: f"{t.year:04d}",
        "YY": lambda: f"{t.year % 100:02d}",
        "MMMM": lambda: _MONTHS[t.month - 1],
        "MMM": lambda: _MONTHS[t.month - 1][:3],
        "MM": lambda: f"{t.month:02d}",
        "M": lambda: str(t.month),
        "Do": lambda: _ordinal(t.day),
        "DD": lambda: f"{t.day:02d}",
        "D": lambda: str(t.day),
        "dddd": lambda: _DAYS[t.weekday()],
        "ddd": lambda: _DAYS[t.weekday()][:3],
        "HH": lambda: f"{t.hour:02d}",
        "H": lambda: str(t.hour),
        "hh": lambda: f"{hour12:02d}",
        "h": lambda: str(hour12),
        "mm": lambda: f"{t.minute:02d}",
        "m": lambda: str(t.minute),
        "ss": lambda: f"{t.second:02d}",
        "s": lambda: str(t.second),
        "SSS": lambda: f"{t.microsecond // 1000:03d}",
        "A": lambda: "AM" if t.hour < 12 else "PM",
        "a": lambda: "am" if t.hour < 12 else "pm",
        "ZZ": lambda: f"{sign}{hours_off:02d}{mins_off:02d}",
        "Z": lambda: f"{sign}{hours_off:02d}:{mins_off:02d}",
        "X": lambda: str(int(t.timestamp())),
        "x": lambda: str(int(t.timestamp() * 1000)),
    }

    def one(m: re.Match[str]) -> str:
        token = m.group(0)
        return token[1:-1] if token.startswith("[") else table[token]()

    return _MOMENT.sub(one, fmt)
