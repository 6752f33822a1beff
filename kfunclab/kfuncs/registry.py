"""The kfunc registry: which kfuncs a program of a given type may call, with which flags.

It does what ``register_btf_kfunc_id_set()`` and ``btf_kfunc_id_set_contains()`` do in
``kernel/bpf/btf.c``: a registration puts an ID set's kfuncs into the hook of the program type
(``Profile.hook_of``); a lookup consults the COMMON hook first (kfuncs registered for
``BPF_PROG_TYPE_UNSPEC``, visible to every program type) and then the program type's own hook,
skipping a hook whose filters hide the kfunc from this program. ``None`` from :meth:`lookup` is
the verifier's "calling kernel function %s is not allowed".

>>> from kfunclab.kfuncs.decl import Kfunc
>>> from kfunclab.kfuncs.profiles import get_profile
>>> reg = Registry(get_profile("linux-6.18"))
>>> pid = Kfunc.declare("struct task_struct *bpf_task_from_pid(s32 pid)")
>>> s = IdSet("my_set", (("bpf_task_from_pid", KF.ACQUIRE | KF.RET_NULL),))
>>> reg.register("BPF_PROG_TYPE_SYSCALL", KfuncIdSet("THIS_MODULE", s), kfuncs=[pid])
<Hook.SYSCALL: 'SYSCALL'>
>>> reg.lookup("bpf_task_from_pid", "SYSCALL").flags_text, reg.lookup("bpf_task_from_pid", "XDP")
('KF_ACQUIRE | KF_RET_NULL', None)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from kfunclab.errors import DeclarationError
from kfunclab.kfuncs.decl import Kfunc
from kfunclab.kfuncs.flags import KF, format_flags
from kfunclab.kfuncs.hooks import Hook, canonical_prog_type
from kfunclab.kfuncs.idset import IdSet, KfuncIdSet, ProgContext
from kfunclab.kfuncs.profiles import DEFAULT_PROFILE, Profile
from kfunclab.kfuncs.validate import validate_kfunc

#: prototype_of(name) -> Kfunc | None: where declarations missing from the C text come from
#: (for example the kernel's BTF).
PrototypeOf = Callable[[str], Kfunc | None]

__all__ = ["IdSet", "KfuncIdSet", "PrototypeOf", "Registration", "Registry"]


@dataclass(frozen=True)
class Registration:
    """One register_btf_kfunc_id_set() call (prog_type ``None`` for the fmod_ret hook)."""

    prog_type: str | None
    id_set: KfuncIdSet
    hook: Hook


class Registry:
    """Registered kfuncs per hook, for one kernel profile."""

    def __init__(self, profile: Profile = DEFAULT_PROFILE,
                 prototype_of: PrototypeOf | None = None) -> None:
        self.profile = profile
        self.prototype_of = prototype_of
        self._decls: dict[str, Kfunc] = {}
        self._tables: dict[Hook, dict[str, KF]] = {}
        self._filters: dict[Hook, list[KfuncIdSet]] = {}
        self.registrations: list[Registration] = []

    # --- registration ------------------------------------------------------------------------

    def register(self, prog_type: str, id_set: KfuncIdSet | IdSet,
                 kfuncs: Mapping[str, Kfunc] | Iterable[Kfunc] | None = None) -> Hook:
        """register_btf_kfunc_id_set(prog_type, id_set); returns the hook it landed in.

        ``kfuncs`` declares the set's functions (a mapping by name or an iterable); names not
        given come from earlier registrations, then ``prototype_of``. Raises DeclarationError
        where the kernel's registration fails (-EINVAL) or a declaration would be refused.
        """
        kset = id_set if isinstance(id_set, KfuncIdSet) else KfuncIdSet("THIS_MODULE", id_set)
        ptype = canonical_prog_type(prog_type, where=f"register_btf_kfunc_id_set(..., "
                                                     f"&{kset.name})")
        prof = self.profile
        if prof.kfunc_sets_must_be_tagged and kset.set.kind != "kfuncs":
            raise DeclarationError(kset.name, "was made with BTF_SET8_START; since 6.9 a kfunc "
                                              "set must be declared with BTF_KFUNCS_START/"
                                              "BTF_KFUNCS_END (register_btf_kfunc_id_set() "
                                              f"returns -EINVAL in {prof.name})")
        hook = prof.hook_of(ptype)
        if hook is Hook.MAX or hook not in prof.hooks:
            raise DeclarationError(kset.name, f"cannot be registered for {ptype}: it has no kfunc "
                                              f"hook in {prof.name} (bpf_prog_type_to_kfunc_hook() "
                                              "gives BTF_KFUNC_HOOK_MAX and registration fails "
                                              "with -EINVAL); expected a program type with a "
                                              "hook, or BPF_PROG_TYPE_UNSPEC for every program "
                                              "type")
        self._add(hook, kset, kfuncs, validate=True)
        self.registrations.append(Registration(ptype, kset, hook))
        return hook

    def register_fmodret(self, id_set: KfuncIdSet | IdSet,
                         kfuncs: Mapping[str, Kfunc] | Iterable[Kfunc] | None = None) -> Hook:
        """register_btf_fmodret_id_set(): functions fmod_ret programs may attach to.

        They land in BTF_KFUNC_HOOK_FMODRET, which no program type maps to, so they are never
        callable; their prototypes are not checked as kfuncs.
        """
        kset = id_set if isinstance(id_set, KfuncIdSet) else KfuncIdSet("THIS_MODULE", id_set)
        self._add(Hook.FMODRET, kset, kfuncs, validate=False)
        self.registrations.append(Registration(None, kset, Hook.FMODRET))
        return Hook.FMODRET

    def declare(self, kfunc: Kfunc) -> None:
        """Make a declaration known without registering it (e.g. from C text)."""
        self._decls.setdefault(kfunc.name, kfunc)

    def _add(self, hook: Hook, kset: KfuncIdSet,
             kfuncs: Mapping[str, Kfunc] | Iterable[Kfunc] | None, validate: bool) -> None:
        given = _as_mapping(kfuncs)
        table = self._tables.setdefault(hook, {})
        staged: list[tuple[Kfunc, KF]] = []
        for name, flags in kset.set:
            decl = given.get(name) or self._decls.get(name) or self._from_prototype(name)
            if decl is None:
                raise DeclarationError(name, f"is in ID set {kset.name} but never declared; "
                                             "expected its prototype or definition (or a "
                                             "prototype_of resolver, e.g. backed by BTF)")
            old = table.get(name)
            if old is not None and old != flags:
                raise DeclarationError(name, f"is registered in {hook.kernel_name} twice with "
                                             f"different flags ({format_flags(old)} and "
                                             f"{format_flags(flags)}); expected one set per hook")
            if validate:
                validate_kfunc(decl, self.profile, flags)
            staged.append((decl, flags))
        for decl, flags in staged:  # all or nothing, like the kernel's registration
            self._decls.setdefault(decl.name, decl.with_flags(flags))
            table[decl.name] = flags
        if kset.filter is not None and all(k is not kset for k in self._filters.get(hook, ())):
            self._filters.setdefault(hook, []).append(kset)

    def _from_prototype(self, name: str) -> Kfunc | None:
        return self.prototype_of(name) if self.prototype_of is not None else None

    # --- queries ------------------------------------------------------------------------------

    def lookup(self, name: str, prog: str | ProgContext) -> Kfunc | None:
        """The kfunc ``name`` as a program ``prog`` sees it, or None ("... is not allowed").

        ``prog`` is a program type ("BPF_PROG_TYPE_TRACING" or "TRACING") or a ProgContext
        (needed when a filter looks at the attach type).
        """
        ctx = ProgContext.of(prog)
        for hook in (Hook.COMMON, self.profile.hook_of(ctx.prog_type)):
            flags = self._visible_flags(hook, name, ctx)
            if flags is not None:
                return self._decls[name].with_flags(flags)
        return None

    def _visible_flags(self, hook: Hook, name: str, ctx: ProgContext) -> KF | None:
        if hook is Hook.MAX:
            return None
        for kset in self._filters.get(hook, ()):
            if kset.filter is not None and not kset.filter(ctx, name):
                return None  # the kernel asks every filter of the hook first
        return self._tables.get(hook, {}).get(name)

    def kfuncs_for(self, prog: str | ProgContext) -> list[Kfunc]:
        """Every kfunc visible to ``prog``, sorted by name."""
        ctx = ProgContext.of(prog)
        names = set(self._tables.get(Hook.COMMON, {}))
        names |= set(self._tables.get(self.profile.hook_of(ctx.prog_type), {}))
        found = (self.lookup(n, ctx) for n in sorted(names))
        return [k for k in found if k is not None]

    def find(self, name: str) -> Kfunc | None:
        """The kfunc ``name`` if any set registered it (flags of its first registration)."""
        for hook in (Hook.COMMON, *(h for h in Hook if h is not Hook.COMMON)):
            flags = self._tables.get(hook, {}).get(name)
            if flags is not None:
                return self._decls[name].with_flags(flags)
        return None

    def declaration(self, name: str) -> Kfunc | None:
        """The declaration of ``name`` known to the registry, registered or not."""
        return self._decls.get(name)

    def hooks_of(self, name: str) -> tuple[Hook, ...]:
        """The hooks ``name`` is registered in."""
        return tuple(h for h in Hook if name in self._tables.get(h, {}))

    def prog_types_of(self, name: str) -> tuple[str, ...]:
        """The program types whose registrations include ``name`` (UNSPEC for COMMON)."""
        out: list[str] = []
        for r in self.registrations:
            if r.prog_type and name in r.id_set.set and r.prog_type not in out:
                out.append(r.prog_type)
        return tuple(out)

    @property
    def names(self) -> tuple[str, ...]:
        """Every registered kfunc name, sorted."""
        return tuple(sorted({n for t in self._tables.values() for n in t}))

    def __contains__(self, name: object) -> bool:
        return any(name in t for t in self._tables.values())

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        return f"<Registry {self.profile.name}: {len(self)} kfuncs, " \
               f"{len(self.registrations)} registrations>"


def _as_mapping(kfuncs: Mapping[str, Kfunc] | Iterable[Kfunc] | None) -> Mapping[str, Kfunc]:
    if kfuncs is None:
        return {}
    if isinstance(kfuncs, Mapping):
        return kfuncs
    return {k.name: k for k in kfuncs}
