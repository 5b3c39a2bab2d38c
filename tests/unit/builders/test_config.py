"""Builder declarations: configuration files, the TLS rule, and the buildx create commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from buildorch.builders.config import BuilderSpec, NodeSpec, create_argvs, endpoint_kind, find_config, load_builders, tls_policy
from buildorch.core.errors import InputError


def tls_files(tmp_path: Path) -> dict[str, str]:
    out = {}
    for k in ("cacert", "cert", "key"):
        f = tmp_path / f"{k}.pem"
        f.write_text("-----BEGIN CERTIFICATE-----\n")
        out[k] = str(f)
    return out


def remote(endpoint: str, **node: object) -> BuilderSpec:
    return BuilderSpec(name="farm", driver="remote", nodes=[{"name": "n1", "endpoint": endpoint, **node}])


# -- configuration ------------------------------------------------------------


def test_buildorch_toml_declares_builders_with_tls_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "buildorch.toml").write_text(
        """
[builders.farm]
driver = "remote"

[[builders.farm.nodes]]
name = "amd64-1"
endpoint = "tcp://127.0.0.1:1234"
platforms = ["linux/amd64"]
tls = { cacert = "certs/ca.pem", cert = "certs/client.pem", key = "/abs/key.pem", servername = "bk" }

[[builders.farm.nodes]]
name = "arm64-1"
endpoint = "tcp://127.0.0.1:1235"
platforms = ["linux/arm64/v8"]
driver_opts = { cacert = "certs/ca.pem" }
"""
    )
    spec = load_builders(tmp_path / "buildorch.toml")["farm"]
    assert spec.driver == "remote"
    assert [n.name for n in spec.nodes] == ["amd64-1", "arm64-1"]
    assert spec.nodes[1].platforms == ["linux/arm64"]  # normalised as BuildKit reads it
    assert spec.nodes[1].driver_opts == {"cacert": str(tmp_path / "certs" / "ca.pem")}
    assert spec.nodes[0].all_driver_opts == {
        "cacert": str(tmp_path / "certs" / "ca.pem"),
        "cert": str(tmp_path / "certs" / "client.pem"),
        "key": "/abs/key.pem",
        "servername": "bk",
    }


def test_pyproject_tool_table_and_kubernetes_driver_options(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        """
[project]
name = "x"

[tool.buildorch.builders.k8s]
driver = "kubernetes"

