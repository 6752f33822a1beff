"""What the kernel's log says about an object's main function prototype.

``do_check_common()`` calls ``btf_prepare_func_args(env, 0)`` on the main program when it has
func_info (libbpf always gives it), only to decide whether the BTF is "reliable": a prototype it
cannot type prints one line into the log and verification goes on. The line depends on the
prototype: ``int f(void *ctx)`` of a global function prints ``arg#0 reference type('UNKNOWN ')
size cannot be determined: -22``; ``void f(void)`` (the selftests' ``__naked`` functions)
prints ``Global function f() doesn't return scalar. Only those are supported.``; a static main
function prints nothing. :func:`main_args_log` gives that line (or none).

An object whose BTF the kernel refuses (:func:`kernel_refuses_btf`: libbpf 1.1 then loads the
programs without BTF, "BTF is optional, ignoring") has neither that line nor the C source
lines of line_info in its log.
"""

from __future__ import annotations

from functools import lru_cache

from kfunclab.btf.model import Btf
from kfunclab.btf.types import BtfKind, Composite, Enum, Func, FuncProto, Int, Linkage, Ptr, Void
from kfunclab.errors import BtfError

MAX_BPF_FUNC_REG_ARGS = 5
EINVAL = 22

#: btf_is_projection_of(): a kernel context type and the kernel struct it is a view of
_PROJECTIONS = {"__sk_buff": "sk_buff", "xdp_md": "xdp_buff"}


def main_args_log(btf: Btf, func_id: int, ctx_name: str | None) -> tuple[str, ...]:
    """The line ``btf_prepare_func_args()`` prints for the main function ``func_id`` of
    ``btf`` (none when it types every argument, or stops without printing), for a program
    whose context struct is ``ctx_name`` (None: not a struct, e.g. tracing's ``u64 *``)."""
    try:
        return _main_args_log(btf, func_id, ctx_name)
    except BtfError:  # a broken prototype: the kernel refused the BTF before this point
        return ()


def _main_args_log(btf: Btf, func_id: int, ctx_name: str | None) -> tuple[str, ...]:
    func = btf.type_by_id(func_id)
    if not isinstance(func, Func):
        return ()
    proto = btf.type_by_id(func.type)
    if not isinstance(proto, FuncProto):
        return ()  # "Invalid type of function": libbpf's BTF always has a prototype
    name = func.name
    is_global = func.linkage is Linkage.GLOBAL
    if len(proto.params) > MAX_BPF_FUNC_REG_ARGS:
        return (f"Global function {name}() with {len(proto.params)} > "
                f"{MAX_BPF_FUNC_REG_ARGS} args. Buggy compiler.",) if is_global else ()
    ret = btf.type_by_id(btf.skip_modifiers(proto.type))
    if not isinstance(ret, Int | Enum):
        return ((f"Global function {name}() doesn't return scalar. Only those are "
                 "supported.",) if is_global else ())
    for i, param in enumerate(proto.params):
        if any(t.startswith("arg:") for t in btf.decl_tags(func_id, i)):
            return ()  # argument tags on a main function: not modelled, print nothing
        t = btf.type_by_id(btf.skip_modifiers(param.type))
        if isinstance(t, Ptr):
            target = btf.type_by_id(btf.skip_modifiers(t.type))
            if _is_ctx(target, ctx_name, btf, t.type):
                continue
            if isinstance(target, Composite) and target.name == "bpf_dynptr":
                continue
            if not is_global:
                return ()  # a static function's pointer argument: -EINVAL, silently
            if _size_unknown(target):
                return (f"arg#{i} reference type('{target.kind.kernel_name} {target.name}') "
                        f"size cannot be determined: -{EINVAL}",)
            continue
        if isinstance(t, Int | Enum):
            continue
        if not is_global:
            return ()
        return (f"Arg#{i} type {t.kind.kernel_name} in {name}() is not supported yet.",)
    return ()


def _is_ctx(target: object, ctx_name: str | None, btf: Btf, pointee: int) -> bool:
    """btf_is_prog_ctx_type(): a struct named as the program type's context (or the kernel
    struct it projects); kprobes also take the ``bpf_user_pt_regs_t`` typedef."""
    if ctx_name == "pt_regs" and _typedef_named(btf, pointee, "bpf_user_pt_regs_t"):
        return True
    if not isinstance(target, Composite) or ctx_name is None:
        return False
    return target.name in (ctx_name, _PROJECTIONS.get(ctx_name))


def _typedef_named(btf: Btf, type_id: int, name: str) -> bool:
    t = btf.type_by_id(type_id)
    while t.kind in (BtfKind.CONST, BtfKind.VOLATILE, BtfKind.RESTRICT, BtfKind.TYPE_TAG):
        t = btf.type_by_id(t.type)  # type: ignore[attr-defined]
    return t.kind is BtfKind.TYPEDEF and t.name == name


def _size_unknown(target: object) -> bool:
    """btf_resolve_size() fails: void, a forward declaration, a function prototype."""
    return isinstance(target, Void) or getattr(target, "kind", None) in (
        BtfKind.FWD, BtfKind.FUNC_PROTO, BtfKind.FUNC)


@lru_cache(maxsize=8)  # asked once per program of the same object
def kernel_refuses_btf(btf: Btf) -> bool:
    """``btf_func_check()`` refuses the whole BTF (``Invalid arg#N``): a FUNC whose
    prototype has a typed parameter without a name (clang writes such protos for some
    ``__naked`` functions); libbpf 1.1 does not repair it and loads the programs without BTF."""
    for type_id in range(1, len(btf)):
        try:
            t = btf.type_by_id(type_id)
            if not isinstance(t, Func) or t.linkage is Linkage.EXTERN:
                continue  # libbpf rewrites extern (kfunc, ksym) prototypes before loading
            proto = btf.type_by_id(t.type)
        except BtfError:
            continue
        if isinstance(proto, FuncProto) and any(not p.name and p.type for p in proto.params):
            return True
    return False
