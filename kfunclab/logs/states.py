"""Register and stack state text of a verifier log, read back into a state value.

The kernel's ``print_verifier_state()`` writes a state as space-separated ``NAME=VALUE`` items:
``R1=ctx() R10=fp0 fp-8=mmmmmmmm refs=2,5``, prefixed by `` frame1:`` inside a subprogram.
A value may itself hold spaces inside parentheses (``var_off=(0x0; 0x1)``), so items are cut at
spaces outside parentheses only.

A register value is kept as the kernel's text: turning ``ptr_or_null_cgroup(id=2,ref_obj_id=2)``
back into a :class:`~kfunclab.verifier.regs.Reg` would need the BTF the log was made with.
:class:`LogSnapshot` offers what the views read from a
:class:`~kfunclab.verifier.state.Snapshot` (``live_regs()``, ``stack_text()``, ``refs`` ...).

>>> s = parse_state("R0=ptr_cgroup(ref_obj_id=2) R10=fp0 fp-8=mmmmmmmm refs=2")
>>> s.regs["R0"], s.stack["fp-8"], s.refs
('ptr_cgroup(ref_obj_id=2)', 'mmmmmmmm', (2,))
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kfunclab.verifier.state import Ref, RefKind

_REF_OBJ = re.compile(r"\bref_(?:obj_)?id=(\d+)")
_REG = re.compile(r"R(\d+)$")


@dataclass(frozen=True, slots=True)
class StateText:
    """One printed state: the registers and slots it names, the refs, the frame."""

    regs: dict[str, str] = field(default_factory=dict)
    stack: dict[str, str] = field(default_factory=dict)
    refs: tuple[int, ...] | None = None  # None: the line printed no ``refs=``
    frameno: int = 0
    callback: str = ""  # "cb" / "async_cb": the frame is a callback's


def split_items(text: str) -> list[str]:
    """Cut at spaces outside parentheses: ``"R1=a(b; c) R2=1"`` -> ``["R1=a(b; c)", "R2=1"]``."""
    items: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == " " and depth == 0:
            if i > start:
                items.append(text[start:i])
            start = i + 1
    if start < len(text):
        items.append(text[start:])
    return items


def looks_like_state(text: str) -> bool:
    """Whether ``text`` (after ``N:``) is a state print: ``R``/``fp``/``frame``/``refs`` items."""
    items = split_items(text.strip())
    return all(_item_kind(item) is not None for item in items)


#: print_verifier_state()'s frame marks: a callback (" cb") or async callback (" async_cb")
CALLBACK_MARKS = ("cb", "async_cb")


def _item_kind(item: str) -> str | None:
    if re.fullmatch(r"frame\d+:", item):
        return "frame"
    if item in CALLBACK_MARKS:
        return "callback"
    name, eq, _value = item.partition("=")
    if not eq:
        return None
    if _REG.match(name):
        return "reg"
    if re.fullmatch(r"fp-\d+", name):
        return "stack"
    if name == "refs":
        return "refs"
    return None


def parse_state(text: str) -> StateText:
    """A state print (the part after ``N:`` or ``;``) as a :class:`StateText`.

    Raises ValueError on an item that is not a register, slot, frame or ``refs``.
    """
    regs: dict[str, str] = {}
    stack: dict[str, str] = {}
    refs: tuple[int, ...] | None = None
    frameno = 0
    callback = ""
    for item in split_items(text.strip()):
        kind = _item_kind(item)
        if kind is None:
            raise ValueError(f"not a state item: {item!r}")
        if kind == "frame":
            frameno = int(item[5:-1])
            continue
        if kind == "callback":
            callback = item
            continue
        name, _, value = item.partition("=")
        if kind == "reg":
            regs[name] = value
        elif kind == "stack":
            stack[name] = value
        else:
            refs = tuple(int(x) for x in value.split(",") if x.isdigit())
    return StateText(regs, stack, refs, frameno, callback)


def ref_ids_in(value: str) -> set[int]:
    """The ``ref_obj_id``/``ref_id`` numbers a register or slot text mentions."""
    return {int(m) for m in _REF_OBJ.findall(value)}


def _reg_key(name: str) -> int:
    return int(name[1:])


def _slot_key(name: str) -> int:
    return -int(name[2:])


@dataclass(frozen=True, slots=True)
class LogSnapshot:
    """A state as the log shows it: what views read of a :class:`~kfunclab.verifier.state.Snapshot`.

    ``regs`` maps ``"R0"`` to the kernel's text, ``stack`` ``"fp-8"`` to the slot's text;
    ``seen`` names the registers and slots the log printed at this step (the others were
    carried over from earlier prints). ``refs`` are :class:`~kfunclab.verifier.state.Ref` values
    whose ``insn`` is the acquiring instruction where the log showed it (else -1).
    """

    reg_values: tuple[tuple[str, str], ...] = ()
    stack_values: tuple[tuple[str, str], ...] = ()
    refs: tuple[Ref, ...] = ()
    frameno: int = 0
    depth: int = 1
    seen: frozenset[str] = frozenset()
    active_rcu_lock: int = 0
    active_preempt_locks: int = 0
    active_irq_id: int = 0

    @property
    def regs(self) -> tuple[tuple[str, str], ...]:
        return self.reg_values

    def live_regs(self) -> dict[str, str]:
        """``{"R0": "ptr_cgroup(ref_obj_id=2)", ...}`` in register order."""
        return dict(self.reg_values)

    def stack_text(self) -> dict[str, str]:
        """``{"fp-8": "mmmmmmmm", ...}`` from fp-8 downwards."""
        return dict(self.stack_values)

    def reg_text(self, regno: int) -> str:
        return self.live_regs().get(f"R{regno}", "?")

    def format(self) -> str:
        """The whole state as one kernel-style line."""
        parts = [f"{k}={v}" for k, v in self.reg_values + self.stack_values]
        if self.refs:
            parts.append("refs=" + ",".join(str(r.id) for r in self.refs))
        return " ".join(parts)


def build_snapshot(regs: dict[str, str], stack: dict[str, str], refs: tuple[int, ...],
                   acquired: dict[int, tuple[int, str]], frameno: int,
                   seen: frozenset[str]) -> LogSnapshot:
    """A :class:`LogSnapshot` from accumulated dictionaries (sorted as the kernel prints)."""
    ref_values = tuple(Ref(i, acquired.get(i, (-1, ""))[0], RefKind.PTR,
                           acquired.get(i, (-1, ""))[1]) for i in refs)
    return LogSnapshot(
        tuple(sorted(regs.items(), key=lambda kv: _reg_key(kv[0]))),
        tuple(sorted(stack.items(), key=lambda kv: _slot_key(kv[0]))),
        ref_values, frameno, frameno + 1, seen)
