"""The one error type buildorch raises for expected failures.

Every failure a user can cause or fix (bad input, a daemon that is down, a build
step that fails) is a :class:`BuildorchError` carrying a one-line message and a
hint of what to do. The CLI turns it into clean output at exactly one place
(:func:`buildorch.cli.app.main`); anything else is a bug and gets a traceback.
"""

from __future__ import annotations


class BuildorchError(Exception):
    """An expected failure: a one-line ``message`` and a ``hint`` of what to do.

    ``exit_code`` is what the CLI exits with; subclasses set their own so that
    release scripts can tell failures apart (documented in docs/index.md, "Exit codes").
    """

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # Extra lines shown under the message (e.g. the last log lines of a failed step).
        self.details = details or []
        # True when the live progress view already left ``details`` on screen: the CLI does not repeat them.
        self.details_shown = False

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class InputError(BuildorchError):
    """The user's input is wrong: a platform, a path, a stage, a build arg..."""

    exit_code = 2


class EngineError(BuildorchError):
    """The Docker engine or buildx cannot be reached or lacks a feature."""


class BuildFailed(BuildorchError):
    """A build ran and failed: ``details`` holds the failed step's last log lines, ``step`` its name."""

    step: str | None = None


class PushFailed(BuildorchError):
    """Pushing to a registry failed, after retries where they apply."""

    exit_code = 4


class VerificationFailed(BuildorchError):
    """A built image did not pass verification (release smoke checks)."""

    exit_code = 5


class SignatureInvalid(VerificationFailed):
    """``buildorch verify``: a signature or an SBOM attestation is missing or does not verify with the key."""

    exit_code = 6


class VulnerabilitiesFound(BuildorchError):
    """``buildorch scan`` found known vulnerabilities in an image's Go binaries."""

    exit_code = 7
