"""Docker Registry v2 authentication: the ``WWW-Authenticate`` challenge, Basic, and Bearer tokens.

A registry answers 401 with a challenge. ``Basic`` wants the user's credential on
every request. ``Bearer realm="...",service="...",scope="..."`` wants a token from the
realm (the distribution spec's "token authentication"): fetched with the credential
(Basic on a GET, or an OAuth2 refresh-token POST for an identity token), scoped
``repository:NAME:pull,push``, and fetched again when it expires or is refused.

Safety rules, each checked here: the realm must be ``https`` (``http`` only on a
loopback host, as for the registry itself); a credential goes to the registry's host
or to the realm, nowhere else; no message built here contains a credential or a token.
"""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from buildorch.core import references
from buildorch.engine.credentials import Credential

TOKEN_TIMEOUT = 30.0
# A token without expires_in lives 60 s (the distribution spec's default); refresh a bit early.
_DEFAULT_TTL = 60.0
_EARLY = 5.0

_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


@dataclass(frozen=True)
class Challenge:
    """One challenge of a ``WWW-Authenticate`` header: ``Bearer realm=...`` -> ("bearer", {"realm": ...})."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)


def parse_challenges(header: str) -> list[Challenge]:
    """Every challenge in a ``WWW-Authenticate`` value (RFC 7235: quoted strings, escapes, several challenges).

    Lenient: what cannot be parsed ends the list instead of raising, as a client must
    keep going with whatever the server sent.
    """
    out: list[Challenge] = []
    s, i, n = header, 0, len(header)

    def skip_ws(j: int) -> int:
        while j < n and s[j] in " \t":
            j += 1
        return j

    while i < n:
        i = skip_ws(i)
        while i < n and s[i] == ",":
            i = skip_ws(i + 1)
        m = _TOKEN.match(s, i)
        if not m:
            break
        scheme, i = m.group().lower(), m.end()
        params: dict[str, str] = {}
        out.append(Challenge(scheme, params))
        i = skip_ws(i)
        # token68 (``Basic abc==``) rather than parameters
        t68 = _TOKEN68.match(s, i)
        if t68 and not _is_param(s, i):
            i = skip_ws(t68.end())
            continue
        while i < n:
            i = skip_ws(i)
            if i < n and s[i] == ",":
                i += 1
                continue
            if not _is_param(s, i):
                break  # the next challenge's scheme
            m = _TOKEN.match(s, i)
            assert m is not None
            key = m.group().lower()
            i = skip_ws(m.end())
            i = skip_ws(i + 1)  # the "="
            if i < n and s[i] == '"':
                value, i = _quoted(s, i)
            else:
                m = _TOKEN.match(s, i)
                value = m.group() if m else ""
                i = m.end() if m else i
            params.setdefault(key, value)
    return out


def _is_param(s: str, i: int) -> bool:
    """Whether ``key=`` starts at ``i`` (and not ``token68==``)."""
    m = _TOKEN.match(s, i)
    if not m:
        return False
    j = m.end()
    while j < len(s) and s[j] in " \t":
        j += 1
    if j >= len(s) or s[j] != "=":
        return False
    # ``abc==`` is a token68 ending in padding, ``abc=x`` or ``abc="x"`` a parameter
    k = j + 1
    while k < len(s) and s[k] in " \t":
        k += 1
    return k < len(s) and s[k] != "=" and s[k] != ","


def _quoted(s: str, i: int) -> tuple[str, int]:
    """The quoted string starting at ``s[i] == '"'``: (its value, the index after it)."""
    out, i = [], i + 1
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            out.append(s[i + 1])
            i += 2
            continue
        if c == '"':
            return "".join(out), i + 1
        out.append(c)
        i += 1
    return "".join(out), i  # unterminated: take the rest


class AuthError(Exception):
    """Authentication failed; ``status`` is 401/403 from the registry or the realm, None for a refused realm."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def realm_allowed(realm: str) -> bool:
    """``https`` anywhere, ``http`` only on loopback (as plain HTTP registries)."""
    parts = urllib.parse.urlsplit(realm)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and bool(parts.hostname) and references.is_loopback(parts.hostname or "")


@dataclass
class _Token:
    value: str = field(repr=False)
    expires: float


