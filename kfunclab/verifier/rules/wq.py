"""``bpf_wq``: a workqueue in a map value, its kfuncs and its callback, as Linux 6.18 verifies
them (kernel/bpf/verifier.c), with what the running 6.18.44 kernel adds.

- ``bpf_wq_init(wq, p__map, flags)``, ``bpf_wq_start(wq, flags)`` and
  ``bpf_wq_set_callback_impl(wq, callback_fn, flags, aux__prog)`` take the workqueue as
  ``KF_ARG_PTR_TO_WORKQUEUE`` (``process_wq_func()``): exactly a ``PTR_TO_MAP_VALUE``, at a
  constant offset, pointing at the value's ``struct bpf_wq`` (``check_map_field_pointer()``).
- ``p__map`` is ``KF_ARG_PTR_TO_MAP``: a register that holds a map (``reg->map_ptr``), the
  workqueue's own, then checked as a ``struct bpf_map`` BTF_ID argument (a ``CONST_PTR_TO_MAP``
  is trusted, ``reg2btf_ids``). The 6.18.15 source compares the two maps only when the second
  map's record has a workqueue; the running kernel compares them always (a map without one
  fails with the same "doesn't match" line), and kfunclab follows the running kernel.
- ``aux__prog`` is hidden (``is_kfunc_arg_prog()``: the verifier passes ``prog->aux``).
- The callback is *async* (``push_callback_call()`` -> ``push_async_cb()``), set up as a timer's
  (``set_timer_callback_state()``: map, key and value in R1-R3, R0 must be 0 at its exit) but
  *sleepable* (``is_async_cb_sleepable()``): its walk may call helpers and kfuncs that sleep.
  The running kernel refuses it in a program that is not sleepable ("sleepable callback in a
  program that is not sleepable", then "kfunc ... failed callback verification"; the 6.18.15
  source has no such check), whatever the state calling it (a timer callback of a sleepable
  program may set one).

>>> sorted(WQ_KFUNCS)
['bpf_wq_init', 'bpf_wq_set_callback_impl', 'bpf_wq_start']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from kfunclab.isa.program import MapDecl, MemberKind
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.regs import Reg, RegType, TypeFlag, reg_type_str
from kfunclab.verifier.state import VState
from kfunclab.verifier.trust import is_rcu_reg, is_trusted_reg

if TYPE_CHECKING:
    from kfunclab.verifier.branching import Branches


class KfuncMeta(Protocol):
    """What the bpf_wq rules read and write of ``kfunc_args.KfuncMeta`` (which imports them)."""

    kfunc: Any
    map_ptr: object | None


_EINVAL, _EPERM = 22, 1
WQ_KFUNCS = frozenset({"bpf_wq_init", "bpf_wq_start", "bpf_wq_set_callback_impl"})
#: register types that carry ``reg->map_ptr``
_MAP_CARRIERS = (RegType.CONST_PTR_TO_MAP, RegType.PTR_TO_MAP_VALUE, RegType.PTR_TO_MAP_KEY)


def map_field_pointer(reg: Reg, regno: int, kind: MemberKind, field: str) -> None:
    """``check_map_field_pointer()``: ``reg`` points exactly at the map value's ``field``."""
    if not reg.var.is_const:
        raise Reject(msg.MAP_FIELD_VAR_OFF.format(regno=regno, field=field), errno=_EINVAL)
    m = reg.map
    struct = m.value.struct if m is not None else None
    found = [x for x in (struct.members if struct is not None else ()) if x.kind is kind]
    if not found:
        raise Reject(msg.MAP_FIELD_MISSING.format(map=m.name if m is not None else "",
                                                  field=field), errno=_EINVAL)
    off = reg.var.const_value + reg.off
    if off >= 1 << 63:
        off -= 1 << 64
    if off != found[0].offset:
        raise Reject(msg.MAP_FIELD_WRONG_OFF.format(off=off, field=field,
                                                    field_off=found[0].offset), errno=_EINVAL)


