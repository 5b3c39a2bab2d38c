"""The registry HTTP client, against an in-memory registry; which registries are plain HTTP."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from buildorch.core.references import plain_http
from buildorch.core.retry import Backoff
from buildorch.engine.registry import Client, RegistryError, _next_link, base_url, split_name

# -- the registry API client, against an in-memory registry --------------------------------


def test_names_and_links() -> None:
    assert split_name("localhost:5000/team/app") == ("localhost:5000", "team/app")
    assert split_name("docker.io/library/app")[1] == "library/app"
    assert base_url("localhost:5000") == "http://localhost:5000" and base_url("ghcr.io") == "https://ghcr.io"
    link = '</v2/a/tags/list?last=b&n=2>; rel="next"'
    assert _next_link(link, "http://r:5000/v2/a") == "http://r:5000/v2/a/tags/list?last=b&n=2"
    assert _next_link(None, "http://r") is None


class FakeRegistry(ThreadingHTTPServer):
    """Blobs and manifests in dicts; the first ``fail`` write requests answer 503."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _FakeHandler)
        self.blobs: dict[str, bytes] = {}
        self.manifests: dict[str, tuple[str, bytes]] = {}
        self.tags = [f"t{i}" for i in range(5)]
        self.fail = 0


class _FakeHandler(BaseHTTPRequestHandler):
    server: FakeRegistry

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        if "/tags/list" in self.path:
            last = self.path.split("last=")[1].split("&")[0] if "last=" in self.path else None
            start = self.server.tags.index(last) + 1 if last else 0
            page = self.server.tags[start : start + 2]
            more = {"Link": f'</v2/a/tags/list?last={page[-1]}&n=2>; rel="next"'} if start + 2 < len(self.server.tags) else {}
            return self._send(200, json.dumps({"tags": page}).encode(), more)
        return self._send(404)

    def do_HEAD(self) -> None:
        digest = self.path.rsplit("/", 1)[1]
        return self._send(200 if digest in self.server.blobs else 404)

    def _failing(self) -> bool:
        if self.server.fail > 0:
            self.server.fail -= 1
            self._send(503, b'{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}')
            return True
        return False

    def do_POST(self) -> None:
        if not self._failing():
            self._send(202, headers={"Location": "/v2/a/blobs/uploads/u1?_state=x"})

    def do_PUT(self) -> None:
        if self._failing():
            return
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if "/blobs/uploads/" in self.path:
            digest = self.path.split("digest=")[1].replace("%3A", ":")
            assert digest == "sha256:" + hashlib.sha256(body).hexdigest()
            self.server.blobs[digest] = body
            return self._send(201)
        ref = self.path.rsplit("/", 1)[1]
        assert ref.startswith("sha256:"), "a release pushes manifests by digest only"
        self.server.manifests[ref] = (self.headers["Content-Type"], body)
        return self._send(201)


@pytest.fixture
def fake_registry() -> Iterator[FakeRegistry]:
    server = FakeRegistry()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def write_blob(layout: Path, data: bytes) -> dict[str, object]:
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def test_push_layout_uploads_children_first_by_digest_and_retries(fake_registry: FakeRegistry, tmp_path: Path) -> None:
    layer, config = write_blob(tmp_path, b"layer bytes"), write_blob(tmp_path, b"{}")
    mt = "application/vnd.oci.image.manifest.v1+json"
    manifest = write_blob(tmp_path, json.dumps({"mediaType": mt, "config": config, "layers": [layer]}).encode())
    it = "application/vnd.oci.image.index.v1+json"
    index = write_blob(tmp_path, json.dumps({"mediaType": it, "manifests": [{**manifest, "mediaType": mt}]}).encode())
    fake_registry.fail = 2  # two 503s: retried
    client = Client(f"localhost:{fake_registry.server_address[1]}/a", Backoff(attempts=3, base=0.01))
    client.log = io.StringIO()
    assert client.push_layout(tmp_path, {**index, "mediaType": it}) == 2
    assert set(fake_registry.blobs) == {layer["digest"], config["digest"]}
    assert list(fake_registry.manifests) == [manifest["digest"], index["digest"]]  # the index last
    assert fake_registry.manifests[str(index["digest"])][0] == it


def test_tags_follow_pages_and_503_gives_up(fake_registry: FakeRegistry) -> None:
    client = Client(f"localhost:{fake_registry.server_address[1]}/a", Backoff(attempts=2, base=0.01))
    assert client.tags() == ["t0", "t1", "t2", "t3", "t4"]
    fake_registry.fail = 5
    client.log = io.StringIO()
    with pytest.raises(RegistryError) as err:
        client.put_manifest("sha256:" + "0" * 64, "x", b"{}")
    assert err.value.status == 503 and err.value.transient and "UNAVAILABLE try later" in err.value.message


@pytest.mark.parametrize(
    ("address", "plain"),
    [("localhost:5000", True), ("127.0.0.1:5000", True), ("127.1.2.3", True), ("[::1]:5000", True), ("[::1]", True),
     ("localhost", True), ("registry.example:5000", False), ("10.0.0.1:5000", False), ("ghcr.io", False),
     ("localhost.example.com:5000", False)],
)
def test_loopback_registries_are_plain_http(address: str, plain: bool) -> None:
    # one rule for the registry client and the reachability probe: loopback (incl. [::1]) is plain HTTP
    assert plain_http(address) is plain
    assert base_url(address) == f"{'http' if plain else 'https'}://{address}"


# distribution's answer when its storage driver cannot write (ErrorCodeUnknown.WithDetail(err)): HTTP 500
_FULL = (
    '{"errors":[{"code":"UNKNOWN","message":"unknown error",'
    '"detail":"filesystem: write /var/lib/registry/x: no space left on device"}]}'
)


def test_a_full_disk_is_named_and_not_retried() -> None:
    client = Client("localhost:5000/a")
    url = "http://localhost:5000/v2/a/blobs/uploads/x?_state=s"
    err = client._http_error(500, "Internal Server Error", "PUT", url, _FULL)
    assert "localhost:5000 is out of space" in err.message and "no space left on device" in err.message
    assert err.status == 500 and not err.transient  # retrying would fill nothing
    assert err.hint and "storage is full" in err.hint
    plain = client._http_error(500, "Internal Server Error", "PUT", "http://localhost:5000/v2/a/x", '{"errors":[]}')
    assert plain.transient and "out of space" not in plain.message


@pytest.mark.parametrize(
    ("body", "text"),
    [(_FULL, "UNKNOWN unknown error: filesystem: write /var/lib/registry/x: no space left on device"),
     ('{"errors":[{"code":"DENIED","message":"no","detail":{"k":1}}]}', "DENIED no"),
     ('{"errors":[{"message":"m"}]}', "m"), ('{"errors":"x"}', '{"errors":"x"}'), ("<html>oops", "<html>oops"),
     ("", "no details")],
)  # fmt: skip
def test_error_text_keeps_a_string_detail(body: str, text: str) -> None:
    from buildorch.engine.registry import _error_text

    assert _error_text(body) == text
