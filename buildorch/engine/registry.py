"""A few calls of the registry HTTP API (OCI distribution spec): list tags, push an OCI layout by digest.

Why our own client: buildx's docker driver refuses ``push-by-digest``
("push-by-digest is currently not implemented for docker driver", buildx
``build/build.go``), and ``imagetools`` reads only from registries. So a
release on the docker driver exports an OCI layout and uploads its blobs and
manifests here, by digest: no tag is written.

Plain HTTP for loopback registries (``localhost``, 127.0.0.0/8, ``[::1]``: the rule of
:func:`buildorch.core.references.plain_http`, as dockerd has it), HTTPS otherwise.
Authentication is :mod:`buildorch.engine.registry_auth` (Basic, Bearer tokens) with
the credentials Docker keeps (:mod:`buildorch.engine.credentials`), looked up only
when a registry asks. Every failure is a :class:`RegistryError`, a ``BuildorchError``
with exit code 4; a refusal (401/403) says to run ``buildorch login HOST``.
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from buildorch.core import references
from buildorch.core.errors import PushFailed
from buildorch.core.retry import Backoff, is_transient, with_retries
from buildorch.engine import credentials, registry_auth

# seconds per request; BUILDORCH_REGISTRY_TIMEOUT overrides it (the tests' hanging registry)
TIMEOUT = float(os.environ.get("BUILDORCH_REGISTRY_TIMEOUT") or 60.0)
USER_AGENT = "buildorch"
INDEX_TYPES = ("application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json")
MANIFEST_TYPES = ("application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json")
_ACCEPT = ", ".join((*INDEX_TYPES, *MANIFEST_TYPES))


class RegistryError(PushFailed):
    """A registry call failed; ``status`` is the HTTP status, or None when no answer came. Exit code 4."""

    def __init__(self, message: str, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.status = status

    @property
    def transient(self) -> bool:
        if full_disk(self.message):
            return False  # the registry's storage stays full until someone frees it: retrying fills nothing
        if self.status is not None:
            return self.status >= 500 or self.status == 429
        return is_transient(self.message)


# What a storage driver says when the registry's disk or quota is full. distribution answers it as
# HTTP 500 UNKNOWN with the driver's error as ``detail`` (errcode.ErrorCodeUnknown.WithDetail).
_FULL_DISK = re.compile(r"no space left on device|disk quota exceeded|not enough space|insufficient storage", re.I)
FULL_DISK_HINT = "the registry's storage is full: free space there (delete images, garbage-collect), then release again"


def full_disk(text: str) -> bool:
    """Whether a registry's error says its storage is full (a 507, or a 5xx whose detail says so)."""
    return bool(_FULL_DISK.search(text)) or "HTTP 507 " in text


def split_name(name: str) -> tuple[str, str]:
    """``localhost:5000/team/app`` -> (``localhost:5000``, ``team/app``)."""
    host = references.registry_of(name)
    if host is None:
        return "registry-1.docker.io", name if "/" in name else f"library/{name}"
    return host, name[len(host) + 1 :]


def base_url(host: str) -> str:
    """``http://localhost:5000`` for a loopback registry, ``https://ghcr.io`` for any other."""
    return f"{'http' if references.plain_http(host) else 'https'}://{host}"


def reachable(address: str, timeout: float = 3.0) -> tuple[bool, str]:
    """Whether ``http(s)://ADDRESS/v2/`` answers like a registry (any HTTP status but a 5xx).

    The scheme the registry is expected to speak is tried first, the other one next.
    """
    last = ""
    for scheme in ("http", "https") if references.plain_http(address) else ("https", "http"):
        url = f"{scheme}://{address}/v2/"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                return resp.status < 500, f"{url} answered {resp.status}"
        except urllib.error.HTTPError as exc:
            if exc.code < 500:  # 401 from an authenticating registry is a registry
                return True, f"{url} answered {exc.code}"
            last = f"{url} answered {exc.code}"
        except OSError as exc:
            last = f"{url}: {getattr(exc, 'reason', exc)}"
    return False, last


