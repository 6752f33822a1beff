"""The control-flow graph: subprograms, basic blocks, prune points, graphs, dominators, loops.

:func:`build_cfg` finds subprograms as the kernel's ``add_subprog``/``check_subprogs`` do, the
basic blocks, and the kernel's prune points, jump points and forced checkpoints
(``visit_insn``/``push_insn`` in Linux 6.18); the :class:`Cfg` builds lazily, with networkx, the
instruction graph, the block graph, dominators, natural loops and drawing layers.

>>> from kfunclab.isa.insn import Alu, AluOp, Exit, Jump, JmpOp
>>> prog = Program((Alu(AluOp.MOV, 0, None, 0), Jump(JmpOp.JEQ, 0, None, 0, 1),
...                 Alu(AluOp.MOV, 0, None, 1), Exit()), section="xdp")
>>> [(b.start, b.end) for b in build_cfg(prog).blocks]
[(0, 1), (2, 2), (3, 3)]
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING

from kfunclab.isa.insn import Call, CallKind, Imm64Tail, Insn, MayGoto
from kfunclab.isa.program import Program
from kfunclab.verifier.cfg.flow import (
    OP_CALL,
    OP_COND,
    OP_EXIT,
    OP_GOTO,
    OP_SUBCALL,
    Flow,
    build_flow,
    helper_in,
)

if TYPE_CHECKING:
    import networkx as nx

# Helpers and kfuncs that visit_insn() treats specially, by name; a helper call may carry only
# its id (``call 181``), so helpers match by id too.
_SYNC_CALLBACK_HELPERS = frozenset(
    {"bpf_for_each_map_elem", "bpf_find_vma", "bpf_loop", "bpf_user_ringbuf_drain"}
)
_ASYNC_CALLBACK_HELPERS = frozenset({"bpf_timer_set_callback"})
_SYNC_CALLBACK_KFUNCS = frozenset({"bpf_rbtree_add_impl"})
_ASYNC_CALLBACK_KFUNCS = frozenset(
    {"bpf_wq_set_callback_impl", "bpf_task_work_schedule_signal_impl",
     "bpf_task_work_schedule_resume_impl"}
)


class EdgeKind(StrEnum):
    """The ``kind`` attribute of a graph edge."""

    FALLTHROUGH = "fallthrough"  # to the next instruction (also after a call returns)
    TAKEN = "taken"  # a conditional jump's target
    GOTO = "goto"  # an unconditional jump's target
    CALL = "call"  # call site -> callee entry; not intra-procedural flow


@dataclass(frozen=True, slots=True)
class Subprog:
    """A function: slots ``start`` up to (not including) ``end``; index 0 is the main program."""

    index: int
    start: int
    end: int
    label: str | None = None

    @property
    def slots(self) -> range:
        return range(self.start, self.end)


@dataclass(frozen=True, slots=True)
class BasicBlock:
    """Straight-line run of instructions from slot ``start`` to the last one, at slot ``end``.

    Equality and hashing use start, end and subprog only, so blocks are cheap graph nodes.
    """

    start: int
    end: int
    subprog: int
    slots: tuple[int, ...] = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Loop:
    """A natural loop: its header, the blocks whose back edges enter it, and its body."""

    header: BasicBlock
    latches: tuple[BasicBlock, ...]
    body: frozenset[BasicBlock] = field(compare=False)


@dataclass(frozen=True, slots=True)
class _Marks:
    prune: frozenset[int]
    jmp: frozenset[int]
    force: frozenset[int]
    callback: frozenset[int]


def _marks(insns: tuple[Insn, ...], flow: Flow) -> _Marks:
    """visit_insn()/push_insn()/visit_func_call_insn() marks, for every in-range target."""
    n = len(insns)
    prune: set[int] = set()
    jmp: set[int] = set()
    force: set[int] = set()
    callback: set[int] = set()
    op, ft, br = flow.op, flow.ft, flow.br
    for t in range(n):
        o = op[t]
        if o == OP_COND:
            prune.add(t)  # the jump itself, not its fall-through
            if type(insns[t]) is MayGoto:  # visit_insn(): may_goto is a forced checkpoint
                force.add(t)
            w = br[t]
            if 0 <= w < n:
                prune.add(w)
                jmp.add(w)
        elif o == OP_GOTO:
            w = ft[t]
            if 0 <= w < n:
                prune.add(w)
                jmp.add(w)
        elif o in (OP_CALL, OP_SUBCALL):
            ins = insns[t]
            if type(ins) is Call:
                _mark_call(t, ins, prune, jmp, force, callback)
            w = ft[t]  # the return site of every call
            if w < n:
                prune.add(w)
                jmp.add(w)
            if o == OP_SUBCALL:
                prune.add(t)
                w = br[t]
                if 0 <= w < n:
                    prune.add(w)
                    jmp.add(w)
    return _Marks(frozenset(prune), frozenset(jmp), frozenset(force), frozenset(callback))


def _mark_call(
    t: int, ins: Call, prune: set[int], jmp: set[int], force: set[int], callback: set[int]
) -> None:
    kfunc = ins.name if ins.kind is CallKind.KFUNC else None
    if helper_in(ins, _ASYNC_CALLBACK_HELPERS) or kfunc in _ASYNC_CALLBACK_KFUNCS:
        prune.add(t)
    if helper_in(ins, _SYNC_CALLBACK_HELPERS) or kfunc in _SYNC_CALLBACK_KFUNCS:
        callback.add(t)
        force.add(t)
        prune.add(t)
        jmp.add(t)
    if kfunc is not None and kfunc.startswith("bpf_iter_") and kfunc.endswith("_next"):
        prune.add(t)  # KF_ITER_NEXT: checkpoint every iteration for open-coded iterators
        force.add(t)


def _subprog_starts(insns: tuple[Insn, ...], flow: Flow) -> list[int]:
    n = len(insns)
    starts = {0}
    for t, o in enumerate(flow.op):
        if o == OP_SUBCALL and 0 <= flow.br[t] < n:
            starts.add(flow.br[t])
    return sorted(starts)


def _subprogs(program: Program, starts: list[int]) -> tuple[Subprog, ...]:
    label_at: dict[int, str] = {}
    for name, slot in program.labels.items():
        label_at.setdefault(slot, name)
    ends = [*starts[1:], len(program.insns)]
    pairs = enumerate(zip(starts, ends, strict=True))
    return tuple(Subprog(i, s, e, label_at.get(s)) for i, (s, e) in pairs)


def _blocks(insns: tuple[Insn, ...], flow: Flow, starts: list[int]) -> tuple[BasicBlock, ...]:
    n = len(insns)
    real = [type(ins) is not Imm64Tail for ins in insns]
    leaders = set(starts)
    for t, o in enumerate(flow.op):
        if o == OP_COND:
            leaders.add(flow.br[t])
            leaders.add(t + 1)
        elif o == OP_GOTO:
            leaders.add(flow.ft[t])
            leaders.add(t + 1)
        elif o == OP_EXIT:
            leaders.add(t + 1)
    blocks: list[BasicBlock] = []
    current: list[int] = []
    sub = 0
    for t in range(n):
        if not real[t]:
            continue
        if t in leaders and current:
            blocks.append(BasicBlock(current[0], current[-1], sub, tuple(current)))
            current = []
        if not current:
            sub = bisect.bisect_right(starts, t) - 1
        current.append(t)
    if current:
        blocks.append(BasicBlock(current[0], current[-1], sub, tuple(current)))
    return tuple(blocks)


def build_cfg(program: Program) -> Cfg:
    """Subprograms, basic blocks, prune points and (lazily) graphs of ``program``.

    Works on any program, also one :func:`check_cfg` rejects: edges leaving the program or
    landing inside an ld_imm64 are left out of the graphs.

    >>> from kfunclab.isa.insn import Alu, AluOp, Call, CallKind, Exit
    >>> mov0 = Alu(AluOp.MOV, 0, None, 0)
    >>> prog = Program((Call(CallKind.SUBPROG, 1), Exit(), mov0, Exit()), section="xdp")
    >>> cfg = build_cfg(prog)
    >>> [(s.start, s.end) for s in cfg.subprogs], cfg.callee(0), cfg.successors(0)
    ([(0, 2), (2, 4)], 2, (1,))
    """
    insns = program.insns
    flow = build_flow(insns)
    starts = _subprog_starts(insns, flow)
    marks = _marks(insns, flow)
    return Cfg(
        program=program,
        subprogs=_subprogs(program, starts),
        blocks=_blocks(insns, flow, starts),
        prune_points=marks.prune,
        jmp_points=marks.jmp,
        force_checkpoints=marks.force,
        calls_callback=marks.callback,
        _flow=flow,
    )


@dataclass(frozen=True, eq=False)
class Cfg:
    """The control flow of one program; build it with :func:`build_cfg`.

    ``prune_points``: where the explorer looks for an equivalent earlier state (the kernel's
    ``is_prune_point``): conditional jumps themselves, jump and goto targets, the instruction after
    every call, subprogram calls and their callee entries, iterator ``next`` kfunc calls and
    callback-calling helpers. ``jmp_points``: where the kernel records jump history
    (``mark_jmp_point``). ``force_checkpoints``: where a new state is always stored.
    The marks cover every instruction; the kernel marks only those its DFS reaches, which is all of
    them for a program that passes :func:`check_cfg`. (Checked on 6.18 with BPF_F_TEST_STATE_FREQ,
    which stores a state at every prune point visit: ``total_states`` matched these sets.)
    """

    program: Program
    subprogs: tuple[Subprog, ...]
    blocks: tuple[BasicBlock, ...]
    prune_points: frozenset[int]
    jmp_points: frozenset[int]
    force_checkpoints: frozenset[int]
    calls_callback: frozenset[int]
    _flow: Flow = field(repr=False)

    # --- per slot ------------------------------------------------------------------------------
    def edges(self, slot: int) -> tuple[tuple[int, EdgeKind], ...]:
        """Intra-procedural successors of ``slot`` with their kinds (fall-through first)."""
        o, ft, br = self._flow.op[slot], self._flow.ft[slot], self._flow.br[slot]
        if o == OP_EXIT:
            return ()
        real, n = self._real, len(self._real)
        ok_ft = 0 <= ft < n and real[ft]
        if o == OP_GOTO:
            return ((ft, EdgeKind.GOTO),) if ok_ft else ()
        out = ((ft, EdgeKind.FALLTHROUGH),) if ok_ft else ()
        if o == OP_COND and 0 <= br < n and real[br]:
            out += ((br, EdgeKind.TAKEN),)
        return out

    def successors(self, slot: int) -> tuple[int, ...]:
        """Slots control may reach next from ``slot`` within its function (no call edges)."""
        return tuple(dict.fromkeys(w for w, _ in self.edges(slot)))

    def callee(self, slot: int) -> int | None:
        """Entry slot of the subprogram that ``slot`` calls (or loads as a callback), else None."""
        if self._flow.op[slot] != OP_SUBCALL:
            return None
        w = self._flow.br[slot]
        return w if 0 <= w < len(self._real) and self._real[w] else None

    def subprog_of(self, slot: int) -> Subprog:
        starts = [s.start for s in self.subprogs]
        return self.subprogs[bisect.bisect_right(starts, self._check_slot(slot)) - 1]

    def block_of(self, slot: int) -> BasicBlock:
        """The block holding ``slot`` (an ld_imm64's tail slot belongs to its head's block)."""
        return self.blocks[bisect.bisect_right(self._block_starts, self._check_slot(slot)) - 1]

    def _check_slot(self, slot: int) -> int:
        if not 0 <= slot < len(self.program.insns):
            raise IndexError(f"slot {slot} is outside the program (0..{len(self.program.insns)})")
        return slot

    @cached_property
    def _real(self) -> bytes:
        """1 for the slot of a real instruction, 0 for an ld_imm64 tail."""
        return bytes(type(ins) is not Imm64Tail for ins in self.program.insns)

    @cached_property
    def _block_starts(self) -> list[int]:
        return [b.start for b in self.blocks]

    @cached_property
    def _block_index(self) -> list[int]:
        """Slot -> index of its block in :attr:`blocks`."""
        index = [0] * len(self.program.insns)
        for i, block in enumerate(self.blocks):
            end = self.blocks[i + 1].start if i + 1 < len(self.blocks) else len(index)
            index[block.start:end] = [i] * (end - block.start)
        return index

    @cached_property
    def _edge_kinds(self) -> dict[tuple[int, int], tuple[EdgeKind, ...]]:
        """Every edge between slots (intra-procedural and call) with all its kinds."""
        kinds: dict[tuple[int, int], tuple[EdgeKind, ...]] = {}
        for t, is_real in enumerate(self._real):
            if not is_real:
                continue
            for w, kind in self.edges(t):
                kinds[t, w] = (*kinds.get((t, w), ()), kind)
            callee = self.callee(t)
            if callee is not None:
                kinds[t, callee] = (*kinds.get((t, callee), ()), EdgeKind.CALL)
        return kinds

    # --- graphs (networkx, built on first use) ------------------------------------------------
    @cached_property
    def insn_graph(self) -> nx.DiGraph:
        """Slots of real instructions (node attribute ``insn``); edges carry ``kind`` (an
        :class:`EdgeKind`) and ``kinds`` (all of them, when a conditional jump's two edges
        coincide, as in ``if r0 == 0 goto +0``)."""
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from((t, {"insn": ins}) for t, ins in enumerate(self.program.insns)
                             if self._real[t])
        graph.add_edges_from((u, v, {"kind": ks[0], "kinds": ks})
                             for (u, v), ks in self._edge_kinds.items())
        return graph

    @cached_property
    def block_graph(self) -> nx.DiGraph:
        """Basic blocks; edges as in :attr:`insn_graph`, from a block's last instruction (and
        ``call`` edges from any call inside it)."""
        import networkx as nx

        blocks, index = self.blocks, self._block_index
        kinds: dict[tuple[int, int], tuple[EdgeKind, ...]] = {}
        for (u, v), ks in self._edge_kinds.items():
            i = index[u]
            if ks == (EdgeKind.CALL,) or blocks[i].end == u:
                key = (i, index[v])
                kinds[key] = (*kinds.get(key, ()), *ks)
        graph = nx.DiGraph()
        graph.add_nodes_from(blocks)
        graph.add_edges_from((blocks[i], blocks[j], {"kind": ks[0], "kinds": ks})
                             for (i, j), ks in kinds.items())
        return graph

    @cached_property
    def _flow_succ(self) -> list[list[int]]:
        """Block index -> successor block indices, intra-procedural and within one subprogram."""
        blocks, index = self.blocks, self._block_index
        succ: list[list[int]] = []
        for block in blocks:
            targets = dict.fromkeys(index[w] for w, _ in self.edges(block.end))
            succ.append([j for j in targets if blocks[j].subprog == block.subprog])
        return succ

    @cached_property
    def _roots(self) -> list[int]:
        starts = self._block_starts
        return [bisect.bisect_right(starts, s.start) - 1 for s in self.subprogs if s.start < s.end]

    # --- dominators and loops -----------------------------------------------------------------
    @cached_property
    def _idom(self) -> dict[int, int]:
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from(range(len(self.blocks)))
        graph.add_edges_from((i, j) for i, js in enumerate(self._flow_succ) for j in js)
        idom: dict[int, int] = {}
        for root in self._roots:
            found = nx.immediate_dominators(graph, root)
            found.pop(root, None)  # networkx < 3.5 maps the root to itself
            idom.update(found)
        return idom

    def immediate_dominators(self) -> dict[BasicBlock, BasicBlock]:
        """Each block reachable from its subprogram's entry -> its immediate dominator (entries
        themselves have none and are left out)."""
        return {self.blocks[i]: self.blocks[d] for i, d in self._idom.items()}

    def dominators(self, block: BasicBlock) -> frozenset[BasicBlock]:
        """Blocks that dominate ``block`` (itself included); empty if it is unreachable."""
        i = self._index(block)
        if i not in self._idom and i not in self._roots:
            return frozenset()
        chain = [i]
        while chain[-1] in self._idom:
            chain.append(self._idom[chain[-1]])
        return frozenset(self.blocks[j] for j in chain)

    @cached_property
    def _dom_interval(self) -> dict[int, tuple[int, int]]:
        """Pre/post numbers in the dominator tree: a dominates b iff a's interval holds b's."""
        children: dict[int, list[int]] = {}
        for i, d in self._idom.items():
            children.setdefault(d, []).append(i)
        interval: dict[int, tuple[int, int]] = {}
        clock = 0
        for root in self._roots:
            pre: dict[int, int] = {root: clock}
            stack = [(root, iter(children.get(root, ())))]
            while stack:
                node, it = stack[-1]
                child = next(it, None)
                clock += 1
                if child is None:
                    interval[node] = (pre[node], clock)
                    stack.pop()
                else:
                    pre[child] = clock
                    stack.append((child, iter(children.get(child, ()))))
        return interval

    def _dominates(self, a: int, b: int) -> bool:
        ia, ib = self._dom_interval.get(a), self._dom_interval.get(b)
        return ia is not None and ib is not None and ia[0] <= ib[0] and ib[1] <= ia[1]

    @cached_property
    def _back_edges(self) -> list[tuple[int, int]]:
        return [(i, j) for i, js in enumerate(self._flow_succ) for j in js if self._dominates(j, i)]

    def back_edges(self) -> tuple[tuple[BasicBlock, BasicBlock], ...]:
        """Edges ``(tail, head)`` whose head dominates their tail, in block order."""
        return tuple((self.blocks[i], self.blocks[j]) for i, j in self._back_edges)

    def natural_loops(self) -> tuple[Loop, ...]:
        """One natural loop per header (back edges sharing a header merged), by header slot."""
        pred: list[list[int]] = [[] for _ in self.blocks]
        for i, js in enumerate(self._flow_succ):
            for j in js:
                pred[j].append(i)
        latches: dict[int, list[int]] = {}
        for tail, head in self._back_edges:
            latches.setdefault(head, []).append(tail)
        loops = []
        for head in sorted(latches):
            body = {head}
            stack = [t for t in latches[head] if t != head]
            while stack:
                node = stack.pop()
                if node not in body:
                    body.add(node)
                    stack.extend(pred[node])
            loops.append(Loop(self.blocks[head], tuple(self.blocks[t] for t in latches[head]),
                              frozenset(self.blocks[b] for b in body)))
        return tuple(loops)

    def topological_layers(self) -> dict[BasicBlock, int]:
        """Layer of every block for drawing: the longest path from its subprogram's entry once the
        edges that close a cycle (retreating edges of a DFS, i.e. the back edges of a reducible
        graph) are removed. Entries are layer 0; so are unreachable blocks with no predecessor."""
        succ = self._flow_succ
        retreating: set[tuple[int, int]] = set()
        state = [0] * len(self.blocks)  # 0 new, 1 on the DFS stack, 2 done
        for root in [*self._roots, *range(len(self.blocks))]:
            if state[root]:
                continue
            state[root] = 1
            stack = [(root, iter(succ[root]))]
            while stack:
                node, it = stack[-1]
                for w in it:
                    if state[w] == 0:
                        state[w] = 1
                        stack.append((w, iter(succ[w])))
                        break
                    if state[w] == 1:
                        retreating.add((node, w))
                else:
                    state[node] = 2
                    stack.pop()
        indegree = [0] * len(self.blocks)
        for i, js in enumerate(succ):
            for j in js:
                if (i, j) not in retreating:
                    indegree[j] += 1
        layer = [0] * len(self.blocks)
        ready = [i for i, d in enumerate(indegree) if d == 0]
        while ready:
            i = ready.pop()
            for j in succ[i]:
                if (i, j) in retreating:
                    continue
                layer[j] = max(layer[j], layer[i] + 1)
                indegree[j] -= 1
                if indegree[j] == 0:
                    ready.append(j)
        return {b: layer[i] for i, b in enumerate(self.blocks)}

    def _index(self, block: BasicBlock) -> int:
        i = bisect.bisect_left(self._block_starts, block.start)
        if i == len(self.blocks) or self.blocks[i] != block:
            raise KeyError(f"{block!r} is not a block of this program")
        return i
