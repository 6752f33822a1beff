"""fentry/fexit/fmod_ret and LSM programs: the rules of their attach target, from 6.18's source.

The kernel kfunclab is checked against refuses these program types before verification (EPERM,
empty log), so nothing here can be asked of it: each rule names the kernel function it models.

- ``check_attach_btf_id()``: ``bpf_check_attach_target()`` (a sleepable program's target must
  be a sleepable LSM hook, an error-injectable function or in an fmodret set; fmod_ret needs
  the same or a ``security_*`` function), ``btf_id_deny`` and ``noreturn_deny``, and
  ``bpf_lsm_verify_prog()`` (no ``bpf_lsm_disabled_hooks``).
- ``check_return_code()``: fentry/fexit return 0; fmod_ret anything; an LSM program on an ``int``
  hook returns what ``bpf_lsm_get_retval_range()`` allows (``[0, 1]`` for the ``bool_lsm_hooks``,
  ``[-MAX_ERRNO, 0]`` for the others, compared on the low 32 bits), on a ``void`` hook anything,
  R0 not even read.
- ``btf_ctx_access()``: fexit/fmod_ret/LSM read the return value after the arguments; an LSM
  program's read gets the hook's range (``check_mem_access()``: ``is_retval``).
- The helpers' ``allowed()`` callbacks (bpf_d_path, bpf_ima_*_hash), the css_task iterator's
  allowlist, and sleepable helpers under RCU, preemption or IRQs disabled.

>>> DISABLED_LSM_HOOKS >= {"getprocattr", "ismaclabel"}
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kfunclab.ctype import Kind
from kfunclab.progtypes import AttachType, ProgType
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Reject, Unsupported
from kfunclab.verifier.helper_specs import btf_set
from kfunclab.verifier.regs import UNKNOWN_SCALAR, Reg, scalar
from kfunclab.verifier.scalar.value import sync_fields
from kfunclab.verifier.tnum import U32, U64

if TYPE_CHECKING:
    from kfunclab.verifier.env import Env
    from kfunclab.verifier.state import VState

MAX_ERRNO = 4095

#: kernel/bpf/bpf_lsm.c ``bpf_lsm_disabled_hooks``: hooks a BPF LSM program may not attach to
#: (key_getsecurity with CONFIG_KEYS, audit_rule_match with CONFIG_AUDIT: a hook absent from the
#: BTF is refused earlier anyway, by libbpf's attach-target lookup)
DISABLED_LSM_HOOKS = frozenset({
    "vm_enough_memory", "inode_need_killpriv", "inode_getsecurity", "inode_listsecurity",
    "inode_copy_up_xattr", "getselfattr", "getprocattr", "setprocattr", "key_getsecurity",
    "audit_rule_match", "ismaclabel"})

#: kernel/bpf/bpf_lsm.c ``bool_lsm_hooks``: hooks that return 0 or 1
BOOL_LSM_HOOKS = frozenset({"xfrm_state_pol_flow_match", "audit_rule_known",
                            "inode_xattr_skipcap"})

#: kernel/bpf/bpf_lsm.c ``sleepable_lsm_hooks``: the hooks an ``lsm.s`` program may attach to
#: (``bpf_lsm_is_sleepable_hook()``); read from the source with the helper prototypes, whose
#: ``.allowed`` functions (bpf_d_path, bpf_ima_*_hash: helper_allowed.py) use the same set
SLEEPABLE_LSM_HOOKS = frozenset(h.removeprefix("bpf_lsm_")
                                for h in btf_set("sleepable_lsm_hooks"))

#: kernel/bpf/bpf_lsm.c ``untrusted_lsm_hooks``: hooks whose arguments are not trusted
#: (``bpf_lsm_is_trusted()``: they run while the object is being freed or not yet set up)
UNTRUSTED_LSM_HOOKS = frozenset({"bpf_map_free", "bpf_prog_free", "file_alloc_security",
                                 "file_free_security", "sk_alloc_security",
                                 "sk_free_security", "task_free"})

#: kernel/bpf/verifier.c ``btf_id_deny``: no tracing program may attach to these (config-gated
#: in the source: SMP, PREEMPT_RCU, DEBUG_PREEMPT; a function absent from the BTF never gets here)
TRACING_DENY = frozenset({"___migrate_enable", "migrate_disable", "migrate_enable",
                          "rcu_read_unlock_strict", "preempt_count_add", "preempt_count_sub",
                          "__rcu_read_lock", "__rcu_read_unlock"})
#: kernel/bpf/verifier.c ``noreturn_deny``: no fexit/fmod_ret on these __noreturn functions
NORETURN_DENY = frozenset({"__ia32_sys_exit", "__ia32_sys_exit_group", "__kunit_abort",
                           "kunit_try_catch_throw", "__module_put_and_kthread_exit",
                           "__x64_sys_exit", "__x64_sys_exit_group", "do_exit",
                           "do_group_exit", "kthread_complete_and_exit", "kthread_exit",
                           "make_task_dead"})
#: ``register_btf_fmodret_id_set()`` sets (net/bpf/test_run.c, net/mptcp/bpf.c): fmod_ret may
#: attach to these; the value is KF_SLEEPABLE (a sleepable fentry/fexit/fmod_ret may attach too)
FMODRET_SET = {"bpf_modify_return_test": False, "bpf_modify_return_test2": False,
               "bpf_modify_return_test_tp": False, "bpf_fentry_test1": True,
               "update_socket_protocol": False}
#: ``btf_non_sleepable_error_inject``: error-injectable, yet never sleepable for BPF
NON_SLEEPABLE_ERROR_INJECT = frozenset({"__filemap_add_folio", "should_fail_alloc_page",
                                        "should_failslab"})
#: ``ALLOW_ERROR_INJECTION()``: every syscall (SYSCALL_DEFINE and the x86 wrappers); the
#: other functions of the list are spread over the tree and not modelled
_ERROR_INJECT_PREFIXES = ("__x64_sys_", "__ia32_sys_", "__se_sys_", "__do_sys_", "sys_",
                          "compat_sys_", "__ia32_compat_sys_", "__x64_compat_sys_")


def _error_injectable(name: str) -> bool | None:
    """``within_error_injection_list()`` where the source says so; None where unknown."""
    if name.startswith(_ERROR_INJECT_PREFIXES):
        return True
    return None


def attach_refusal(env: Env) -> str | None:
    """``check_attach_btf_id()`` -> ``bpf_check_attach_target()`` and ``bpf_lsm_verify_prog()``
    for fentry/fexit/fmod_ret and LSM programs: the kernel's refusal, else None.

    Raises Unsupported where the answer rests on the kernel's error-injection list
    (``ALLOW_ERROR_INJECTION``), which kfunclab knows only for syscalls.
    """
    pt = env.prog_type
    at = pt.expected_attach_type
    target = pt.attach_target or ""
    if pt.prog_type is ProgType.LSM and at is AttachType.LSM_MAC:
        name = "bpf_lsm_" + target
        if pt.sleepable and target not in SLEEPABLE_LSM_HOOKS:
            return msg.ATTACH_NOT_SLEEPABLE.format(name=name)  # bpf_lsm_is_sleepable_hook()
        if target in DISABLED_LSM_HOOKS:
            ids = env.btf.find(name, "FUNC") if env.btf is not None else ()
            return msg.LSM_DISABLED_HOOK.format(btf_id=ids[0] if ids else 0, name=name)
        return None
    if pt.prog_type is not ProgType.TRACING or at not in (
            AttachType.TRACE_FENTRY, AttachType.TRACE_FEXIT, AttachType.MODIFY_RETURN):
        return None
    if pt.sleepable:
        if target in NON_SLEEPABLE_ERROR_INJECT:
            return msg.ATTACH_NOT_SLEEPABLE.format(name=target)
        if not (_error_injectable(target) or FMODRET_SET.get(target)):
            raise Unsupported(f"whether a sleepable program may attach to {target!r} depends on "
                              "the kernel's error-injection list (ALLOW_ERROR_INJECTION), which "
                              "kfunclab knows only for syscalls")
    elif at is AttachType.MODIFY_RETURN and not (
            target in FMODRET_SET or target.startswith("security_")
            or _error_injectable(target)):
        # check_attach_modify_return(): error-injectable or security_*; else "not modifiable"
        raise Unsupported(f"whether fmod_ret may attach to {target!r} depends on the kernel's "
                          "error-injection list (ALLOW_ERROR_INJECTION), which kfunclab knows "
                          "only for syscalls")
    if target in TRACING_DENY:
        return msg.ATTACH_TRACING_DENIED.format(name=target)
    if at in (AttachType.TRACE_FEXIT, AttachType.MODIFY_RETURN) and target in NORETURN_DENY:
        return msg.ATTACH_NORETURN_DENIED.format(name=target)
    return None


def css_task_iter_allowed(env: Env) -> bool:
    """``check_css_task_iter_allowlist()``: LSM, iterator and sleepable programs."""
    pt = env.prog_type
    if pt.prog_type is ProgType.LSM:
        return True
    if pt.prog_type is ProgType.TRACING and pt.expected_attach_type is AttachType.TRACE_ITER:
        return True
    return bool(env.sleepable)


def check_sleepable_helper_state(state: VState, name: str, imm: int) -> None:
    """``check_helper_call()``: a ``might_sleep`` helper under bpf_rcu_read_lock(), with
    preemption disabled or IRQs disabled is refused, in that order."""
    if state.active_rcu_lock:
        raise Reject(msg.HELPER_SLEEP_IN_RCU.format(name=name, imm=imm), errno=22)
    if state.active_preempt_locks:
        raise Reject(msg.HELPER_SLEEP_IN_PREEMPT.format(name=name, imm=imm), errno=22)
    if state.active_irq_id:
        raise Reject(msg.HELPER_SLEEP_IN_IRQ.format(name=name, imm=imm), errno=22)


def return_slot_readable(env: Env) -> bool:
    """``btf_ctx_access()``: the slot after the arguments is the return value for fexit,
    fmod_ret and LSM programs (others: "doesn't have N-th argument")."""
    pt = env.prog_type
    return pt.expected_attach_type in (AttachType.TRACE_FEXIT, AttachType.MODIFY_RETURN,
                                       AttachType.LSM_MAC, AttachType.LSM_CGROUP)


def return_slot(env: Env) -> Reg:
    """``btf_ctx_access()`` of the return-value slot: an int or enum return is a scalar."""
    pt = env.prog_type
    prefix = "bpf_lsm_" if pt.prog_type is ProgType.LSM else ""
    try:
        ret = env.btf.func_proto(prefix + (pt.attach_target or "")).ret  # type: ignore[union-attr]
    except Exception as exc:
        raise Unsupported(f"the return type of {pt.attach_target!r} is not known: {exc}") from exc
    if ret.kind in (Kind.INT, Kind.ENUM) and (ret.size or 8) <= 8:
        return UNKNOWN_SCALAR
    raise Unsupported(f"reading a {ret.kind.value} return value of {pt.attach_target!r} from "
                      "ctx is not modelled by kfunclab")


def lsm_retval_load(env: Env, off: int) -> Reg | None:
    """``check_mem_access()``: a ctx read of an LSM_MAC program's return-value slot
    (``info->is_retval``) gets the hook's range (``__mark_reg_s32_range()``); None elsewhere."""
    pt = env.prog_type
    if pt.prog_type is not ProgType.LSM or pt.expected_attach_type is not AttachType.LSM_MAC:
        return None
    try:
        nargs = len(env.btf.func_proto("bpf_lsm_" + (pt.attach_target or "")).params)  # type: ignore[union-attr]
    except Exception:  # no BTF or no such hook: the ctx read was refused already
        return None
    if off != 8 * nargs:
        return None
    bounds = trampoline_return_range(env)
    if bounds is None:
        return None
    lo, hi, _ = bounds
    return scalar(sync_fields(0, U64, lo, hi, 0, U64, lo, hi, 0, U32))


