"""``check_helper_call()`` driven by the data: any helper from its ``bpf_func_proto``.

The helpers without hand-written rules (:mod:`kfunclab.verifier.rules.helpers`) are checked
here from :mod:`kfunclab.verifier.helper_specs`, in the kernel's order: which prototype the
program type's ``get_func_proto()`` returns (the live probe first, else the source's tables),
``gpl_only``, ``might_sleep``, then ``check_func_arg()`` for R1..R5 (the register's type
against ``compatible_reg_types``, map keys and values sized by the map, memory sized by the
next argument, release arguments), the release, the return type (map values, sockets,
``PTR_TO_BTF_ID``), references acquired (``bpf_sk_lookup_tcp``) or carried over by pointer
casts (``bpf_sk_fullsock``), and ``check_map_func_compatibility()``.

Per-cpu pointers (``ARG_PTR_TO_PERCPU_BTF_ID`` and the ``RET_PTR_TO_MEM_OR_BTF_ID`` they give)
are in :mod:`kfunclab.verifier.percpu_args`. What another part of kfunclab models is refused
here as unsupported with the reason: callbacks (ARG_PTR_TO_FUNC, timers: ``callbacks.py``),
dynptrs, spin locks, kptrs and ring buffer records (hand-written, ``rules/``).

>>> from kfunclab.verifier import verify_text
>>> verify_text('''# SEC("tc")
...     r1 = r1
...     call bpf_get_hash_recalc
...     exit''').verdict.value
'accept'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kfunclab.isa.helpers import MAP_TYPES
from kfunclab.isa.insn import Call
from kfunclab.progtypes import AttachType, ProgType
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.helper_allowed import check_allowed, check_get_func_ip
from kfunclab.verifier.helper_specs import ArgSpec, HelperSpec, ProtoSpec, protos_for
from kfunclab.verifier.iter_ctx import iter_helper_refusal
from kfunclab.verifier.map_types import check_map_func_compatibility
from kfunclab.verifier.percpu_args import check_percpu_arg, percpu_arg_meta, percpu_return
from kfunclab.verifier.references import acquire_reference, release_reference
from kfunclab.verifier.regs import NOT_INIT, UNKNOWN_SCALAR, Reg, RegType, TypeFlag, reg_type_str
from kfunclab.verifier.rules.helper_args import clobber_caller_saved, const_size
from kfunclab.verifier.rules.memory import check_helper_mem_access
from kfunclab.verifier.scalar.value import sync_fields
from kfunclab.verifier.snprintf import check_snprintf_call
from kfunclab.verifier.state import VState
from kfunclab.verifier.struct_ops import struct_ops_proto
from kfunclab.verifier.trampoline import (
    check_sleepable_helper_state,
    trampoline_helper,
)
from kfunclab.verifier.trust import in_sleepable, kernel_struct_reg

R = RegType
_MEM_TYPES = ((R.PTR_TO_STACK, 0), (R.PTR_TO_PACKET, 0), (R.PTR_TO_PACKET_META, 0),
              (R.PTR_TO_MAP_KEY, 0), (R.PTR_TO_MAP_VALUE, 0), (R.PTR_TO_MEM, 0),
              (R.PTR_TO_MEM, TypeFlag.RINGBUF), (R.PTR_TO_BUF, 0),
              (R.PTR_TO_BTF_ID, TypeFlag.TRUSTED))
_SOCK_TYPES = ((R.PTR_TO_SOCK_COMMON, 0), (R.PTR_TO_SOCKET, 0), (R.PTR_TO_TCP_SOCK, 0),
               (R.PTR_TO_XDP_SOCK, 0))
_BTF_PTR_TYPES = ((R.PTR_TO_BTF_ID, 0), (R.PTR_TO_BTF_ID, TypeFlag.TRUSTED),
                  (R.PTR_TO_BTF_ID, TypeFlag.RCU))
#: compatible_reg_types[] of kernel/bpf/verifier.c: what each argument type accepts
COMPATIBLE_REG_TYPES: dict[str, tuple[tuple[RegType, int], ...]] = {
    "ARG_PTR_TO_MAP_KEY": _MEM_TYPES,
    "ARG_PTR_TO_MAP_VALUE": _MEM_TYPES,
    "ARG_PTR_TO_MEM": _MEM_TYPES,
    "ARG_CONST_SIZE": ((R.SCALAR, 0),),
    "ARG_CONST_SIZE_OR_ZERO": ((R.SCALAR, 0),),
    "ARG_CONST_ALLOC_SIZE_OR_ZERO": ((R.SCALAR, 0),),
    "ARG_SCALAR": ((R.SCALAR, 0),),
    "ARG_CONST_MAP_PTR": ((R.CONST_PTR_TO_MAP, 0),),
    "ARG_PTR_TO_CTX": ((R.PTR_TO_CTX, 0),),
    "ARG_PTR_TO_SOCK_COMMON": _SOCK_TYPES,
    "ARG_PTR_TO_BTF_ID_SOCK_COMMON": (*_SOCK_TYPES, (R.PTR_TO_BTF_ID, 0),
                                      (R.PTR_TO_BTF_ID, TypeFlag.TRUSTED)),
    "ARG_PTR_TO_SOCKET": ((R.PTR_TO_SOCKET, 0),),
    "ARG_PTR_TO_BTF_ID": _BTF_PTR_TYPES,
    "ARG_PTR_TO_STACK": ((R.PTR_TO_STACK, 0),),
    "ARG_PTR_TO_CONST_STR": ((R.PTR_TO_MAP_VALUE, 0),),
    "ARG_PTR_TO_PERCPU_BTF_ID": ((R.PTR_TO_BTF_ID, TypeFlag.PERCPU),
                                 (R.PTR_TO_BTF_ID, TypeFlag.PERCPU | TypeFlag.RCU),
                                 (R.PTR_TO_BTF_ID, TypeFlag.PERCPU | TypeFlag.TRUSTED)),
}
del R
#: argument types another part of kfunclab models, or none yet: (what, who)
_NOT_HERE = {
    "ARG_PTR_TO_FUNC": "a callback argument (ARG_PTR_TO_FUNC)",
    "ARG_PTR_TO_TIMER": "a bpf_timer argument",
    "ARG_PTR_TO_DYNPTR": "a dynptr argument",
    "ARG_PTR_TO_SPIN_LOCK": "a bpf_spin_lock argument",
    "ARG_KPTR_XCHG_DEST": "a kptr argument",
    "ARG_PTR_TO_RINGBUF_MEM": "a ring buffer record argument",
}
_KV_MAPS = frozenset({"array", "hash", "percpu_array", "percpu_hash", "lru_hash",
                      "lru_percpu_hash"})
_RET_REGS = {"RET_PTR_TO_SOCKET": RegType.PTR_TO_SOCKET,
             "RET_PTR_TO_SOCK_COMMON": RegType.PTR_TO_SOCK_COMMON,
             "RET_PTR_TO_TCP_SOCK": RegType.PTR_TO_TCP_SOCK}
_FLAG_BITS = {"PTR_MAYBE_NULL": TypeFlag.MAYBE_NULL, "MEM_RDONLY": TypeFlag.RDONLY,
              "PTR_TRUSTED": TypeFlag.TRUSTED, "MEM_RCU": TypeFlag.RCU,
              "MEM_ALLOC": TypeFlag.ALLOC, "PTR_UNTRUSTED": TypeFlag.UNTRUSTED}
#: do_refine_retval_range(): these return at most the size their buffer was given
_RET_AT_MOST_SIZE = frozenset({"bpf_get_stack", "bpf_get_task_stack", "bpf_probe_read_str",
                               "bpf_probe_read_kernel_str", "bpf_probe_read_user_str"})
_MAX_ERRNO = 4095
_U64, _U32 = (1 << 64) - 1, (1 << 32) - 1
@dataclass
class CallMeta:
    """``struct bpf_call_arg_meta``: what the arguments tell the return value."""

    map: object = None
    ref_obj_id: int = 0
    release_regno: int = 0
    msize_max: int = 0
    size_regs: set[int] = field(default_factory=set)
    mem_size: int = 0  # ARG_CONST_ALLOC_SIZE_OR_ZERO: what RET_PTR_TO_MEM points to
    percpu: Reg | None = None  # ARG_PTR_TO_PERCPU_BTF_ID: meta->ret_btf/ret_btf_id


#: kernel configurations that builds commonly leave out: where no kernel can be asked, a
#: prototype that exists only with one of them is not assumed present
OPTIONAL_CONFIGS = ("CONFIG_BPF_KPROBE_OVERRIDE", "CONFIG_IPV6_SEG6_BPF")
def _prog_type_key(env: Env) -> str:
    return env.prog_type.prog_type.name.lower()


def _cap_ok(env: Env, cap: object) -> bool:
    """``bpf_token_capable()``: CAP_SYS_ADMIN stands in for CAP_BPF and CAP_PERFMON."""
    if cap is None or env.has_cap("cap_sys_admin"):
        return True
    return cap in ("CAP_BPF", "CAP_PERFMON") and env.has_cap(str(cap).lower())


def _attach_ok(env: Env, cond: dict[str, object]) -> bool:
    """A case that ``prog->expected_attach_type`` decides (a nested switch, ``== BPF_X ?``)."""
    try:
        attach = AttachType(env.prog_type.expected_attach_type_value).name
    except ValueError:
        attach = str(env.prog_type.expected_attach_type_value)
    if attach not in cond.get("attach_only", (attach,)):  # type: ignore[operator]
        return False  # `if (prog->expected_attach_type != BPF_X) return NULL;` then more
    if "attach" in cond:
        return attach in cond["attach"]  # type: ignore[operator]
    return attach not in cond.get("attach_not", ())  # type: ignore[operator]


def _undecided(cond: dict[str, object], probed: bool) -> bool:
    """An ``if``/``?:`` the data cannot decide: the kernel's lockdown state (which the live
    probe answers), the attach target's BTF (which it cannot) ..."""
    if cond.get("lockdown"):
        return not probed
    return bool(cond.get("conditional")) and not cond.get("never_null") \
        and "attach" not in cond and "attach_not" not in cond


