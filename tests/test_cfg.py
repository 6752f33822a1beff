"""Control-flow graph and the kernel's static checks (kfunclab.verifier.cfg).

Graph tests name instructions by their source text, python-graphs style: ``"if r1 == 0 goto
other"`` is the slot whose line reads so (label and surrounding blanks left out; a trailing comment
is part of the name, which is how two ``exit`` lines are told apart). The static-check table's
messages and instruction indices were each taken from the live Linux 6.18 kernel (see the
``# live:`` comments); ``test_static_check_matches_live_kernel`` asks the kernel again where it can.
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass, field, replace

import pytest

from kfunclab.isa.insn import (
    IMM64_TAIL,
    Alu,
    AluOp,
    Call,
    CallKind,
    Exit,
    Imm64Kind,
    Imm64Tail,
    LoadImm64,
)
from kfunclab.isa.parser import parse_program
from kfunclab.isa.program import LocalStruct, Member, MemberKind, Program
from kfunclab.verifier import messages as msg
from kfunclab.verifier.cfg import (
    BasicBlock,
    Cfg,
    EdgeKind,
    StaticError,
    build_cfg,
    check_cfg,
    is_bpf_capable,
)

MOV0 = Alu(AluOp.MOV, 0, None, 0)


# --- naming slots by their text ----------------------------------------------------------------
def name_of(prog: Program, slot: int) -> str:
    assert prog.source is not None
    line = prog.source.text.splitlines()[prog.source.line_of(slot) - 1]
    line = re.sub(r"^\s*\w+:", "", line)  # a label on the same line
    return " ".join(line.split())


def slot_of(prog: Program, text: str) -> int:
    found = [t for t, ins in enumerate(prog.insns)
             if not isinstance(ins, Imm64Tail) and name_of(prog, t) == text]
    assert len(found) == 1, f"{text!r} names {len(found)} instructions"
    return found[0]


def block_named(cfg: Cfg, text: str) -> BasicBlock:
    block = cfg.block_of(slot_of(cfg.program, text))
    assert name_of(cfg.program, block.start) == text, f"{text!r} does not start a block"
    return block


def assert_edge(cfg: Cfg, src: str, dst: str, kind: str | None = None) -> None:
    u, v = slot_of(cfg.program, src), slot_of(cfg.program, dst)
    assert cfg.insn_graph.has_edge(u, v), f"no edge {src!r} -> {dst!r}"
    if kind is not None:
        assert cfg.insn_graph.edges[u, v]["kind"] == kind


def named_edges(cfg: Cfg) -> set[tuple[str, str, str]]:
    prog = cfg.program
    return {(name_of(prog, u), name_of(prog, v), str(d["kind"]))
            for u, v, d in cfg.insn_graph.edges(data=True)}


def program(body: str, header: str = '# SEC("xdp")') -> Program:
    return parse_program(f"{header}\n{body}", "test.s")


# --- the corpus ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shape:
    """What one corpus program's graph must look like; blocks are named by their first line."""

    body: str
    blocks: int
    edges: set[tuple[str, str, str]]
    idom: dict[str, str] = field(default_factory=dict)
    loops: dict[str, set[str]] = field(default_factory=dict)
    prune: set[str] = field(default_factory=set)
    layers: dict[str, int] = field(default_factory=dict)


FT, TAKEN, GOTO, CALL = "fallthrough", "taken", "goto", "call"

