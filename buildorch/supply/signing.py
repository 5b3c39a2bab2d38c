"""Signatures with cosign, offline: key pairs, signing an index and its platforms, verifying them.

Nothing here talks to Fulcio or Rekor: signing passes ``--tlog-upload=false`` and
verifying ``--insecure-ignore-tlog=true``, so a key pair is the whole trust root.
The key's password reaches cosign through ``COSIGN_PASSWORD`` in its environment
(never its argv) and is cut out of whatever cosign prints. Example::

    from buildorch.supply.signing import generate_keys, sign, verify_image
    key, pub = generate_keys(Path("release"), password="...")
    sign("localhost:5000/app", "sha256:...", key, password="...")
    print(verify_image("localhost:5000/app:1.3.0", pub).lines())
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from buildorch.core.errors import BuildorchError, InputError, SignatureInvalid
from buildorch.core.oci import platform_digests
from buildorch.core.retry import Backoff
from buildorch.engine import buildx, registry, tools

__all__ = ["Verification", "attest", "generate_keys", "sign", "verify_image"]

# Offline: no transparency log; plain HTTP and self-signed TLS only for the registries buildorch calls local.
_SIGN_FLAGS = ["--tlog-upload=false", "--yes", "--allow-insecure-registry", "--allow-http-registry"]
_VERIFY_FLAGS = ["--insecure-ignore-tlog=true", "--allow-insecure-registry", "--allow-http-registry", "--output", "json"]
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def _env(password: str) -> dict[str, str]:
    # cosign reads the password from here; an empty one is a valid (unencrypted-like) choice
    return {"COSIGN_PASSWORD": password}


def generate_keys(prefix: Path, password: str) -> tuple[Path, Path]:
    """``cosign generate-key-pair``: PREFIX.key (encrypted with ``password``) and PREFIX.pub; never overwrites."""
    key, pub = prefix.with_name(prefix.name + ".key"), prefix.with_name(prefix.name + ".pub")
    existing = [str(p) for p in (key, pub) if p.exists()]
    if existing:
        raise InputError(
            f"{', '.join(existing)} already exist(s): not overwritten", "choose another --output-prefix or remove them"
        )
    prefix.parent.mkdir(parents=True, exist_ok=True)
    tools.run(
        "cosign",
        ["generate-key-pair", "--output-key-prefix", str(prefix.absolute())],
        env=_env(password),
        secrets=[password],
        what="cosign generate-key-pair",
    )
    key.chmod(0o600)
    return key, pub


def _check_key(key: Path) -> None:
    if not key.is_file():
        raise InputError(f"no key file {key}", "create one with `buildorch keys generate`, or pass --key / COSIGN_KEY")


def check_key(key: Path, *, password: str) -> None:
    """Decrypt ``key`` with ``password`` (``cosign public-key``): a wrong password fails before anything is built."""
    _check_key(key)
    res = tools.run("cosign", ["public-key", "--key", str(key)], env=_env(password), secrets=[password], check=False)
    if res.returncode != 0:
        raise InputError(
            f"cannot use the signing key {key}: {tools.last_line(res.stderr or res.stdout)}",
            "check COSIGN_PASSWORD (the password given to `buildorch keys generate`)",
        )


def sign(image: str, digest: str, key: Path, *, password: str) -> None:
    """Sign ``image@digest`` and, for an index, every manifest in it (``--recursive``)."""
    _check_key(key)
    tools.run(
        "cosign",
        ["sign", "--key", str(key), "--recursive", *_SIGN_FLAGS, f"{image}@{digest}"],
        env=_env(password),
        secrets=[password],
        what=f"cosign sign {image}@{digest}",
    )


def attest(image: str, digest: str, key: Path, predicate: Path, *, password: str, kind: str = "spdxjson") -> None:
    """Attach ``predicate`` (an SBOM) to ``image@digest`` as a signed in-toto attestation."""
    _check_key(key)
    tools.run(
        "cosign",
        ["attest", "--key", str(key), "--type", kind, "--predicate", str(predicate), *_SIGN_FLAGS, f"{image}@{digest}"],
        env=_env(password),
        secrets=[password],
        what=f"cosign attest {image}@{digest}",
    )


@dataclass
class Check:
    """One digest's signature (and attestation) status."""

    what: str  # "index" or a platform
    digest: str
    signed: bool
    attested: bool | None = None  # None: not asked for
    error: str = ""


