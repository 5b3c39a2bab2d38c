"""Every refusal is one ``error:`` line and an optional ``  hint:`` line, whatever the user typed (#19).

Found by ``make reliability RELIABILITY=hostile-inputs``: click's usage errors were four lines
(``Usage:``, ``Try ...``, a blank line, ``Error: ...``), a path with a newline split the error
line in two, a 30 000-character path was a traceback (``ENAMETOOLONG``, exit 3).
"""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from buildorch.cli.app import SHOWN_CHARS, main, printable


def lines(err: str) -> list[str]:
    return [ln for ln in err.splitlines() if ln.strip()]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["build", "--bogus"], "error: No such option: --bogus"),
        (["cache", "prune", "--bogus"], "error: No such option: --bogus"),
        (["frobnicate"], "error: No such command 'frobnicate'."),
        (["verify", "r4:1"], "error: Missing option '--key'."),
        (["smoke", "r4:1", "--port", "ten"], "error: Invalid value for '--port': "),
        (["build", "--help=x"], "error: Option '--help' does not take a value."),
    ],
)
def test_usage_errors_are_one_line_with_a_hint(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    out = lines(capsys.readouterr().err)
    assert len(out) == 2
    assert out[0].startswith(message)
    assert out[1].startswith("  hint: see ") and out[1].endswith(" --help")


def test_a_newline_in_a_path_stays_on_the_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(tmp_path / "a\nb")]) == 2
    assert lines(capsys.readouterr().err) == [f"error: build context {tmp_path}/a\\nb is not a directory"]


def test_a_path_too_long_is_bad_input_not_a_bug(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(tmp_path / ("\u00e9" * 30_000))]) == 2
    out = lines(capsys.readouterr().err)
    assert out[0].startswith("error: path too long: ") and len(out[0]) < SHOWN_CHARS + 20
    assert out[1].startswith("  hint: ")


def test_bytes_that_are_not_utf8_are_shown_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # argv byte 0xff arrives as the lone surrogate U+DCFF (PEP 383); printed as is it cannot be encoded.
    assert main(["build", str(tmp_path / "a\udcffb")]) == 2
    assert lines(capsys.readouterr().err) == [f"error: build context {tmp_path}/a\\udcffb is not a directory"]


@given(st.text())
def test_printable_is_one_printable_line_of_bounded_length(text: str) -> None:
    shown = printable(text)
    assert shown.isprintable() and "\n" not in shown
    assert len(shown) <= SHOWN_CHARS + 30
    assert printable(shown) == shown or len(shown) > SHOWN_CHARS - 100  # escaping is idempotent on its output
    if text.isprintable() and len(text) <= SHOWN_CHARS:
        assert shown == text