CORPUS = {
    "straight_line": Shape(
        """
	r0 = 0
	r1 = 1
	exit
""",
        blocks=1,
        edges={("r0 = 0", "r1 = 1", FT), ("r1 = 1", "exit", FT)},
        layers={"r0 = 0": 0},
    ),
    "diamond": Shape(
        """
	r0 = 0
	if r1 == 0 goto other
	r0 = 1
	goto out
other:
	r0 = 2
out:
	exit
""",
        blocks=4,
        edges={("r0 = 0", "if r1 == 0 goto other", FT),
               ("if r1 == 0 goto other", "r0 = 1", FT),
               ("if r1 == 0 goto other", "r0 = 2", TAKEN),
               ("r0 = 1", "goto out", FT), ("goto out", "exit", GOTO), ("r0 = 2", "exit", FT)},
        idom={"r0 = 1": "r0 = 0", "r0 = 2": "r0 = 0", "exit": "r0 = 0"},
        prune={"if r1 == 0 goto other", "r0 = 2", "exit"},
        layers={"r0 = 0": 0, "r0 = 1": 1, "r0 = 2": 1, "exit": 2},
    ),
    "nested_if": Shape(
        """
	call bpf_get_prandom_u32
	r2 = r0
	r0 = 0
	if r2 > 3 goto out
	r0 = 1
	if r2 > 1 goto out
	r0 = 2
out:
	exit
""",
        blocks=4,
        edges={("call bpf_get_prandom_u32", "r2 = r0", FT), ("r2 = r0", "r0 = 0", FT),
               ("r0 = 0", "if r2 > 3 goto out", FT), ("if r2 > 3 goto out", "r0 = 1", FT),
               ("if r2 > 3 goto out", "exit", TAKEN), ("r0 = 1", "if r2 > 1 goto out", FT),
               ("if r2 > 1 goto out", "r0 = 2", FT), ("if r2 > 1 goto out", "exit", TAKEN),
               ("r0 = 2", "exit", FT)},
        idom={"r0 = 1": "call bpf_get_prandom_u32", "r0 = 2": "r0 = 1",
              "exit": "call bpf_get_prandom_u32"},
        # the return site of the helper call, both conditional jumps, their common target
        prune={"r2 = r0", "if r2 > 3 goto out", "if r2 > 1 goto out", "exit"},
        layers={"call bpf_get_prandom_u32": 0, "r0 = 1": 1, "r0 = 2": 2, "exit": 3},
    ),
    "bounded_loop": Shape(
        """
	r0 = 0
	r1 = 0
loop:
	r1 += r0
	r0 += 1
	if r0 > 9 goto done
	goto loop
done:
	r0 = r1
	exit
""",
        blocks=4,
        edges={("r0 = 0", "r1 = 0", FT), ("r1 = 0", "r1 += r0", FT), ("r1 += r0", "r0 += 1", FT),
               ("r0 += 1", "if r0 > 9 goto done", FT), ("if r0 > 9 goto done", "goto loop", FT),
               ("if r0 > 9 goto done", "r0 = r1", TAKEN), ("goto loop", "r1 += r0", GOTO),
               ("r0 = r1", "exit", FT)},
        idom={"r1 += r0": "r0 = 0", "goto loop": "r1 += r0", "r0 = r1": "r1 += r0"},
        loops={"r1 += r0": {"r1 += r0", "goto loop"}},
        prune={"r1 += r0", "if r0 > 9 goto done", "r0 = r1"},
        layers={"r0 = 0": 0, "r1 += r0": 1, "goto loop": 2, "r0 = r1": 2},
    ),
    "two_subprograms": Shape(
        """
	r1 = 1
	call add_one
	exit
add_one:
	r0 = r1
	r0 += 1
	exit  # add_one returns
""",
        blocks=2,
        edges={("r1 = 1", "call add_one", FT), ("call add_one", "exit", FT),
               ("call add_one", "r0 = r1", CALL), ("r0 = r1", "r0 += 1", FT),
               ("r0 += 1", "exit # add_one returns", FT)},
        # the call, its return site, the callee's entry; each function has its own entry
        prune={"call add_one", "exit", "r0 = r1"},
        layers={"r1 = 1": 0, "r0 = r1": 0},
    ),
    "ld_imm64_inside": Shape(
        """
	r0 = 0
	r1 = 0x1234 ll
	if r1 == 0 goto out
	r0 = 1
out:
	exit
""",
        blocks=3,
        edges={("r0 = 0", "r1 = 0x1234 ll", FT), ("r1 = 0x1234 ll", "if r1 == 0 goto out", FT),
               ("if r1 == 0 goto out", "r0 = 1", FT), ("if r1 == 0 goto out", "exit", TAKEN),
               ("r0 = 1", "exit", FT)},
        idom={"r0 = 1": "r0 = 0", "exit": "r0 = 0"},
        prune={"if r1 == 0 goto out", "exit"},
        layers={"r0 = 0": 0, "r0 = 1": 1, "exit": 2},
    ),
}


