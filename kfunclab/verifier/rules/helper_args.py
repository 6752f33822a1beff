"""Argument and return checks every helper shares: caller-saved registers, memory arguments
(``ARG_PTR_TO_MEM``), constant sizes (``ARG_CONST_SIZE``) and integer returns.

:mod:`kfunclab.verifier.calls` (helpers it checks by hand) and
:mod:`kfunclab.verifier.helper_protos` (helpers described as data) both use them.
"""

from __future__ import annotations

from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Env, Reject
from kfunclab.verifier.regs import NOT_INIT, UNKNOWN_SCALAR, RegType, TypeFlag, reg_type_str
from kfunclab.verifier.rules.memory import check_helper_mem_access
from kfunclab.verifier.state import VState


def clobber_caller_saved(state: VState) -> None:
    regs = state.regs
    for r in range(6):
        regs[r] = NOT_INIT


def mem_arg(env: Env, state: VState, regno: int, size: int, kind: str = "read",
             raw_mode: bool = False) -> None:
    reg = state.regs[regno]
    if reg.type is RegType.NOT_INIT:
        raise Reject(msg.REG_NOT_READ_OK.format(regno=regno))
    allowed = (RegType.PTR_TO_STACK, RegType.PTR_TO_MAP_VALUE, RegType.PTR_TO_MEM,
               RegType.PTR_TO_PACKET, RegType.PTR_TO_PACKET_META, RegType.PTR_TO_MAP_KEY,
               RegType.PTR_TO_BUF)
    if reg.type not in allowed or reg.flags & TypeFlag.MAYBE_NULL:
        raise Reject(msg.ARG_TYPE_MISMATCH.format(
            regno=regno, type=reg_type_str(reg.type, reg.flags),
            expected="fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_"))
    check_helper_mem_access(env, state, regno, size, kind, zero_size_ok=False,
                            raw_mode=raw_mode)


def int_return(state: VState) -> None:
    clobber_caller_saved(state)
    state.regs[0] = UNKNOWN_SCALAR


#: helpers whose int result do_refine_retval_range() bounds by the buffer size they were given
SIZED_RETURN = frozenset({"get_stack", "get_task_stack", "probe_read_str",
                          "probe_read_kernel_str", "probe_read_user_str"})
MAX_ERRNO = 4095


def sized_return(state: VState, msize_max: int) -> None:
    """``do_refine_retval_range()``: R0 of a stack/string helper lies in [-MAX_ERRNO, the
    largest size passed] (64 and 32 bits), bounds synced."""
    from kfunclab.verifier.regs import Reg
    from kfunclab.verifier.scalar import Scalar, sync
    from kfunclab.verifier.tnum import U32, U64

    var = sync(Scalar((0, U64), -MAX_ERRNO, msize_max, 0, U64, -MAX_ERRNO, msize_max, 0, U32))
    state.regs[0] = Reg(RegType.SCALAR, var=var)


def const_size(state: VState, regno: int, zero_ok: bool) -> int:
    """ARG_CONST_SIZE(_OR_ZERO): a bounded scalar; its largest value is what is accessed."""
    reg = state.regs[regno]
    if reg.type is RegType.NOT_INIT:
        raise Reject(msg.REG_NOT_READ_OK.format(regno=regno))
    if reg.type is not RegType.SCALAR:
        raise Reject(msg.ARG_TYPE_MISMATCH.format(regno=regno, type=reg_type_str(reg.type,
                                                                                   reg.flags),
                                                  expected="scalar"))
    if reg.var.smin < 0:
        raise Reject(msg.NEGATIVE_MEM_SIZE.format(regno=regno))
    if reg.var.umin == 0 and not zero_ok:
        raise Reject(msg.ZERO_SIZE_NOT_ALLOWED.format(regno=regno, umin=reg.var.umin,
                                                      umax=reg.var.umax))
    if reg.var.umax >= 1 << 29:
        raise Reject(msg.UNBOUNDED_MEM_ACCESS.format(regno=regno))
    return reg.var.umax
