"""The error types of the public API, importable as documented: ``from buildorch.errors import PushFailed``.

They are defined in :mod:`buildorch.core.errors` (the bottom layer, so every package can raise them);
this module only gives them their public address.
"""

from buildorch.core.errors import (
    BuildFailed,
    BuildorchError,
    EngineError,
    InputError,
    PushFailed,
    SignatureInvalid,
    VerificationFailed,
    VulnerabilitiesFound,
)

__all__ = [
    "BuildFailed",
    "BuildorchError",
    "EngineError",
    "InputError",
    "PushFailed",
    "SignatureInvalid",
    "VerificationFailed",
    "VulnerabilitiesFound",
]