def choose_proto(env: Env, spec: HelperSpec, insn: Call, idx: int) -> ProtoSpec:
    """``get_helper_proto()``: the prototype this program's table returns, or the kernel's
    refusal. The live probe answers availability where it ran; the source's tables elsewhere.
    Either way the data decides what depends on the program rather than the kernel: the
    capability gates of ``bpf_base_func_proto()`` (the loader's capabilities),
    ``prog->sleepable ? &a : &b`` and ``prog->expected_attach_type`` cases. What depends on
    lockdown, a trampoline or a configuration builds leave out is unsupported where no kernel
    was asked."""
    full = spec.name
    if env.prog_type.prog_type is ProgType.STRUCT_OPS:  # the struct's own get_func_proto()
        return struct_ops_proto(env, spec, insn, idx)
    pt = _prog_type_key(env)
    iter_refused = iter_helper_refusal(env, full) if env.prog_type.prog_type is ProgType.TRACING \
        else None
    if iter_refused:
        raise Reject(msg.HELPER_NOT_ALLOWED.format(name=full, imm=insn.imm), errno=22)
    if iter_refused is False:  # an iterator's own helper: its one tracing prototype
        return protos_for(full, pt)[0]
    kernel_name = env.prog_type.prog_type.kernel_name
    refused = Reject(msg.HELPER_NOT_ALLOWED.format(name=full, imm=insn.imm), errno=22)
    probed = env.profile.helper_allowed(full, kernel_name)
    by_attach = trampoline_helper(env, full, probed)  # by attach type: the source decides
    if by_attach is False:
        raise refused
    chosen = [p for p in protos_for(full, pt) if p.name == by_attach]
    if chosen:
        return chosen[0]
    if probed is False:
        raise refused
    conds = [(p, p.condition(pt) or {}) for p in protos_for(full, pt)]
    decided = [(p, c) for p, c in conds if _cap_ok(env, c.get("cap")) and _attach_ok(env, c)
               and c.get("sleepable", env.sleepable) == env.sleepable]
    if conds and not decided:  # the loader's capabilities or the attach type rule it out
        raise refused
    if probed is None:
        for _p, c in decided:
            config = str(c.get("config") or "")
            optional = any(o in config for o in OPTIONAL_CONFIGS)
            if _undecided(c, False) or optional:
                why = config if optional else (
                    "lockdown" if c.get("lockdown") else "the attach target")
                raise Unsupported(f"{full}#{insn.imm}: whether {kernel_name} gets it depends "
                                  f"on {why}; no kernel was asked", idx)
        if not decided:
            raise refused
    elif len(decided) == 1 and _undecided(decided[0][1], True):
        # `return cond ? &proto : NULL`: the probe asked one attach target, this program may
        # have another (get_func_arg without a trampoline ...)
        raise Unsupported(f"{full}#{insn.imm}: whether {kernel_name} gets it depends on the "
                          "attach target; not modelled", idx)
    if not decided:
        raise Unsupported(f"{full}#{insn.imm}: the kernel allows it to {kernel_name} but "
                          "kfunclab's data (Linux source tables) has no prototype for it "
                          "there", idx)
    candidates = [p for p, _c in decided]
    if len({(p.args, p.ret, p.gpl_only, p.might_sleep) for p in candidates}) > 1:
        raise Unsupported(f"{full}#{insn.imm}: which of its prototypes "
                          f"({', '.join(p.name for p in candidates)}) the kernel picks depends "
                          "on the attach type; not modelled", idx)
    return candidates[0]


