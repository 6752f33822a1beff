"""Global functions of an object: their argument kinds from BTF (``btf_prepare_func_args()``).

The kernel types a global function's arguments from its BTF prototype: integers and enums are
scalars, a pointer to the program's context type (or one tagged ``__arg_ctx``) is the context,
a pointer to a sized type is memory of that size that may be NULL (``__arg_nonnull``: not NULL),
a ``struct bpf_dynptr *`` a dynptr the function may not destroy;
a pointer tagged ``__arg_trusted`` (and ``__arg_nullable``) a trusted kernel struct pointer.
:func:`arg_kinds` gives those kinds as strings for :mod:`kfunclab.verifier.globalfunc`, or the
reason kfunclab cannot model the prototype.
"""

from __future__ import annotations

from kfunclab.btf.model import Btf
from kfunclab.btf.types import Composite, Enum, FuncProto, Fwd, Int, Ptr, Void
from kfunclab.errors import BtfError


def arg_kinds(btf: Btf, func_id: int, ctx_name: str | None
              ) -> tuple[tuple[str, ...] | None, str | None]:
    """(kinds, None), or (None, why) when the prototype uses something not modelled."""
    func = btf.type_by_id(func_id)
    proto = btf.type_by_id(getattr(func, "type", 0))
    if not isinstance(proto, FuncProto):
        return None, f"'{func.name}' has no BTF prototype"
    ret = btf.type_by_id(btf.skip_modifiers(proto.type))
    if not isinstance(ret, Int | Enum):
        return None, f"global function '{func.name}' does not return a scalar"
    if len(proto.params) > 5:
        return None, f"global function '{func.name}' has more than 5 arguments"
    kinds = []
    for i, param in enumerate(proto.params):
        tags = {t for t in btf.decl_tags(func_id, i) if t.startswith("arg:")}
        t = btf.type_by_id(btf.skip_modifiers(param.type))
        if isinstance(t, Int | Enum) and not tags:
            kinds.append("scalar")
            continue
        if not isinstance(t, Ptr):
            return None, f"argument {i} of '{func.name}' is passed by value ({t.kind.name})"
        if tags == {"arg:ctx"}:
            kinds.append("ctx")
            continue
        if "arg:trusted" in tags and not tags - {"arg:trusted", "arg:nullable"}:
            # ARG_PTR_TO_BTF_ID | PTR_TRUSTED (| PTR_MAYBE_NULL): a kernel struct, looked up
            # by its name without a ___flavor suffix when the function is checked
            target = btf.type_by_id(btf.skip_modifiers(t.type))
            if not isinstance(target, Composite) or not target.name:
                return None, (f"argument {i} of '{func.name}' is __arg_trusted but does not "
                              "point to a named struct")
            name = target.name.split("___")[0] if "___" in target.name[1:] else target.name
            kinds.append(f"trusted{'?' if 'arg:nullable' in tags else ''}:{name}")
            continue
        if tags - {"arg:nonnull"}:
            return None, (f"argument {i} of '{func.name}' is tagged "
                          f"{', '.join(sorted(tags))}, not modelled")
        target = btf.type_by_id(btf.skip_modifiers(t.type))
        # btf_is_prog_ctx_type(): the kernel's context type by name; for kprobes (context
        # struct pt_regs) also the compatibility struct named like the kernel's typedef
        names = (ctx_name, "bpf_user_pt_regs_t") if ctx_name == "pt_regs" else (ctx_name,)
        if isinstance(target, Composite) and ctx_name and target.name in names and not tags:
            kinds.append("ctx")
            continue
        if isinstance(target, Composite) and target.name == "bpf_dynptr" and not tags:
            kinds.append("dynptr")  # ARG_PTR_TO_DYNPTR | MEM_RDONLY
            continue
        if isinstance(target, Void) or (isinstance(target, Composite)
                                        and target.name.startswith("bpf_")):
            return None, (f"argument {i} of '{func.name}' points to "
                          f"{target.name or 'void'}, not modelled")
        if isinstance(target, Fwd) and target.name:
            # btf_prepare_func_args() fails on it: every call is refused ("Caller passes
            # invalid args"), after this line (kept as the kind "bad:LINE")
            kinds.append(f"bad:arg#{i} reference type('FWD {target.name}') size cannot be "
                         "determined: -22")
            return tuple(kinds), None
        try:
            size = btf.sizeof(t.type)
        except BtfError:
            return None, f"argument {i} of '{func.name}' points to a type without a size"
        kinds.append(f"mem{'' if 'arg:nonnull' in tags else '?'}:{size}")
    return tuple(kinds), None