def lsm_cgroup_void_note(env: Env) -> bool:
    """``check_return_code()`` adds a note after the range error of an lsm_cgroup program on a
    void hook."""
    pt = env.prog_type
    return pt.prog_type is ProgType.LSM and pt.expected_attach_type is AttachType.LSM_CGROUP \
        and _hook_returns_void(env)


def has_trampoline(env: Env) -> bool:
    """``bpf_prog_has_trampoline()``: fentry/fexit/fmod_ret and LSM_MAC programs."""
    pt = env.prog_type
    return (pt.prog_type is ProgType.TRACING and pt.expected_attach_type in (
        AttachType.TRACE_FENTRY, AttachType.TRACE_FEXIT, AttachType.MODIFY_RETURN)) or (
        pt.prog_type is ProgType.LSM and pt.expected_attach_type is AttachType.LSM_MAC)


#: tracing_prog_func_proto(): ``bpf_prog_has_trampoline(prog) ? &proto : NULL``
_TRAMPOLINE_ONLY = {"bpf_get_func_arg": "bpf_get_func_arg_proto",
                    "bpf_get_func_ret": "bpf_get_func_ret_proto",
                    "bpf_get_func_arg_cnt": "bpf_get_func_arg_cnt_proto"}
#: bpf_tracing_func_proto(): ``security_locked_down(...) < 0 ? NULL : &proto`` for every
#: TRACING attach type alike, so the probe of a tp_btf program answers for fentry too
_LOCKDOWN_ONLY = {"bpf_probe_read": "bpf_probe_read_compat_proto",
                  "bpf_probe_read_str": "bpf_probe_read_compat_str_proto"}


