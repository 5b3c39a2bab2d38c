"""Short-lived containers for looking inside images without running them.

``docker create`` + ``docker export``/``docker cp`` read any image's files, even
FROM-scratch images with no shell. Every container made here is removed by the
caller through :func:`created` (or :func:`remove`), also when something fails.
Removal uses python-on-whales' typed calls; ``create`` keeps its argv because
its stderr says why a container could not be made ("no command specified",
"No such image"), which decides what happens next.
"""

from __future__ import annotations

import contextlib
import io
import re
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from buildorch.core import oci, references
from buildorch.core.errors import BuildorchError, EngineError, InputError
from buildorch.engine import buildx

_NO_COMMAND = re.compile(r"no command specified", re.I)
_NO_SUCH_IMAGE = re.compile(r"No such image", re.I)
_NO_PATH = re.compile(r"Could not find the file|not a directory|no such file or directory", re.I)
# Manifests, indexes and configs are a few kB; a config with a long history stays well under this.
SMALL_BLOB = 4 << 20
# A path no image has, used as the command of a container that only gets exported.
_PLACEHOLDER_CMD = "/.buildorch-no-command"


def require_image(ref: str) -> dict[str, Any]:
    """``docker image inspect REF``, or an InputError saying the image is not in the local store."""
    meta = buildx.image_inspect(ref)
    if meta is None:
        raise InputError(
            f"no image {ref!r} in the local image store",
            "build it first (buildorch build ... -t NAME:TAG), or check the name with `docker image ls`",
        )
    return meta


def default_platform(meta: dict[str, Any]) -> str:
    """The platform ``docker image inspect`` describes (the host's, when the image has it)."""
    return oci.platform_string({"os": meta.get("Os"), "architecture": meta.get("Architecture"),
                                       "variant": meta.get("Variant")})


def image_platforms(ref: str) -> list[oci.PlatformImage]:
    """Every platform of a local image, read from ``docker save`` (engine 26 has no per-platform inspect)."""
    with buildx.binary_stdout(["save", ref], what=f"docker save {ref}") as stream:
        blobs = small_blobs(stream)
    return oci.platform_images(blobs)


def small_blobs(stream: IO[bytes], limit: int = SMALL_BLOB) -> dict[str, bytes]:
    """Read a ``docker save`` tar stream; return ``{"index.json": ..., "sha256:<hex>": ...}`` for small files."""
    out: dict[str, bytes] = {}
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            if not member.isfile() or member.size > limit:
                continue
            name = member.name.removeprefix("./")
            fh = tar.extractfile(member)
            if fh is None:
                continue
            data = fh.read()
            if name.startswith("blobs/"):
                algo, _, hexd = name.removeprefix("blobs/").partition("/")
                out[f"{algo}:{hexd}"] = data
            else:
                out[name] = data
    return out


def missing_platform(ref: str, platform: str) -> InputError:
    """The error for a platform the image lacks, listing the ones it has."""
    try:
        have = sorted({img.platform for img in image_platforms(ref)})
    except BuildorchError:
        have = []
    listed = ", ".join(have) if have else "none that could be read"
    hint = f"pass --platform {have[0]}" if have else "rebuild it with --platform " + platform
    return InputError(f"image {ref!r} has no {platform} variant; it has: {listed}", hint)


def create(ref: str, platform: str) -> str:
    """``docker create --pull never --platform P REF``: a container that is never started. Returns its id."""
    base = ["create", "--pull", "never", "--platform", platform, ref]
    code, out, err = buildx.run_capture(base)
    if code != 0 and _NO_COMMAND.search(err):
        # An image with neither ENTRYPOINT nor CMD (a files-only stage) cannot be created as is.
        code, out, err = buildx.run_capture([*base, _PLACEHOLDER_CMD])
    if code == 0:
        return out.strip().splitlines()[-1]
    if _NO_SUCH_IMAGE.search(err):
        if buildx.image_inspect(ref) is None:
            raise InputError(f"no image {ref!r} in the local image store", "check the name with `docker image ls`")
        raise missing_platform(ref, platform)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    if any("Cannot connect to the Docker daemon" in ln for ln in lines):
        raise EngineError("the Docker engine is not reachable", "start it (scripts/stack up)")
    raise BuildorchError(f"docker create {ref} failed: {lines[-1] if lines else f'exit code {code}'}", details=lines[-10:])


def remove(cid: str) -> None:
    """``docker rm -f CID``; never raises (used in cleanup paths)."""
    with contextlib.suppress(BuildorchError):
        buildx.remove_container(cid)


@contextlib.contextmanager
def created(ref: str, platform: str) -> Iterator[str]:
    """A created (never started) container of ``ref`` for ``platform``, removed on exit."""
    cid = create(ref, platform)
    try:
        yield cid
    finally:
        remove(cid)


@contextlib.contextmanager
def exported(cid: str) -> Iterator[IO[bytes]]:
    """``docker export CID`` as a binary tar stream."""
    with buildx.binary_stdout(["export", cid], what="docker export") as stream:
        yield stream


def copy_out(cid: str, path: str, limit: int = 1 << 30) -> tuple[str, bytes | None] | None:
    """One path of a container via ``docker cp CID:PATH -``, without a shell in the image.

    Returns ``(kind, data)``: kind ``file`` with its bytes, ``symlink`` with the target
    as bytes, or ``dir``/``other`` with None; None when the path does not exist.
    """
    try:
        with buildx.binary_stdout(["cp", f"{cid}:{path}", "-"], what=f"docker cp {path}") as stream:
            return _first_member(stream, limit)
    except BuildorchError as exc:
        if _NO_PATH.search(exc.message):
            return None
        raise


def _first_member(stream: IO[bytes], limit: int) -> tuple[str, bytes | None] | None:
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                if member.issym():
                    return "symlink", member.linkname.encode()
                if member.isdir():
                    return "dir", None
                if member.isfile():
                    fh = tar.extractfile(member)
                    data = fh.read(limit) if fh is not None and member.size <= limit else None
                    return "file", data
                return "other", None
    except tarfile.ReadError:
        return None  # nothing on stdout: docker cp failed, and its exit code says why
    return None


def read_tar_member(data: bytes) -> tuple[str, bytes | None] | None:
    """:func:`copy_out`'s parsing, for bytes already read (tests)."""
    return _first_member(io.BytesIO(data), 1 << 30)


def throwaway_tag(prefix: str, context: Path, name: str) -> str:
    """``buildorch-debug/app-builder:1a2b3c4d``: a unique, valid reference for an image removed after use."""
    clean = references.name_component(f"{context.resolve().name}-{name}")[:200].rstrip("._-")
    return f"{prefix}/{clean}:{uuid.uuid4().hex[:8]}"


def remove_image(tag: str) -> None:
    """``docker image rm TAG``; never raises (cleanup). Only the tag buildorch made is named."""
    with contextlib.suppress(BuildorchError):
        buildx.remove_image(tag)


@contextlib.contextmanager
def removed_after(tags: list[str], *, keep: bool = False) -> Iterator[list[str]]:
    """Yield ``tags`` to fill; remove each on exit, also after an error (unless ``keep``)."""
    try:
        yield tags
    finally:
        if not keep:
            for tag in tags:
                remove_image(tag)
