import gzip
import hashlib
import io
import json
import tarfile
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from buildorch.repro.diff import config_fields, first_difference, first_file_difference


def tar_of(files: dict[str, tuple[bytes, int]], *, uid: int = 0, mode: int = 0o644) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, (data, mtime) in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.uid, info.mode = len(data), mtime, uid, mode
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def digest(b: bytes) -> str:
    return "sha256:" + hashlib.sha256(b).hexdigest()


def image(layers: list[bytes], config: dict[str, Any], store: dict[str, bytes]) -> dict[str, Any]:
    cfg = json.dumps(config).encode()
    store[digest(cfg)] = cfg
    descs = []
    for layer in layers:
        z = gzip.compress(layer, mtime=0)
        store[digest(z)] = z
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest(z)})
    return {"config": {"digest": digest(cfg)}, "layers": descs}


def test_names_the_file_and_the_attribute() -> None:
    a = tar_of({"app": (b"x", 1), "stamp": (b"1700000001", 1)})
    b = tar_of({"app": (b"x", 1), "stamp": (b"1700000099", 1)})
    assert first_file_difference(a, b) == ("stamp", "content", "sha256:" + hashlib.sha256(b"1700000001").hexdigest(),
                                           "sha256:" + hashlib.sha256(b"1700000099").hexdigest())


def test_mtime_uid_mode_and_presence() -> None:
    base = {"f": (b"x", 1)}
    assert first_file_difference(tar_of(base), tar_of({"f": (b"x", 2)}))[1] == "mtime"  # type: ignore[index]
    assert first_file_difference(tar_of(base), tar_of(base, uid=1000))[1:] == ("uid", "0", "1000")  # type: ignore[index]
    assert first_file_difference(tar_of(base), tar_of(base, mode=0o755))[1] == "mode"  # type: ignore[index]
    assert first_file_difference(tar_of(base), tar_of({**base, "g": (b"", 1)}))[:2] == ("g", "presence")  # type: ignore[index]
    assert first_file_difference(tar_of(base), tar_of(base)) is None


def test_first_difference_names_the_layer_and_config_fields() -> None:
    store: dict[str, bytes] = {}
    same = tar_of({"etc/ca.crt": (b"c", 1)})
    left = image([same, tar_of({"app": (b"1", 1)})], {"created": "a", "config": {"Env": ["A=1"]}}, store)
    right = image([same, tar_of({"app": (b"2", 1)})], {"created": "b", "config": {"Env": ["A=1"]}}, store)
    d = first_difference("linux/arm64", left, right, lambda _side, dg: store[dg])
    assert d is not None and d.layer == 1 and d.path == "app" and d.attribute == "content"
    assert d.config_fields == ["created"]
    assert d.describe().startswith("linux/arm64: layer 1, file app: content differs")


def test_equal_images_have_no_difference() -> None:
    store: dict[str, bytes] = {}
    m = image([tar_of({"a": (b"1", 1)})], {"x": 1}, store)
    assert first_difference("linux/amd64", m, m, lambda _s, dg: store[dg]) is None


def test_layer_count() -> None:
    store: dict[str, bytes] = {}
    one = image([tar_of({"a": (b"1", 1)})], {"x": 1}, store)
    two = image([tar_of({"a": (b"1", 1)}), tar_of({"b": (b"", 1)})], {"x": 1}, store)
    d = first_difference("linux/amd64", one, two, lambda _s, dg: store[dg])
    assert d is not None and d.what == "layer-count" and "1 and 2 layers" in d.describe()


@given(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=5),
       st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=5))
def test_config_fields_is_symmetric_and_empty_only_when_equal(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert config_fields(a, b) == config_fields(b, a)
    assert (config_fields(a, b) == []) == (a == b)
