"""Write a C header (``vmlinux.h``) from BTF, as ``bpftool btf dump file F format c`` does.

Every type is written once, after the types it needs by value; a struct reached only through a
pointer gets a forward declaration (``struct task_struct;``) instead, which is what lets the
kernel's cyclic type graph become C. Anonymous structs, unions and enums are written inline where
they are used; anonymous enums nothing refers to (``enum { BPF_ANY = 0, ... };``) at top level.
Records get ``preserve_access_index`` through ``#pragma clang attribute push`` (so field accesses
become CO-RE relocations), unless the program defines ``BPF_NO_PRESERVE_ACCESS_INDEX``. Kfuncs
(FUNCs tagged ``bpf_kfunc``) are declared ``__weak __ksym`` as newer bpftool does, unless
``BPF_NO_KFUNC_PROTOTYPES`` is defined. Snapshot stubs become forward declarations.

Against ``bpftool`` v7.1 on a 6.18 kernel (16,381 definitions, same order) all but 44 are the
same text: 35 fill a gap with other unnamed bitfields (``int: 32;`` where bpftool writes
``long: 0;``), 8 one-byte enums get ``__attribute__((mode(byte)))`` (without it ``struct inode``
is 8 bytes too big), and ``struct warn_args`` is padded for the BPF target's 8-byte ``va_list``.
The 158 source files of the 6.12 selftests that clang-16 builds compile to the same instructions
against either header (the 38 that declare kfuncs with older prototypes, e.g.
``bpf_path_d_path``, need ``-DBPF_NO_KFUNC_PROTOTYPES``).

>>> from kfunclab.btf.testing import tiny_btf
>>> text = write_header(tiny_btf())
>>> "struct task_struct {" in text, "extern struct task_struct *bpf_task_acquire(" in text
(True, True)
"""

from __future__ import annotations

from kfunclab.btf.cdecl import CDecl
from kfunclab.btf.model import Btf
from kfunclab.btf.types import (
    Array,
    BtfKind,
    Composite,
    Datasec,
    DeclTag,
    Enum,
    Func,
    FuncProto,
    Modifier,
    Ptr,
    Var,
)
from kfunclab.errors import BtfError

_NEW, _VISITING, _DONE = 0, 1, 2  # ordering states
_EMITTING = 1  # emit states: _NEW, _EMITTING, _DONE
# typedefs a compiler already knows: redefining them is an error
_BUILTIN_TYPEDEFS = frozenset({"__builtin_va_list"})
# base types, and kinds that are not C types (FUNC, VAR, DATASEC, DECL_TAG): nothing to order
_NOT_ORDERED = frozenset({BtfKind.UNKN, BtfKind.INT, BtfKind.FLOAT, BtfKind.FUNC, BtfKind.VAR,
                          BtfKind.DATASEC, BtfKind.DECL_TAG})
_WRAPPERS = frozenset({BtfKind.CONST, BtfKind.VOLATILE, BtfKind.RESTRICT, BtfKind.TYPE_TAG})

_PROLOGUE = """\
#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

"""
_EPILOGUE = """\
#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
"""
_KSYM_MACRO = """\
#ifndef __ksym
#define __ksym __attribute__((section(".ksyms")))
#endif
"""
_WEAK_MACRO = """\
#ifndef __weak
#define __weak __attribute__((weak))
#endif
"""
_FASTCALL = """\
#ifndef __bpf_fastcall
#if __has_attribute(bpf_fastcall)
#define __bpf_fastcall __attribute__((bpf_fastcall))
#else
#define __bpf_fastcall
#endif
#endif
"""


def write_header(btf: Btf, kfuncs: bool = True, variables: bool = False) -> str:
    """The whole header for ``btf``.

    Parameters
    ----------
    btf:
        Kernel (or program) BTF; a snapshot's stubs become forward declarations.
    kfuncs:
        Declare every kfunc ``extern ... __weak __ksym;`` (guarded by BPF_NO_KFUNC_PROTOTYPES).
    variables:
        Also declare every VAR (the per-CPU variables of vmlinux) ``extern const ... __ksym;``
        (guarded by BPF_NO_KSYM_VARIABLES).

    >>> from kfunclab.btf.testing import tiny_btf
    >>> write_header(tiny_btf()).splitlines()[0]
    '#ifndef __VMLINUX_H__'
    """
    return HeaderWriter(btf).header(kfuncs=kfuncs, variables=variables)


def type_definitions(btf: Btf) -> list[str]:
    """Every top-level definition or declaration, in header order, each ending with ``;``."""
    return HeaderWriter(btf).definitions()


