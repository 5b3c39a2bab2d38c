"""buildorch: orchestrate Docker BuildKit builds from Python.

The public API is imported lazily so that ``buildorch --version`` stays fast::

    from buildorch import BuildSpec, build
    result = build(BuildSpec(context="app", platforms=["linux/amd64", "linux/arm64"]))
    print(result.digest, result.steps_cached, "/", result.steps_total)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> module that defines it; resolved on first access (PEP 562).
# Modules are named apart from these functions (runner, diagnosis, bake_runner,
# release_runner): importing a submodule binds its name on the package, which
# would shadow a function of the same name.
_LAZY = {
    "BuildSpec": "buildorch.builds.spec",
    "BuildResult": "buildorch.builds.spec",
    "CachePolicy": "buildorch.builds.spec",
    "build": "buildorch.builds.runner",
    "doctor": "buildorch.diagnosis",
    "BuildorchError": "buildorch.core.errors",
    "ReleaseSpec": "buildorch.releases.models",
    "ReleaseResult": "buildorch.releases.models",
    "release": "buildorch.releases.runner",
    "bake": "buildorch.bakes.runner",
    "BakeSpec": "buildorch.bakes.models",
}

if TYPE_CHECKING:
    from buildorch.bakes.models import BakeSpec as BakeSpec
    from buildorch.bakes.runner import bake as bake
    from buildorch.builds.runner import build as build
    from buildorch.builds.spec import BuildResult as BuildResult
    from buildorch.builds.spec import BuildSpec as BuildSpec
    from buildorch.builds.spec import CachePolicy as CachePolicy
    from buildorch.core.errors import BuildorchError as BuildorchError
    from buildorch.diagnosis import doctor as doctor
    from buildorch.releases.models import ReleaseResult as ReleaseResult
    from buildorch.releases.models import ReleaseSpec as ReleaseSpec
    from buildorch.releases.runner import release as release

__all__ = [
    "BakeSpec",
    "BuildResult",
    "BuildSpec",
    "BuildorchError",
    "CachePolicy",
    "ReleaseResult",
    "ReleaseSpec",
    "__version__",
    "bake",
    "build",
    "doctor",
    "release",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'buildorch' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
