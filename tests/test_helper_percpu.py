"""Per-cpu pointers through bpf_this_cpu_ptr / bpf_per_cpu_ptr (``RET_PTR_TO_MEM_OR_BTF_ID``).

A per-cpu pointer comes from a ``__ksym`` per-cpu variable or a ``__percpu_kptr``. This
machine's kernel cannot load the first (kallsyms hides the addresses: "ldimm64 failed to find
the address for kernel symbol") and kfunclab does not yet load the second, so the return
types are checked here directly against check_helper_call() of 6.18: memory of the variable's
size for a non-struct, the same struct otherwise (MEM_RDONLY folded away), and this CPU's
object (MEM_ALLOC | MEM_RCU) for an RCU per-cpu object.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kfunclab.btf import load_btf
from kfunclab.verifier.env import Reject
from kfunclab.verifier.percpu_args import percpu_arg_meta, percpu_return
from kfunclab.verifier.regs import Reg, RegType, TypeFlag
from kfunclab.verifier.rules.helper_engine import COMPATIBLE_REG_TYPES

RDONLY_OR_NULL = int(TypeFlag.RDONLY | TypeFlag.MAYBE_NULL)  # bpf_per_cpu_ptr's ret flags


@pytest.fixture(scope="module")
def env() -> SimpleNamespace:
    return SimpleNamespace(btf=load_btf("bundled"))


def _percpu(env: SimpleNamespace, name: str, kind: str, flags: int = 0) -> Reg:
    btf_id = env.btf.find(name, kind)[0]
    return Reg(RegType.PTR_TO_BTF_ID, flags=int(TypeFlag.PERCPU) | flags, btf_id=btf_id,
               btf_name=name)


def test_a_non_struct_gives_memory_of_its_size(env: SimpleNamespace) -> None:
    r0 = percpu_return(env, _percpu(env, "int", "INT"), RDONLY_OR_NULL)  # type: ignore[arg-type]
    assert (r0.type, r0.mem_size, r0.flags) == (RegType.PTR_TO_MEM, 4, RDONLY_OR_NULL)


def test_a_struct_gives_the_struct_without_rdonly(env: SimpleNamespace) -> None:
    r0 = percpu_return(env, _percpu(env, "task_struct", "STRUCT"), RDONLY_OR_NULL)  # type: ignore[arg-type]
    assert r0.type is RegType.PTR_TO_BTF_ID and r0.btf_name == "task_struct"
    assert r0.flags == int(TypeFlag.MAYBE_NULL)


def test_an_rcu_percpu_object_gives_this_cpus_allocation(env: SimpleNamespace) -> None:
    arg = _percpu(env, "task_struct", "STRUCT", int(TypeFlag.RCU))
    r0 = percpu_return(env, arg, RDONLY_OR_NULL)  # type: ignore[arg-type]
    assert r0.flags == int(TypeFlag.ALLOC | TypeFlag.RCU) and not r0.maybe_null


def test_an_rcu_percpu_non_struct_is_refused(env: SimpleNamespace) -> None:
    with pytest.raises(Reject, match="Helper has invalid btf/btf_id in R1"):
        percpu_return(env, _percpu(env, "int", "INT", int(TypeFlag.RCU)), 0)  # type: ignore[arg-type]


def test_the_argument_needs_a_btf_id() -> None:
    with pytest.raises(Reject, match="Helper has invalid btf_id in R1"):
        percpu_arg_meta(Reg(RegType.PTR_TO_BTF_ID, flags=int(TypeFlag.PERCPU)), 1)


def test_percpu_btf_ptr_types() -> None:
    """compatible_reg_types[ARG_PTR_TO_PERCPU_BTF_ID] is percpu_btf_ptr_types."""
    flags = {f for _t, f in COMPATIBLE_REG_TYPES["ARG_PTR_TO_PERCPU_BTF_ID"]}
    assert flags == {int(TypeFlag.PERCPU), int(TypeFlag.PERCPU | TypeFlag.RCU),
                     int(TypeFlag.PERCPU | TypeFlag.TRUSTED)}