@pytest.mark.parametrize("name", CORPUS)
def test_corpus_shape(name: str) -> None:
    shape = CORPUS[name]
    cfg = build_cfg(program(shape.body))
    prog = cfg.program
    assert check_cfg(prog) is None
    assert len(cfg.blocks) == shape.blocks
    assert named_edges(cfg) == shape.edges
    idom = {name_of(prog, b.start): name_of(prog, d.start)
            for b, d in cfg.immediate_dominators().items()}
    assert idom == shape.idom
    loops = {name_of(prog, loop.header.start): {name_of(prog, b.start) for b in loop.body}
             for loop in cfg.natural_loops()}
    assert loops == shape.loops
    assert {name_of(prog, t) for t in cfg.prune_points} == shape.prune
    layers = {name_of(prog, b.start): n for b, n in cfg.topological_layers().items()}
    assert layers == shape.layers


def test_edges_by_text() -> None:
    cfg = build_cfg(program(CORPUS["diamond"].body))
    assert_edge(cfg, "if r1 == 0 goto other", "r0 = 2", EdgeKind.TAKEN)
    assert_edge(cfg, "if r1 == 0 goto other", "r0 = 1", "fallthrough")
    assert_edge(cfg, "goto out", "exit", "goto")
    assert cfg.successors(slot_of(cfg.program, "exit")) == ()


def test_dominators_nested_if() -> None:
    cfg = build_cfg(program(CORPUS["nested_if"].body))
    inner = block_named(cfg, "r0 = 2")
    names = {name_of(cfg.program, b.start) for b in cfg.dominators(inner)}
    assert names == {"call bpf_get_prandom_u32", "r0 = 1", "r0 = 2"}
    exit_block = block_named(cfg, "exit")
    assert {name_of(cfg.program, b.start) for b in cfg.dominators(exit_block)} == {
        "call bpf_get_prandom_u32", "exit"}


def test_loop_back_edge_and_latch() -> None:
    cfg = build_cfg(program(CORPUS["bounded_loop"].body))
    header, latch = block_named(cfg, "r1 += r0"), block_named(cfg, "goto loop")
    assert cfg.back_edges() == ((latch, header),)
    (loop,) = cfg.natural_loops()
    assert (loop.header, loop.latches) == (header, (latch,))
    # the jump history is recorded at the goto's target and the exit branch's target
    assert {name_of(cfg.program, t) for t in cfg.jmp_points} == {"r1 += r0", "r0 = r1"}


def test_subprograms_and_call_edges() -> None:
    cfg = build_cfg(program(CORPUS["two_subprograms"].body))
    assert [(s.start, s.end, s.label) for s in cfg.subprogs] == [(0, 3, None), (3, 6, "add_one")]
    call = slot_of(cfg.program, "call add_one")
    assert cfg.callee(call) == 3
    assert cfg.successors(call) == (2,)  # the call returns; the callee is not intra-procedural
    main, callee = cfg.blocks
    assert cfg.block_graph.edges[main, callee]["kind"] == EdgeKind.CALL
    assert (main.subprog, callee.subprog) == (0, 1)
    assert cfg.subprog_of(4).label == "add_one"


