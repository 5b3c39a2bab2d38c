"""scripts/lib/tcp-relay.py: what the stack starts on docker's bridge so builder containers reach the registry."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

RELAY = Path(__file__).resolve().parents[2] / "scripts" / "lib" / "tcp-relay.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_bytes_go_both_ways_through_the_relay() -> None:
    upstream = socket.socket()
    upstream.bind(("127.0.0.1", 0))
    upstream.listen()
    target = upstream.getsockname()[1]

    def echo_upper() -> None:
        conn, _ = upstream.accept()
        with conn:
            data = conn.recv(1024)
            conn.sendall(data.upper())

    threading.Thread(target=echo_upper, daemon=True).start()
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(RELAY), f"127.0.0.1:{port}", f"127.0.0.1:{target}"])
    try:
        for _ in range(100):
            try:
                client = socket.create_connection(("127.0.0.1", port), timeout=2)
                break
            except OSError:
                time.sleep(0.05)
        with client:
            client.sendall(b"GET /v2/")
            assert client.recv(1024) == b"GET /V2/"
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        upstream.close()
