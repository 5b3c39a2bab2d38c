"""Semantic versions (semver.org 2.0.0): parsing, precedence, and their Docker tags.

>>> v = SemVer.parse("1.3.0-rc.1+build.7")
>>> (v.major, v.minor, v.patch, v.prerelease, v.build)
(1, 3, 0, ('rc', '1'), ('build', '7'))
>>> SemVer.parse("1.3.0-rc.1") < SemVer.parse("1.3.0")
True
>>> SemVer.parse("1.2.3+build.7").tag
'1.2.3-build.7'
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# The regular expression semver.org suggests (numbered-group form).
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?\Z",
    re.ASCII,  # \d is any Unicode digit otherwise ('\u0661.2.3'), and the version becomes a tag
)


@functools.total_ordering
@dataclass(frozen=True)
class SemVer:
    """One semantic version. Ordering is semver precedence: build metadata is ignored."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> SemVer:
        """Parse ``text``; ``ValueError`` saying what a version looks like otherwise.

        A leading ``v`` is refused: the version is also the image tag, and ``v1.2.3``
        would sort and match differently from the ``1.2.3`` tags beside it.
        """
        m = _SEMVER.match(text.strip())
        if not m:
            hint = " (drop the leading 'v')" if _SEMVER.match(text.strip()[1:]) and text.strip()[:1] in "vV" else ""
            raise ValueError(
                f"version {text!r} is not a semantic version{hint}: use MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], "
                "e.g. 1.2.3, 1.3.0-rc.1 or 1.2.3+build.7"
            )
        major, minor, patch, pre, build = m.groups()
        return cls(
            int(major), int(minor), int(patch), tuple(pre.split(".")) if pre else (), tuple(build.split(".")) if build else ()
        )

    @classmethod
    def try_parse(cls, text: str) -> SemVer | None:
        try:
            return cls.parse(text)
        except ValueError:
            return None

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)

    @property
    def core(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def __str__(self) -> str:
        s = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            s += "-" + ".".join(self.prerelease)
        if self.build:
            s += "+" + ".".join(self.build)
        return s

    @property
    def tag(self) -> str:
        """The version as a Docker tag: ``+`` is not allowed in a tag, so build metadata joins with ``-``."""
        return str(self).replace("+", "-")

    def _key(self) -> tuple[tuple[int, int, int], int, tuple[tuple[int, int, str], ...]]:
        # A release sorts after its pre-releases; numeric identifiers sort before
        # alphanumeric ones and compare as numbers (semver 2.0.0, section 11).
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.prerelease)
        return (self.core, 0 if self.prerelease else 1, pre)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SemVer) and self._key() == other._key()

    def __lt__(self, other: SemVer) -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())