@dataclass
class Authenticator:
    """The ``Authorization`` header for one repository of one registry, kept current.

    ``credential`` is called at most once, when the registry first asks for one, so an
    open registry never runs a credential helper.
    """

    host: str
    repository: str
    credential: Callable[[], Credential | None]
    opener: Callable[..., object] = field(default_factory=lambda: urlopen)
    _cred: Credential | None = field(default=None, repr=False)
    _looked_up: bool = False
    _scheme: str | None = None
    _challenge: Challenge | None = None
    _token: _Token | None = field(default=None, repr=False)

    @property
    def scope(self) -> str:
        return f"repository:{self.repository}:pull,push"

    def cred(self) -> Credential | None:
        if not self._looked_up:
            self._cred, self._looked_up = self.credential(), True
        return self._cred

    def header(self) -> str | None:
        """The ``Authorization`` value for the next request (a fresh token when the old one expired), or None."""
        if self._scheme == "basic":
            c = self.cred()
            return _basic(c) if c and not c.identity_token else None
        if self._scheme == "bearer" and self._challenge is not None:
            if self._token is None or time.monotonic() >= self._token.expires:
                self._token = self._fetch(self._challenge)
            return f"Bearer {self._token.value}"
        return None

    def challenged(self, header: str) -> bool:
        """Take a 401's challenge; True when the request is worth sending again (something changed)."""
        challenges = parse_challenges(header)
        bearer = next((c for c in challenges if c.scheme == "bearer" and c.params.get("realm")), None)
        basic = next((c for c in challenges if c.scheme == "basic"), None)
        if bearer is not None:
            # a new token for the same scope changes nothing when the scope is what is missing
            # (``error="insufficient_scope"``), nor when there are no credentials to get a better one;
            # the token stays for the requests it is good for
            if self._token is not None and (bearer.params.get("error") == "insufficient_scope" or self.cred() is None):
                return False
            self._scheme, self._challenge, self._token = "bearer", bearer, None
            return True
        if basic is not None:
            c = self.cred()
            if self._scheme == "basic" or c is None or c.identity_token:
                return False
            self._scheme = "basic"
            return True
        return False

    def _fetch(self, ch: Challenge) -> _Token:
        realm = ch.params["realm"]
        if not realm_allowed(realm):
            raise AuthError(f"{self.host} sends credentials to {_where(realm)}: only https realms (http on loopback) are used")
        query = {"service": ch.params.get("service", ""), "scope": self.scope}
        query = {k: v for k, v in query.items() if v}
        c = self.cred()
        if c is not None and c.identity_token:
            form = {**query, "grant_type": "refresh_token", "refresh_token": c.secret, "client_id": "buildorch"}
            req = urllib.request.Request(realm, data=urllib.parse.urlencode(form).encode(), method="POST")
        else:
            sep = "&" if "?" in realm else "?"
            req = urllib.request.Request(f"{realm}{sep}{urllib.parse.urlencode(query)}", method="GET")
            if c is not None:
                req.add_header("Authorization", _basic(c))
        try:
            with self.opener(req, timeout=TOKEN_TIMEOUT) as resp:  # type: ignore[attr-defined]
                doc = json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            raise AuthError(f"the token service of {self.host} ({_where(realm)}) answered {exc.code}", exc.code) from None
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or type(exc).__name__
            raise AuthError(f"the token service of {self.host} ({_where(realm)}) failed: {reason}") from None
        value = doc.get("token") or doc.get("access_token") if isinstance(doc, dict) else None
        if not value:
            raise AuthError(f"the token service of {self.host} ({_where(realm)}) returned no token")
        try:
            ttl = float(doc.get("expires_in") or _DEFAULT_TTL)
        except (TypeError, ValueError):
            ttl = _DEFAULT_TTL
        return _Token(str(value), time.monotonic() + max(ttl - _EARLY, 1.0))


def _basic(c: Credential) -> str:
    return "Basic " + base64.b64encode(f"{c.username}:{c.secret}".encode()).decode()


def _where(url: str) -> str:
    """scheme://host/path of a URL, without its query or user info."""
    p = urllib.parse.urlsplit(url)
    return f"{p.scheme}://{p.hostname or ''}{':' + str(p.port) if p.port else ''}{p.path}"


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but drop ``Authorization`` when one leads to another host (a blob store, say)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(req.full_url).netloc:
            for name in [k for k in new.headers if k.lower() == "authorization"]:
                del new.headers[name]
        return new


_OPENER = urllib.request.build_opener(_SameHostRedirects)


def urlopen(req: urllib.request.Request | str, timeout: float) -> object:
    """``urllib.request.urlopen`` that never carries credentials to another host on a redirect."""
    return _OPENER.open(req, timeout=timeout)