def check_data_helper(env: Env, state: VState, insn: Call, idx: int, spec: HelperSpec) -> None:
    """``check_helper_call()`` of a helper described only by its data."""
    full = spec.name
    fn = choose_proto(env, spec, insn, idx)
    if fn.gpl_only and not env.program_gpl:  # type: ignore[attr-defined]
        raise Reject(msg.HELPER_GPL_ONLY, errno=22)
    check_allowed(env, fn.allowed, full, idx)  # fn->allowed(env->prog)
    if fn.might_sleep and not in_sleepable(env, state):  # a timer callback's state too
        raise Reject(msg.HELPER_MIGHT_SLEEP, errno=22)
    for i, kind in enumerate(fn.args):  # check_func_arg() of the arguments before it ran
        if kind.type == "ARG_PTR_TO_PERCPU_BTF_ID":
            check_percpu_arg(state, i + 1)
            break
    for kind in (fn.ret, *fn.args):
        if kind.type in _NOT_HERE:
            raise Unsupported(f"{full}#{insn.imm}: {_NOT_HERE[kind.type]} is not modelled by "
                              "the generic helper rules", idx)
    if fn.might_sleep:
        check_sleepable_helper_state(state, full, insn.imm)
    meta = CallMeta()
    for i, arg in enumerate(fn.args):
        check_func_arg(env, state, i + 1, arg, fn, meta, full, idx)
    if full == "bpf_snprintf":
        check_snprintf_call(env, state, idx)
    if meta.size_regs and env.precision:
        from kfunclab.verifier.precision import mark_chain_precision

        mark_chain_precision(env, state, meta.size_regs)
    if meta.release_regno:
        if meta.ref_obj_id:
            ok = release_reference(env, state, meta.ref_obj_id, idx,
                                   where=f"R{meta.release_regno}")
        else:
            ok = state.regs[meta.release_regno].is_null
        if not ok:
            raise Reject(msg.HELPER_REF_NOT_ACQUIRED.format(name=full, imm=insn.imm), errno=22)
    if full == "bpf_get_local_storage" and not state.regs[2].is_null:
        raise Reject(msg.LOCAL_STORAGE_FLAGS, errno=22)
    clobber_caller_saved(state)
    state.regs[0] = _return_reg(env, fn, meta, full, idx)
    if state.regs[0].maybe_null:
        state.regs[0] = state.regs[0].evolve(id=env.new_id())
    if spec.ptr_cast:
        state.regs[0] = state.regs[0].evolve(ref_obj_id=meta.ref_obj_id)
    elif spec.acquire:
        ref = acquire_reference(env, state, idx, full)
        state.regs[0] = state.regs[0].evolve(id=ref, ref_obj_id=ref)
    if full in _RET_AT_MOST_SIZE and fn.ret.type == "RET_INTEGER":
        m = meta.msize_max
        state.regs[0] = UNKNOWN_SCALAR._replace(var=sync_fields(
            0, _U64, -_MAX_ERRNO, m, 0, _U64, -_MAX_ERRNO, m, 0, _U32))
    _check_map_func_compatibility(env, meta, spec, insn)
    if full == "bpf_get_func_ip":
        check_get_func_ip(env)
    if spec.changes_pkt_data:
        from kfunclab.verifier.helper_protos import clear_packet_pointers

        clear_packet_pointers(state)


