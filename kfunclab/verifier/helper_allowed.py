"""Checks of ``check_helper_call()`` (Linux 6.18) that depend on the program, not the arguments.

- ``fn->allowed(prog)``: three prototypes carry a function that must agree before anything
  else is checked ("helper call is not allowed in probe"): ``bpf_d_path`` (iterators, and
  attach targets on ``btf_allowlist_d_path``, sleepable LSM hooks), ``bpf_ima_inode_hash``/
  ``bpf_ima_file_hash`` (the ``sleepable_lsm_hooks`` set) and the tracing
  ``bpf_sk_storage_get``/``_delete`` (not from a program that traces bpf_sk_storage itself).
  The two sets are data, read from the source with the prototypes.
- ``check_get_func_ip()``: ``bpf_get_func_ip`` from kprobes, and from tracing programs with a
  trampoline only.

>>> from types import SimpleNamespace
>>> from kfunclab.progtypes import program_type
>>> env = SimpleNamespace(prog_type=program_type("tracepoint/syscalls/sys_enter_nanosleep"))
>>> try:
...     check_get_func_ip(env)
... except Reject as e:
...     print(e)
func bpf_get_func_ip#173 not supported for program type 5
"""

from __future__ import annotations

from kfunclab.progtypes import TRAMPOLINE_ATTACH_TYPES, AttachType, ProgType
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.helper_specs import btf_set

ENOTSUPP = msg.ENOTSUPP
NOT_ALLOWED = msg.HELPER_NOT_ALLOWED_IN_PROBE


def _sleepable_hook(env: Env) -> bool | None:
    """``bpf_lsm_is_sleepable_hook(prog->aux->attach_btf_id)``: lsm/HOOK is bpf_lsm_HOOK."""
    hooks = btf_set("sleepable_lsm_hooks")
    target = env.prog_type.attach_target
    if not hooks or target is None:
        return None
    return f"bpf_lsm_{target}" in hooks


def _d_path_allowed(env: Env) -> bool | None:
    pt = env.prog_type
    if pt.prog_type is ProgType.TRACING and pt.expected_attach_type is AttachType.TRACE_ITER:
        return True
    if pt.prog_type is ProgType.LSM:
        return _sleepable_hook(env)
    allowlist = btf_set("btf_allowlist_d_path")
    if pt.prog_type is ProgType.TRACING and (not allowlist or pt.attach_target is None):
        return None
    return pt.attach_target in allowlist  # no attach BTF id (syscall): not on the list


def _sk_storage_tracing_allowed(env: Env) -> bool | None:
    pt = env.prog_type
    if pt.prog_type is ProgType.EXT:  # prog->aux->dst_prog
        return False
    if pt.expected_attach_type in (AttachType.TRACE_ITER, AttachType.TRACE_RAW_TP):
        return True
    if pt.expected_attach_type in (AttachType.TRACE_FENTRY, AttachType.TRACE_FEXIT):
        return not (pt.attach_target or "").startswith("bpf_sk_storage")
    return False


_ALLOWED = {"bpf_d_path_allowed": _d_path_allowed,
            "bpf_ima_inode_hash_allowed": _sleepable_hook,
            "bpf_sk_storage_tracing_allowed": _sk_storage_tracing_allowed}


def check_allowed(env: Env, allowed: str | None, name: str, idx: int) -> None:
    """``if (fn->allowed && !fn->allowed(env->prog))``."""
    if allowed is None:
        return
    rule = _ALLOWED.get(allowed)
    answer = rule(env) if rule is not None else None
    if answer is None:
        raise Unsupported(f"{name}: whether {allowed}() lets this program call it depends on "
                          "a kernel list kfunclab does not hold", idx)
    if not answer:
        raise Reject(NOT_ALLOWED, errno=22)


def check_get_func_ip(env: Env) -> None:
    """``check_get_func_ip()``: kprobes, and tracing programs with a trampoline."""
    pt = env.prog_type
    if pt.prog_type is ProgType.TRACING:
        if pt.expected_attach_type not in TRAMPOLINE_ATTACH_TYPES:
            raise Reject("func bpf_get_func_ip#173 supported only for fentry/fexit/fmod_ret "
                         "programs", errno=ENOTSUPP)
        return
    if pt.prog_type is not ProgType.KPROBE:
        raise Reject(f"func bpf_get_func_ip#173 not supported for program type "
                     f"{int(pt.prog_type)}", errno=ENOTSUPP)
