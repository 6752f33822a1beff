"""A layered layout of a CFG, our own (Sugiyama-style), in points; no matplotlib here.

Steps, per subprogram:

1. Layers: :meth:`Cfg.topological_layers` (longest path from the entry once the edges closing a
   loop are left out). An edge whose head is not below its tail is a *back edge*; it is drawn
   apart, in a channel on the right of the boxes it spans.
2. A forward edge longer than one layer gets a dummy node in every layer it crosses, so it is
   routed between boxes instead of through them.
3. Order within a layer: program order first, then barycenter sweeps (down by predecessors, up
   by successors), keeping the order with the fewest crossings.
4. Horizontal positions: every node pulled towards the mean of its neighbours, the order and a
   minimum gap kept by an isotonic (pool-adjacent-violators) fit.

Units are points (1/72 inch) with y growing downwards, so a renderer sizes the figure from
``width``/``height`` and text at ``fontsize`` fits the boxes exactly.

>>> from kfunclab.isa.parser import parse_program
>>> from kfunclab.verifier.cfg import build_cfg
>>> text = '# SEC("xdp")\\n if r1 == 0 goto out\\n r0 = 1\\nout:\\n exit\\n'
>>> cfg = build_cfg(parse_program(text))
>>> lay = layout_cfg(cfg)
>>> [lay.boxes[b].layer for b in cfg.blocks], [r.label for r in lay.routes]
([0, 1, 2], ['F', 'T', ''])
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kfunclab.verifier.cfg import BasicBlock, Cfg, EdgeKind
from kfunclab.viz.text import BoxLine, Syntax, block_header, block_lines

CHAR_WIDTH = 0.67  # DejaVu Sans Mono advances 0.6 em; hinting makes it up to 0.667 at some dpi
LINE_HEIGHT = 1.45  # in em
PAD = 5.0  # inside a box, points
LAYER_GAP = 38.0  # between the bottom of a layer and the top of the next
NODE_GAP = 26.0  # between neighbouring boxes of a layer
DUMMY_WIDTH = 8.0
CHANNEL_STEP = 9.0  # between neighbouring back-edge channels
SUBPROG_GAP = 60.0


@dataclass(frozen=True, slots=True)
class Box:
    """A block's box: top-left corner, size, title and lines, in points."""

    block: BasicBlock
    layer: int
    x: float
    y: float
    width: float
    height: float
    header: str
    lines: tuple[BoxLine, ...]
    fontsize: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    @property
    def cx(self) -> float:
        return self.x + self.width / 2

    def line_y(self, i: int) -> float:
        """Vertical centre of line ``i`` (the title is line -1)."""
        return self.y + PAD + (i + 1.5) * self.fontsize * LINE_HEIGHT

    def row_of(self, slot: int) -> int | None:
        return next((i for i, ln in enumerate(self.lines) if ln.slot == slot), None)


@dataclass(frozen=True, slots=True)
class Route:
    """An edge between blocks and the points it passes through (tail to head).

    ``label`` is ``"T"``/``"F"`` for a conditional jump's taken / fall-through edge (``"T/F"``
    when both land on the same block), empty otherwise. ``back`` edges run up a channel on the
    right; ``call`` edges go from a call to the callee's entry.
    """

    src: BasicBlock
    dst: BasicBlock
    kinds: tuple[EdgeKind, ...]
    points: tuple[tuple[float, float], ...]
    back: bool = False
    label: str = ""

    @property
    def call(self) -> bool:
        return EdgeKind.CALL in self.kinds


@dataclass(frozen=True)
class CfgLayout:
    boxes: Mapping[BasicBlock, Box]
    routes: tuple[Route, ...]
    width: float
    height: float
    fontsize: float
    titles: tuple[tuple[float, float, str], ...] = field(default=())  # subprogram titles


def block_edges(cfg: Cfg) -> dict[tuple[int, int], tuple[EdgeKind, ...]]:
    """``(tail, head)`` block indices -> edge kinds, for flow inside a subprogram and calls."""
    index = {b.start: i for i, b in enumerate(cfg.blocks)}
    edges: dict[tuple[int, int], tuple[EdgeKind, ...]] = {}
    for i, block in enumerate(cfg.blocks):
        for slot in block.slots:
            callee = cfg.callee(slot)
            if callee is not None and callee in index:
                edges[i, index[callee]] = (*edges.get((i, index[callee]), ()), EdgeKind.CALL)
        for target, kind in cfg.edges(block.end):
            j = index[cfg.block_of(target).start]
            if cfg.blocks[j].subprog == block.subprog:
                edges[i, j] = (*edges.get((i, j), ()), kind)
    return edges


