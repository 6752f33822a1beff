"""Writes through a PTR_TO_BTF_ID: the program type's ``btf_struct_access`` hook.

``check_ptr_to_btf_access()`` in kernel/bpf/verifier.c hands a store through a kernel-struct
pointer to ``env->ops->btf_struct_access``. Only tc (``tc_cls_act_btf_struct_access()``) and
XDP (``xdp_btf_struct_access()``) have one among the types kfunclab models, and both defer to
netfilter's ``_nf_conntrack_btf_struct_access()`` (net/netfilter/nf_conntrack_bpf.c): a
``struct nf_conn`` (or ``nf_conn___init``) may be written at ``mark`` only, within the member.
Every other program type and every other struct: ``only read is supported``.

>>> from kfunclab.verifier.messages import NF_CONN_NO_WRITE
>>> NF_CONN_NO_WRITE.format(off=128)
'no write support to nf_conn at off 128'
"""

from __future__ import annotations

from kfunclab.progtypes import ProgType
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.regs import Reg

#: program types whose verifier ops have a btf_struct_access hook (net/core/filter.c)
_HOOKED = (ProgType.SCHED_CLS, ProgType.SCHED_ACT, ProgType.XDP)
_NF_CONN_TYPES = ("nf_conn", "nf_conn___init")


def check_btf_write(env: Env, reg: Reg, off: int, size: int) -> None:
    """Reject a ``size``-byte store at ``off`` of the struct ``reg`` points to, unless the
    program type's hook allows it (only ``nf_conn.mark`` from tc and XDP).

    >>> check_btf_write.__name__
    'check_btf_write'
    """
    if env.prog_type.prog_type not in _HOOKED or reg.btf_name not in _NF_CONN_TYPES:
        raise Reject(msg.BTF_WRITE_ONLY_ALLOWED)
    btf = env.btf
    ids = btf.find("nf_conn", "STRUCT") if btf is not None else ()
    if not ids:
        raise Unsupported("a write to struct nf_conn without its BTF")
    mark = next((m for m in btf.struct_members(ids[0]) if m.name == "mark"), None)
    if mark is None or off != mark.bit_offset // 8:  # CONFIG_NF_CONNTRACK_MARK off: no case
        raise Reject(msg.NF_CONN_NO_WRITE.format(off=off))
    end = mark.bit_offset // 8 + btf.sizeof(mark.type)
    if off + size > end:
        raise Reject(msg.NF_CONN_WRITE_PAST_MEMBER.format(off=off, size=size, end=end))
