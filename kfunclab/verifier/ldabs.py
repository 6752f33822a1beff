"""Legacy packet loads (``BPF_LD | BPF_ABS`` / ``BPF_IND``): ``check_ld_abs()``.

They read the skb in R6 through a kernel helper that may end the program, so the kernel
checks them like an exit (no held lock, reference or RCU section) and clobbers R0-R5.
"""

from __future__ import annotations

from kfunclab.isa.insn import LoadPacket
from kfunclab.progtypes import ProgType
from kfunclab.verifier import messages as msg
from kfunclab.verifier import scalar as sc
from kfunclab.verifier.env import Env, Reject
from kfunclab.verifier.regs import NOT_INIT, Reg, RegType
from kfunclab.verifier.state import RefKind, VState


def _read(state: VState, regno: int) -> Reg:
    reg = state.frames[-1].regs[regno]
    if reg.type is RegType.NOT_INIT:  # check_reg_arg(SRC_OP)
        raise Reject(msg.REG_NOT_READ_OK.format(regno=regno))
    return reg


def check_ld_abs(env: Env, state: VState, insn: LoadPacket) -> None:
    """Legacy ``LD_ABS``/``LD_IND``: R6 must hold the skb; R0 receives a scalar."""
    if env.prog_type.prog_type not in (ProgType.SOCKET_FILTER, ProgType.SCHED_CLS,
                                       ProgType.SCHED_ACT):  # may_access_skb()
        raise Reject(msg.LD_ABS_NOT_ALLOWED)
    prefix = "BPF_LD_[ABS|IND]"  # check_resource_leak()
    if state.active_locks:
        raise Reject(msg.LOCK_AT_EXIT.format(prefix=prefix))
    if any(r.kind is RefKind.PTR for r in state.refs):
        raise Reject(msg.LEAK_AT_EXIT.format(prefix=prefix))
    if state.active_rcu_lock:
        raise Reject(msg.RCU_AT_EXIT.format(prefix=prefix))
    if _read(state, 6).type is not RegType.PTR_TO_CTX:
        raise Reject(msg.LD_ABS_R6_NOT_CTX)
    if insn.src is not None:
        _read(state, insn.src)
    for r in range(6):
        state.regs[r] = NOT_INIT
    state.regs[0] = Reg(RegType.SCALAR, var=sc.load_result(int(insn.size)))