def test_ld_imm64_tail_is_no_node() -> None:
    cfg = build_cfg(program(CORPUS["ld_imm64_inside"].body))
    assert isinstance(cfg.program.insns[2], Imm64Tail)
    assert 2 not in cfg.insn_graph
    assert cfg.block_of(2) == cfg.blocks[0]
    assert cfg.blocks[0].slots == (0, 1, 3)
    assert cfg.successors(1) == (3,)


def test_goto_zero_edges_coincide() -> None:
    cfg = build_cfg(program("\tr0 = 0\n\tif r0 == 0 goto +0\n\texit\n"))
    assert cfg.insn_graph.edges[1, 2]["kinds"] == ("fallthrough", "taken")
    assert cfg.successors(1) == (2,)


def test_iterator_next_is_forced_checkpoint() -> None:
    prog = program("""
	r1 = r10
	r1 += -8
	r2 = 0
	r3 = 3
	call bpf_iter_num_new
loop:
	r1 = r10
	r1 += -8
	call bpf_iter_num_next
	if r0 == 0 goto done
	goto loop
done:
	r1 = r10
	r1 += -8
	call bpf_iter_num_destroy
	r0 = 0
	exit
""", '# SEC("syscall")')
    cfg = build_cfg(prog)
    assert cfg.force_checkpoints == {7}
    # after each kfunc call (5, 8, 13), the next call (7), the conditional (8), both targets
    assert cfg.prune_points == {5, 7, 8, 10, 13}
    assert cfg.jmp_points == {5, 8, 10, 13}
    assert check_cfg(prog) is None


def test_callback_calling_helper_marks() -> None:
    loop = Call(CallKind.HELPER, 181, "bpf_loop")
    prog = Program((MOV0, loop, Exit()), section="xdp")
    cfg = build_cfg(prog)
    assert (cfg.calls_callback, cfg.force_checkpoints) == ({1}, {1})
    assert cfg.prune_points == cfg.jmp_points == {1, 2}


def test_block_of_rejects_outside_slot() -> None:
    cfg = build_cfg(program(CORPUS["straight_line"].body))
    with pytest.raises(IndexError, match="outside the program"):
        cfg.block_of(3)


def test_empty_program_has_no_blocks() -> None:
    cfg = build_cfg(Program((), section="xdp"))
    assert (cfg.blocks, cfg.immediate_dominators(), cfg.topological_layers()) == ((), {}, {})


def test_irreducible_loop_layers_terminate() -> None:
    # entry branches into the middle of a two-block cycle: no back edge by dominance
    prog = program("""
	r0 = 0
	if r1 == 0 goto b
a:
	r0 += 1
	if r0 > 5 goto out
b:
	r0 += 2
	if r0 < 9 goto a
out:
	exit
""")
    cfg = build_cfg(prog)
    assert cfg.back_edges() == ()
    layers = cfg.topological_layers()
    assert layers[block_named(cfg, "exit")] == 3


def test_build_cfg_is_fast_on_100k_diamonds() -> None:
    import time

    from kfunclab.isa.insn import Goto, JmpOp, Jump
    body = [Jump(JmpOp.JEQ, 1, None, 0, 2), Alu(AluOp.MOV, 0, None, 1), Goto(1),
            Alu(AluOp.MOV, 0, None, 2)] * 25_000
    prog = Program((*body, Exit()), section="xdp")
    start = time.perf_counter()
    cfg = build_cfg(prog)
    assert check_cfg(prog) is None
    assert time.perf_counter() - start < 2.0
    assert len(cfg.blocks) == 3 * 25_000 + 1


# --- static checks: the kernel's message and instruction index ----------------------------------
def _subprogs(n: int) -> Program:
    """Main calls n distinct one-line subprograms."""
    calls = [Call(CallKind.SUBPROG, (n + 2 + 2 * k) - k - 1) for k in range(n)]
    return Program((*calls, MOV0, Exit(), *(MOV0, Exit()) * n), section="xdp")


