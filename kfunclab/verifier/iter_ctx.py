"""Iterator programs, ``SEC("iter/<target>")``: their context and their own helpers.

An iterator program is ``BPF_PROG_TYPE_TRACING`` with ``BPF_TRACE_ITER``; libbpf attaches it to
the kernel function ``bpf_iter_<target>`` (``DEFINE_BPF_ITER_FUNC``), whose parameters are the
fields of the program's ``struct bpf_iter__<target> *ctx``, one u64 slot each. The kernel reads
the context with ``btf_ctx_access()`` (kernel/bpf/btf.c), as for fentry, with two differences:

- ``bpf_iter_prog_supported()`` (kernel/bpf/bpf_iter.c) gives the program its target's
  ``ctx_arg_info``: the arguments that may be NULL (``PTR_TO_BTF_ID_OR_NULL``, with
  ``PTR_TRUSTED`` for some targets) and the key/value buffers of map iterators (``PTR_TO_BUF |
  PTR_MAYBE_NULL``, read-only for keys). :data:`CTX_ARG_INFO` is that table, per target, from
  the 6.18 source (each target's ``struct bpf_iter_reg``).
- Every other pointer argument (``meta``, and ``map`` of the map-element iterators) is
  ``PTR_TO_BTF_ID | PTR_TRUSTED`` (``prog_args_trusted()``), never NULL.

Helpers: ``bpf_seq_printf``, ``bpf_seq_write`` and ``bpf_seq_printf_btf`` exist only for
iterators (``tracing_prog_func_proto()``: ``expected_attach_type == BPF_TRACE_ITER ? &proto :
NULL``); the tcp and unix targets add ``bpf_setsockopt``/``bpf_getsockopt``
(``bpf_iter_get_func_proto()``), which kfunclab does not model. The program returns 0 or 1
(``check_return_code()``: the default ``retval_range(0, 1)``).

>>> CTX_ARG_INFO["task"]["task"] == (RegType.PTR_TO_BTF_ID, TypeFlag.MAYBE_NULL | TypeFlag.TRUSTED)
True
"""

from __future__ import annotations

from kfunclab.btf.tracing import func_params
from kfunclab.ctype import Kind
from kfunclab.errors import BtfError
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.regs import UNKNOWN_SCALAR, Reg, RegType, TypeFlag, reg_type_str
from kfunclab.verifier.trust import kernel_struct_reg

#: BPF_ITER_FUNC_PREFIX (include/linux/bpf.h)
ITER_FUNC_PREFIX = "bpf_iter_"

_N = TypeFlag.MAYBE_NULL
_T = TypeFlag.TRUSTED
_BTF = RegType.PTR_TO_BTF_ID
_BUF = RegType.PTR_TO_BUF

#: target -> {parameter of bpf_iter_<target>: (base type, flags)}: each target's
#: ``bpf_iter_reg.ctx_arg_info`` in Linux 6.18 (the offsets there are the parameters' slots)
CTX_ARG_INFO: dict[str, dict[str, tuple[RegType, int]]] = {
    "task": {"task": (_BTF, _N | _T)},                                  # kernel/bpf/task_iter.c
    "task_file": {"task": (_BTF, _N), "file": (_BTF, _N)},
    "task_vma": {"task": (_BTF, _N), "vma": (_BTF, _N)},
    "bpf_map": {"map": (_BTF, _N | _T)},                                # kernel/bpf/map_iter.c
    "bpf_map_elem": {"key": (_BUF, _N | TypeFlag.RDONLY), "value": (_BUF, _N)},
    "bpf_prog": {"prog": (_BTF, _N)},                                   # kernel/bpf/prog_iter.c
    "bpf_link": {"link": (_BTF, _N)},                                   # kernel/bpf/link_iter.c
    "cgroup": {"cgroup": (_BTF, _N | _T)},                              # kernel/bpf/cgroup_iter.c
    "kmem_cache": {"s": (_BTF, _N | _T)},                               # kmem_cache_iter.c
    "dmabuf": {"dmabuf": (_BTF, _N)},                                   # kernel/bpf/dmabuf_iter.c
    "ksym": {"ksym": (_BTF, _N)},                                       # kernel/kallsyms.c
    "tcp": {"sk_common": (_BTF, _N | _T)},                              # net/ipv4/tcp_ipv4.c
    "udp": {"udp_sk": (_BTF, _N | _T)},                                 # net/ipv4/udp.c
    "unix": {"unix_sk": (_BTF, _N)},                                    # net/unix/af_unix.c
    "netlink": {"sk": (_BTF, _N)},                                      # net/netlink/af_netlink.c
    "ipv6_route": {"rt": (_BTF, _N)},                                   # net/ipv6/route.c
    "sockmap": {"key": (_BUF, _N | TypeFlag.RDONLY), "sk": (_BTF, _N)},  # net/core/sock_map.c
    "bpf_sk_storage_map": {"sk": (_BTF, _N), "value": (_BUF, _N)},      # bpf_sk_storage.c
}

#: helpers ``tracing_prog_func_proto()`` gives only to BPF_TRACE_ITER programs
ITER_ONLY_HELPERS = frozenset({"bpf_seq_printf", "bpf_seq_write", "bpf_seq_printf_btf"})
#: targets whose ``get_func_proto`` adds helpers (bpf_iter_tcp/unix_get_func_proto())
_TARGET_HELPERS = {"tcp": frozenset({"bpf_setsockopt", "bpf_getsockopt"}),
                   "unix": frozenset({"bpf_setsockopt", "bpf_getsockopt"})}


