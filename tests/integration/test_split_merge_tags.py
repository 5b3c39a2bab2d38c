"""``buildorch merge`` moves its tags as ``release`` does: all or none, even when the merge is killed.

Against the stack's registry (127.0.0.1:5000) through tests/integration/fault_proxy.py,
which slows every tag PUT. The per-platform images are tiny (a config, no layer) and
pushed by digest with buildorch's own client, as two split builds would have left them;
nothing is built. The real CLI runs the merge (buildx's ``imagetools create --dry-run``
makes the index), and is SIGKILLed, with its whole process group, once its tags started
moving. Before merge used engine/registry_tags, its tags moved in one ``imagetools create
-t ... -t ...``: buildx died with it and the tag set stayed half moved.
"""

from __future__ import annotations

import fcntl
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

from buildorch.builds import digests
from buildorch.core.retry import Backoff
from buildorch.engine.registry import Client
from buildorch.releases.lock import journal_path, lock_path, release_lock
from tests.integration.fault_proxy import TAG_PUT, Rule, fault_proxy
from tests.integration.helpers import ROOT

pytestmark = pytest.mark.integration

TAGS = ["1.2.3", "1.2", "1", "latest"]
FAST = Backoff(attempts=2, base=0.05)
MT = "application/vnd.oci.image.manifest.v1+json"
IT = "application/vnd.oci.image.index.v1+json"


def push_platform(client: Client, arch: str, label: str) -> str:
    """One platform's manifest (its config carries ``label``), pushed by digest as a split build does; its digest."""
    config = json.dumps({"architecture": arch, "os": "linux", "config": {"Labels": {"t": label}},
                         "rootfs": {"type": "layers", "diff_ids": []}}).encode()  # fmt: skip
    cd = "sha256:" + hashlib.sha256(config).hexdigest()
    client._put_bytes(cd, config)
    manifest = json.dumps({"schemaVersion": 2, "mediaType": MT, "layers": [], "config": {
        "mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": len(config)}}).encode()  # fmt: skip
    md = "sha256:" + hashlib.sha256(manifest).hexdigest()
    client.put_manifest(md, MT, manifest)
    return md


def tagged_old_index(client: Client) -> str:
    """An index of two other platform images, every TAG on it (the previous merge's); its digest."""
    entries = []
    for arch in ("amd64", "arm64"):
        md = push_platform(client, arch, "old")
        size = len(client.manifest(md)[1])
        entries.append({"mediaType": MT, "digest": md, "size": size, "platform": {"architecture": arch, "os": "linux"}})
    index = json.dumps({"schemaVersion": 2, "mediaType": IT, "manifests": entries}).encode()
    digest = "sha256:" + hashlib.sha256(index).hexdigest()
    client.put_manifest(digest, IT, index)
    for tag in TAGS:
        client.put_manifest(tag, IT, index)
    return digest


def tags_of(name: str) -> dict[str, str | None]:
    client = Client(name, FAST)
    return {t: client.digest_of(t) for t in TAGS}


def lock_free(path: Path, timeout: float) -> bool:
    """Wait until nobody holds the release lock at ``path`` (a tagging child finishing); whether that happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path, "a") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                time.sleep(0.05)
    return False


def new_platforms(client: Client, directory: Path, image: str) -> None:
    """Two new platform images pushed by digest, and the digest files two split builds would have left for ``image``."""
    for arch in ("amd64", "arm64"):
        digests.write(directory, push_platform(client, arch, f"new-{uuid.uuid4().hex[:6]}"), f"linux/{arch}", image)


def merge_argv(directory: Path, image: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "buildorch", "merge", "--digest-dir", str(directory), "--image", image,
            *[a for t in TAGS for a in ("--tag", t)], *extra]  # fmt: skip


@pytest.fixture
def repo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[str, Client, str]:
    """A repository whose TAGS point at an older index: (name, client, old index digest). Locks under tmp_path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # this test's own locks and journal, the merge's too
    name = f"localhost:5000/s4merge-{uuid.uuid4().hex[:8]}/app"
    client = Client(name, FAST)
    return name, client, tagged_old_index(client)


