"""``save_aux_ptr_type()``: one load or store instruction, one kind of pointer.

The kernel rewrites some memory instructions after verification by the pointer type they
used (a context access becomes a load of the real kernel field, a BTF pointer a probing load),
so every path through an instruction must use it with the same type. The first path that gets
through records its pointer's type (``insn_aux_data[].ptr_type``); a later one with a different
type is refused when either type is one that gets rewritten. Loads of two kinds of BTF or
memory pointer (trusted on one path, untrusted on another) merge instead.
"""

from __future__ import annotations

from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Env, Reject
from kfunclab.verifier.regs import Reg, RegType, TypeFlag

#: reg_type_mismatch_ok() is false for these: their accesses are rewritten by type
_REWRITTEN = frozenset({RegType.PTR_TO_CTX, RegType.PTR_TO_SOCKET, RegType.PTR_TO_SOCK_COMMON,
                        RegType.PTR_TO_TCP_SOCK, RegType.PTR_TO_XDP_SOCK,
                        RegType.PTR_TO_BTF_ID})
_MEM_OR_BTF = (RegType.PTR_TO_MEM, RegType.PTR_TO_BTF_ID)


def save_aux_ptr_type(env: Env, idx: int, reg: Reg, allow_trust_mismatch: bool) -> None:
    """Record ``reg``'s type for instruction ``idx``, or refuse a conflicting one.

    ``allow_trust_mismatch``: a load (``check_load_mem()``), where memory and BTF pointers of
    different trust merge into an untrusted type rather than fail.
    """
    aux = env.aux.setdefault(idx, {})
    now = (reg.type, int(reg.flags))
    prev = aux.get("ptr_type")
    if prev is None:
        aux["ptr_type"] = now
        return
    if now == prev or (now[0] not in _REWRITTEN and prev[0] not in _REWRITTEN):
        return
    if allow_trust_mismatch and now[0] in _MEM_OR_BTF and prev[0] in _MEM_OR_BTF:
        base = (RegType.PTR_TO_MEM if RegType.PTR_TO_MEM in (now[0], prev[0])
                else RegType.PTR_TO_BTF_ID)
        keep = (now[1] | prev[1]) & int(TypeFlag.UNTRUSTED | TypeFlag.RDONLY)
        aux["ptr_type"] = (base, keep)
        return
    raise Reject(msg.SAME_INSN_DIFFERENT_POINTERS, errno=22)
