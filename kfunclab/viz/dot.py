"""The CFG as Graphviz DOT text (``kfunclab cfg FILE.s --dot OUT``); no Graphviz needed here.

One box per basic block with its numbered instructions (left-justified ``\\l`` lines), taken
(``T``) and fall-through (``F``) edges coloured as in :mod:`kfunclab.viz.cfg`, back edges dashed,
calls dotted, subprograms as clusters. With a result, the rejected path is red and the failing
instruction's block is filled and carries the kernel's message.

>>> from kfunclab.isa.parser import parse_program
>>> from kfunclab.verifier.cfg import build_cfg
>>> text = cfg_to_dot(build_cfg(parse_program('# SEC("xdp")\\n r0 = 0\\n exit\\n')))
>>> text.splitlines()[0], text.count("->")
('digraph cfg {', 0)
"""

from __future__ import annotations

import itertools

from kfunclab.verifier.cfg import BasicBlock, Cfg, EdgeKind
from kfunclab.verifier.result import VerificationResult
from kfunclab.viz import style
from kfunclab.viz.layout import block_edges
from kfunclab.viz.text import Syntax, block_header, block_lines

_SPECIAL = str.maketrans({"\\": "\\\\", '"': '\\"', "{": "\\{", "}": "\\}", "<": "\\<",
                          ">": "\\>", "|": "\\|"})


def escape(text: str) -> str:
    """``text`` safe inside a double-quoted DOT label: quotes and backslashes escaped, and
    braces, angle brackets and bars too, which record-shaped nodes would read as structure.

    >>> escape('call "x" {a|b}')
    'call \\\\"x\\\\" \\\\{a\\\\|b\\\\}'
    """
    return text.translate(_SPECIAL)


def node_id(block: BasicBlock) -> str:
    return f"b{block.start}"


def cfg_to_dot(cfg: Cfg, result: VerificationResult | None = None, *,
               syntax: Syntax = "llvm", max_lines_per_block: int = 40) -> str:
    """DOT text of ``cfg``; with ``result``, its rejected path (if any) highlighted."""
    error = result.error if result is not None else None
    path = error.path if error is not None else ()
    failing = error.insn if error is not None else None
    on_path = {cfg.block_of(i).start for i in path}
    path_edges = {(cfg.block_of(i).start, cfg.block_of(j).start)
                  for i, j in itertools.pairwise(path)
                  if cfg.block_of(i) != cfg.block_of(j) or j <= i}
    back = {(t.start, h.start) for t, h in cfg.back_edges()}
    out = ["digraph cfg {",
           f'  graph [fontname="{style.MONO}", labeljust=l, nodesep=0.4];',
           f'  node [shape=box, style="rounded", fontname="{style.MONO}", fontsize=10];',
           f'  edge [fontname="{style.MONO}", fontsize=9];']
    if error is not None:
        where = f"insn {error.insn}: " if error.insn is not None else ""
        out.append(f'  label="{escape(where + error.message)}"; labelloc=t;')
    for sub in cfg.subprogs:
        blocks = [b for b in cfg.blocks if b.subprog == sub.index]
        indent = "  "
        if len(cfg.subprogs) > 1:
            name = sub.label or f"subprog {sub.index}"
            out.append(f'  subgraph cluster_{sub.index} {{ label="{escape(name)}";')
            indent = "    "
        for block in blocks:
            out.append(indent + _node(cfg, block, syntax, max_lines_per_block, failing,
                                      block.start in on_path, error.message if error else ""))
        if len(cfg.subprogs) > 1:
            out.append("  }")
    for (i, j), kinds in block_edges(cfg).items():
        src, dst = cfg.blocks[i], cfg.blocks[j]
        out.append("  " + _edge(cfg, src, dst, kinds, (src.start, dst.start) in back,
                                (src.start, dst.start) in path_edges))
    out.append("}")
    return "\n".join(out) + "\n"


def _node(cfg: Cfg, block: BasicBlock, syntax: Syntax, max_lines: int, failing: int | None,
          on_path: bool, message: str) -> str:
    keep = {failing} if failing is not None else set()
    lines = [block_header(cfg, block)]
    for ln in block_lines(cfg, block, syntax=syntax, max_lines=max_lines, keep=keep):
        lines.append(ln.text + ("   <-- " + message if ln.slot == failing and message else ""))
    label = "".join(escape(line) + "\\l" for line in lines)
    attrs = [f'label="{label}"']
    if on_path:
        attrs += [f'color="{style.REJECTED}"', "penwidth=2"]
    if failing is not None and failing in block.slots:
        attrs += ['style="rounded,filled"', f'fillcolor="{style.REJECTED_FILL}"']
    return f"{node_id(block)} [{', '.join(attrs)}];"


def _edge(cfg: Cfg, src: BasicBlock, dst: BasicBlock, kinds: tuple[EdgeKind, ...], back: bool,
          on_path: bool) -> str:
    flow = [k for k in kinds if k is not EdgeKind.CALL]
    conditional = any(k is EdgeKind.TAKEN for _, k in cfg.edges(src.end))
    attrs: list[str] = []
    colour = style.PLAIN
    if not flow:
        attrs.append("style=dotted")
        colour = style.CALL
    elif EdgeKind.TAKEN in flow:
        attrs.append('label="T/F"' if EdgeKind.FALLTHROUGH in flow else 'label="T"')
        colour = style.TAKEN
    elif EdgeKind.FALLTHROUGH in flow and conditional:
        attrs.append('label="F"')
        colour = style.FALLTHROUGH
    if back:
        attrs.append("style=dashed")
        colour = style.BACK
    if on_path:
        colour = style.REJECTED
        attrs.append("penwidth=2.5")
    attrs.append(f'color="{colour}"')
    attrs.append(f'fontcolor="{colour}"')
    return f"{node_id(src)} -> {node_id(dst)} [{', '.join(attrs)}];"
