"""Builders: declared in configuration, checked against the TLS rule, turned into ``buildx create`` commands.

A builder is what ``docker buildx create`` makes: a name, a driver and one or more
nodes, each node a BuildKit daemon serving some platforms. buildorch reads them
from ``[tool.buildorch.builders.NAME]`` in ``pyproject.toml`` or ``[builders.NAME]``
in ``buildorch.toml``::

    [builders.farm]
    driver = "remote"

    [[builders.farm.nodes]]
    name = "arm64-1"
    endpoint = "tcp://10.0.0.12:1234"
    platforms = ["linux/arm64"]
    tls = { cacert = "certs/ca.pem", cert = "certs/client.pem", key = "certs/client-key.pem" }

Everything here is pure: no docker, no network. :mod:`buildorch.builders.ops` runs the commands.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from buildorch.core import references
from buildorch.core.errors import InputError
from buildorch.core.validation import PlatformList, first_error
from buildorch.engine.buildx_text import TLS_OPTS

Driver = Literal["docker", "docker-container", "remote", "kubernetes"]
CONFIG_FILES = ("buildorch.toml", "pyproject.toml")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def valid_name(kind: str, name: str) -> str:
    """``name`` if buildx takes it as a builder or node name, else ``ValueError`` saying what it takes."""
    if not _NAME.match(name):
        raise ValueError(f"{kind} name {name!r} is not valid: use letters, digits, '.', '_' and '-'")
    return name


class NodeTLS(BaseModel):
    """Client-side TLS files for a remote node (buildx's ``cacert``, ``cert``, ``key``, ``servername``)."""

    model_config = ConfigDict(extra="forbid")

    cacert: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    servername: str | None = None

    def driver_opts(self) -> dict[str, str]:
        opts = {k: str(getattr(self, k)) for k in TLS_OPTS if getattr(self, k) is not None}
        if self.servername:
            opts["servername"] = self.servername
        return opts


class NodeSpec(BaseModel):
    """One BuildKit daemon of a builder."""

    model_config = ConfigDict(extra="forbid")

    name: str
    endpoint: str | None = None
    platforms: PlatformList = []
    driver_opts: dict[str, str] = {}
    tls: NodeTLS | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return valid_name("node", v)

    @field_validator("driver_opts", mode="before")
    @classmethod
    def _opts(cls, v: Any) -> dict[str, str]:
        # TOML gives ints and booleans (replicas = 2, rootless = true): buildx wants text.
        if not isinstance(v, dict):
            raise ValueError("driver_opts must be a table of KEY = VALUE")
        return {str(k): (str(x).lower() if isinstance(x, bool) else str(x)) for k, x in v.items()}

    @model_validator(mode="after")
    def _tls_once(self) -> NodeSpec:
        if self.tls:
            both = sorted(set(self.tls.driver_opts()) & set(self.driver_opts))
            if both:
                raise ValueError(f"node {self.name}: {', '.join(both)} given both in tls and in driver_opts: keep one")
        return self

    @property
    def all_driver_opts(self) -> dict[str, str]:
        """``driver_opts`` plus the TLS files, as ``--driver-opt`` takes them."""
        return {**self.driver_opts, **(self.tls.driver_opts() if self.tls else {})}


class BuilderSpec(BaseModel):
    """A buildx builder: name, driver and nodes.

    >>> BuilderSpec(name="farm", driver="remote", nodes=[{"name": "a", "endpoint": "tcp://127.0.0.1:1234"}]).driver
    'remote'
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    driver: Driver = "docker-container"
    nodes: list[NodeSpec] = []

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return valid_name("builder", v)

    @model_validator(mode="after")
    def _check(self) -> BuilderSpec:
        names = [n.name for n in self.nodes]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"builder {self.name}: node name {dup[0]!r} appears twice")
        if self.driver == "remote":
            if not self.nodes:
                raise ValueError(f"builder {self.name}: the remote driver needs nodes with an endpoint (tcp://HOST:PORT)")
            for n in self.nodes:
                if not n.endpoint:
                    raise ValueError(f"builder {self.name}: node {n.name} has no endpoint (tcp://HOST:PORT or unix:///PATH)")
        return self


# -- configuration -------------------------------------------------------------


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``buildorch.toml`` or ``pyproject.toml`` declaring builders, from ``start`` upwards."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        for name in CONFIG_FILES:
            f = d / name
            if f.is_file() and _builders_table(_read_toml(f), f) is not None:
                return f
    return None


def load_builders(path: Path | None = None) -> dict[str, BuilderSpec]:
    """All builders declared in ``path`` (default: see :func:`find_config`); relative TLS paths are from its folder."""
    f = path if path is not None else find_config()
    if f is None:
        return {}
    if not f.is_file():
        raise InputError(f"config file {f} not found")
    table = _builders_table(_read_toml(f), f)
    if table is None:
        return {}
    out: dict[str, BuilderSpec] = {}
    for name, body in table.items():
        if not isinstance(body, dict):
            raise InputError(f"{f}: builders.{name} must be a table")
        out[name] = _spec_from_table(name, body, f)
    return out


def _read_toml(f: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(f.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:  # TOML is UTF-8: other bytes are bad input
        raise InputError(f"cannot read {f}: {exc}") from exc


def _builders_table(doc: dict[str, Any], f: Path) -> dict[str, Any] | None:
    table = doc.get("tool", {}).get("buildorch", {}).get("builders") if f.name == "pyproject.toml" else doc.get("builders")
    return table if isinstance(table, dict) else None


def _spec_from_table(name: str, body: dict[str, Any], f: Path) -> BuilderSpec:
    body = {**body, "name": body.get("name", name)}
    for node in body.get("nodes") or []:
        for table in ("tls", "driver_opts"):  # TLS files are named relative to the config file
            sub = node.get(table) if isinstance(node, dict) else None
            if isinstance(sub, dict):
                node[table] = {k: (_relative_to(f, v) if k in TLS_OPTS else v) for k, v in sub.items()}
    try:
        return BuilderSpec(**body)
    except ValidationError as exc:
        loc, msg = first_error(exc, indexes=True)  # nodes.0.name: the file has no other way to say which node
        raise InputError(f"{f}: builders.{name}{'.' + loc if loc else ''}: {msg}") from exc


def _relative_to(f: Path, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    p = Path(value).expanduser()
    return str(p if p.is_absolute() else (f.parent / p).resolve())


# -- the TLS rule ----------------------------------------------------------------

EndpointKind = Literal["unix", "loopback", "network", "api"]


def endpoint_kind(endpoint: str | None) -> EndpointKind:
    """How an endpoint is reached, decided from its text alone (no DNS, no connection).

    ``unix``/``npipe`` sockets are local; ``tcp://`` to 127.0.0.0/8, ::1 or ``localhost``
    is ``loopback``; any other ``tcp://`` host is ``network``. ``docker-container://``,
    ``kube-pod://`` and endpoint-less nodes go through the Docker or Kubernetes API (``api``).

    >>> endpoint_kind("tcp://192.0.2.10:1234"), endpoint_kind("tcp://[::1]:1234"), endpoint_kind("unix:///run/b.sock")
    ('network', 'loopback', 'unix')
    """
    if not endpoint:
        return "api"
    parts = urlsplit(endpoint)
    scheme = parts.scheme.lower()
    if scheme in ("unix", "npipe"):
        return "unix"
    if scheme != "tcp":
        return "api"
    return "loopback" if references.is_loopback(parts.hostname or "") else "network"  # a host name may resolve anywhere


def tls_policy(spec: BuilderSpec, *, insecure: bool = False) -> list[str]:
    """Apply the TLS rule to every node; return warnings, raise InputError on refusal.

    A BuildKit daemon runs build steps as root: a TCP port on the network without
    mutual TLS lets anyone who can reach it do so. Loopback and unix sockets are
    only reachable from this host. TLS files that are named must exist.
    """
    warnings: list[str] = []
    for node in spec.nodes:
        opts = node.all_driver_opts
        for k in TLS_OPTS:
            if k in opts and not Path(opts[k]).expanduser().is_file():
                raise InputError(f"node {node.name}: TLS file {k}={opts[k]} does not exist", "fix the path in its tls table")
        if endpoint_kind(node.endpoint) != "network":
            continue
        missing = [k for k in TLS_OPTS if k not in opts]
        if not missing:
            continue
        why = (
            f"node {node.name} at {node.endpoint} is not on loopback and has no TLS {', '.join(missing)}: "
            "anyone who can reach a BuildKit port without mutual TLS can run builds as root on that host"
        )
        if not insecure:
            raise InputError(
                f"refused: {why}",
                "add tls = { cacert = ..., cert = ..., key = ... } to the node, or pass --insecure to accept the risk",
            )
        warnings.append(f"--insecure: {why}")
    return warnings


# -- buildx create ----------------------------------------------------------------


def _opt_field(key: str, value: str) -> str:
    # buildx reads each --driver-opt as one CSV record: quote a value holding a comma or quote
    # (nodeselector="kubernetes.io/arch=arm64,disk=ssd").
    field = f"{key}={value}"
    return '"' + field.replace('"', '""') + '"' if ("," in field or '"' in field) else field


def create_argvs(spec: BuilderSpec) -> list[list[str]]:
    """The ``docker buildx create`` commands (after ``docker``): the first node, then ``--append`` for each further one.

    >>> create_argvs(BuilderSpec(name="b", driver="remote", nodes=[{"name": "n1", "endpoint": "tcp://127.0.0.1:1234"}]))
    [['buildx', 'create', '--name', 'b', '--driver', 'remote', '--node', 'n1', 'tcp://127.0.0.1:1234']]
    """
    if spec.driver == "docker":
        raise InputError(
            f"builder {spec.name}: the docker driver's builders are Docker contexts and cannot be created with buildx",
            "create a context instead (docker context create NAME --docker host=...), or use docker-container or remote",
        )
    argvs: list[list[str]] = []
    nodes = spec.nodes or [NodeSpec(name=f"{spec.name}0")]
    for i, node in enumerate(nodes):
        argv = ["buildx", "create", "--name", spec.name]
        argv += ["--driver", spec.driver] if i == 0 else ["--append"]
        argv += ["--node", node.name]
        if node.platforms:
            argv += ["--platform", ",".join(node.platforms)]
        for k, v in node.all_driver_opts.items():
            argv += ["--driver-opt", _opt_field(k, v)]
        if node.endpoint:
            argv.append(node.endpoint)
        argvs.append(argv)
    return argvs