@dataclass(frozen=True)
class Static:
    prog: Program
    message: str | None
    insn: int | None = None
    errno: int = errno.EINVAL
    privileged: bool = True
    recheck: bool = True  # the live kernel can be asked again through kfunclab.kernel


def _text(body: str, header: str = '# SEC("xdp")', **kw: object) -> Static:
    prog = program(body, header)
    return Static(prog, **kw)  # type: ignore[arg-type]


def _with_btf(prog: Program) -> Program:
    member = Member("a", MemberKind.INT, 8, 0, "long", signed=True)
    return replace(prog, types=(LocalStruct("foo", (member,), 8, 1),))


E2BIG_EMPTY = "errno 7 (E2BIG), empty verifier log"
STATIC = {
    # live (raw bytes): BPF_PROG_LOAD with insn_cnt 0 -> E2BIG, empty log; not asked again
    # because kfunclab.kernel refuses to send an empty program
    "empty_program": Static(Program((), section="xdp"), E2BIG_EMPTY, None, errno.E2BIG,
                            recheck=False),
    # live: 1000000 insns load, 1000001 -> E2BIG, empty log
    "too_many_insns": Static(Program((MOV0,) * 1_000_000 + (Exit(),), section="xdp"),
                             E2BIG_EMPTY, None, errno.E2BIG, recheck=False),
    # not live (unprivileged loads get EPERM here): BPF_MAXINSNS without CAP_BPF
    "too_many_insns_unprivileged": Static(Program((MOV0,) * 4096 + (Exit(),), section="xdp"),
                                          E2BIG_EMPTY, None, errno.E2BIG, privileged=False),
    # not live (EPERM here): add_subprog_and_kfunc refuses calls without CAP_BPF
    "unprivileged_subprog_call": _text("\tr1 = 1\n\tcall f\n\texit\nf:\n\tr0 = 0\n\texit\n",
                                       message=msg.CALLS_NEED_CAP_BPF, insn=1,
                                       errno=errno.EPERM, privileged=False),
    "unprivileged_kfunc_call": _text("\tr1 = 1\n\tcall bpf_task_from_pid\n\tr0 = 0\n\texit\n",
                                     '# SEC("syscall")', message=msg.CALLS_NEED_CAP_BPF, insn=1,
                                     errno=errno.EPERM, privileged=False),
    # live (raw bytes): call pc+100 / pc-5 / ld_imm64 src=4 imm=100 -> call to invalid destination
    "call_pc_plus_100": Static(Program((MOV0, Call(CallKind.SUBPROG, 100), Exit()), "xdp"),
                               msg.CALL_TO_INVALID_DESTINATION, 1),
    "call_pc_minus_5": Static(Program((MOV0, Call(CallKind.SUBPROG, -5), Exit()), "xdp"),
                              msg.CALL_TO_INVALID_DESTINATION, 1),
    "ld_imm64_func_out_of_range": Static(
        Program((MOV0, LoadImm64(2, 100, Imm64Kind.FUNC), IMM64_TAIL, Exit()), "xdp"),
        msg.CALL_TO_INVALID_DESTINATION, 1),
    # live (raw bytes): 255 called subprograms load; the 256th call -> E2BIG
    "too_many_subprograms": Static(_subprogs(256), msg.TOO_MANY_SUBPROGRAMS, 255, errno.E2BIG),
    # live: LICENSE("MIT") + kfunc; reported before check_subprogs' out-of-range goto at 1
    "kfunc_needs_gpl": _text("\tr1 = 1\n\tgoto +9\n\tcall bpf_task_from_pid\n\tr0 = 0\n\texit\n",
                             '# SEC("syscall")\n# LICENSE("MIT")',
                             message=msg.KFUNC_NEEDS_GPL, insn=2),
    # live: "jump out of range from insn 1 to 7"
    "jump_out_of_range_forward": _text("\tr0 = 0\n\tgoto +5\n\texit\n",
                                       message="jump out of range from insn 1 to 7", insn=1),
    # live: "jump out of range from insn 0 to -4"
    "jump_out_of_range_backward": _text("\tgoto -5\n\tr0 = 0\n\texit\n",
                                        message="jump out of range from insn 0 to -4", insn=0),
    # live: a jump from main to a subprogram's entry leaves main
    "jump_into_subprogram": _text(
        "\tr0 = 0\n\tif r0 == 0 goto sub\n\tcall sub\n\texit\nsub:\n\tr0 = 0\n\texit\n",
        message="jump out of range from insn 1 to 4", insn=1),
    # live: the callee's goto leaves the program before its missing exit is noticed
    "jump_out_of_subprogram": _text("\tr0 = 0\n\tcall sub\n\texit\nsub:\n\tgoto +7\n\tr0 = 0\n",
                                    message="jump out of range from insn 3 to 11", insn=3),
    # live (each): "last insn is not an exit or jmp"
    "last_insn_plain": _text("\tr0 = 0\n", message=msg.LAST_INSN_NOT_EXIT_OR_JMP, insn=0),
    "last_insn_conditional": _text("\tr0 = 0\n\texit\n\tif r0 == 0 goto -2\n",
                                   message=msg.LAST_INSN_NOT_EXIT_OR_JMP, insn=2),
    "last_insn_ld_imm64": _text("\tr0 = 0\n\texit\n\tr1 = 5 ll\n",
                                message=msg.LAST_INSN_NOT_EXIT_OR_JMP, insn=3),
    "last_insn_of_subprogram": _text("\tcall sub\n\texit\nsub:\n\tr0 = 0\n",
                                     message=msg.LAST_INSN_NOT_EXIT_OR_JMP, insn=2),
    # live (raw bytes): call pc-1 at insn 1 calls itself, so main is just "r0 = 0"
    "call_to_itself": Static(Program((MOV0, Call(CallKind.SUBPROG, -1), Exit()), "xdp"),
                             msg.LAST_INSN_NOT_EXIT_OR_JMP, 0),
    # live: SEC("socket") without BTF
    "ld_abs_in_subprogram": _text("\tr6 = r1\n\tcall sub\n\texit\nsub:\n"
                                  "\tr0 = *(u8 *)skb[0]\n\texit\n", '# SEC("socket")',
                                  message=msg.LD_ABS_IN_SUBPROG_WITHOUT_BTF, insn=3),
    "tail_call_in_subprogram": _text("\tcall sub\n\tr0 = 0\n\texit\nsub:\n\tr2 = 0\n\tr3 = 0\n"
                                     "\tcall bpf_tail_call\n\tr0 = 0\n\texit\n",
                                     '# SEC("socket")',
                                     message=msg.TAIL_CALL_IN_SUBPROG_WITHOUT_BTF, insn=5),
    # live (raw bytes): ld_imm64 head followed by exit -> invalid bpf_ld_imm64 insn
    "ld_imm64_without_tail": Static(Program((MOV0, LoadImm64(1, 5), Exit(), Exit()), "xdp"),
                                    msg.INVALID_LD_IMM64, 1, recheck=False),
    # live (raw bytes): a lone code 0x00 slot -> unknown opcode 00
    "stray_ld_imm64_tail": Static(Program((MOV0, IMM64_TAIL, Exit()), "xdp"),
                                  "unknown opcode 00", 1, recheck=False),
    # live: "unreachable insn 2"
    "unreachable_after_exit": _text("\tr0 = 2\n\texit\n\tr0 = 1\n\texit\n",
                                    message="unreachable insn 2", insn=2),
    # live: the exit after "l: goto l" is never reached
    "unreachable_after_self_loop": _text("l:\n\tgoto l\n\texit\n",
                                         message="unreachable insn 1", insn=1),
    # live: the head at 2 is reached and the branch lands on its tail at 3
    "jump_into_ld_imm64": _text("\tr0 = 0\n\tif r0 == 0 goto +1\n\tr1 = 5 ll\n\texit\n",
                                message="jump into the middle of ldimm64 insn 2", insn=2),
    # live: when only the tail is reached, the head is reported unreachable first
    "jump_over_ld_imm64_head": _text("\tgoto +1\n\tr1 = 5 ll\n\tr0 = 0\n\texit\n",
                                     message="unreachable insn 1", insn=1),
    # not live (EPERM here); the DFS meets insn 1 again from the branch of insn 2 (push_insn)
    "back_edge_unprivileged": _text("\tr0 = 0\nl:\n\tr0 += 1\n\tif r0 < 4 goto l\n\texit\n",
                                    message="back-edge from insn 2 to 1", insn=2,
                                    privileged=False),
    # live: accepted (bounded loop, privileged; goto +0; subprogram with BTF may use LD_ABS)
    "loop_privileged": _text("\tr0 = 0\nl:\n\tr0 += 1\n\tif r0 < 4 goto l\n\texit\n",
                             message=None),
    "goto_zero": _text("\tr0 = 0\n\tgoto +0\n\texit\n", message=None),
}