def _check_map_func_compatibility(env: Env, meta: CallMeta, spec: HelperSpec,
                                  insn: Call) -> None:
    m = meta.map
    if m is None:
        return
    map_type = m.map_type  # type: ignore[attr-defined]
    if spec.map_types and map_type not in spec.map_types:
        raise Reject(msg.MAP_TYPE_FOR_FUNC.format(map_type=MAP_TYPES.get(map_type, map_type),
                                                  func=f"{spec.name}#{insn.imm}"), errno=22)
    if map_type not in _KV_MAPS and map_type not in spec.map_types:
        # the map side: the helpers a map of this type may be passed to (map_types.py)
        check_map_func_compatibility(env, map_type, spec.name.removeprefix("bpf_"))


def _type_ok(reg: Reg, arg: ArgSpec, allowed: tuple[tuple[RegType, int], ...]) -> bool:
    """``check_reg_type()``'s comparison, with the flags it folds away first."""
    flags = reg.flags & (TypeFlag.MAYBE_NULL | TypeFlag.RDONLY | TypeFlag.RINGBUF
                         | TypeFlag.TRUSTED | TypeFlag.RCU | TypeFlag.ALLOC | TypeFlag.PERCPU
                         | TypeFlag.UNTRUSTED | TypeFlag.USER)
    if arg.has("MEM_RDONLY"):
        flags &= ~TypeFlag.RDONLY
    if arg.has("PTR_MAYBE_NULL"):
        flags &= ~TypeFlag.MAYBE_NULL
    return any(reg.type is t and flags == f for t, f in allowed)