def test_a_merge_killed_while_tagging_moves_every_tag_or_none(repo: tuple[str, Client, str], tmp_path: Path) -> None:
    name, client, old = repo
    # each tag PUT takes 0.5 s through the proxy: the kill lands after the first tag moved, before the last
    with fault_proxy(0, [Rule("delay", "PUT", TAG_PUT, delay=0.5)]) as proxy:
        via = name.replace("localhost:5000", proxy.address)
        new_platforms(client, tmp_path / "digests", via)
        merge = subprocess.Popen(merge_argv(tmp_path / "digests", via), cwd=ROOT, start_new_session=True,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
        deadline = time.monotonic() + 120
        while proxy.count("PUT", TAG_PUT) < 2 and merge.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        stderr = merge.stderr.read() if merge.poll() is not None and merge.stderr else ""
        assert proxy.count("PUT", TAG_PUT) >= 2, f"the tagging never started: {stderr[-2000:]}"
        os.killpg(merge.pid, signal.SIGKILL)  # the merge's whole process group (its buildx too), as a CI cancel
        merge.wait(timeout=20)
        assert lock_free(lock_path(via), 60), "the tagging child never ended"  # it tags through the proxy: wait here
        now = tags_of(name)
        assert len(set(now.values())) == 1, f"the tags were left half moved: {now}"
        assert set(now.values()) != {old}, "no tag moved: the kill came too early to test anything"
        assert not journal_path([via]).exists()
        # merged again (a CI re-run): it completes, on the same index
        again = subprocess.run(merge_argv(tmp_path / "digests", via, "--json"), cwd=ROOT, capture_output=True, text=True,
                               timeout=300, check=False)  # fmt: skip
    assert again.returncode == 0, again.stderr[-3000:]
    result = json.loads(again.stdout)
    assert tags_of(name) == dict.fromkeys(TAGS, result["index_digest"]) == now
    assert result["previous_tags"] == now and result["tags"] == TAGS


def test_a_registry_failing_half_way_is_exit_4_and_the_moved_tags_go_back(repo: tuple[str, Client, str], tmp_path: Path) -> None:
    name, client, old = repo
    with fault_proxy(0, [Rule("status", "PUT", r"/manifests/1$", status=400)]) as proxy:  # 400: not retried
        via = name.replace("localhost:5000", proxy.address)
        new_platforms(client, tmp_path / "digests", via)
        r = subprocess.run(merge_argv(tmp_path / "digests", via, "--push-attempts", "2"), cwd=ROOT, capture_output=True,
                           text=True, timeout=300, check=False)  # fmt: skip
    assert r.returncode == 4, r.stderr[-3000:]
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: tagging {via} failed after 2 attempts: "), r.stderr
    assert "Traceback" not in r.stderr
    assert f"{via}:1.2: moved back to {old}" in r.stderr  # said, as release says it
    assert tags_of(name) == dict.fromkeys(TAGS, old)
    assert not journal_path([via]).exists()


def test_a_merge_waits_for_a_release_of_the_same_image(repo: tuple[str, Client, str], tmp_path: Path) -> None:
    """One lock for both: a merge does not tag while a release of its image holds the lock (its tags move)."""
    name, client, old = repo
    new_platforms(client, tmp_path / "digests", name)
    with release_lock([name], io.StringIO()):
        merge = subprocess.Popen(merge_argv(tmp_path / "digests", name), cwd=ROOT, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)  # fmt: skip
        assert merge.stderr is not None
        line = merge.stderr.readline()
        while line and "waiting for another release" not in line:
            line = merge.stderr.readline()
        assert f"waiting for another release of {name} to finish tagging" in line
        assert tags_of(name) == dict.fromkeys(TAGS, old)
    rest = merge.communicate(timeout=120)[1]
    assert merge.returncode == 0, rest[-3000:]
    assert len(set(tags_of(name).values())) == 1 and tags_of(name)["latest"] != old