def has_manifest(registry_url: str, ref: str, timeout: float = 3.0) -> bool:
    """Whether the registry at ``registry_url`` (a mirror: ``https://mirror.example``) holds ``ref``'s manifest.

    ``ref`` is a Docker Hub name (``docker/dockerfile:1``, ``alpine``): a mirror serves Hub's repositories
    under their full names (``library/alpine``). Anonymous; any failure is a no.
    """
    name, _, digest = ref.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = digest or (last.split(":", 1)[1] if ":" in last else "latest")
    repo = split_name(name[: len(name) - len(tag) - 1] if not digest and ":" in last else name)[1]
    url = f"{registry_url.rstrip('/')}/v2/{repo}/manifests/{tag}"
    req = urllib.request.Request(url, method="HEAD", headers={"Accept": _ACCEPT})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return bool(resp.status == 200)
    except (OSError, http.client.HTTPException, ValueError):
        return False


@dataclass
class Client:
    """One repository of one registry, with the credentials Docker has for its host."""

    name: str
    backoff: Backoff = field(default_factory=Backoff)
    log: IO[str] | None = None
    timeout: float = TIMEOUT

    def __post_init__(self) -> None:
        self.host, self.repo = split_name(self.name)
        self.base = f"{base_url(self.host)}/v2/{self.repo}"
        self.auth = registry_auth.Authenticator(self.host, self.repo, functools.partial(credentials.lookup, self.host))

    # -- transport -------------------------------------------------------------

    def request(
        self, method: str, url: str, *, data: bytes | IO[bytes] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """One HTTP request, authenticated as the registry asks; an error status or a failed connection raises RegistryError."""
        for _ in range(3):  # the first try, after a challenge, after a refused (expired) token
            hdrs = {"User-Agent": USER_AGENT, **(headers or {})}
            try:
                auth = self.auth.header()
            except registry_auth.AuthError as exc:
                raise self._auth_error(exc.message, exc.status) from None
            if auth:
                hdrs["Authorization"] = auth
            if hasattr(data, "seek"):
                data.seek(0)  # type: ignore[union-attr]
            req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
            try:
                with registry_auth.urlopen(req, timeout=self.timeout) as resp:  # type: ignore[attr-defined]
                    return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
            except urllib.error.HTTPError as exc:
                body = exc.read()[:500].decode("utf-8", errors="replace")
                challenge = exc.headers.get("WWW-Authenticate", "")
                if exc.code == 401 and self.auth.challenged(challenge):
                    continue
                raise self._http_error(exc.code, exc.reason, method, url, body, challenge) from None
            except (OSError, http.client.HTTPException) as exc:
                reason = getattr(exc, "reason", None) or exc
                raise RegistryError(f"{method} {_path(url)} on {self.host}: {reason}") from None
        raise self._auth_error(f"{self.host} refused the credentials again after a new token", 401)

    def _http_error(self, code: int, reason: str, method: str, url: str, body: str, challenge: str = "") -> RegistryError:
        text = f"HTTP {code} {reason} from {method} {_path(url)} on {self.host}: {_error_text(body)}"
        if full_disk(text):
            return RegistryError(f"{self.host} is out of space ({text})", code, FULL_DISK_HINT)
        if code in (401, 403):
            # a token without the scope this request needs (read-only credentials pushing) is a denial, not a bad password
            denied = code == 403 or 'error="insufficient_scope"' in challenge
            return self._auth_error(text, 403 if denied else code)
        return RegistryError(text, code)

    def _auth_error(self, text: str, status: int | None) -> RegistryError:
        try:
            cred = self.auth.cred()
        except credentials.CredentialError as exc:
            return RegistryError(exc.message, status, exc.hint)
        if cred is None:
            what = f"{self.host} wants credentials and Docker has none for it ({text})"
        elif status == 403:
            what = f"{self.host} denied {self.repo} to these credentials ({text})"
        else:
            what = f"{self.host} refused the credentials ({text})"
        return RegistryError(what, status, f"run buildorch login {self.host} (or docker login {self.host})")

    def check_push(self) -> None:
        """Whether these credentials may push here: open an upload session, write nothing.

        The session is left to the registry's upload purging: cancelling it (DELETE) needs
        the ``delete`` scope, which a push credential often lacks.
        """
        post = functools.partial(self.request, "POST", f"{self.base}/blobs/uploads/", data=b"", headers={"Content-Length": "0"})
        self.retrying(f"open an upload in {self.name}", post)

    def retrying(self, what: str, call: Callable[[], Any]) -> Any:
        def transient(exc: Exception) -> bool:
            return isinstance(exc, RegistryError) and exc.transient

        return with_retries(call, what=what, backoff=self.backoff, transient=transient, log=self.log)

    # -- reading ---------------------------------------------------------------

    def tags(self) -> list[str]:
        """Every tag of the repository (``GET /v2/NAME/tags/list``, following ``Link`` pages); [] when it does not exist."""
        out: list[str] = []
        url: str | None = f"{self.base}/tags/list?n=1000"
        while url:
            try:
                _, headers, body = self.retrying(f"list tags of {self.name}", functools.partial(self.request, "GET", url))
            except RegistryError as exc:
                if exc.status == 404:
                    return out
                raise
            out.extend(json.loads(body).get("tags") or [])
            url = _next_link(headers.get("link"), self.base)
        return out

    def digest_of(self, tag: str) -> str | None:
        """The digest ``tag`` points at (``HEAD /manifests/TAG``), or None when there is no such tag."""

        def head() -> str | None:
            try:
                _, headers, _ = self.request("HEAD", f"{self.base}/manifests/{tag}", headers={"Accept": _ACCEPT})
            except RegistryError as exc:
                if exc.status == 404:
                    return None
                raise
            return headers.get("docker-content-digest")

        result: str | None = self.retrying(f"read tag {tag}", head)
        return result

    def manifest(self, reference: str) -> tuple[str, bytes]:
        """The media type and raw bytes of the manifest or index at ``reference`` (a digest or a tag)."""

        def get() -> tuple[str, bytes]:
            _, headers, body = self.request("GET", f"{self.base}/manifests/{reference}", headers={"Accept": _ACCEPT})
            media = headers.get("content-type", "").split(";")[0].strip()
            return media or str(json.loads(body).get("mediaType", "")), body

        result: tuple[str, bytes] = self.retrying(f"read manifest {reference[:19]}", get)
        return result

    def manifest_json(self, reference: str) -> dict[str, Any]:
        """The manifest or index at ``reference``, parsed (what ``imagetools inspect --raw`` prints)."""
        _, body = self.manifest(reference)
        doc = json.loads(body)
        if not isinstance(doc, dict):
            raise RegistryError(f"{self.name}@{reference} is not a JSON manifest")
        return doc

    def get_blob(self, digest: str) -> bytes:
        get = functools.partial(self.request, "GET", f"{self.base}/blobs/{digest}")
        _, _, body = self.retrying(f"read blob {digest[:19]}", get)
        return bytes(body)

    def copy_from(self, source: Client, digest: str) -> int:
        """Push ``source``'s image ``digest`` (an index and everything it lists) here, by digest; return the blob count.

        Blobs go through memory one at a time (what a release pushes: layers of tens of MB).
        """
        count = 0

        def copy(ref: str) -> None:
            nonlocal count
            media, raw = source.manifest(ref)
            doc = json.loads(raw)
            for child in doc.get("manifests") or [] if media in INDEX_TYPES or "manifests" in doc else []:
                copy(str(child["digest"]))
            for blob in ([doc["config"]] if "config" in doc else []) + list(doc.get("layers") or []):
                bd = str(blob["digest"])
                if not self.retrying(f"check blob {bd[:19]}", functools.partial(self.has_blob, bd)):
                    data = source.get_blob(bd)
                    self.retrying(f"push blob {bd[:19]}", functools.partial(self._put_bytes, bd, data))
                count += 1
            self.retrying(f"push manifest {ref[:19]}", functools.partial(self.put_manifest, ref, media, raw))

        copy(digest)
        return count

    def _put_bytes(self, digest: str, data: bytes) -> None:
        _, headers, _ = self.request("POST", f"{self.base}/blobs/uploads/", data=b"", headers={"Content-Length": "0"})
        location = urllib.parse.urljoin(self.base + "/", headers.get("location", ""))
        sep = "&" if "?" in location else "?"
        self.request(
            "PUT",
            f"{location}{sep}digest={urllib.parse.quote(digest)}",
            data=data,
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(data))},
        )

    # -- pushing an OCI layout by digest ---------------------------------------

    def has_blob(self, digest: str) -> bool:
        try:
            self.request("HEAD", f"{self.base}/blobs/{digest}")
            return True
        except RegistryError as exc:
            if exc.status == 404:
                return False
            raise

    def put_blob(self, digest: str, path: Path) -> None:
        """Monolithic upload: ``POST /blobs/uploads/`` then ``PUT <location>&digest=``."""
        if self.has_blob(digest):
            return
        _, headers, _ = self.request("POST", f"{self.base}/blobs/uploads/", data=b"", headers={"Content-Length": "0"})
        location = urllib.parse.urljoin(self.base + "/", headers.get("location", ""))
        sep = "&" if "?" in location else "?"
        with path.open("rb") as fh:
            self.request(
                "PUT",
                f"{location}{sep}digest={urllib.parse.quote(digest)}",
                data=fh,
                headers={"Content-Type": "application/octet-stream", "Content-Length": str(path.stat().st_size)},
            )

    def put_manifest(self, reference: str, media_type: str, body: bytes) -> None:
        """``PUT /manifests/<reference>``: a digest stores it with no tag; a tag points the tag at it."""
        self.request("PUT", f"{self.base}/manifests/{reference}", data=body, headers={"Content-Type": media_type})

    def push_layout(self, layout: Path, root: dict[str, Any]) -> int:
        """Upload the image ``root`` (a descriptor) from an OCI layout directory, children first; return the blob count."""
        blobs = layout / "blobs"
        count = 0

        def path_of(digest: str) -> Path:
            algo, hexd = digest.split(":", 1)
            return blobs / algo / hexd

        def push(desc: dict[str, Any]) -> None:
            nonlocal count
            digest, media = desc["digest"], desc.get("mediaType", "")
            raw = path_of(digest).read_bytes()
            doc = json.loads(raw)
            children = list(doc.get("manifests") or []) if media in INDEX_TYPES else []
            for child in children:
                push(child)
            for blob in ([doc["config"]] if "config" in doc else []) + list(doc.get("layers") or []):
                bd = str(blob["digest"])
                self.retrying(f"push blob {bd[:19]}", functools.partial(self.put_blob, bd, path_of(bd)))
                count += 1
            self.retrying(f"push manifest {digest[:19]}", functools.partial(self.put_manifest, digest, media, raw))

        push(root)
        return count


