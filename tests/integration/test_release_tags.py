"""Moving a release's tags all or none, against the stack's registry: a killed caller, a failing registry, a dead child.

The indexes are tiny (one config, no layer) and pushed by digest with buildorch's own
client; the tag moves go through tests/integration/fault_proxy.py where a test slows or
fails them. Nothing is built.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from buildorch.core.retry import Backoff
from buildorch.engine import registry_tags
from buildorch.engine.registry import Client
from tests.integration.fault_proxy import TAG_PUT, Rule, fault_proxy
from tests.integration.helpers import ROOT

pytestmark = pytest.mark.integration

TAGS = ["1.2.3", "1.2", "1", "latest"]
FAST = Backoff(attempts=2, base=0.05)


def push_index(client: Client, label: str) -> str:
    """A one-platform OCI index whose config carries ``label``, pushed by digest; its digest."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Labels": {"t": label}},
                         "rootfs": {"type": "layers", "diff_ids": []}}).encode()  # fmt: skip
    cd = "sha256:" + hashlib.sha256(config).hexdigest()
    client._put_bytes(cd, config)
    mt, it = "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json"
    manifest = json.dumps({"schemaVersion": 2, "mediaType": mt, "layers": [],
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd,
                                      "size": len(config)}}).encode()  # fmt: skip
    md = "sha256:" + hashlib.sha256(manifest).hexdigest()
    client.put_manifest(md, mt, manifest)
    index = json.dumps({"schemaVersion": 2, "mediaType": it, "manifests": [
        {"mediaType": mt, "digest": md, "size": len(manifest), "platform": {"architecture": "amd64", "os": "linux"}}]}).encode()
    idx = "sha256:" + hashlib.sha256(index).hexdigest()
    client.put_manifest(idx, it, index)
    return idx


@pytest.fixture
def repo() -> tuple[str, str, str]:
    """A repository whose TAGS point at index ``old``; index ``new`` is pushed, untagged: (name, old, new)."""
    name = f"localhost:5000/r2-tags-{uuid.uuid4().hex[:8]}/app"
    client = Client(name, FAST)
    old, new = push_index(client, "old"), push_index(client, "new")
    for tag in TAGS:
        media, raw = client.manifest(old)
        client.put_manifest(tag, media, raw)
    return name, old, new


def tags_of(name: str) -> dict[str, str | None]:
    client = Client(name, FAST)
    return {t: client.digest_of(t) for t in TAGS}


_CALLER = """
import signal
import sys
# SIGINT as on a terminal: from a non-interactive background job (nohup, `cmd &`) it is inherited ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)
from pathlib import Path
from buildorch.core.retry import Backoff
from buildorch.engine import registry_tags
name, digest, journal = sys.argv[1:4]
move = registry_tags.Move(name, digest, ["1.2.3", "1.2", "1", "latest"], {})
registry_tags.commit([move], Path(journal), Backoff(2, 0.05), sys.stderr)
"""


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_a_release_killed_while_tagging_still_moves_every_tag(repo: tuple[str, str, str], tmp_path: Path, how: int) -> None:
    name, _, new = repo
    # each tag PUT takes 0.4 s through the proxy: the kill lands after the first and before the last
    with fault_proxy(0, [Rule("delay", "PUT", TAG_PUT, delay=0.4)]) as proxy:
        via = name.replace("localhost:5000", proxy.address)
        journal = tmp_path / "release.journal"
        caller = subprocess.Popen([sys.executable, "-c", _CALLER, via, new, str(journal)], cwd=ROOT, start_new_session=True,
                                  stderr=subprocess.PIPE, text=True)  # fmt: skip
        deadline = time.monotonic() + 20
        while not proxy.count("PUT", TAG_PUT) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proxy.count("PUT", TAG_PUT), "the tagging never started"
        os.killpg(caller.pid, how)  # the caller's whole process group, as Ctrl-C or a CI cancel does
        caller.wait(timeout=20)
        while journal.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not journal.exists(), "the tagging child did not finish"
    assert tags_of(name) == dict.fromkeys(TAGS, new)
    if how == signal.SIGINT:
        assert caller.returncode != 0
        assert "the tags finish moving first" in (caller.stderr.read() if caller.stderr else "")
    assert not list(tmp_path.iterdir())  # no journal, outcome or log left behind


def test_a_registry_failing_half_way_puts_the_moved_tags_back(repo: tuple[str, str, str], tmp_path: Path) -> None:
    name, old, new = repo
    tags = ["1.2.3", "1.2", "fresh", "1", "latest"]  # "fresh" is created, "1" fails (400: not retried)
    with fault_proxy(0, [Rule("status", "PUT", r"/manifests/1$", status=400)]) as proxy:
        via = name.replace("localhost:5000", proxy.address)
        before = {t: (old if t != "fresh" else None) for t in tags}
        out = io.StringIO()
        with pytest.raises(registry_tags.TagsNotMoved) as info:
            registry_tags.commit([registry_tags.Move(via, new, tags, before)], tmp_path / "j.journal", FAST, out)
    assert info.value.status == 400 and info.value.image == via
    assert tags_of(name) == dict.fromkeys(TAGS, old)  # every tag that existed is back where it was
    assert f"{via}:1.2: moved back to {old}" in info.value.details
    assert f"{via}:fresh: created and cannot be removed" in " ".join(info.value.details)  # said, not hidden
    assert not list(tmp_path.iterdir())


def test_a_5xx_burst_is_retried_within_the_budget(repo: tuple[str, str, str], tmp_path: Path) -> None:
    name, _, new = repo
    with fault_proxy(0, [Rule("status", "PUT", r"/manifests/1\.2$", status=503, times=1)]) as proxy:
        via = name.replace("localhost:5000", proxy.address)
        out = io.StringIO()
        registry_tags.commit([registry_tags.Move(via, new, TAGS, {})], tmp_path / "j.journal", FAST, out)
        assert proxy.count("PUT", r"/manifests/1\.2$") == 2  # one failure, one retry
    assert tags_of(name) == dict.fromkeys(TAGS, new)
    assert "tag 1.2: HTTP 503" in out.getvalue() and "retry 1/1" in out.getvalue()


def test_the_next_release_completes_a_journal_whose_child_died(repo: tuple[str, str, str], tmp_path: Path) -> None:
    name, old, new = repo
    journal = tmp_path / "release.journal"
    moves = [{"image": name, "digest": new, "tags": TAGS, "previous": dict.fromkeys(TAGS, old)}]
    journal.write_text(json.dumps({"moves": moves, "attempts": 2, "base": 0.05}))  # as commit() wrote it
    (tmp_path / "release.out").write_text("{")  # a torn outcome of the dead child
    out = io.StringIO()
    registry_tags.recover(journal, out)
    assert "completing the tagging of a release that was interrupted" in out.getvalue()
    assert tags_of(name) == dict.fromkeys(TAGS, new)
    assert not list(tmp_path.iterdir())