def trampoline_helper(env: Env, helper: str, probed: bool | None) -> str | bool | None:
    """The get_func_proto() answer for a trampoline program where it differs by attach type
    (so the live probe, which loads a tp_btf program for TRACING, cannot answer): the proto's
    name, False for NULL ("program of this type cannot use helper"), None: not decided here."""
    pt = env.prog_type
    if pt.prog_type not in (ProgType.TRACING, ProgType.LSM) or not pt.uses_trampoline:
        return None
    if helper in _TRAMPOLINE_ONLY:
        return _TRAMPOLINE_ONLY[helper] if has_trampoline(env) else False
    if helper == "bpf_get_attach_cookie":  # bpf_lsm_func_proto() / tracing_prog_func_proto()
        if not has_trampoline(env):
            return False
        return ("bpf_get_attach_cookie_proto" if pt.prog_type is ProgType.LSM
                else "bpf_get_attach_cookie_proto_tracing")
    if helper in _LOCKDOWN_ONLY and pt.prog_type is ProgType.TRACING and probed:
        return _LOCKDOWN_ONLY[helper]
    return None


def _hook_returns_void(env: Env) -> bool:
    """The attach target's FUNC_PROTO has no return type (``attach_func_proto->type == 0``)."""
    pt = env.prog_type
    if env.btf is None or pt.attach_target is None:
        return False
    try:
        return env.btf.func_proto("bpf_lsm_" + pt.attach_target).ret_type_id == 0
    except Exception:  # no such FUNC: the attach-target check refused the program already
        return False