def _next_link(link: str | None, base: str) -> str | None:
    """The URL in ``Link: </v2/x/tags/list?last=a&n=1000>; rel="next"``, or None."""
    if not link or 'rel="next"' not in link:
        return None
    target = link.split(";", 1)[0].strip().strip("<>")
    return urllib.parse.urljoin(base, target)


def _path(url: str) -> str:
    """The path of a URL, without its query (an upload's query is a session id, noise in a message)."""
    return urllib.parse.urlsplit(url).path


def _error_text(body: str) -> str:
    """The ``errors[]`` of a registry's JSON error (code, message and a string ``detail``), else the body's start.

    The detail matters: distribution says "UNKNOWN unknown error" for every storage failure and
    puts the cause (``no space left on device``) there only.
    """
    try:
        errs = json.loads(body).get("errors") or []
        parts = [
            " ".join(str(x) for x in (e.get("code", ""), e.get("message", "")) if x)
            + (f": {e['detail'][:200]}" if isinstance(e.get("detail"), str) and e["detail"] else "")
            for e in errs
        ]
        return "; ".join(p for p in parts if p) or body.strip()[:200]
    except (ValueError, AttributeError, TypeError):
        return body.strip()[:200] or "no details"


def layout_index(layout: Path) -> dict[str, Any]:
    """The descriptor of the image in an OCI layout written by BuildKit (its ``index.json`` holds one)."""
    doc = json.loads((layout / "index.json").read_text())
    manifests = doc.get("manifests") or []
    if not manifests:
        raise RegistryError(f"{layout}/index.json lists no image")
    return dict(manifests[0])
