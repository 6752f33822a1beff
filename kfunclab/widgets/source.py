"""Program text from a notebook: a cell body whose section may come from elsewhere.

``%%bpf tp_btf/task_newtask`` names the section on the magic line and the body is plain
assembly (``# MAP:``/``# TYPE:``/``# CAPS:``/``# LICENSE`` lines in it still work). The body
is parsed with a ``# SEC("...")`` line put in front, so line numbers in messages count the magic
line as line 1: they are the cell's own line numbers.

>>> prog = parse_cell(" r0 = 2\\n exit\\n", "xdp")
>>> prog.section, prog.source.line_of(0)
('xdp', 2)
"""

from __future__ import annotations

from dataclasses import replace

from kfunclab.errors import ParseError
from kfunclab.isa.parser import parse_program
from kfunclab.isa.program import Program, SourceMap


def cell_text(body: str, section: str | None) -> str:
    """The program file text for ``body``: a ``# SEC`` line (or an empty line) and the body,
    so that line N of the result is line N of a cell whose first line is the magic."""
    if section is None:
        return "\n" + body
    if any(c in section for c in '"\n\\') or not section.strip():
        raise ParseError("<cell>", 1, 1, f"expected a libbpf section name such as "
                                         f"tp_btf/task_newtask, found {section!r}")
    return f'# SEC("{section.strip()}")\n' + body


def parse_cell(body: str, section: str | None = None, file: str = "<cell>") -> Program:
    """Parse a cell body as a program file, its section from ``section`` when given.

    A body with its own ``# SEC("...")`` line needs no ``section``; one that names a different
    section than ``section`` is a ParseError at that line.
    """
    return parse_program(cell_text(body, section), file)


def parse_text(text: str, section: str | None = None, file: str = "<string>") -> Program:
    """Parse program text as it is; with ``section``, as if it began with that ``# SEC`` line,
    line numbers still counting ``text``'s own lines.

    >>> parse_text(" r0 = 2\\n exit\\n", "xdp").source.line_of(1)
    2
    """
    if section is None:
        return parse_program(text, file)
    try:
        program = parse_cell(text, section, file)
    except ParseError as exc:
        raise ParseError(exc.file, max(exc.line - 1, 1), exc.col, exc.message) from None
    src = program.source
    assert src is not None  # parse_program always records where slots came from
    return replace(program, source=SourceMap(src.file, text, tuple(n - 1 for n in src.lines)))
