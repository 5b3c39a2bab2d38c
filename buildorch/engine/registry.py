"""A few calls of the registry HTTP API (OCI distribution spec): list tags, push an OCI layout by digest.

Why our own client: buildx's docker driver refuses ``push-by-digest``
("push-by-digest is currently not implemented for docker driver", buildx
``build/build.go``), and ``imagetools`` reads only from registries. So a
release on the docker driver exports an OCI layout and uploads its blobs and
manifests here, by digest: no tag is written.

Plain HTTP for loopback registries (``localhost``, 127.0.0.0/8, ``[::1]``: the rule of
:func:`buildorch.core.references.plain_http`, as dockerd has it), HTTPS otherwise.
Anonymous: an anonymous bearer token is fetched when a registry asks for one
(enough to read public repositories); a registry that wants credentials to
push answers 401, which is reported, not retried.
"""

from __future__ import annotations

import functools
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from buildorch.core import references
from buildorch.core.retry import Backoff, is_transient, with_retries

TIMEOUT = 60.0
INDEX_TYPES = ("application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json")
MANIFEST_TYPES = ("application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json")
_ACCEPT = ", ".join((*INDEX_TYPES, *MANIFEST_TYPES))


class RegistryError(Exception):
    """A registry call failed; ``status`` is the HTTP status, or None when no answer came."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    @property
    def transient(self) -> bool:
        if self.status is not None:
            return self.status >= 500 or self.status == 429
        return is_transient(self.message)


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
    """One repository of one registry."""

    name: str
    backoff: Backoff = field(default_factory=Backoff)
    log: IO[str] | None = None
    token: str | None = None

    def __post_init__(self) -> None:
        self.host, self.repo = split_name(self.name)
        self.base = f"{base_url(self.host)}/v2/{self.repo}"

    # -- transport -------------------------------------------------------------

    def request(
        self, method: str, url: str, *, data: bytes | IO[bytes] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """One HTTP request; an error status or a failed connection raises RegistryError."""
        hdrs = dict(headers or {})
        if self.token:
            hdrs["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
        except urllib.error.HTTPError as exc:
            body = exc.read()[:500].decode("utf-8", errors="replace")
            if exc.code == 401 and not self.token and self._anonymous_token(exc.headers.get("WWW-Authenticate", "")):
                return self.request(method, url, data=data, headers=headers)
            raise RegistryError(f"HTTP {exc.code} {exc.reason} from {method} {url}: {_error_text(body)}", exc.code) from exc
        except (OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise RegistryError(f"{method} {url}: {reason}") from exc

    def _anonymous_token(self, challenge: str) -> bool:
        if not challenge.lower().startswith("bearer "):
            return False
        params = dict(kv.split("=", 1) for kv in challenge[7:].replace('"', "").split(",") if "=" in kv)
        realm = params.pop("realm", None)
        if not realm:
            return False
        try:
            with urllib.request.urlopen(f"{realm}?{urllib.parse.urlencode(params)}", timeout=TIMEOUT) as resp:
                doc = json.loads(resp.read())
        except (OSError, ValueError, http.client.HTTPException):
            return False
        self.token = doc.get("token") or doc.get("access_token")
        return bool(self.token)

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

    def put_manifest(self, digest: str, media_type: str, body: bytes) -> None:
        """``PUT /manifests/<digest>``: stored under its digest, no tag."""
        self.request("PUT", f"{self.base}/manifests/{digest}", data=body, headers={"Content-Type": media_type})

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


def _error_text(body: str) -> str:
    """The ``errors[].message`` of a registry's JSON error, else the body's start."""
    try:
        errs = json.loads(body).get("errors") or []
        return "; ".join(f"{e.get('code', '')} {e.get('message', '')}".strip() for e in errs) or body.strip()[:200]
    except (ValueError, AttributeError):
        return body.strip()[:200] or "no details"


def layout_index(layout: Path) -> dict[str, Any]:
    """The descriptor of the image in an OCI layout written by BuildKit (its ``index.json`` holds one)."""
    doc = json.loads((layout / "index.json").read_text())
    manifests = doc.get("manifests") or []
    if not manifests:
        raise RegistryError(f"{layout}/index.json lists no image")
    return dict(manifests[0])
