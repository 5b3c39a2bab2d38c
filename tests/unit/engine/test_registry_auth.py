"""Registry authentication: the WWW-Authenticate parser (examples and properties), Basic and Bearer flows
against in-process HTTP servers, the realm and redirect rules."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from buildorch.engine.registry import Client, RegistryError
from buildorch.engine.registry_auth import Challenge, parse_challenges, realm_allowed

# -- the parser ----------------------------------------------------------------------------


def test_docker_hub_challenge() -> None:
    h = 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"'
    assert parse_challenges(h) == [
        Challenge(
            "bearer",
            {"realm": "https://auth.docker.io/token", "service": "registry.docker.io", "scope": "repository:library/alpine:pull"},
        )
    ]


def test_several_challenges_quotes_escapes_and_token68() -> None:
    h = 'Basic realm="a, \\"b\\"", Bearer realm="https://r/t",error=insufficient_scope, Negotiate abc=='
    got = parse_challenges(h)
    assert [c.scheme for c in got] == ["basic", "bearer", "negotiate"]
    assert got[0].params == {"realm": 'a, "b"'}
    assert got[1].params == {"realm": "https://r/t", "error": "insufficient_scope"}


@pytest.mark.parametrize("junk", ["", ",,,", "=", '"', "Bearer realm=", 'Bearer realm="unterminated', "Basic ="])
def test_junk_never_raises(junk: str) -> None:
    parse_challenges(junk)


_token = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+", min_size=1, max_size=12)
_value = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)


@given(st.lists(st.tuples(_token, st.dictionaries(_token, _value, min_size=1, max_size=4)), min_size=1, max_size=3))
def test_what_is_rendered_parses_back(challenges: list[tuple[str, dict[str, str]]]) -> None:
    def quote(v: str) -> str:
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'

    header = ", ".join(f"{scheme} " + ", ".join(f"{k}={quote(v)}" for k, v in params.items()) for scheme, params in challenges)
    got = parse_challenges(header)
    assert [c.scheme for c in got] == [s.lower() for s, _ in challenges]
    for c, (_, params) in zip(got, challenges, strict=True):
        want: dict[str, str] = {}
        for k, v in params.items():
            want.setdefault(k.lower(), v)
        assert c.params == want


@given(st.text(max_size=200))
def test_any_text_parses_or_stops_without_raising(text: str) -> None:
    for c in parse_challenges(text):
        assert c.scheme == c.scheme.lower()


def test_realm_rule() -> None:
    assert realm_allowed("https://auth.example.com/token")
    assert realm_allowed("http://127.0.0.1:5003/token") and realm_allowed("http://localhost/t")
    assert not realm_allowed("http://auth.example.com/token")
    assert not realm_allowed("ftp://127.0.0.1/t") and not realm_allowed("/token")


# -- flows against in-process servers --------------------------------------------------------

USER, PASSWORD = "alice", "s3cret-pass"


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.seen: list[tuple[str, str | None]] = []  # (path, Authorization)
        self.tokens = 0
        self.token_ttl = 300.0
        self.realm = ""
        self.issued: dict[str, float] = {}

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class _Base(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send(self, status: int, body: bytes = b"{}", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _basic_ok(header: str | None) -> bool:
    return header == "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


class BasicRegistry(_Base):
    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.headers.get("Authorization")))
        if not _basic_ok(self.headers.get("Authorization")):
            return self.send(401, headers={"WWW-Authenticate": 'Basic realm="test"'})
        self.send(200, json.dumps({"tags": ["1.0.0"]}).encode())


class TokenRegistry(_Base):
    """Registry and token service in one: /token issues tokens that really expire after ``token_ttl`` s."""

    def do_GET(self) -> None:
        auth = self.headers.get("Authorization")
        self.server.seen.append((self.path, auth))
        if self.path.startswith("/token"):
            if not _basic_ok(auth):
                return self.send(401)
            self.server.tokens += 1
            tok = f"tok{self.server.tokens}"
            self.server.issued[tok] = time.monotonic() + self.server.token_ttl
            scope = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("scope")
            assert scope == ["repository:team/app:pull,push"]
            return self.send(200, json.dumps({"token": tok, "expires_in": 300}).encode())
        tok = (auth or "").removeprefix("Bearer ")
        if time.monotonic() >= self.server.issued.get(tok, 0):
            realm = self.server.realm or f"http://{self.server.addr}/token"
            return self.send(401, headers={"WWW-Authenticate": f'Bearer realm="{realm}",service="test"'})
        self.send(200, json.dumps({"tags": ["1.0.0"]}).encode())


@pytest.fixture
def docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    yield tmp_path


def _login(config: Path, host: str) -> None:
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    (config / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))


def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[Server]:
    server = Server(handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def basic() -> Iterator[Server]:
    yield from _serve(BasicRegistry)


@pytest.fixture
def token() -> Iterator[Server]:
    yield from _serve(TokenRegistry)


def test_basic_with_docker_credentials(basic: Server, docker_config: Path) -> None:
    _login(docker_config, basic.addr)
    assert Client(f"{basic.addr}/team/app").tags() == ["1.0.0"]
    assert basic.seen[0][1] is None and _basic_ok(basic.seen[1][1])  # sent only once asked


def test_basic_without_credentials_names_buildorch_login(basic: Server, docker_config: Path) -> None:
    with pytest.raises(RegistryError) as err:
        Client(f"{basic.addr}/team/app").tags()
    assert err.value.exit_code == 4 and err.value.status == 401
    assert "Docker has none" in err.value.message
    assert err.value.hint == f"run buildorch login {basic.addr} (or docker login {basic.addr})"


def test_wrong_password_is_refused_once_and_never_echoed(basic: Server, docker_config: Path) -> None:
    auth = base64.b64encode(b"alice:wrong-password").decode()
    (docker_config / "config.json").write_text(json.dumps({"auths": {basic.addr: {"auth": auth}}}))
    with pytest.raises(RegistryError) as err:
        Client(f"{basic.addr}/team/app").tags()
    assert "refused the credentials" in err.value.message
    assert "wrong-password" not in str(err.value) and auth not in str(err.value)
    assert len(basic.seen) == 2


def test_bearer_token_scoped_and_refreshed_when_refused(token: Server, docker_config: Path) -> None:
    _login(docker_config, token.addr)
    token.token_ttl = 0.5  # the token dies long before its advertised 300 s
    client = Client(f"{token.addr}/team/app")
    assert client.tags() == ["1.0.0"]
    time.sleep(0.6)
    assert client.tags() == ["1.0.0"]
    assert token.tokens == 2
    registry_calls = [a for p, a in token.seen if not p.startswith("/token")]
    assert all(a is None or a.startswith("Bearer ") for a in registry_calls)  # the password never goes to the registry


def test_plain_http_realm_on_another_host_is_refused(token: Server, docker_config: Path) -> None:
    _login(docker_config, token.addr)
    token.realm = "http://auth.example.com/token"
    with pytest.raises(RegistryError) as err:
        Client(f"{token.addr}/team/app").tags()
    assert "only https realms" in err.value.message and err.value.exit_code == 4
    assert all(not p.startswith("/token") for p, _ in token.seen)


class Redirecting(_Base):
    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.headers.get("Authorization")))
        if self.path.startswith("/v2/team/app/blobs/"):
            return self.send(307, b"", {"Location": f"http://localhost:{self.server.server_address[1]}/elsewhere"})
        if self.path == "/elsewhere":
            return self.send(200, b"blob")
        if not _basic_ok(self.headers.get("Authorization")):
            return self.send(401, headers={"WWW-Authenticate": 'Basic realm="test"'})
        self.send(200, b"{}")


def test_credentials_do_not_follow_a_redirect_to_another_host(docker_config: Path) -> None:
    for server in _serve(Redirecting):
        _login(docker_config, server.addr)
        client = Client(f"{server.addr}/team/app")
        client.tags()
        assert client.get_blob("sha256:" + "0" * 64) == b"blob"
        assert ("/elsewhere", None) in server.seen  # 127.0.0.1 -> localhost: another host, no Authorization


def test_token_service_failure_is_a_registry_error(token: Server, docker_config: Path) -> None:
    auth = base64.b64encode(b"alice:nope").decode()
    (docker_config / "config.json").write_text(json.dumps({"auths": {token.addr: {"auth": auth}}}))
    with pytest.raises(RegistryError) as err:
        Client(f"{token.addr}/team/app").tags()
    assert err.value.status == 401 and "token service" in err.value.message and "nope" not in str(err.value)



class ReadOnlyToken(TokenRegistry):
    """Pulls pass with a token; a push answers 401 insufficient_scope (the credentials may only read)."""

    def do_POST(self) -> None:
        self.server.seen.append((self.path, self.headers.get("Authorization")))
        realm = f"http://{self.server.addr}/token"
        self.send(401, headers={"WWW-Authenticate": f'Bearer realm="{realm}",service="test",error="insufficient_scope"'})


def test_a_token_without_push_scope_is_a_denial_not_a_loop(docker_config: Path) -> None:
    for server in _serve(ReadOnlyToken):
        _login(docker_config, server.addr)
        client = Client(f"{server.addr}/team/app")
        assert client.tags() == ["1.0.0"]
        with pytest.raises(RegistryError) as err:
            client.check_push()
        assert err.value.status == 403 and "denied team/app to these credentials" in err.value.message
        assert server.tokens == 1  # no new token for a scope the service will not grant
        assert client.tags() == ["1.0.0"] and server.tokens == 1  # the token still serves reads
