"""Words of a Dockerfile line, as BuildKit splits them: builder flags, and shell words for heredocs.

Ports of ``extractBuilderFlags`` (``parser/split_command.go``) and of ``Lex.ProcessWords``
(``shell/lex.go``) with no variable set, which is how BuildKit's parser finds heredoc
operators and their names. See :mod:`buildorch.core.dockerfile_syntax`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from buildorch.core.dockerfile_syntax import Dialect

# Go's unicode.IsSpace: str.isspace() also counts \x1c-\x1f, which Go does not.
GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
_SIMPLE_WORD = re.compile(f"[^{re.escape(GO_SPACE)}'\"\\\\`]*")  # a flag word without quotes or escapes


def extract_flags(line: str, escape: str) -> tuple[str, list[str]]:
    """``extractBuilderFlags``: the leading ``--name=value`` words (quotes and escapes removed), and the rest."""
    words: list[str] = []
    pos, n = 0, len(line)
    while True:
        while pos < n and line[pos] in GO_SPACE:
            pos += 1
        if pos == n:
            return "", words
        if not line.startswith("--", pos):
            return line[pos:], words
        simple = _SIMPLE_WORD.match(line, pos)
        assert simple is not None
        if simple.end() == n or line[simple.end()] in " \t":
            text = simple.group()
            pos = simple.end()
            if text == "--":
                return line[pos:], words
            words.append(text)
            continue
        word: list[str] = []
        blank_ok = False
        quote = ""
        while pos < n:
            ch = line[pos]
            if quote:
                if ch == quote:
                    quote = ""
                    pos += 1
                    continue
                if ch == escape:
                    if pos + 1 == n:
                        pos += 1
                        quote = ""
                        continue
                    pos += 1
                    ch = line[pos]
                word.append(ch)
                pos += 1
                continue
            if ch in GO_SPACE:
                break
            if ch in "'\"":
                quote, blank_ok = ch, True
                pos += 1
                continue
            if ch == escape:
                if pos + 1 == n:
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            word.append(ch)
            pos += 1
        text = "".join(word)
        if pos < n and text == "--":
            return line[pos:], words
        if text != "--" and (blank_ok or text):
            words.append(text)
        if pos == n:
            return "", words


def shell_words(text: str, *, raw: bool, dialect: Dialect) -> list[str]:
    """``Lex.ProcessWords`` with no variables set and SkipUnsetEnv (``$X`` stays ``$X``).

    ``raw`` keeps quotes and escapes in the words (RawQuotes, RawEscapes), as
    heredocsFromLine does; without it they are removed, as for the heredoc's name.
    Raises ValueError on an unterminated quote or ``${``.
    """
    words: list[str] = []
    buf: list[str] = []
    in_word = False
    pos, n = 0, len(text)

    def add_char(ch: str) -> None:
        nonlocal in_word
        if ch in GO_SPACE:
            if in_word and buf:
                words.append("".join(buf))
                buf.clear()
                in_word = False
        else:
            buf.append(ch)
            in_word = True

    while pos < n:
        ch = text[pos]
        if ch == "$":
            value, pos = _dollar(text, pos)
            for c in value:
                add_char(c)
        elif ch == "<" and dialect.space_after_heredoc and text.startswith("<<", pos):
            pos += 2
            spaces = pos
            while pos < n and text[pos] in "\t\r ":
                pos += 1
            buf.append("<<" + text[spaces:pos])
            in_word = True
        elif ch == "'":
            close = text.find("'", pos + 1)
            if close < 0:
                raise ValueError("unexpected end of statement while looking for matching single-quote")
            buf.append(text[pos : close + 1] if raw else text[pos + 1 : close])
            in_word = True
            pos = close + 1
        elif ch == '"':
            value, pos = _double_quoted(text, pos, raw)
            buf.append(value)
            in_word = True
        else:
            pos += 1
            if ch == "\\":
                if raw:
                    buf.append(ch)
                    in_word = True
                if pos == n:
                    break
                buf.append(text[pos])
                in_word = True
                pos += 1
            else:
                add_char(ch)
    if buf:
        words.append("".join(buf))
    return words


def _double_quoted(text: str, pos: int, raw: bool) -> tuple[str, int]:
    out = ['"'] if raw else []
    pos += 1
    n = len(text)
    while True:
        if pos >= n:
            raise ValueError("unexpected end of statement while looking for matching double-quote")
        ch = text[pos]
        if ch == '"':
            if raw:
                out.append(ch)
            return "".join(out), pos + 1
        if ch == "$":
            value, pos = _dollar(text, pos)
            out.append(value)
            continue
        pos += 1
        if ch == "\\":
            if pos >= n:
                continue
            if text[pos] in '"$\\':
                if raw:
                    out.append(ch)
                ch = text[pos]
                pos += 1
        out.append(ch)


def _dollar(text: str, pos: int) -> tuple[str, int]:
    """``$NAME`` or ``${...}``, kept as written (no variable is set); the position after it."""
    n = len(text)
    pos += 1
    if pos < n and text[pos] == "{":
        if pos + 1 >= n:
            raise ValueError("syntax error: missing '}'")
        if text[pos + 1] in "{}:":
            raise ValueError("syntax error: bad substitution")
        depth, end = 1, pos + 1
        while end < n and depth:
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        if depth:
            raise ValueError("syntax error: missing '}'")
        return text[pos - 1 : end], end
    start = pos
    if pos < n and text[pos].isdigit():
        while pos < n and text[pos].isdigit():
            pos += 1
    elif pos < n and text[pos] in "@*#?-$!0":
        pos += 1
    else:
        while pos < n and (text[pos].isalnum() or text[pos] == "_"):
            pos += 1
    return text[start - 1 : pos], pos