class HeaderWriter:
    """Orders and writes the type definitions of one BTF (use once)."""

    def __init__(self, btf: Btf) -> None:
        self.btf = btf
        self.c = CDecl(btf)
        n = len(btf.raw)
        self._order_state = bytearray(n)
        self._emit_state = bytearray(n)
        self._fwd_done = bytearray(n)
        self._queue: list[int] = []
        self._out: list[str] = []
        self._referenced = self._mark_referenced()

    def _ids(self) -> range:
        return range(1, len(self.btf.raw))

    def _present(self, type_id: int) -> bool:
        return bool(self.btf.raw.kinds[type_id])  # a snapshot's holes are kind 0

    def _mark_referenced(self) -> bytearray:
        """Which ids some other type names (anonymous ones of those are written inline)."""
        ref = bytearray(len(self.btf.raw))
        for tid in self._ids():
            if (not self._present(tid) or tid in self.btf.stubs
                    or self.btf.raw.kinds[tid] == BtfKind.FUNC):  # FUNCs name only protos
                continue
            t = self.btf.raw.decode(tid)
            match t:
                case Ptr() | Modifier() | Func() | Var() | DeclTag():
                    ref[t.type] = 1
                case Array():
                    ref[t.type] = ref[t.index_type] = 1
                case Composite():
                    for m in t.members:
                        ref[m.type] = 1
                case FuncProto():
                    ref[t.type] = 1
                    for p in t.params:
                        ref[p.type] = 1
                case Datasec():
                    for v in t.vars:
                        ref[v.type] = 1
        return ref

    # -- ordering -------------------------------------------------------------------------

    def _order(self, tid: int, through_ptr: bool) -> bool:
        """Queue what ``tid`` needs, then ``tid`` itself; True when it is a "strong" type (one
        whose definition must come first, not just a forward declaration)."""
        if self._order_state[tid] == _DONE:
            return True
        kind = self.c.kind(tid)
        if kind in _NOT_ORDERED:
            self._order_state[tid] = _DONE
            return False
        t = self.c.t(tid)
        if isinstance(t, Ptr):
            return self._order(t.type, True)
        if isinstance(t, Array):
            return self._order(t.type, False)
        if isinstance(t, Composite):
            if through_ptr and t.name:
                return False  # a forward declaration will do
            if self._order_state[tid] == _VISITING:
                raise BtfError(f"{self.btf.origin}: struct/union [{tid}] contains itself")
            self._order_state[tid] = _VISITING
            for m in t.members:
                self._order(m.type, False)
            if t.name:  # an anonymous one is written where it is used
                self._queue.append(tid)
            self._order_state[tid] = _DONE
            return True
        if kind in (BtfKind.ENUM, BtfKind.ENUM64, BtfKind.FWD):
            self._queue_top_level(tid, bool(self.btf.raw.name(tid)))
            return True
        if kind is BtfKind.TYPEDEF:
            assert isinstance(t, Modifier)
            strong = self._order(t.type, through_ptr)
            if through_ptr and not strong:
                return False
            self._queue.append(tid)
            self._order_state[tid] = _DONE
            return True
        if isinstance(t, Modifier):
            return self._order(t.type, through_ptr)
        if isinstance(t, FuncProto):
            self._order(t.type, through_ptr)
            for p in t.params:
                self._order(p.type, through_ptr)
            return False
        raise BtfError(f"type [{tid}] has unknown kind {kind}")  # pragma: no cover

    def _queue_top_level(self, tid: int, named: bool) -> None:
        if named or not self._referenced[tid]:
            self._queue.append(tid)
        self._order_state[tid] = _DONE

    # -- emission -------------------------------------------------------------------------

    def _put(self, text: str) -> None:
        self._out.append(text + ";")

    def _emit(self, tid: int, cont_id: int) -> None:
        """Write ``tid`` (at top level when ``cont_id`` is 0), forward-declaring what it
        reaches through pointers that is not written yet."""
        state = self._emit_state[tid]
        if state == _DONE or tid == 0:
            return
        c = self.c
        kind = c.kind(tid)
        t = c.t(tid)
        if state == _EMITTING:
            if self._fwd_done[tid]:
                return
            if isinstance(t, Composite) and tid != cont_id and t.name:
                self._put(f"{kind.name.lower()} {c.tag_name(tid)}")
                self._fwd_done[tid] = 1
            elif kind is BtfKind.TYPEDEF:
                self._typedef(t)  # usable through pointers only, so still "emitting"
                self._fwd_done[tid] = 1
            return
        if kind in (BtfKind.ENUM, BtfKind.ENUM64):
            if cont_id == 0:
                assert isinstance(t, Enum)
                self._put(c.enum_body(t, 0))
            self._emit_state[tid] = _DONE
        elif kind is BtfKind.FWD:
            self._put(c.decl(tid))
            self._emit_state[tid] = _DONE
        elif isinstance(t, Ptr | Array) or kind in _WRAPPERS:
            self._emit(t.type, cont_id)  # type: ignore[union-attr]
        elif kind is BtfKind.TYPEDEF:
            assert isinstance(t, Modifier)
            self._emit_state[tid] = _EMITTING
            self._emit(t.type, tid)
            if not self._fwd_done[tid]:
                self._typedef(t)
            self._emit_state[tid] = _DONE
        elif isinstance(t, Composite):
            self._emit_composite(t, cont_id)
        elif isinstance(t, FuncProto):
            self._emit(t.type, cont_id)
            for p in t.params:
                self._emit(p.type, cont_id)
        elif kind in (BtfKind.INT, BtfKind.FLOAT):
            self._emit_state[tid] = _DONE

    def _emit_composite(self, t: Composite, cont_id: int) -> None:
        tid = t.id
        self._emit_state[tid] = _EMITTING
        top_level = cont_id == 0
        if top_level or not t.name:
            # written in full here: whatever its members reach needs declaring first
            inner = cont_id if not t.name else tid
            for m in t.members:
                self._emit(m.type, inner)
        elif not self._fwd_done[tid] and tid != cont_id:
            self._put(f"{t.kind.name.lower()} {self.c.tag_name(tid)}")
            self._fwd_done[tid] = 1
        if top_level:
            self._put(self.c.composite_body(t, 0))
            self._emit_state[tid] = _DONE
        else:
            self._emit_state[tid] = _NEW

    def _typedef(self, t: Modifier) -> None:
        if t.name in _BUILTIN_TYPEDEFS:
            return
        name = self.c.ident_name(t.id)
        self._put(f"typedef {self.c.decl(t.type, name)}{self.c.decl_attrs(t.id, -1)}")

    def definitions(self) -> list[str]:
        """Every top-level type definition/declaration, in dependency order."""
        if not self._out:
            for tid in self._ids():
                if not self._present(tid):
                    continue
                self._order(tid, False)
                for queued in self._queue:
                    self._emit(queued, 0)
                self._queue.clear()
        return self._out

    # -- the header -----------------------------------------------------------------------

    def kfunc_prototypes(self) -> list[str]:
        """``extern <prototype> __weak __ksym;`` for every FUNC tagged ``bpf_kfunc``."""
        out = []
        for sig in sorted(self.btf.kfuncs(), key=lambda s: s.btf_id):
            name = self.c.ident_name(sig.btf_id)
            extra = " __bpf_fastcall" if "bpf_fastcall" in sig.decl_tags else ""
            out.append(f"extern {self.c.decl(sig.proto_id, name)}{extra} __weak __ksym;")
        return out

    def variables(self) -> list[str]:
        """``extern const <type> <name> __ksym;`` for every VAR, with its DATASEC named."""
        out = []
        for sec_id in self.btf.raw.ids_of_kind(BtfKind.DATASEC):
            sec = self.c.t(sec_id)
            assert isinstance(sec, Datasec)
            out.append(f"/* {sec.name} */")
            for info in sec.vars:
                var = self.c.t(info.type)
                if isinstance(var, Var):
                    name = self.c.ident_name(var.id)
                    out.append(f"extern const {self.c.decl(var.type, name)} __ksym;")
        return out

    def header(self, kfuncs: bool = True, variables: bool = False) -> str:
        body = "\n\n".join(self.definitions())
        parts = [_PROLOGUE, body + "\n\n" if body else ""]
        protos = self.kfunc_prototypes() if kfuncs else []
        if protos:
            parts += ["#ifndef BPF_NO_KFUNC_PROTOTYPES\n", _KSYM_MACRO, _WEAK_MACRO, _FASTCALL,
                      "\n".join(protos), "\n#endif\n\n"]
        decls = self.variables() if variables else []
        if decls:
            parts += ["#ifndef BPF_NO_KSYM_VARIABLES\n", _KSYM_MACRO, "\n".join(decls),
                      "\n#endif\n\n"]
        parts.append(_EPILOGUE)
        return "".join(parts)
