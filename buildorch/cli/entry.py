"""The ``buildorch`` console script: answers ``--version`` before typer is imported.

Importing typer and building every command's options costs about 0.25 s, which
``buildorch --version`` (run by scripts and CI to probe the tool) should not pay.
Everything else goes to :func:`buildorch.cli.app.main`.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading


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
            _decided()


def script() -> None:
    """The ``buildorch`` console script and ``python -m buildorch``: :func:`main`, then :func:`leave`.

    Only here, where this process is nothing but the command: :func:`main` with ``sys.argv``
    (as tests and ``make reliability``'s hostile inputs call it, in a process of their own
    that goes on afterwards) still ends by raising SystemExit.
    """
    try:
        main()
    except SystemExit as exc:  # the exit code, from cli.app's one exit point
        if exc.code is None or isinstance(exc.code, int):
            _decided()
            leave(exc.code or 0)
        raise


def _decided() -> None:
    """The command's outcome is decided: a late Ctrl-C is ignored.

    Python's shutdown puts SIGINT's default action back, so a Ctrl-C in the last milliseconds
    would end a finished command by the signal, without a word (make reliability's build-kills
    saw it once in 32); and one during :func:`leave`'s atexit functions would be a traceback.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def leave(code: int) -> None:
    """End the finished command now, without the interpreter's tear-down of every module.

    After a build, Python's shutdown frees pydantic's and typer's module graph object by
    object: about 50 ms, a tenth of what buildorch adds to a fully cached build, for memory
    the kernel reclaims anyway. mypy ends the same way (``util.hard_exit``). What shutdown
    would still do that matters is done first: the streams are flushed, the ``atexit``
    functions run (``weakref.finalize``'s clean-ups among them). Where that is not enough
    the normal exit is kept: a flush that fails (a closed pipe: Python reports it and exits
    120) or a thread that is not a daemon (shutdown would wait for it).
    """
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return
    if any(t is not threading.main_thread() and not t.daemon for t in threading.enumerate()):
        return
    atexit._run_exitfuncs()
    os._exit(code)
