"""Narrow fills of a spilled scalar: what the destination register keeps of the spill's id.

``check_stack_read_fixed_off()`` in kernel/bpf/verifier.c copies a spilled scalar into the
destination of a fill no wider than the spill. A privileged 4-byte fill of a 4-byte spill that
fits 32 bits first gives the slot an id (``assign_scalar_id_before_mov()``), so the register and
the slot stay linked; a fill narrower than the value's width breaks the link (id 0), and
``coerce_reg_to_size()`` then trims the bounds.

>>> from kfunclab.verifier.regs import Reg, RegType
>>> from kfunclab.verifier import scalar as sc
>>> narrow_fill_value(Reg(RegType.SCALAR, var=sc.UNKNOWN, id=3), 4).id
0
"""

from __future__ import annotations

from kfunclab.verifier.env import Env
from kfunclab.verifier.regs import Reg
from kfunclab.verifier.scalar import Scalar
from kfunclab.verifier.state import FuncState, StackSlot


def narrow_fill(env: Env, frame: FuncState, spi: int, size: int, spill_size: int) -> Reg:
    """The register a ``size``-byte fill of slot ``spi`` (a ``spill_size``-byte scalar spill)
    reads; the slot gets an id first where the fill links them."""
    slot = frame.stack[spi]
    spilled = linked_spill(env, slot.spilled, size, spill_size)
    frame.stack[spi] = StackSlot(slot.types, spilled)
    return narrow_fill_value(spilled, size)


def linked_spill(env: Env, spilled: Reg, size: int, spill_size: int) -> Reg:
    """The spill as the fill leaves it: with an id when a 4-byte fill links it to the register.

    >>> linked_spill.__name__
    'linked_spill'
    """
    if not (env.privileged and size == 4 and spill_size == 4 and spilled.var.umax < 1 << 32):
        return spilled
    if spilled.extra[:1] == ("add_const",):  # assign_scalar_id_before_mov(): r = r' + K
        spilled = spilled.evolve(id=0, off=0, extra=())
    if not spilled.id and not spilled.var.is_const:
        spilled = spilled.evolve(id=env.new_id())
    return spilled


def narrow_fill_value(spilled: Reg, size: int) -> Reg:
    """The destination register of a ``size``-byte fill of ``spilled``: the copy, unlinked when
    the value needs more bits than the fill reads (``get_reg_width(reg) > size * 8``)."""
    return spilled if value_fits(spilled.var, size) else spilled.evolve(id=0)


def value_fits(var: Scalar, size: int) -> bool:
    """``get_reg_width(reg) <= 8 * size``: the value needs no more bits than ``size`` bytes.

    >>> from kfunclab.verifier import scalar as sc
    >>> value_fits(sc.UNKNOWN, 4), value_fits(sc.UNKNOWN, 8)
    (False, True)
    """
    return size == 8 or var.umax < (1 << (8 * size))