@dataclass
class Verification:
    """What ``buildorch verify`` found for one reference."""

    reference: str
    digest: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.signed and c.attested is not False for c in self.checks)

    def lines(self) -> list[str]:
        out = [f"{self.reference} -> {self.digest}"]
        for c in self.checks:
            att = "" if c.attested is None else (", SBOM attestation ok" if c.attested else ", SBOM attestation MISSING")
            state = "signature ok" if c.signed else f"NOT SIGNED by this key ({c.error})"
            out.append(f"  {c.what:<14} {c.digest[:19]}  {state}{att}")
        return out


def resolve(reference: str) -> tuple[str, str]:
    """``(repository, digest)`` of ``REPO:TAG`` or ``REPO@sha256:...``, asking the registry for a tag."""
    if "@" in reference:
        repo, _, digest = reference.partition("@")
        if not _DIGEST.match(digest):
            raise InputError(f"invalid digest in {reference!r}", "use REPO@sha256:<64 hex> or REPO:TAG")
        return repo, digest
    last = reference.rsplit("/", 1)[-1]
    repo, tag = (reference.rsplit(":", 1)) if ":" in last else (reference, "latest")
    try:
        found = registry.Client(repo, Backoff(attempts=2, base=0.5)).digest_of(tag)
    except registry.RegistryError as exc:
        raise InputError(f"cannot read {reference}: {exc.message}", "check the image name and that the registry is up") from exc
    if found is None:
        raise InputError(f"no tag {tag} in {repo}", "check the reference")
    return repo, found


def _signed(ref: str, pub: Path) -> tuple[bool, str]:
    res = tools.run("cosign", ["verify", "--key", str(pub), *_VERIFY_FLAGS, ref], check=False)
    return res.returncode == 0, tools.last_line(res.stderr or res.stdout)


def _attested(ref: str, pub: Path, kind: str) -> bool:
    res = tools.run("cosign", ["verify-attestation", "--key", str(pub), "--type", kind, *_VERIFY_FLAGS, ref], check=False)
    return res.returncode == 0


def has_attestation(ref: str) -> bool:
    """Whether cosign has attached any attestation to ``ref`` (``cosign tree``'s attestation line)."""
    res = tools.run("cosign", ["tree", "--allow-insecure-registry", "--allow-http-registry", ref], check=False)
    return res.returncode == 0 and "Attestations for an image tag" in res.stdout


def verify_image(reference: str, pub: Path, *, sbom: bool | None = None) -> Verification:
    """Check the signature of ``reference``'s index and of every platform in it; SignatureInvalid if one fails.

    ``sbom``: require an SPDX attestation on every platform (True), skip it (False) or
    check it where one is attached (None).
    """
    if not pub.is_file():
        raise InputError(f"no public key {pub}", "pass the .pub file written by `buildorch keys generate`")
    repo, digest = resolve(reference)
    doc = buildx.imagetools_raw(f"{repo}@{digest}")
    result = Verification(reference, digest)
    targets = [("index", digest), *sorted(platform_digests(doc).items())] if doc.get("manifests") else [("image", digest)]
    for what, d in targets:
        ref = f"{repo}@{d}"
        ok, why = _signed(ref, pub)
        check = Check(what, d, ok, error="" if ok else why)
        if what != "index" and ok and sbom is not False:
            want = sbom or has_attestation(ref)
            check.attested = _attested(ref, pub, "spdxjson") if want else None
        result.checks.append(check)
    if not result.ok:
        bad = next(c for c in result.checks if not (c.signed and c.attested is not False))
        part = "no valid signature" if not bad.signed else "no valid SBOM attestation"
        raise SignatureInvalid(
            f"{reference} ({bad.what} {bad.digest}): {part} for {pub}",
            "the tag may have been moved to other content, or it was signed with another key",
        )
    return result


def require_password(password: str | None) -> str:
    if password is None:
        raise BuildorchError("no password for the key", "set COSIGN_PASSWORD (an empty value means none)")
    return password
