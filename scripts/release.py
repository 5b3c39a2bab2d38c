#!/usr/bin/env python3
"""A release script built on buildorch's Python API: the worked example for your own.

    scripts/release.py 1.2.3                      # releases app/ to $RELEASE_IMAGE
    RELEASE_IMAGE=registry.example.com/team/app scripts/release.py 1.3.0-rc.1 --dry-run

What it shows:
  * one ReleaseSpec, one call: build, push by digest, verify every platform, tag;
  * telling failures apart by type (each carries the CLI's exit code), so CI can
    react: retry later on PushFailed, page someone on VerificationFailed;
  * using the result: digests for a deploy manifest, release.md as the CI summary.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", help="semantic version, e.g. 1.2.3 or 1.3.0-rc.1")
    parser.add_argument("--image", default=os.environ.get("RELEASE_IMAGE", "localhost:5000/buildorch/app"))
    parser.add_argument("--context", type=Path, default=ROOT / "app")
    parser.add_argument("--dry-run", action="store_true", help="print the plan only")
    args = parser.parse_args(argv)

    # Imported here so that --help works without buildorch's dependencies.
    from pydantic import ValidationError

    from buildorch import BuildorchError, PushFailed, ReleaseSpec, VerificationFailed, prepare_release, release

    try:
        spec = ReleaseSpec(version=args.version, image=args.image, context=args.context)
        if args.dry_run:
            print("\n".join(prepare_release(spec).describe()))
            return 0
        result = release(spec)
    except ValidationError as exc:  # a bad version, image or platform
        print(f"release: {str(exc.errors()[0]['msg']).removeprefix('Value error, ')}", file=sys.stderr)
        return 2
    except PushFailed as exc:
        print(f"release: the registry failed, nothing was tagged; try again later: {exc}", file=sys.stderr)
        return exc.exit_code
    except VerificationFailed as exc:
        print(f"release: {args.version} did not pass its checks and was not tagged: {exc}", file=sys.stderr)
        return exc.exit_code
    except BuildorchError as exc:  # bad input (2), a failed build (1)
        print(f"release: {exc}", file=sys.stderr)
        return exc.exit_code

    print(f"released {result.image}:{result.version}: {', '.join(result.tags)}")
    for platform, digest in result.platform_digests.items():
        # Deploy by digest: the tag may move, this reference never does.
        print(f"  {platform}: {result.image}@{digest}")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")  # CI job summary, when there is one
    if summary and result.output_dir:
        with open(summary, "a") as fh:
            fh.write((Path(result.output_dir) / "release.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
