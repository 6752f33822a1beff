"""The one family of errors kfunclab raises for bad input.

Every error a user can cause says *where* (file:line:col, or a declaration's name) and *what was
expected*. ``verify()`` never raises for a program the kernel would reject: that is a verdict, not
an error. These exceptions are for input that is not a program at all.
"""

from __future__ import annotations

import re

#: A name (an identifier, or a quoted word) longer than CLIP_OVER characters is shortened in
#: messages: a 200,000-character section or set name is echoed as its first CLIP_KEEP
#: characters and "...".
CLIP_OVER = 80
CLIP_KEEP = 60
_LONG_QUOTED_RE = re.compile(rf"'([^'\s]{{{CLIP_OVER + 1},}})'|\"([^\"\s]{{{CLIP_OVER + 1},}})\"")
_LONG_NAME_RE = re.compile(rf"[A-Za-z0-9_$]{{{CLIP_OVER + 1},}}")


def clip(message: str) -> str:
    """``message`` with every name or quoted word over 80 characters cut to its first 60 and
    ``...``.

    >>> clip("unknown section '" + "x" * 100 + "'")
    "unknown section 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"
    >>> clip("set " + "s" * 100 + " is open")
    'set ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss... is open'
    """
    def cut_quoted(m: re.Match[str]) -> str:
        quote = m.group()[0]
        return f"{quote}{m.group()[1:CLIP_KEEP + 1]}...{quote}"

    message = _LONG_QUOTED_RE.sub(cut_quoted, message)
    return _LONG_NAME_RE.sub(lambda m: m.group()[:CLIP_KEEP] + "...", message)


class KfunclabError(Exception):
    """Base class of every error kfunclab raises on purpose (its text with long words clipped)."""

    def __init__(self, *args: object) -> None:
        if args and isinstance(args[0], str):
            args = (clip(args[0]), *args[1:])
        super().__init__(*args)


class ParseError(KfunclabError):
    """Malformed assembly or header directive.

    >>> str(ParseError("prog.s", 3, 5, "expected a register, found 'x1'"))
    "prog.s:3:5: error: expected a register, found 'x1'"
    """

    def __init__(self, file: str, line: int, col: int, message: str) -> None:
        self.file = file
        self.line = line
        self.col = col
        self.message = clip(message)
        super().__init__(f"{file}:{line}:{col}: error: {message}")


class ProgramError(KfunclabError):
    """A program that cannot be handed to the verifier (e.g. too large, no instructions)."""


class DeclarationError(KfunclabError):
    """A kfunc declaration or ID set the kernel would refuse.

    >>> str(DeclarationError("bpf_memzero", "void * argument 'mem' needs a __sz size argument"))
    "bpf_memzero: void * argument 'mem' needs a __sz size argument"
    """

    def __init__(self, declaration: str, message: str) -> None:
        self.declaration = clip(declaration)
        self.message = clip(message)
        super().__init__(f"{declaration}: {message}")


class SectionError(KfunclabError):
    """An unknown libbpf SEC() name."""


class BtfError(KfunclabError):
    """Truncated or malformed BTF, or a type/name that is not in it."""


class CatalogError(KfunclabError):
    """An unknown kfunc catalogue, kernel profile or kfunc name."""
