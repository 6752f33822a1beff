"""ID sets: the kernel's tables of kfuncs and their flags, and the sets that register them.

``IdSet`` is what ``BTF_KFUNCS_START(name) ... BTF_ID_FLAGS(func, f, FLAGS) ... BTF_KFUNCS_END``
(or the older ``BTF_SET8_START``) builds: a ``struct btf_id_set8``. ``KfuncIdSet`` is a
``struct btf_kfunc_id_set``: owner, the set, and an optional filter. A filter decides, for one
program and one kfunc, whether the kfunc is visible; like the kernel's, every filter registered in
a hook is asked about every kfunc looked up in that hook, so a well-written filter only speaks
about its own set's kfuncs.

>>> s = IdSet("bpf_task_set", (("bpf_get_task_pid", KF.ACQUIRE | KF.RET_NULL),), "set8")
>>> s.flags_of("bpf_get_task_pid")
<KF.ACQUIRE|RET_NULL: 5>
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from kfunclab.errors import DeclarationError
from kfunclab.kfuncs.flags import KF
from kfunclab.kfuncs.hooks import canonical_prog_type

SetKind = Literal["set8", "kfuncs"]


@dataclass(frozen=True)
class ProgContext:
    """What a filter may look at: the program type, expected attach type and attach target.

    ``attach_type`` is a ``BPF_*`` attach type name (``BPF_TRACE_ITER``,
    ``BPF_TRACE_KPROBE_SESSION`` ...); ``attach_btf_name`` the BTF name the program attaches to
    (``bpf_iter_tcp``, ``bpf_lsm_file_open`` ...).
    """

    prog_type: str
    attach_type: str | None = None
    attach_btf_name: str | None = None
    sleepable: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "prog_type", canonical_prog_type(self.prog_type))

    @classmethod
    def of(cls, prog: str | ProgContext) -> ProgContext:
        return prog if isinstance(prog, ProgContext) else cls(prog)


#: filter(program, kfunc name) -> True if the kfunc is visible to the program.
KfuncFilter = Callable[[ProgContext, str], bool]


@dataclass(frozen=True)
class IdSet:
    """A ``struct btf_id_set8`` of kfuncs: (name, flags) entries, in order.

    ``kind`` is ``"kfuncs"`` for ``BTF_KFUNCS_START`` (the set carries ``BTF_SET8_KFUNCS``) and
    ``"set8"`` for ``BTF_SET8_START``.
    """

    name: str
    entries: tuple[tuple[str, KF], ...]
    kind: SetKind = "kfuncs"

    def __post_init__(self) -> None:
        if self.kind not in ("set8", "kfuncs"):
            raise DeclarationError(self.name, f"unknown ID set kind {self.kind!r}; expected "
                                              "'set8' (BTF_SET8_START) or 'kfuncs' "
                                              "(BTF_KFUNCS_START)")
        entries = tuple((str(n), KF(f)) for n, f in self.entries)
        object.__setattr__(self, "entries", entries)

    def __iter__(self) -> Iterator[tuple[str, KF]]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, name: object) -> bool:
        return any(n == name for n, _ in self.entries)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.entries)

    def flags_of(self, name: str) -> KF | None:
        for n, f in self.entries:
            if n == name:
                return f
        return None


@dataclass(frozen=True)
class KfuncIdSet:
    """``struct btf_kfunc_id_set { .owner, .set, .filter }``."""

    owner: str
    set: IdSet
    filter: KfuncFilter | None = None
    filter_name: str = ""  # for display: the C function's name

    @property
    def name(self) -> str:
        return self.set.name
