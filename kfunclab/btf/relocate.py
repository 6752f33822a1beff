"""Program immediates that name kernel types, resolved against the BTF in use.

``bpf_core_type_id_kernel(struct cgroup)`` in a program file (libbpf's CO-RE macro) becomes
the type's id in *this* BTF: ids differ between kernel builds, names do not.

>>> from kfunclab.btf.testing import tiny_btf
>>> from kfunclab.isa.parser import parse_program
>>> p = parse_program('# SEC("socket")\\n r2 = bpf_core_type_id_kernel(struct task_struct)\\n'
...                   ' r0 = 0\\n exit')
>>> link_type_ids(p, tiny_btf()).insns[0].imm == tiny_btf().find("task_struct", "STRUCT")[0]
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kfunclab.btf.types import BtfKind
from kfunclab.errors import ParseError
from kfunclab.isa.program import Program, resolve_type_ids

if TYPE_CHECKING:
    from kfunclab.btf.model import Btf

_TYPE_KINDS = {"struct": BtfKind.STRUCT, "union": BtfKind.UNION, "enum": BtfKind.ENUM,
               "typedef": BtfKind.TYPEDEF}


def link_type_ids(program: Program, btf: Btf | None) -> Program:
    """Resolve ``bpf_core_type_id_kernel(...)`` immediates against ``btf``, as libbpf does.

    A program that writes type ids by name needs a BTF: without one it is an input error.
    """
    if not program.type_ids or program.type_ids_resolved:
        return program
    if btf is None:
        ref = program.type_ids[0]
        file = program.source.file if program.source else program.name
        raise ParseError(file, ref.line, ref.col, f"{ref.text} needs the kernel's BTF (no BTF "
                         "is in use: pass btf='live', 'bundled' or a path)")

    def find(kind: str | None, name: str) -> int | None:
        if kind is None:
            ids = [i for i in btf.find(name)
                   if btf.kind(i) not in (BtfKind.FWD, BtfKind.FUNC)]
        elif kind == "enum":  # enum64 is an enum to libbpf's matcher too
            ids = [*btf.find(name, BtfKind.ENUM), *btf.find(name, BtfKind.ENUM64)]
        else:
            ids = list(btf.find(name, _TYPE_KINDS[kind]))
        return min(ids) if ids else None

    return resolve_type_ids(program, find, "the BTF in use")
