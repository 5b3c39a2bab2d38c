"""buildorch: orchestrate Docker BuildKit builds from Python.

The public API is imported lazily so that ``buildorch --version`` stays fast::

    from buildorch import BuildSpec, build
    result = build(BuildSpec(context="app", platforms=["linux/amd64", "linux/arm64"]))
    print(result.digest, result.steps_cached, "/", result.steps_total)

Everything a release script needs is importable from here (``scripts/release.py``
uses nothing else); the layers below are described in ARCHITECTURE.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> module that defines it; resolved on first access (PEP 562).
# The packages are named apart from these functions (builds, bakes, releases,
# diagnosis): importing a subpackage binds its name on this package, which
# would shadow a function of the same name.
_LAZY = {
    "BuildSpec": "buildorch.builds.spec",
    "BuildResult": "buildorch.builds.spec",
    "CachePolicy": "buildorch.builds.spec",
    "build": "buildorch.builds.runner",
    "BakeSpec": "buildorch.bakes.models",
    "bake": "buildorch.bakes.runner",
    "ReleaseSpec": "buildorch.releases.models",
    "ReleaseResult": "buildorch.releases.models",
    "ReleasePlan": "buildorch.releases.plan",
    "prepare_release": "buildorch.releases.runner",
    "release": "buildorch.releases.runner",
    "doctor": "buildorch.diagnosis",
    "MergeSpec": "buildorch.releases.merge",
    "MergeResult": "buildorch.releases.merge",
    "merge": "buildorch.releases.merge",
    "MetaRequest": "buildorch.meta.resolve",
    "compute_meta": "buildorch.meta.resolve",
    "BuildorchError": "buildorch.core.errors",
    "InputError": "buildorch.core.errors",
    "EngineError": "buildorch.core.errors",
    "BuildFailed": "buildorch.core.errors",
    "PushFailed": "buildorch.core.errors",
    "VerificationFailed": "buildorch.core.errors",
}

if TYPE_CHECKING:
    from buildorch.bakes.models import BakeSpec as BakeSpec
    from buildorch.bakes.runner import bake as bake
    from buildorch.builds.runner import build as build
    from buildorch.builds.spec import BuildResult as BuildResult
    from buildorch.builds.spec import BuildSpec as BuildSpec
    from buildorch.builds.spec import CachePolicy as CachePolicy
    from buildorch.core.errors import BuildFailed as BuildFailed
    from buildorch.core.errors import BuildorchError as BuildorchError
    from buildorch.core.errors import EngineError as EngineError
    from buildorch.core.errors import InputError as InputError
    from buildorch.core.errors import PushFailed as PushFailed
    from buildorch.core.errors import VerificationFailed as VerificationFailed
    from buildorch.diagnosis import doctor as doctor
    from buildorch.meta.resolve import MetaRequest as MetaRequest
    from buildorch.meta.resolve import compute_meta as compute_meta
    from buildorch.releases.merge import MergeResult as MergeResult
    from buildorch.releases.merge import MergeSpec as MergeSpec
    from buildorch.releases.merge import merge as merge
    from buildorch.releases.models import ReleaseResult as ReleaseResult
    from buildorch.releases.models import ReleaseSpec as ReleaseSpec
    from buildorch.releases.plan import ReleasePlan as ReleasePlan
    from buildorch.releases.runner import prepare_release as prepare_release
    from buildorch.releases.runner import release as release

__all__ = [
    "BakeSpec",
    "BuildFailed",
    "BuildResult",
    "BuildSpec",
    "BuildorchError",
    "CachePolicy",
    "EngineError",
    "InputError",
    "MergeResult",
    "MergeSpec",
    "MetaRequest",
    "PushFailed",
    "ReleasePlan",
    "ReleaseResult",
    "ReleaseSpec",
    "VerificationFailed",
    "__version__",
    "bake",
    "build",
    "compute_meta",
    "doctor",
    "merge",
    "prepare_release",
    "release",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'buildorch' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