def _box_size(lines: Sequence[BoxLine], header: str, fontsize: float) -> tuple[float, float]:
    chars = max([len(header) + 1, *(ln.chars for ln in lines)])
    return (chars * CHAR_WIDTH * fontsize + 2 * PAD,
            (len(lines) + 1) * LINE_HEIGHT * fontsize + 2 * PAD)


# --- ordering --------------------------------------------------------------------------------
def _crossings(upper: list[int], lower: list[int], succ: dict[int, list[int]]) -> int:
    pos = {n: k for k, n in enumerate(lower)}
    pairs = [(i, pos[v]) for i, u in enumerate(upper) for v in succ.get(u, ()) if v in pos]
    return sum(1 for a in range(len(pairs)) for b in range(a + 1, len(pairs))
               if (pairs[a][0] - pairs[b][0]) * (pairs[a][1] - pairs[b][1]) < 0)


def _order(layers: list[list[int]], pred: dict[int, list[int]], succ: dict[int, list[int]],
           sweeps: int = 4) -> list[list[int]]:
    """Barycenter heuristic; returns the layering with the fewest crossings seen."""

    def total(ls: list[list[int]]) -> int:
        return sum(_crossings(ls[k], ls[k + 1], succ) for k in range(len(ls) - 1))

    best, best_count = [list(layer) for layer in layers], total(layers)
    cur = [list(layer) for layer in layers]
    for sweep in range(2 * sweeps):
        down = sweep % 2 == 0
        for k in range(1, len(cur)) if down else range(len(cur) - 2, -1, -1):
            ref = cur[k - 1] if down else cur[k + 1]
            cur[k] = _by_barycenter(cur[k], ref, pred if down else succ)
        count = total(cur)
        if count < best_count:
            best, best_count = [list(layer) for layer in cur], count
    return best


def _by_barycenter(layer: list[int], ref: list[int], nbrs: dict[int, list[int]]) -> list[int]:
    """``layer`` sorted by the mean position of each node's neighbours in ``ref``; a node with
    none keeps its relative place."""
    pos = {n: i for i, n in enumerate(ref)}
    scale = (len(ref) - 1) / max(len(layer) - 1, 1)
    keys = []
    for i, n in enumerate(layer):
        near = [pos[m] for m in nbrs.get(n, ()) if m in pos]
        keys.append(sum(near) / len(near) if near else i * scale)
    return [n for _, n in sorted(zip(keys, layer, strict=True), key=lambda kn: kn[0])]


# --- horizontal positions --------------------------------------------------------------------
def _isotonic(values: list[float]) -> list[float]:
    """The non-decreasing sequence closest (least squares) to ``values``: pool adjacent
    violators."""
    pools: list[list[float]] = []  # [sum, count]
    for v in values:
        pools.append([v, 1.0])
        while len(pools) > 1 and pools[-2][0] / pools[-2][1] > pools[-1][0] / pools[-1][1]:
            s, c = pools.pop()
            pools[-1][0] += s
            pools[-1][1] += c
    out: list[float] = []
    for s, c in pools:
        out += [s / c] * int(c)
    return out


def _place_layer(order: list[int], want: dict[int, float], width: dict[int, float]) -> None:
    """Centres as close to ``want`` as the order and NODE_GAP allow (updates ``want``)."""
    offsets, acc = [], 0.0
    for k, n in enumerate(order):
        if k:
            acc += (width[order[k - 1]] + width[n]) / 2 + NODE_GAP
        offsets.append(acc)
    fitted = _isotonic([want[n] - off for n, off in zip(order, offsets, strict=True)])
    for n, y, off in zip(order, fitted, offsets, strict=True):
        want[n] = y + off


