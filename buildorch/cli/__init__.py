"""The ``buildorch`` command: a typer app (:mod:`buildorch.cli.app`) with one module per command.

This package is the only one that imports typer. Command modules unpack their
options into library calls and render the results (:mod:`buildorch.cli.render`,
rich tables in :mod:`buildorch.cli.tables`). Importing this package imports
nothing else, so that :mod:`buildorch.cli.entry` answers ``--version`` fast.
"""
