"""Kernel addresses in a verifier log, written the way kfunclab writes them.

A map load prints the map's kernel address (``r1 = 0xffff88812e63d600``), which changes with
every load; kfunclab prints ``0x0``. To compare a kernel's log with kfunclab's text,
:func:`mask_kernel_addresses` writes the kernel's addresses as ``0x0`` and moves the state
that ``print_insn_state()`` appended to such a line to the column the shorter text gives
(``vlog_alignment()`` of kernel/bpf/log.c).

>>> mask_kernel_addresses("4: (18) r1 = 0xffff88812e63d600       ; R1=map_ptr(map=m,ks=4,vs=16)")
'4: (18) r1 = 0x0                      ; R1=map_ptr(map=m,ks=4,vs=16)'
"""

from __future__ import annotations

import re

# a kernel pointer as %llx prints it (x86-64: the direct map, vmalloc, the kernel image)
_KERNEL_ADDR = re.compile(r"0xffff[0-9a-f]{12}\b")
# an ld_imm64 line with the state appended at the aligned column
_ANNOTATED = re.compile(r"^(\d+: \(18\) r\d+ = 0xffff[0-9a-f]{12}) +;", re.M)


def vlog_alignment(pos: int) -> int:
    """``vlog_alignment()``: spaces before the ``;`` after an instruction line of ``pos``
    bytes (its newline included): to a multiple of 8, at least column 40."""
    return -(-max(pos + 4, 40) // 8) * 8 - pos - 1


def _realign(found: re.Match) -> str:
    text = _KERNEL_ADDR.sub("0x0", found.group(1))
    return text + " " * vlog_alignment(len(text) + 1) + ";"


def mask_kernel_addresses(log: str) -> str:
    """``log`` with every kernel address written ``0x0``, states realigned."""
    return _KERNEL_ADDR.sub("0x0", _ANNOTATED.sub(_realign, log))
