"""A private Docker engine for fault scenarios: its own containerd and dockerd in a temp dir, restartable at will.

The stack's engine is shared (other builds run on it), so a scenario that stops an engine
starts its own: containerd with its own root, state and socket (dockerd would otherwise
adopt the system's /run/containerd), and dockerd with its own ``--data-root``,
``--exec-root``, ``--pidfile``, unix socket and config file (the containerd image store
on, as the stack's), no bridge and no iptables rules. Nothing of it is outside
``self.root``: :meth:`PrivateEngine.remove` stops both daemons, unmounts what the
snapshotter left mounted there and deletes the directory.

dockerd runs in a network namespace of its own (``unshare --net``): a dockerd started with
``--bridge=none`` DELETES the host's ``docker0`` at start-up (moby's
``removeDefaultBridgeInterface``), which took the shared engine's bridge away once here.
In its own namespace it has no ``docker0`` to delete; the unix socket is a file, so the
client reaches it from the host's namespace all the same. A check after every start
stops the scenario if the host's bridge is gone anyway.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO

from reliability.common import ScenarioError

HOST_BRIDGE = Path("/sys/class/net/docker0")  # the shared engine's default bridge: never to be touched


class PrivateEngine:
    """containerd + dockerd under one temp dir; ``env`` points docker, buildx and buildorch at it."""

    def __init__(self, prefix: str = "bo-rel-engine-") -> None:
        for tool in ("dockerd", "containerd", "unshare"):
            if shutil.which(tool) is None:
                raise ScenarioError(f"{tool} is not installed: run scripts/stack up")
        # /tmp, not a deeper path: a unix socket's path is limited to 107 bytes.
        self.root = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
        self.socket = self.root / "docker.sock"
        self.containerd_socket = self.root / "containerd.sock"
        self.config = self.root / "docker-config"  # the CLI's: buildx's builder state stays here
        self.config.mkdir()
        self._containerd: subprocess.Popen[bytes] | None = None
        self._dockerd: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] = (self.root / "daemons.log").open("ab")
        self._write_configs()

    @property
    def env(self) -> dict[str, str]:
        """DOCKER_HOST at the private socket, a DOCKER_CONFIG of its own (so the default builder is this engine's),
        and CONTAINERD_ADDRESS for ``ctr`` (buildorch reads image indexes from the engine's containerd)."""
        return {
            "DOCKER_HOST": f"unix://{self.socket}",
            "DOCKER_CONFIG": str(self.config),
            "BUILDX_BUILDER": "",
            "CONTAINERD_ADDRESS": str(self.containerd_socket),
        }

    def _write_configs(self) -> None:
        r = self.root
        (r / "containerd.toml").write_text(
            "version = 2\n"
            f'root = "{r}/containerd-root"\nstate = "{r}/containerd-state"\n'
            # CRI would open a streaming port and want CNI: nothing here needs it.
            'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
            f'[grpc]\n  address = "{self.containerd_socket}"\n'
            f'[ttrpc]\n  address = "{self.containerd_socket}.ttrpc"\n'
            '[debug]\n  address = ""\n[metrics]\n  address = ""\n'
        )
        (r / "daemon.json").write_text(json.dumps({"features": {"containerd-snapshotter": True}}))

    def _spawn(self, argv: list[str]) -> subprocess.Popen[bytes]:
        # Its own session: a Ctrl-C meant for the suite does not reach the daemons before remove() does.
        return subprocess.Popen(argv, stdout=self._log, stderr=self._log, stdin=subprocess.DEVNULL, start_new_session=True)

    def _wait(self, what: str, ok: list[str], proc: subprocess.Popen[bytes], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ScenarioError(f"the private {what} exited with {proc.returncode} (log: {self.root}/daemons.log)")
            r = subprocess.run(ok, capture_output=True, timeout=10, env={**os.environ, **self.env}, check=False)
            if r.returncode == 0 and r.stdout.strip():
                return
            time.sleep(0.1)
        raise ScenarioError(f"the private {what} did not answer within {timeout:.0f} s (log: {self.root}/daemons.log)")

    def start(self) -> float:
        """Start containerd (once) and dockerd; return how long dockerd took to answer."""
        if self._containerd is None or self._containerd.poll() is not None:
            self._containerd = self._spawn(["containerd", "--config", str(self.root / "containerd.toml")])
            self._wait("containerd", ["ctr", "--address", str(self.containerd_socket), "version"], self._containerd, 30)
        t0 = time.monotonic()
        bridge_before = HOST_BRIDGE.exists()
        self._dockerd = self._spawn([
            "unshare", "--net", "--", "dockerd", "--config-file", str(self.root / "daemon.json"),
            "--data-root", str(self.root / "data"), "--exec-root", str(self.root / "exec"),
            "--pidfile", str(self.root / "dockerd.pid"), "-H", f"unix://{self.socket}",
            "--containerd", str(self.containerd_socket),
            "--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-masq=false", "--userland-proxy=false",
        ])  # fmt: skip
        self._wait("dockerd", ["docker", "version", "--format", "{{.Server.Version}}"], self._dockerd, 60)
        if bridge_before and not HOST_BRIDGE.exists():
            raise ScenarioError(f"the host's {HOST_BRIDGE.name} vanished when the private dockerd started: the shared engine "
                                "needs it back (ip link add docker0 type bridge; ip addr add 172.17.0.1/16 dev docker0; "
                                "ip link set docker0 up)")  # fmt: skip
        return time.monotonic() - t0

    def stop_dockerd(self, sig: int = signal.SIGTERM, timeout: float = 20) -> float:
        """Send ``sig`` to dockerd and wait for it to exit (SIGKILL after ``timeout``); return how long it took."""
        proc = self._dockerd
        if proc is None or proc.poll() is not None:
            return 0.0
        t0 = time.monotonic()
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return time.monotonic() - t0

    def remove(self) -> None:
        """Stop both daemons, unmount what they left under the root, delete it. Safe to call twice."""
        self.stop_dockerd(signal.SIGTERM, timeout=15)
        if self._containerd is not None and self._containerd.poll() is None:
            self._containerd.terminate()
            try:
                self._containerd.wait(15)
            except subprocess.TimeoutExpired:
                self._containerd.kill()
                self._containerd.wait()
        self._log.close()
        self._kill_shims()
        self._unmount()
        shutil.rmtree(self.root, ignore_errors=True)

    def _kill_shims(self) -> None:
        """containerd-shims started by the private containerd (none when no step runs a container) outlive it."""
        mark = str(self.containerd_socket).encode()
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                cmdline = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if b"containerd-shim" in cmdline and mark in cmdline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(proc.name), signal.SIGKILL)

    def _unmount(self) -> None:
        prefix = f"{self.root}/"
        mounts = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
        for target in sorted((m for m in mounts if m.startswith(prefix)), reverse=True):
            subprocess.run(["umount", "-l", target], capture_output=True, check=False)

    def __enter__(self) -> PrivateEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()