def _assign_x(layers: list[list[int]], pred: dict[int, list[int]], succ: dict[int, list[int]],
              width: dict[int, float], rounds: int = 12) -> dict[int, float]:
    cx: dict[int, float] = {}
    for layer in layers:  # start packed, each layer centred on 0
        total = sum(width[n] for n in layer) + NODE_GAP * (len(layer) - 1)
        acc = -total / 2
        for n in layer:
            cx[n] = acc + width[n] / 2
            acc += width[n] + NODE_GAP
    for r in range(rounds):
        down = r % 2 == 0
        seq = layers if down else layers[::-1]
        for layer in seq:
            nbrs = pred if down else succ
            if r >= rounds - 2:  # settle between both sides at the end
                want = {n: _mean([cx[m] for m in (*pred.get(n, ()), *succ.get(n, ()))], cx[n])
                        for n in layer}
            else:
                want = {n: _mean([cx[m] for m in nbrs.get(n, ())], cx[n]) for n in layer}
            _place_layer(layer, want, width)
            cx.update({n: want[n] for n in layer})
    return cx


def _straighten(part: _Part, layers: list[list[int]], cx: dict[int, float]) -> None:
    """Run each long edge's dummies down one vertical line where the neighbours leave room: the
    averaging above makes a long edge wiggle, which reads badly over many layers."""
    room: dict[int, tuple[float, float]] = {}

    def free(n: int) -> tuple[float, float]:
        layer = layers[part.layer[n]]
        k = layer.index(n)
        lo, hi = -float("inf"), float("inf")
        if k > 0:
            m = layer[k - 1]
            lo = cx[m] + (part.width[m] + part.width[n]) / 2 + NODE_GAP
        if k + 1 < len(layer):
            m = layer[k + 1]
            hi = cx[m] - (part.width[m] + part.width[n]) / 2 - NODE_GAP
        return lo, hi

    for chain in part.chains.values():
        dummies = chain[1:-1]
        run: list[int] = []
        lo, hi = -float("inf"), float("inf")
        for d in [*dummies, None]:
            if d is not None:
                room[d] = free(d)
                nlo, nhi = max(lo, room[d][0]), min(hi, room[d][1])
                if nlo <= nhi:
                    run.append(d)
                    lo, hi = nlo, nhi
                    continue
            if run:  # set the run on one line, as near its mean as the room allows
                x = min(max(_mean([cx[n] for n in run], 0.0), lo), hi)
                cx.update({n: x for n in run})
            if d is not None:
                run, (lo, hi) = [d], room[d]


def _mean(values: list[float], default: float) -> float:
    return sum(values) / len(values) if values else default


# --- the whole layout ------------------------------------------------------------------------
@dataclass
class _Part:
    """One subprogram being laid out: graph with dummies, then positions."""

    real: list[int]
    layer: dict[int, int]
    width: dict[int, float]
    pred: dict[int, list[int]] = field(default_factory=dict)
    succ: dict[int, list[int]] = field(default_factory=dict)
    chains: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    back: list[tuple[int, int]] = field(default_factory=list)


def layout_cfg(cfg: Cfg, lines: Mapping[BasicBlock, Sequence[BoxLine]] | None = None, *,
               syntax: Syntax = "llvm", max_lines: int = 14, fontsize: float = 8.0) -> CfgLayout:
    """Boxes and edge routes for every block of ``cfg`` (subprograms side by side).

    ``lines`` gives each block's lines (default: :func:`~kfunclab.viz.text.block_lines` with
    ``syntax`` and ``max_lines``).
    """
    if lines is None:
        lines = {b: block_lines(cfg, b, syntax=syntax, max_lines=max_lines) for b in cfg.blocks}
    edges = block_edges(cfg)
    layer_of = cfg.topological_layers()
    many = len(cfg.subprogs) > 1
    top = 2.2 * fontsize if many else 0.0
    boxes: dict[BasicBlock, Box] = {}
    routes: list[Route] = []
    titles: list[tuple[float, float, str]] = []
    x0 = height = 0.0
    for sub in cfg.subprogs:
        real = [i for i, b in enumerate(cfg.blocks) if b.subprog == sub.index]
        if not real:
            continue
        part = _build_part(cfg, real, edges, layer_of, lines, fontsize)
        sub_boxes, sub_routes, right = _place_part(cfg, part, edges, lines, fontsize, x0, top)
        boxes.update(sub_boxes)
        routes += sub_routes
        if many:
            name = f"subprog {sub.index}" + (f": {sub.label}" if sub.label else "")
            titles.append((x0, top - 0.9 * fontsize, name if sub.index else "main program"))
        height = max(height, *(b.bottom for b in sub_boxes.values()))
        x0 = right + SUBPROG_GAP
    for (i, j), kinds in edges.items():
        if EdgeKind.CALL in kinds:
            src, dst = boxes[cfg.blocks[i]], boxes[cfg.blocks[j]]
            rows = [src.row_of(s) for s in src.block.slots if cfg.callee(s) == dst.block.start]
            row = next((r for r in rows if r is not None), None)
            y = src.line_y(row) if row is not None else src.y + src.height / 2
            routes.append(Route(src.block, dst.block, (EdgeKind.CALL,),
                                ((src.right, y), (dst.x, dst.line_y(-1)))))
    return CfgLayout(boxes, tuple(routes), max(x0 - SUBPROG_GAP, 0.0), height, fontsize,
                     tuple(titles))


