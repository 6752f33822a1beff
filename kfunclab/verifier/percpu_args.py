"""``ARG_PTR_TO_PERCPU_BTF_ID`` (bpf_this_cpu_ptr, bpf_per_cpu_ptr): the register's type.

``check_reg_type()`` takes only a per-cpu kernel pointer (``percpu_btf_ptr_types``: plain,
RCU or trusted); anything else is refused with the kernel's ``R1 type=scalar
expected=percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_``. What a per-cpu pointer then
returns (``RET_PTR_TO_MEM_OR_BTF_ID``) is not modelled: the caller answers unsupported.

>>> from kfunclab.verifier.state import VState, initial_frame
>>> from kfunclab.verifier.regs import Reg, RegType
>>> s = VState([initial_frame(Reg(RegType.PTR_TO_CTX))])
>>> try:
...     check_percpu_arg(s, 1)
... except Exception as e:
...     print(e)
R1 type=ctx expected=percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_
"""

from __future__ import annotations

from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Reject
from kfunclab.verifier.regs import RegType, TypeFlag, reg_type_str
from kfunclab.verifier.state import VState

_PERCPU = (int(TypeFlag.PERCPU), int(TypeFlag.PERCPU | TypeFlag.RCU),
           int(TypeFlag.PERCPU | TypeFlag.TRUSTED))


def check_percpu_arg(state: VState, regno: int) -> None:
    """Refuse R``regno`` unless it is a per-cpu kernel pointer (plain, RCU or trusted)."""
    reg = state.regs[regno]
    if reg.type is RegType.NOT_INIT:
        raise Reject(msg.REG_NOT_READ_OK.format(regno=regno))
    if reg.type is RegType.PTR_TO_BTF_ID and int(reg.flags) in _PERCPU:
        return
    expected = ", ".join(reg_type_str(RegType.PTR_TO_BTF_ID, f) for f in _PERCPU)
    raise Reject(msg.ARG_TYPE_MISMATCH.format(regno=regno, type=reg_type_str(reg.type, reg.flags),
                                              expected=expected))
