"""A tiny hand-made kernel BTF for docstrings and tests that must not need the real kernel.

>>> btf = tiny_btf()
>>> btf.kfunc("bpf_task_acquire").params[0].name
'p'
"""

from __future__ import annotations

from kfunclab.btf.builder import BtfBuilder
from kfunclab.btf.model import Btf


def tiny_btf_bytes() -> bytes:
    """The blob behind :func:`tiny_btf` (ids as listed in the comments)."""
    b = BtfBuilder()
    int_ = b.add_int("int", 4, signed=True)                                  # 1
    uint = b.add_int("unsigned int", 4)                                      # 2
    task = 3
    b.add_struct("task_struct", 24, [("pid", int_, 0), ("flags", uint, 32),  # 3
                                     ("real_parent", task + 1, 64),
                                     ("last_wakee", task + 1, 128)])
    task_ptr = b.add_ptr(task)                                               # 4
    acquire_proto = b.add_func_proto(task_ptr, [("p", task_ptr)])            # 5
    b.add_decl_tag("bpf_kfunc", 7)                                           # 6
    b.add_func("bpf_task_acquire", acquire_proto)                            # 7
    u32_ = b.add_typedef("__u32", uint)                                      # 8
    u32 = b.add_typedef("u32", u32_)                                         # 9
    const_void = b.add_const(0)                                              # 10
    const_void_ptr = b.add_ptr(const_void)                                   # 11
    void_ptr = b.add_ptr(0)                                                  # 12
    cast_proto = b.add_func_proto(void_ptr, [("obj__ign", const_void_ptr),   # 13
                                             ("btf_id__k", u32)])
    cast = b.add_func("bpf_rdonly_cast", cast_proto)                         # 14
    b.add_decl_tag("bpf_kfunc", cast)                                        # 15
    b.add_decl_tag("bpf_fastcall", cast)                                     # 16
    b.add_enum("bpf_func_id", [("BPF_FUNC_unspec", 0),                       # 17
                               ("BPF_FUNC_map_lookup_elem", 1),
                               ("BPF_FUNC_get_prandom_u32", 7)])
    return b.build()


def tiny_btf() -> Btf:
    """A :class:`~kfunclab.btf.model.Btf` with task_struct, two kfuncs and bpf_func_id."""
    return Btf.from_bytes(tiny_btf_bytes(), "tiny test BTF")