def _expected(allowed: tuple[tuple[RegType, int], ...]) -> str:
    return ", ".join(reg_type_str(t, f) for t, f in allowed)


def check_func_arg(env: Env, state: VState, regno: int, arg: ArgSpec, fn: ProtoSpec,
                   meta: CallMeta, full: str, idx: int) -> None:
    """``check_func_arg()`` for argument R``regno``."""
    reg = state.regs[regno]
    if arg.type == "ARG_DONTCARE":
        return
    if reg.type is RegType.NOT_INIT:
        raise Reject(msg.REG_NOT_READ_OK.format(regno=regno))
    if arg.type == "ARG_ANYTHING":
        if reg.is_pointer and not env.allow_ptr_leaks:
            raise Reject(msg.ARG_LEAKS_ADDR.format(regno=regno))
        return
    if reg.type in (RegType.PTR_TO_PACKET, RegType.PTR_TO_PACKET_META) and not fn.pkt_access:
        # may_access_direct_pkt_data(env, meta, BPF_READ) answers meta->pkt_access
        raise Reject(msg.HELPER_PKT_ACCESS)
    nullable = arg.has("PTR_MAYBE_NULL")
    if not (reg.is_null and nullable):
        allowed = COMPATIBLE_REG_TYPES.get(arg.type)
        if allowed is None:
            raise Unsupported(f"{full}: argument type {arg.type} is not modelled", idx)
        if not _type_ok(reg, arg, allowed):
            raise Reject(msg.ARG_TYPE_MISMATCH.format(
                regno=regno, type=reg_type_str(reg.type, reg.flags), expected=_expected(allowed)))
        _check_btf_arg(env, reg, regno, arg, allowed, full, idx)
        _check_arg_reg_off(reg, regno, arg, full, idx)
    if arg.has("OBJ_RELEASE"):
        if not reg.ref_obj_id and not reg.is_null:
            raise Reject(msg.RELEASE_ARG_NOT_REFERENCED.format(regno=regno), errno=22)
        meta.release_regno = regno
    if reg.ref_obj_id:
        if meta.ref_obj_id:
            raise Unsupported(f"{full}: two referenced arguments", idx)
        meta.ref_obj_id = reg.ref_obj_id
    t = arg.type
    if t == "ARG_CONST_MAP_PTR":
        meta.map = reg.map
    elif t in ("ARG_PTR_TO_MAP_KEY", "ARG_PTR_TO_MAP_VALUE"):
        if t == "ARG_PTR_TO_MAP_VALUE" and nullable and reg.is_null:
            return
        if meta.map is None:
            raise Reject(msg.MAP_KEY_NO_MAP if t.endswith("KEY")
                         else "invalid map_ptr to access map->value")
        size = meta.map.key.size if t.endswith("KEY") else meta.map.value.size  # type: ignore
        write = t.endswith("VALUE") and arg.has("MEM_WRITE")
        check_helper_mem_access(env, state, regno, size, "write" if write else "read",
                                zero_size_ok=False, raw_mode=arg.has("MEM_UNINIT"))
    elif t == "ARG_PTR_TO_MEM" and arg.has("MEM_FIXED_SIZE"):
        if reg.is_null and nullable:
            return
        size = _fixed_size(env, arg.size or "")
        if size is None:
            raise Unsupported(f"{full}: the size {arg.size} of argument {regno} is not known", idx)
        kind = "write" if arg.has("MEM_WRITE") else "read"
        check_helper_mem_access(env, state, regno, size, kind, zero_size_ok=False,
                                raw_mode=arg.has("MEM_UNINIT"))
        if arg.has("MEM_ALIGNED"):
            _check_aligned(state.regs[regno], size, full, idx)
    elif t in ("ARG_CONST_SIZE", "ARG_CONST_SIZE_OR_ZERO"):
        _check_mem_size(env, state, regno, fn.args[regno - 2], t.endswith("ZERO"), meta)
    elif t == "ARG_PTR_TO_CONST_STR":
        _check_const_str(state, regno, idx)
    elif t == "ARG_PTR_TO_PERCPU_BTF_ID":
        meta.percpu = percpu_arg_meta(reg, regno)
    elif t == "ARG_CONST_ALLOC_SIZE_OR_ZERO":
        if not reg.var.is_const:
            raise Reject(f"R{regno} is not a known constant'", errno=13)
        meta.mem_size = reg.var.const_value
        meta.size_regs.add(regno)


