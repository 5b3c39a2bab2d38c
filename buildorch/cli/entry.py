"""The ``buildorch`` console script: answers ``--version`` before typer is imported.

Importing typer and building every command's options costs about 0.25 s, which
``buildorch --version`` (run by scripts and CI to probe the tool) should not pay.
Everything else goes to :func:`buildorch.cli.app.main`.
"""

from __future__ import annotations

import os
import signal
import sys


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; ``buildorch --version`` alone is answered here, without importing typer."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        from buildorch import __version__

        print(f"buildorch {__version__}")
        if argv is None:
            sys.exit(0)
        return 0
    # The CLI uses no pydantic plugin; looking for them scans every installed distribution's
    # entry points (10-20 ms of a 0.4 s start-up in a development venv). A value you set wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        from buildorch.cli.app import main as cli_main
    except KeyboardInterrupt:  # Ctrl-C while typer loads (0.1-0.3 s): no traceback, as later on
        print("interrupted", file=sys.stderr)
        if argv is None:
            sys.exit(130)
        return 130
    try:
        return cli_main(argv)
    finally:
        if argv is None:  # this process is the command
            # Its outcome is decided. Python's shutdown puts SIGINT's default action back, so a Ctrl-C
            # in the last milliseconds would end a finished command by the signal, without a word
            # (make reliability's build-kills saw it once in 32): a late Ctrl-C is ignored.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
