"""``ARG_PTR_TO_PERCPU_BTF_ID`` (bpf_this_cpu_ptr, bpf_per_cpu_ptr): the register's type.

``check_reg_type()`` takes only a per-cpu kernel pointer (``percpu_btf_ptr_types``: plain,
RCU or trusted); anything else is refused with the kernel's ``R1 type=scalar
expected=percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_``. What a per-cpu pointer then
returns (``RET_PTR_TO_MEM_OR_BTF_ID``): :func:`percpu_return`.

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

from kfunclab.btf.types import BtfKind
from kfunclab.errors import BtfError
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.regs import Reg, RegType, TypeFlag, reg_type_str
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


def percpu_arg_meta(reg: Reg, regno: int) -> Reg:
    """``check_func_arg()`` for ARG_PTR_TO_PERCPU_BTF_ID, past the type check: the pointer
    must name a BTF type (``meta->ret_btf_id``); the register is what the return is typed by."""
    if not reg.btf_id:
        raise Reject(f"Helper has invalid btf_id in R{regno}", errno=13)
    return reg


def percpu_return(env: Env, arg: Reg, ret_flags: int) -> Reg:
    """R0 of ``RET_PTR_TO_MEM_OR_BTF_ID`` (bpf_this_cpu_ptr, bpf_per_cpu_ptr) for per-cpu
    pointer ``arg``: memory of the type's size for a non-struct (an ``int`` ksym), else a
    ``PTR_TO_BTF_ID`` of the same struct (MEM_RDONLY folded away); an RCU per-cpu object of
    ``bpf_percpu_obj_new()`` gives this CPU's object, ``MEM_ALLOC | MEM_RCU``, never NULL."""
    btf = env.btf
    is_struct = arg.local
    if not arg.local:
        if btf is None:
            raise Unsupported("a per-cpu pointer's type without the kernel BTF")
        tid = btf.skip_modifiers(arg.btf_id)
        is_struct = btf.kind(tid) in (BtfKind.STRUCT, BtfKind.UNION)
    if arg.flags & TypeFlag.RCU:  # check_helper_call(): returns_cpu_specific_alloc_ptr
        if not is_struct:
            raise Reject("Helper has invalid btf/btf_id in R1", errno=14)
        return Reg(RegType.PTR_TO_BTF_ID, flags=TypeFlag.ALLOC | TypeFlag.RCU,
                   btf_id=arg.btf_id, btf_name=arg.btf_name, local=arg.local)
    if not is_struct:
        try:
            size = btf.sizeof(tid)  # type: ignore[union-attr]
        except BtfError as e:
            raise Reject(f"unable to resolve the size of type '{btf.name(tid)}': -22",  # type: ignore[union-attr]
                         errno=22) from e
        return Reg(RegType.PTR_TO_MEM, flags=ret_flags, mem_size=size)
    return Reg(RegType.PTR_TO_BTF_ID, flags=ret_flags & ~TypeFlag.RDONLY, btf_id=arg.btf_id,
               btf_name=arg.btf_name, local=arg.local)