def _check_btf_arg(env: Env, reg: Reg, regno: int, arg: ArgSpec,
                   allowed: tuple[tuple[RegType, int], ...], full: str, idx: int) -> None:
    """The PTR_TO_BTF_ID part of ``check_reg_type()``."""
    if reg.type is not RegType.PTR_TO_BTF_ID or reg.flags & TypeFlag.PERCPU:
        return  # per-cpu pointers: "handled by helper specific checks"
    if allowed is _MEM_TYPES:
        if not arg.has("MEM_RDONLY"):
            raise Reject(msg.HELPER_MAY_WRITE_BTF.format(
                name=full, regno=regno, type=reg_type_str(reg.type, reg.flags)))
        return  # read-only memory: the size argument walks the struct (check_helper_mem_access)
    if reg.maybe_null and (not arg.has("PTR_MAYBE_NULL") or arg.has("OBJ_RELEASE")):
        raise Reject(msg.HELPER_POSSIBLY_NULL.format(regno=regno))
    want = arg.btf_struct or ("sock_common" if arg.type == "ARG_PTR_TO_BTF_ID_SOCK_COMMON"
                              else None)
    if want is None or want == "BPF_PTR_POISON":
        raise Unsupported(f"{full}: R{regno}'s expected BTF type is not in the data", idx)
    if reg.btf_name != want or reg.off:
        # btf_struct_ids_match() also walks first members (a sock starts with sock_common),
        # except for a release argument (strict), bpf_sk_release's aside; at a fixed offset
        # it walks even the wanted type (a task_struct + 8 is no task_struct)
        btf = env.btf
        ids = btf.find(want, "STRUCT") if btf is not None and not reg.local else ()
        if not ids or not reg.btf_id:
            raise Unsupported(f"{full}: R{regno} is a {reg.btf_name}, not {want}; the "
                              "first-member walk of btf_struct_ids_match() needs the BTF", idx)
        strict = arg.has("OBJ_RELEASE") and full != "bpf_sk_release"
        if not btf.struct_ids_match(reg.btf_id, reg.off, ids[0], strict):
            raise Reject(msg.HELPER_BTF_MISMATCH.format(regno=regno, type=reg.btf_name,
                                                        expected=want))


