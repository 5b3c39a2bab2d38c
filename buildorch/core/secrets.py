"""Build args that may carry a credential: by name (a warning) and by value (always refused).

Build args end up in the image's history and provenance; a credential belongs in a
BuildKit secret (``--secret id=x,env=X`` and ``RUN --mount=type=secret,id=x``).
A name alone says little: official images pass ``GPG_KEY`` (a key's fingerprint), and
``CACHE_KEY`` or ``PUBLIC_KEY`` are not secrets either. So a name is only a warning
(refused with ``--strict-secrets``), while a value shaped like a real credential (a
GitHub token, an AWS access key id, a PEM private key...) is refused always. The value is
never repeated in a message.
"""

from __future__ import annotations

import re

# Parts of a name (split at "_" and punctuation) that say "credential".
_SECRET_PARTS = frozenset(
    {"TOKEN", "PASSWORD", "PASSWD", "PASS", "SECRET", "SECRETS", "CREDENTIAL", "CREDENTIALS", "APIKEY", "PRIVATE", "KEY"}
)
# ...unless the name says what kind of key it is and that kind is public.
_PUBLIC_PARTS = frozenset({"PUBLIC", "PUB", "GPG", "PGP", "FINGERPRINT", "CACHE", "ID", "KEYID", "KEYRING", "KEYSERVER"})

# Real credentials by shape (each provider documents its prefix). Word boundaries keep
# a prefix inside a longer word from matching.
CREDENTIAL_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a GitHub token", re.compile(r"\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}")),
    ("a GitHub fine-grained token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}")),
    ("a GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    ("an AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a private key", re.compile(r"-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("an npm token", re.compile(r"\bnpm_[A-Za-z0-9]{36}")),
    ("a PyPI token", re.compile(r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{20,}")),
    ("a Docker Hub token", re.compile(r"\bdckr_pat_[A-Za-z0-9_-]{20,}")),
    ("a Stripe secret key", re.compile(r"\b(sk|rk)_live_[A-Za-z0-9]{20,}")),
)


def looks_secret(name: str) -> bool:
    """``GITHUB_TOKEN``, ``DB_PASSWORD``, ``API_KEY`` -> True; ``GO_VERSION``, ``GPG_KEY``, ``CACHE_KEY`` -> False."""
    parts = {p for p in re.split(r"[_\W]+", name.upper()) if p}
    if not parts & _SECRET_PARTS:
        return False
    return not (parts & _PUBLIC_PARTS and parts & _SECRET_PARTS <= {"KEY"})


def credential_kind(value: str) -> str | None:
    """What kind of credential ``value`` holds (``"a GitHub token"``), or None."""
    for kind, pattern in CREDENTIAL_PATTERNS:
        if pattern.search(value):
            return kind
    return None


def secret_hint(name: str) -> str:
    return f"pass it with --secret id={name.lower()},env={name} and read it in RUN --mount=type=secret,id={name.lower()}"


def check_build_args(args: dict[str, str], *, strict: bool = False) -> list[str]:
    """The warnings for ``args``; ``ValueError`` for a credential-shaped value, or (``strict``) a secret-looking name."""
    warnings = []
    for name, value in args.items():
        kind = credential_kind(value)
        if kind:
            raise ValueError(
                f"build arg {name!r} holds what looks like {kind}; build args are stored in the image history: "
                + secret_hint(name)
            )
        if looks_secret(name):
            if strict:
                raise ValueError(
                    f"build arg {name!r} looks like a secret (--strict-secrets); build args are stored in the image "
                    f"history: {secret_hint(name)}"
                )
            warnings.append(
                f"build arg {name!r} looks like a secret and will be stored in the image history; if it is one, "
                + secret_hint(name)
            )
    return warnings