def _build_part(cfg: Cfg, real: list[int], edges: Mapping[tuple[int, int], tuple[EdgeKind, ...]],
                layer_of: Mapping[BasicBlock, int], lines: Mapping[BasicBlock, Sequence[BoxLine]],
                fontsize: float) -> _Part:
    blocks = cfg.blocks
    mine = set(real)
    layer = {i: layer_of[blocks[i]] for i in real}
    width = {i: _box_size(lines[blocks[i]], block_header(cfg, blocks[i]), fontsize)[0]
             for i in real}
    part = _Part(real, layer, width)
    next_dummy = len(blocks)
    for (i, j), kinds in sorted(edges.items()):
        if i not in mine or j not in mine or kinds == (EdgeKind.CALL,):
            continue
        if layer[j] <= layer[i]:
            part.back.append((i, j))
            continue
        chain = [i]
        for lay in range(layer[i] + 1, layer[j]):
            layer[next_dummy] = lay
            width[next_dummy] = DUMMY_WIDTH
            chain.append(next_dummy)
            next_dummy += 1
        chain.append(j)
        part.chains[i, j] = chain
        for u, v in itertools.pairwise(chain):
            part.succ.setdefault(u, []).append(v)
            part.pred.setdefault(v, []).append(u)
    return part


def _place_part(cfg: Cfg, part: _Part, edges: Mapping[tuple[int, int], tuple[EdgeKind, ...]],
                lines: Mapping[BasicBlock, Sequence[BoxLine]], fontsize: float, x0: float,
                y0: float) -> tuple[dict[BasicBlock, Box], list[Route], float]:
    blocks = cfg.blocks
    nlayers = max(part.layer.values()) + 1
    start = {n: (blocks[n].start if n < len(blocks) else _dummy_key(part, n)) for n in part.layer}
    layers: list[list[int]] = [[] for _ in range(nlayers)]
    for n in sorted(part.layer, key=lambda n: start[n]):
        layers[part.layer[n]].append(n)
    layers = _order(layers, part.pred, part.succ)
    cx = _assign_x(layers, part.pred, part.succ, part.width)
    _straighten(part, layers, cx)
    shift = x0 - min(cx[n] - part.width[n] / 2 for n in cx)
    cx = {n: x + shift for n, x in cx.items()}
    heights = {i: _box_size(lines[blocks[i]], "", fontsize)[1] for i in part.real}
    layer_h = [max([heights[n] for n in layer if n in heights] or [0.0]) for layer in layers]
    tops, y = [], y0
    for h in layer_h:
        tops.append(y)
        y += h + LAYER_GAP
    boxes = {blocks[i]: Box(blocks[i], part.layer[i], cx[i] - part.width[i] / 2,
                            tops[part.layer[i]], part.width[i], heights[i],
                            block_header(cfg, blocks[i]), tuple(lines[blocks[i]]), fontsize)
             for i in part.real}
    routes = _forward_routes(cfg, part, edges, boxes, cx, tops, layer_h)
    back_routes, right = _back_routes(cfg, part, edges, boxes, cx, fontsize)
    right = max([right, *(b.right for b in boxes.values()), *cx.values()])
    return boxes, routes + back_routes, right