[[tool.buildorch.builders.k8s.nodes]]
name = "k8s-arm64"
platforms = ["linux/arm64"]
driver_opts = { namespace = "buildkit", replicas = 2, rootless = true, nodeselector = "kubernetes.io/arch=arm64" }
"""
    )
    sub = tmp_path / "sub"
    sub.mkdir()
    assert find_config(sub) == tmp_path / "pyproject.toml"  # found from a sub-folder
    spec = load_builders(tmp_path / "pyproject.toml")["k8s"]
    assert spec.nodes[0].driver_opts == {
        "namespace": "buildkit",
        "replicas": "2",
        "rootless": "true",
        "nodeselector": "kubernetes.io/arch=arm64",
    }


def test_pyproject_without_builders_is_not_a_builder_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert find_config(tmp_path) is None
    assert load_builders(tmp_path / "pyproject.toml") == {}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('driver = "remote"\n[[builders.b.nodes]]\nname = "n"\n', "builders.b: builder b: node n has no endpoint"),
        ('driver = "ssh"\n', "builders.b.driver: Input should be"),
        ('driver = "remote"\nnodes = []\n', "the remote driver needs nodes"),
        ('[[builders.b.nodes]]\nname = "n"\nplatforms = ["linux/amd46"]\n', "did you mean linux/amd64?"),
        ('[[builders.b.nodes]]\nname = "n"\n[[builders.b.nodes]]\nname = "n"\n', "node name 'n' appears twice"),
        ('[[builders.b.nodes]]\nname = "n"\nendpoint = "tcp://h:1"\nbogus = 1\n', "Extra inputs are not permitted"),
        (
            '[[builders.b.nodes]]\nname = "n"\ndriver_opts = { cacert = "a" }\ntls = { cacert = "b" }\n',
            "cacert given both in tls and in driver_opts",
        ),
    ],
)
def test_bad_declarations_are_one_line_input_errors(tmp_path: Path, body: str, message: str) -> None:
    f = tmp_path / "buildorch.toml"
    f.write_text(f"[builders.b]\n{body}")
    with pytest.raises(InputError) as exc:
        load_builders(f)
    assert message in exc.value.message
    assert "\n" not in exc.value.message


def test_broken_toml_is_an_input_error(tmp_path: Path) -> None:
    f = tmp_path / "buildorch.toml"
    f.write_text("[builders.b\n")
    with pytest.raises(InputError, match="cannot read"):
        load_builders(f)


# -- the TLS rule -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "kind"),
    [
        ("tcp://127.0.0.1:1234", "loopback"),
        ("tcp://127.8.9.10:1234", "loopback"),
        ("tcp://localhost:1234", "loopback"),
        ("tcp://[::1]:1234", "loopback"),
        ("unix:///run/buildkit/buildkitd.sock", "unix"),
        ("tcp://192.0.2.10:1234", "network"),
        ("tcp://10.0.0.5:1234", "network"),
        ("tcp://[2001:db8::1]:1234", "network"),
        ("tcp://buildkit.internal:1234", "network"),  # a name may resolve anywhere: no DNS asked
        ("tcp://localhost.evil.example:1234", "network"),
        ("docker-container://buildx_buildkit_b0", "api"),
        ("kube-pod://buildkitd-0", "api"),
        (None, "api"),
    ],
)
def test_endpoint_kinds(endpoint: str | None, kind: str) -> None:
    assert endpoint_kind(endpoint) == kind


def test_network_endpoint_without_tls_is_refused_with_the_reason() -> None:
    with pytest.raises(InputError) as exc:
        tls_policy(remote("tcp://192.0.2.10:1234"))
    assert exc.value.message.startswith("refused: node n1 at tcp://192.0.2.10:1234 is not on loopback")
    assert "cacert, cert, key" in exc.value.message and "as root" in exc.value.message
    assert "--insecure" in (exc.value.hint or "")


def test_insecure_allows_it_with_a_warning() -> None:
    warnings = tls_policy(remote("tcp://192.0.2.10:1234"), insecure=True)
    assert len(warnings) == 1 and warnings[0].startswith("--insecure: node n1 at tcp://192.0.2.10:1234")


def test_partial_tls_on_a_network_endpoint_names_what_is_missing(tmp_path: Path) -> None:
    files = tls_files(tmp_path)
    spec = remote("tcp://10.1.2.3:1234", tls={"cacert": files["cacert"]})
    with pytest.raises(InputError, match="has no TLS cert, key"):
        tls_policy(spec)


@pytest.mark.parametrize("endpoint", ["tcp://127.0.0.1:1234", "tcp://localhost:1", "tcp://[::1]:2", "unix:///x.sock"])
def test_local_endpoints_need_no_tls(endpoint: str) -> None:
    assert tls_policy(remote(endpoint)) == []


def test_network_endpoint_with_all_tls_files_passes(tmp_path: Path) -> None:
    assert tls_policy(remote("tcp://10.1.2.3:1234", tls=tls_files(tmp_path))) == []
    # the same files given as plain driver options count too
    assert tls_policy(remote("tcp://10.1.2.3:1234", driver_opts=tls_files(tmp_path))) == []


def test_named_tls_files_must_exist(tmp_path: Path) -> None:
    files = {**tls_files(tmp_path), "key": str(tmp_path / "missing.pem")}
    with pytest.raises(InputError, match="TLS file key=.*missing.pem does not exist"):
        tls_policy(remote("tcp://127.0.0.1:1234", tls=files))


# -- buildx create ----------------------------------------------------------------


def test_create_then_append_per_node(tmp_path: Path) -> None:
    files = tls_files(tmp_path)
    spec = BuilderSpec(
        name="farm",
        driver="remote",
        nodes=[
            NodeSpec(
                name="amd64-1", endpoint="tcp://127.0.0.1:1234", platforms=["linux/amd64"], tls={**files, "servername": "bk"}
            ),
            NodeSpec(name="arm64-1", endpoint="tcp://127.0.0.1:1235", platforms=["linux/arm64", "linux/arm/v7"]),
        ],
    )
    first, second = create_argvs(spec)
    assert first == [
        "buildx", "create", "--name", "farm", "--driver", "remote", "--node", "amd64-1", "--platform", "linux/amd64",
        "--driver-opt", f"cacert={files['cacert']}", "--driver-opt", f"cert={files['cert']}",
        "--driver-opt", f"key={files['key']}", "--driver-opt", "servername=bk", "tcp://127.0.0.1:1234",
    ]  # fmt: skip
    assert second == [
        "buildx", "create", "--name", "farm", "--append", "--node", "arm64-1",
        "--platform", "linux/arm64,linux/arm/v7", "tcp://127.0.0.1:1235",
    ]  # fmt: skip


def test_driver_opt_with_a_comma_is_csv_quoted() -> None:
    spec = BuilderSpec(
        name="k",
        driver="kubernetes",
        nodes=[NodeSpec(name="k-arm64", driver_opts={"nodeselector": "kubernetes.io/arch=arm64,disk=ssd", "replicas": "2"})],
    )
    (argv,) = create_argvs(spec)
    assert argv[-4:] == ["--driver-opt", '"nodeselector=kubernetes.io/arch=arm64,disk=ssd"', "--driver-opt", "replicas=2"]


def test_docker_driver_builders_cannot_be_created() -> None:
    with pytest.raises(InputError, match="Docker contexts"):
        create_argvs(BuilderSpec(name="d", driver="docker"))


def test_a_builder_without_nodes_gets_one_default_node() -> None:
    assert create_argvs(BuilderSpec(name="dc")) == [
        ["buildx", "create", "--name", "dc", "--driver", "docker-container", "--node", "dc0"]
    ]