def lsm_void_exit(env: Env) -> bool:
    """``check_return_code()``: an LSM_MAC program on a void hook returns nothing (R0 unread)."""
    pt = env.prog_type
    return pt.prog_type is ProgType.LSM and pt.expected_attach_type is AttachType.LSM_MAC \
        and _hook_returns_void(env)


def trampoline_return_range(env: Env) -> tuple[int, int, bool] | None:
    """``check_return_code()``'s range for TRACING and LSM programs: (min, max, 32-bit), or
    None where any value is allowed."""
    pt = env.prog_type
    at = pt.expected_attach_type
    if pt.prog_type is ProgType.TRACING and at in (AttachType.TRACE_FENTRY,
                                                   AttachType.TRACE_FEXIT):
        return (0, 0, False)
    if pt.prog_type is ProgType.LSM and at is AttachType.LSM_CGROUP:
        # 0 or 1; a void hook's program must leave the return value alone (1)
        return (1, 1, False) if _hook_returns_void(env) else (0, 1, False)
    if pt.prog_type is ProgType.LSM and at is AttachType.LSM_MAC:
        # get_func_retval_range() -> bpf_lsm_get_retval_range(); void hooks never get here
        if (pt.attach_target or "") in BOOL_LSM_HOOKS:
            return (0, 1, True)
        return (-MAX_ERRNO, 0, True)
    return None