def iter_target(env: Env) -> str:
    """The ``<target>`` of ``SEC("iter/<target>")`` (``iter/task`` -> ``task``)."""
    return env.prog_type.attach_target or ""


def _params(env: Env) -> tuple:
    target = iter_target(env)
    if target not in CTX_ARG_INFO:
        # bpf_iter_prog_supported(): no registered target of that name. Module targets
        # (bpf_testmod ...) and targets newer than 6.18 would be; kfunclab cannot tell.
        raise Unsupported(f"iterator target {target!r} is not one kfunclab knows (the "
                          "bpf_iter_reg targets of Linux 6.18: "
                          f"{', '.join(sorted(CTX_ARG_INFO))})")
    if env.btf is None:
        raise Unsupported("an iterator program's context needs the kernel BTF "
                          f"(FUNC {ITER_FUNC_PREFIX}{target})")
    try:
        return func_params(env.btf, ITER_FUNC_PREFIX + target)
    except BtfError as exc:
        raise Reject(f"kfunclab: {exc}", errno=22) from exc


def iter_ctx_access(env: Env, off: int, size: int, write: bool) -> Reg:
    """``btf_ctx_access()`` for an iterator program: the register a read of ``size`` bytes at
    ``ctx + off`` gives, or the kernel's refusal (``invalid bpf_context access``)."""
    params = _params(env)
    tname = ITER_FUNC_PREFIX + iter_target(env)
    if write or off < 0:
        raise Reject(msg.INVALID_CTX_ACCESS.format(off=off, size=size))
    if off % 8:
        raise Reject(msg.INVALID_CTX_ACCESS.format(off=off, size=size),
                     (f"func '{tname}' offset {off} is not multiple of 8",))
    index = off // 8
    if index >= len(params):
        raise Reject(msg.INVALID_CTX_ACCESS.format(off=off, size=size),
                     (f"func '{tname}' doesn't have {index + 1}-th argument",))
    param = params[index]
    ctype = param.ctype
    if ctype.kind is not Kind.PTR:
        # small ints, enums and structs read as scalars (a u32 uid, the fd of task_file)
        return UNKNOWN_SCALAR
    if size != 8:
        raise Reject(msg.INVALID_CTX_ACCESS.format(off=off, size=size),
                     (f"func '{tname}' size {size} must be 8",))
    info = CTX_ARG_INFO[iter_target(env)].get(param.name)
    if info is not None and info[0] is _BUF:  # the loop for PTR_TO_BUF | PTR_MAYBE_NULL
        return Reg(_BUF, flags=int(info[1]), id=env.new_id())
    target = ctype.target
    if target is None or target.kind is not Kind.STRUCT:
        # is_void_or_int_ptr(): a scalar from the verifier's point of view
        return UNKNOWN_SCALAR
    if info is not None:  # ctx_arg_info: the kernel returns before its log line
        reg = kernel_struct_reg(env, target.name, info[1])
        return reg.evolve(id=env.new_id()) if info[1] & TypeFlag.MAYBE_NULL else reg
    log = getattr(env, "log", None)
    if log is not None and env.btf is not None:
        ids = env.btf.find(target.name, "STRUCT")
        log.line(f"func '{tname}' arg{index} has btf_id {ids[0] if ids else 0} type STRUCT "
                 f"'{target.name}'")
    return kernel_struct_reg(env, target.name, TypeFlag.TRUSTED)


def iter_helper_refusal(env: Env, helper: str) -> bool | None:
    """Whether ``tracing_prog_func_proto()`` refuses ``helper`` to this tracing program for
    being (or not being) an iterator: True refuses, False allows it, None leaves it to the
    helper tables."""
    is_iter = env.prog_type.expected_attach_type is not None and \
        env.prog_type.expected_attach_type.name == "TRACE_ITER"
    if helper in ITER_ONLY_HELPERS:
        return not is_iter
    if is_iter and helper in _TARGET_HELPERS.get(iter_target(env), ()):
        raise Unsupported(f"{helper} in an iter/{iter_target(env)} program "
                          "(bpf_iter_get_func_proto()'s prototype) is not modelled by kfunclab")
    return None


def check_buffer_access(regs: list[Reg], reg: Reg, regno: int, off: int, size: int,
                        kind: str, value_regno: int) -> None:
    """``check_mem_access()`` through a ``PTR_TO_BUF`` (an iterator's key or value buffer):
    no write to a read-only buffer, no negative or variable offset (``check_buffer_access()``).
    The buffer's size is checked when the iterator is attached (``max_rdonly_access`` /
    ``max_rdwr_access`` against the map's key and value sizes), not at load: any constant
    offset loads."""
    rdonly = bool(reg.flags & TypeFlag.RDONLY)
    if rdonly and kind == "write":
        raise Reject(msg.WRITE_INTO_RDONLY.format(regno=regno,
                                                  type=reg_type_str(reg.type, reg.flags)))
    if off < 0:
        raise Reject(msg.INVALID_BUFFER_ACCESS.format(
            regno=regno, info="rdonly" if rdonly else "rdwr", off=off, size=size))
    if not reg.var.is_const or reg.var.const_value:
        value, mask = reg.var.var_off
        raise Reject(msg.INVALID_VARIABLE_BUFFER_OFFSET.format(
            regno=regno, off=off, var_off=f"({value:#x}; {mask:#x})"))
    if value_regno >= 0 and (rdonly or kind == "read"):
        regs[value_regno] = UNKNOWN_SCALAR