@pytest.mark.parametrize("name", STATIC)
def test_static_check(name: str) -> None:
    case = STATIC[name]
    got = check_cfg(case.prog, privileged=case.privileged)
    if case.message is None:
        assert got is None
    else:
        assert got is not None
        assert (got.message, got.insn, got.errno) == (case.message, case.insn, case.errno)


def test_ld_abs_in_subprogram_with_btf_passes() -> None:
    # live: with func_info the kernel goes on to explore (and fails later, "R6 !read_ok")
    prog = _with_btf(STATIC["ld_abs_in_subprogram"].prog)
    assert prog.has_prog_btf
    assert check_cfg(prog) is None


def test_back_edge_is_only_for_unprivileged() -> None:
    prog = STATIC["back_edge_unprivileged"].prog
    assert check_cfg(prog, privileged=True) is None
    assert is_bpf_capable(prog)
    unprivileged = replace(prog, dropped_caps=frozenset({"cap_bpf", "cap_sys_admin"}))
    assert not is_bpf_capable(unprivileged)


def test_kfunc_check_hook_runs_after_gpl_check() -> None:
    prog = program("\tr1 = 1\n\tcall bpf_task_from_pid\n\tr0 = 0\n\texit\n",
                   '# SEC("syscall")')
    seen: list[int] = []

    def hook(slot: int, call: Call) -> StaticError | None:
        seen.append(slot)
        return StaticError(slot, f"no {call.name}", check="add_kfunc_call")

    assert check_cfg(prog, kfunc_check=hook) == StaticError(1, "no bpf_task_from_pid",
                                                            check="add_kfunc_call")
    assert seen == [1]


# --- the live kernel, asked again (skipped where bpf() cannot be used) ---------------------------
def _kernel() -> tuple[bool, str]:
    from kfunclab.kernel import kernel_available

    return kernel_available()


@pytest.mark.kernel
@pytest.mark.parametrize("name", [n for n, c in STATIC.items() if c.privileged and c.recheck])
def test_static_check_matches_live_kernel(name: str) -> None:
    ok, why = _kernel()
    if not ok:
        pytest.skip(why)
    from kfunclab.kernel import kernel_verdict

    case = STATIC[name]
    verdict = kernel_verdict(case.prog, log_level=1)
    if case.message is None:
        assert verdict.accepted, verdict.error
    else:
        assert (verdict.error, verdict.errno) == (case.message, case.errno)


@pytest.mark.kernel
@pytest.mark.parametrize("name", CORPUS)
def test_corpus_is_accepted_by_live_kernel(name: str) -> None:
    ok, why = _kernel()
    if not ok:
        pytest.skip(why)
    from kfunclab.kernel import kernel_verdict

    verdict = kernel_verdict(program(CORPUS[name].body), log_level=1)
    assert verdict.accepted, verdict.error