def _check_arg_reg_off(reg: Reg, regno: int, arg: ArgSpec, full: str, idx: int) -> None:
    """``check_func_arg_reg_off()``: a fixed offset only where memory may carry one, or on a
    PTR_TO_BTF_ID whose type check walked to the wanted struct inside it (a cgroup_root's
    ``cgrp``); a variable offset never on a BTF pointer."""
    if arg.type in ("ARG_PTR_TO_MAP_KEY", "ARG_PTR_TO_MAP_VALUE", "ARG_PTR_TO_MEM",
                    "ARG_PTR_TO_STACK", "ARG_PTR_TO_CONST_STR") or reg.is_scalar:
        return
    if reg.type is RegType.CONST_PTR_TO_MAP:
        return
    if reg.type is RegType.PTR_TO_CTX:
        if reg.off < 0:
            raise Reject(f"negative offset ctx ptr R{regno} off={reg.off} disallowed")
        if reg.off:
            raise Reject(f"dereference of modified ctx ptr R{regno} off={reg.off} disallowed")
        if not reg.var.is_const or reg.var.const_value:
            v, m = reg.var.var_off
            raise Reject(f"variable ctx access var_off=({v:#x}; {m:#x}) disallowed")
        return
    if reg.off == 0 and reg.var.is_const and reg.var.const_value == 0:
        return
    if arg.has("OBJ_RELEASE") or reg.type is not RegType.PTR_TO_BTF_ID:
        # sockets refuse arithmetic earlier; a release argument at an offset is not reached
        raise Unsupported(f"{full}: R{regno} {reg_type_str(reg.type, reg.flags)} with an "
                          "offset is not modelled", idx)
    # __check_ptr_off_reg(fixed_off_ok): the exact types of the PTR_TO_BTF_ID cases (a
    # per-cpu pointer falls to the default, fixed_off_ok false)
    text = reg_type_str(reg.type, reg.flags)
    if reg.off < 0:  # only a per-cpu one gets here: btf_struct_ids_match() refuses the rest
        raise Reject(f"negative offset {text} ptr R{regno} off={reg.off} disallowed")
    if reg.off and reg.flags not in _FIXED_OFF_OK:
        raise Reject(f"dereference of modified {text} ptr R{regno} off={reg.off} disallowed")
    if not reg.var.is_const or reg.var.const_value:
        v, m = reg.var.var_off
        raise Reject(f"variable {text} access var_off=({v:#x}; {m:#x}) disallowed")


#: check_func_arg_reg_off(): the PTR_TO_BTF_ID types that may carry a fixed offset
_FIXED_OFF_OK = frozenset({
    0, TypeFlag.ALLOC, TypeFlag.TRUSTED, TypeFlag.RCU, TypeFlag.ALLOC | TypeFlag.NON_OWN_REF,
    TypeFlag.ALLOC | TypeFlag.NON_OWN_REF | TypeFlag.RCU})


_SCALAR_SIZES = {"u8": 1, "s8": 1, "u16": 2, "s16": 2, "u32": 4, "s32": 4, "int": 4,
                 "u64": 8, "s64": 8, "long": 8}


def _fixed_size(env: Env, text: str) -> int | None:
    """``argN_size`` as the source writes it: ``sizeof(u64)``, ``sizeof(struct iphdr)``."""
    inner = text.removeprefix("sizeof(").removesuffix(")").strip()
    if inner in _SCALAR_SIZES:
        return _SCALAR_SIZES[inner]
    name = inner.removeprefix("struct ").strip()
    if inner.startswith("struct ") and env.btf is not None:
        ids = env.btf.find(name, "STRUCT")
        if ids:
            return getattr(env.btf.type_by_id(ids[0]), "size", None)
    return _WIRE_HEADERS.get(name) if inner.startswith("struct ") else None


#: protocol headers whose size the wire format fixes (include/uapi/linux/ip.h, ipv6.h, tcp.h):
#: the answer where the BTF in use (a trimmed snapshot) lacks the struct
_WIRE_HEADERS = {"iphdr": 20, "ipv6hdr": 40, "tcphdr": 20}


