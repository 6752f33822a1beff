"""Register numbers past r10: ``check_reg_arg()``'s first test.

An instruction's register fields hold 4 bits, so a raw program can name r11 to r15. The kernel
decodes them like any other and refuses the instruction when ``check_reg_arg()`` meets the
number (``R15 is invalid``, EINVAL); the source register is checked before the destination.

>>> from kfunclab.isa.insn import Alu, AluOp
>>> check_reg_numbers(Alu(AluOp.MOV, 0, 1, wide=True))
"""

from __future__ import annotations

from kfunclab.isa.insn import MAX_REGISTER
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Reject

_EINVAL = 22


def check_reg_numbers(insn: object) -> None:
    """Reject ``insn`` if its source, then its destination, names a register past r10."""
    for field in ("src", "dst"):
        regno = getattr(insn, field, None)
        if isinstance(regno, int) and regno > MAX_REGISTER:
            raise Reject(msg.REG_INVALID.format(regno=regno), errno=_EINVAL)
