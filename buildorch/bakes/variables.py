"""Whose VERSION and BUILD_TIME a bake uses: yours, else the bake file's, else buildorch's derived ones.

The rule (README, docs/bake.md):

1. a value you gave wins: ``--version``/``--build-time``, ``--var NAME=...``, or the
   environment variable that ``docker buildx bake`` itself reads (``VERSION=1.2.3 buildorch bake``);
2. then the file's own default (``variable "VERSION" { default = "6.4.1" }`` builds 6.4.1);
3. buildorch's derived value (``git describe``, the commit time) fills only what is left:
   a variable the file declares without a usable default (an empty string is not usable:
   it would tag ``app:``), and, as a build arg, a target whose Dockerfile declares
   ``ARG VERSION`` but whose bake definition passes no value.

buildx stays the parser: which variables a file declares is read from what
``bake --print`` resolved (a target arg that came out empty), not from the HCL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from buildorch.bakes.models import BakeDefinition, BakeSpec, BakeTarget
from buildorch.bakes.printing import print_env
from buildorch.core import dockerfile

VERSION_VARIABLES = ("VERSION", "BUILD_TIME")
# Build args buildorch derives; SOURCE_DATE_EPOCH too, since BuildKit reads it for reproducible timestamps.
DERIVED_ARGS = ("VERSION", "BUILD_TIME", "SOURCE_DATE_EPOCH")


def user_value(name: str, spec: BakeSpec, environ: Mapping[str, str]) -> str | None:
    """The value you gave for VERSION or BUILD_TIME: the flag, ``--var``, else the environment; ``None`` if none."""
    flag = spec.version if name == "VERSION" else spec.build_time
    return flag or spec.variables.get(name) or environ.get(name) or None


def user_variables(spec: BakeSpec) -> dict[str, str]:
    """The bake variables buildorch passes for you: ``--var`` values, with ``--version``/``--build-time`` as theirs."""
    return print_env(spec.variables, spec.version, spec.build_time)


def usable(value: str | None) -> bool:
    return value is not None and value.strip() != ""


def variables_to_fill(defn: BakeDefinition, spec: BakeSpec, environ: Mapping[str, str]) -> list[str]:
    """VERSION/BUILD_TIME variables the file leaves without a usable value and you did not give.

    Seen in the resolved targets: an arg ``VERSION`` that came out empty means the file
    passes a variable whose default is empty (or an empty literal, which filling leaves alone).
    """
    return [
        name for name in VERSION_VARIABLES
        if user_value(name, spec, environ) is None
        and any(name in t.args and not usable(t.args[name]) for t in defn.target.values())
    ]


def is_local_context(context: str) -> bool:
    """A directory context, not a Git/HTTP URL or stdin (buildx decides the same way, roughly)."""
    return context != "-" and "://" not in context and not context.startswith(("git@", "github.com/"))


def declared_args(target: BakeTarget) -> set[str] | None:
    """The ARG names the target's Dockerfile declares (any stage), or ``None`` when it cannot be read here."""
    if target.dockerfile_inline is not None:
        text = target.dockerfile_inline
    else:
        ctx = target.context or "."
        if not is_local_context(ctx):
            return None
        name = Path(target.dockerfile or "Dockerfile")
        candidates = [name] if name.is_absolute() else [Path(ctx) / name, name]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            return None
        try:
            text = dockerfile.read_text(path)
        except OSError:
            return None
    try:
        parsed = dockerfile.parse(text)
    except ValueError:
        return None
    return set(parsed.global_args) | {a for s in parsed.stages for a in s.args}


def args_to_fill(target: BakeTarget, values: Mapping[str, str]) -> dict[str, str]:
    """Derived build args for one resolved target: only where its Dockerfile declares the ARG and bake passes no usable value.

    An arg the Dockerfile does not declare is not added: SOURCE_DATE_EPOCH alone changes
    every timestamp of the image, so adding it would change what the file builds.
    """
    missing = [n for n in DERIVED_ARGS if not usable(target.args.get(n))]
    if not missing:
        return {}
    declared = declared_args(target) or set()
    return {n: values[n] for n in missing if n in declared}


def attributable(value: Any, passed: Mapping[str, str]) -> bool:
    """Whether a field's new value can come from a variable buildorch passed (it contains that value).

    A field that differs between two prints for another reason (``timestamp()``,
    ``uuidv4()`` in the file) is the file's own doing, not buildorch's.
    """
    text = json.dumps(value)
    return any(v and json.dumps(v)[1:-1] in text for v in passed.values())
