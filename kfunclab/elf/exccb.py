"""The exception callback a program names with ``__exception_cb(fn)``, found as the kernel does.

``bpf_find_exception_callback_insn_off()`` (kernel/bpf/verifier.c, run by
``add_subprog_and_kfunc()`` before anything else is checked) reads the main function's BTF
decl tag ``exception_callback:NAME``: more than one such tag, a NAME that is no FUNC of the
program's BTF, a FUNC that is not global, or a FUNC the loaded program's func_info does not
hold (libbpf only links functions the program calls) refuses the program. A callback that is
found is verified on its own after the main program, as a global function is
(``do_check_subprogs()`` marks it called): see kfunclab.verifier.exceptions.

>>> TAG_PREFIX
'exception_callback:'
"""

from __future__ import annotations

from kfunclab.btf.model import Btf
from kfunclab.btf.types import Func, Linkage

TAG_PREFIX = "exception_callback:"


def exception_callback_check(btf: Btf, main_id: int,
                             func_info: dict[int, int]) -> tuple[str | None, str | None]:
    """``(refusal, unsupported)`` for the main function ``main_id``: the kernel's log line when
    it refuses the program, or the reason kfunclab cannot answer; ``(None, None)`` when there
    is no callback or it is found. ``func_info`` maps the linked program's slots to BTF FUNC ids."""
    tags = [t for t in btf.decl_tags(main_id) if t.startswith(TAG_PREFIX)]
    if not tags:
        return None, None
    if len(tags) > 1:
        return "multiple exception callback tags for main subprog", None
    name = tags[0][len(TAG_PREFIX):]
    ids = btf.find(name, "FUNC")
    if not ids:
        return f"exception callback '{name}' could not be found in BTF", None
    t = btf.type_by_id(ids[0])
    if not isinstance(t, Func) or t.linkage is not Linkage.GLOBAL:
        return f"exception callback '{name}' must have global linkage", None
    slots = [slot for slot, tid in func_info.items() if tid == ids[0]]
    if not slots:
        return "exception callback type id not found in func_info", None
    if 0 in slots:
        return "invalid exception callback insn_off in func_info: 0", None
    return None, None


def exception_callback_name(btf: Btf, main_id: int) -> str | None:
    """The NAME of the main function's one ``exception_callback:NAME`` decl tag, else None."""
    tags = [t for t in btf.decl_tags(main_id) if t.startswith(TAG_PREFIX)]
    return tags[0][len(TAG_PREFIX):] if len(tags) == 1 else None