def _dummy_key(part: _Part, n: int) -> float:
    """Program-order key for a dummy: just after the block its edge leaves."""
    for (i, _), chain in part.chains.items():
        if n in chain:
            return i + 0.5
    return float(n)  # pragma: no cover - every dummy is on a chain


def _label(cfg: Cfg, src: BasicBlock, kinds: tuple[EdgeKind, ...]) -> str:
    taken, fall = EdgeKind.TAKEN in kinds, EdgeKind.FALLTHROUGH in kinds
    conditional = any(k is EdgeKind.TAKEN for _, k in cfg.edges(src.end))
    if taken and fall:
        return "T/F"
    if taken:
        return "T"
    return "F" if fall and conditional else ""


def _spread(centre: float, count: int, room: float) -> list[float]:
    """``count`` attachment points around ``centre`` within ``room`` points."""
    step = min(22.0, room / (count + 1))
    return [centre + (k - (count - 1) / 2) * step for k in range(count)]


def _forward_routes(cfg: Cfg, part: _Part, edges: Mapping[tuple[int, int], tuple[EdgeKind, ...]],
                    boxes: Mapping[BasicBlock, Box], cx: Mapping[int, float], tops: list[float],
                    layer_h: list[float]) -> list[Route]:
    blocks = cfg.blocks
    exit_x: dict[tuple[int, int], float] = {}
    entry_x: dict[tuple[int, int], float] = {}
    for i in part.real:
        outs = sorted((k for k in part.chains if k[0] == i), key=lambda k: cx[part.chains[k][1]])
        box = boxes[blocks[i]]
        exit_x.update(zip(outs, _spread(box.cx, len(outs), box.width), strict=True))
        ins = sorted((k for k in part.chains if k[1] == i), key=lambda k: cx[part.chains[k][-2]])
        entry_x.update(zip(ins, _spread(box.cx, len(ins), box.width), strict=True))
    routes = []
    for (i, j), chain in part.chains.items():
        src, dst = boxes[blocks[i]], boxes[blocks[j]]
        pts = [(exit_x[i, j], src.bottom)]
        for d in chain[1:-1]:
            lay = part.layer[d]
            pts += [(cx[d], tops[lay]), (cx[d], tops[lay] + layer_h[lay])]
        pts.append((entry_x[i, j], dst.y))
        kinds = tuple(k for k in edges[i, j] if k is not EdgeKind.CALL)
        routes.append(Route(src.block, dst.block, kinds, tuple(pts), False,
                            _label(cfg, src.block, kinds)))
    return routes


def _back_routes(cfg: Cfg, part: _Part, edges: Mapping[tuple[int, int], tuple[EdgeKind, ...]],
                 boxes: Mapping[BasicBlock, Box], cx: Mapping[int, float], fontsize: float
                 ) -> tuple[list[Route], float]:
    """Back edges leave a box's right side, run up a channel and enter the head's right side;
    shorter loops get the inner channels."""
    blocks = cfg.blocks
    placed: list[tuple[int, int, float]] = []  # (low layer, high layer, channel x)
    out_count: dict[int, int] = {}
    in_count: dict[int, int] = {}
    routes: list[Route] = []
    right = 0.0
    for i, j in sorted(part.back, key=lambda e: (part.layer[e[0]] - part.layer[e[1]], e)):
        lo, hi = part.layer[j], part.layer[i]
        spanned = [n for n in part.layer if lo <= part.layer[n] <= hi]
        base = max(cx[n] + part.width[n] / 2 for n in spanned) + 14.0
        x = max([base, *(px + CHANNEL_STEP for a, b, px in placed if a <= hi and lo <= b)])
        placed.append((lo, hi, x))
        src, dst = boxes[blocks[i]], boxes[blocks[j]]
        k, m = out_count.get(i, 0), in_count.get(j, 0)
        out_count[i], in_count[j] = k + 1, m + 1
        y_out = src.bottom - PAD - k * 0.8 * fontsize
        y_in = dst.y + PAD + (m + 0.5) * 0.8 * fontsize
        kinds = tuple(kd for kd in edges[i, j] if kd is not EdgeKind.CALL)
        pts = ((src.right, y_out), (x, y_out), (x, y_in), (dst.right, y_in))
        routes.append(Route(src.block, dst.block, kinds, pts, True, _label(cfg, src.block, kinds)))
        right = max(right, x + CHANNEL_STEP)
    return routes, right