def _check_aligned(reg: Reg, size: int, full: str, idx: int) -> None:
    """MEM_ALIGNED: ``check_ptr_alignment(..., strict=true)`` on the argument."""
    if not reg.var.is_const:
        raise Unsupported(f"{full}: an aligned argument at a variable offset", idx)
    total = reg.off + reg.var.const_value
    if total % size == 0:
        return
    if reg.type is RegType.PTR_TO_STACK:
        value = reg.var.const_value
        value = value - (1 << 64) if value >= 1 << 63 else value
        raise Reject(msg.MISALIGNED_STACK.format(tn=str(value), off=reg.off, extra=0, size=size))
    raise Unsupported(f"{full}: a misaligned {reg_type_str(reg.type, reg.flags)} argument",
                      idx)


def _check_mem_size(env: Env, state: VState, regno: int, mem: ArgSpec, zero_ok: bool,
                    meta: CallMeta) -> None:
    """``check_mem_size_reg()``: the size bounds, then the access to the memory before it."""
    size = const_size(state, regno, zero_ok)
    meta.msize_max = state.regs[regno].var.umax
    ptr = state.regs[regno - 1]
    if ptr.is_null and mem.has("PTR_MAYBE_NULL"):
        if size:
            raise Reject(msg.ARG_TYPE_MISMATCH.format(regno=regno - 1, type="scalar",
                                                      expected="fp"))
        return
    kind = "write" if mem.has("MEM_WRITE") or mem.has("MEM_UNINIT") else "read"
    check_helper_mem_access(env, state, regno - 1, size, kind, zero_size_ok=zero_ok,
                            raw_mode=mem.has("MEM_UNINIT"))
    meta.size_regs.add(regno)


def _check_const_str(state: VState, regno: int, idx: int) -> None:
    """``check_reg_const_str()``: a NUL-terminated string in a frozen read-only map."""
    reg = state.regs[regno]
    m = reg.map
    rdonly = bool(m.flags & 0x80) and m.data is not None  # BPF_F_RDONLY_PROG, frozen
    if not rdonly:
        if m.flags & 0x80:
            raise Unsupported("a read-only map whose contents are not known", idx)
        raise Reject(msg.CONST_STR_NOT_RDONLY.format(regno=regno))
    if not reg.var.is_const:
        raise Reject(msg.CONST_STR_NOT_CONST.format(regno=regno))
    off = reg.off + reg.var.const_value
    if not 0 <= off < m.value.size:
        raise Unsupported("a constant string outside its map value", idx)
    if 0 not in m.data[off:m.value.size]:
        raise Reject(msg.CONST_STR_NOT_TERMINATED, errno=22)


def _return_reg(env: Env, fn: ProtoSpec, meta: CallMeta, full: str, idx: int) -> Reg:
    ret = fn.ret
    flags = 0
    for f in ret.flags:
        flags |= _FLAG_BITS.get(f, 0)
    if ret.type == "RET_INTEGER":
        return UNKNOWN_SCALAR
    if ret.type == "RET_VOID":
        return NOT_INIT
    if ret.type == "RET_PTR_TO_MAP_VALUE":
        if meta.map is None:
            raise Unsupported(f"{full}: a map value return without a map argument", idx)
        return Reg(RegType.PTR_TO_MAP_VALUE, flags=flags, map=meta.map)
    if ret.type in _RET_REGS:
        return Reg(_RET_REGS[ret.type], flags=flags)
    if ret.type == "RET_PTR_TO_MEM":
        return Reg(RegType.PTR_TO_MEM, flags=flags, mem_size=meta.mem_size)
    if ret.type == "RET_PTR_TO_MEM_OR_BTF_ID" and meta.percpu is not None:
        return percpu_return(env, meta.percpu, flags)
    if ret.type == "RET_PTR_TO_BTF_ID" and ret.btf_struct and ret.btf_struct != "BPF_PTR_POISON":
        return kernel_struct_reg(env, ret.btf_struct, flags)
    raise Unsupported(f"{full}: return type {ret.type} is not modelled", idx)