def _inner_map(env: Env, m: object) -> bool:
    """Whether ``m`` is a map of maps' inner map (whose values have a ``map_uid`` of their
    own in the kernel: two lookups of the same outer map are two maps there, one here)."""
    return any(decl.inner is m for decl in env.program.maps)


def wq_arg(env: Env, meta: KfuncMeta, i: int, regno: int, reg: Reg) -> None:
    """``KF_ARG_PTR_TO_WORKQUEUE`` (``process_wq_func()``): the map is remembered for the
    ``__map`` argument and the callback."""
    if reg.type is not RegType.PTR_TO_MAP_VALUE or reg.flags:
        raise Reject(msg.KFUNC_WQ_NOT_MAP_VALUE.format(arg=i), errno=_EINVAL)
    map_field_pointer(reg, regno, MemberKind.WORKQUEUE, "bpf_wq")
    if _inner_map(env, reg.map):
        raise Unsupported("a bpf_wq in an inner map (its map_uid) is not modelled")
    meta.map_ptr = reg.map


def map_arg(env: Env, meta: KfuncMeta, i: int, regno: int, reg: Reg, trusted: bool,
            rcu: bool) -> None:
    """``KF_ARG_PTR_TO_MAP``: a register holding a map, the workqueue's, then the BTF_ID checks
    of a ``struct bpf_map`` argument."""
    m: MapDecl | None = reg.map if reg.type in _MAP_CARRIERS else None
    if m is None:
        raise Reject(msg.KFUNC_NOT_MAP_POINTER.format(regno=regno), errno=_EINVAL)
    if _inner_map(env, m):
        raise Unsupported("an inner map (its map_uid) as a __map argument is not modelled")
    if meta.map_ptr is not None and meta.map_ptr is not m:
        # map_uid: kfunclab models no inner map with a workqueue (an outer map's is 0)
        raise Reject(msg.WQ_MAP_MISMATCH.format(wq_uid=0, map_uid=0), errno=_EINVAL)
    meta.map_ptr = m
    const_map = reg.type is RegType.CONST_PTR_TO_MAP and not reg.flags
    if (trusted or rcu) and not (const_map or is_trusted_reg(reg)):  # reg2btf_ids[CONST_PTR_TO_MAP]
        if not rcu:
            raise Reject(msg.KFUNC_NOT_TRUSTED.format(regno=regno), errno=_EINVAL)
        if not is_rcu_reg(reg):
            raise Reject(msg.KFUNC_NOT_RCU.format(regno=regno), errno=_EINVAL)
    if not const_map:  # neither a PTR_TO_BTF_ID nor a type of reg2btf_ids
        safe = reg.flags & (TypeFlag.TRUSTED | TypeFlag.ALLOC | TypeFlag.NON_OWN_REF)
        raise Reject(msg.KFUNC_ARG_IS_NOT_BTF_ID.format(
            arg=i, type=reg_type_str(reg.type, reg.flags),
            expected=reg_type_str(reg.type, safe)), errno=_EINVAL)


def push_wq_callback(env: Env, state: VState, meta: KfuncMeta, idx: int,
                     explorer: Branches) -> None:
    """``push_callback_call(.., set_timer_callback_state)`` for ``bpf_wq_set_callback_impl``,
    after its arguments were checked: a sleepable async callback."""
    from kfunclab.verifier.callbacks import push_async_callback

    name = meta.kfunc.name
    failed = msg.KFUNC_CALLBACK_FAILED.format(name=name, imm=meta.kfunc.btf_id or 0)
    if not env.sleepable:
        raise Reject(failed, (msg.SLEEPABLE_CB_IN_NON_SLEEPABLE,), errno=_EPERM)
    cb = state.regs[2]
    if cb.type is not RegType.PTR_TO_FUNC:  # checked by the arguments already
        raise Reject(msg.KFUNC_CALLBACK_EXPECTED.format(arg=1), errno=_EINVAL)
    push_async_callback(env, state, idx, cb.extra[0], meta.map_ptr, True, explorer)
