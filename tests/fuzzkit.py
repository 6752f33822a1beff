"""Strategies and oracles shared by tests/test_fuzz.py (small, fixed seed) and scripts/fuzz.py
(a long campaign): hostile program text, C declaration text, JSON catalogues and BTF blobs.

The oracle for every target is the same rule (issue 14): an input is answered with a
``kfunclab.errors.KfunclabError`` or, for programs, a verdict in {accept, reject, unsupported}
whose messages have no unfilled ``{placeholder}`` — never another exception, never a hang.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from hypothesis import strategies as st

from kfunclab.btf.builder import BtfBuilder
from kfunclab.btf.model import Btf
from kfunclab.btf.types import BtfKind
from kfunclab.btf.walk import struct_access
from kfunclab.errors import KfunclabError
from kfunclab.isa.parser import parse_program
from kfunclab.kfuncs.catalog import load_catalog
from kfunclab.kfuncs.cparser import load_c
from kfunclab.kfuncs.ctext import parse_function_text
from kfunclab.verifier import verify

#: Seconds one input may take before it counts as a hang.
TIME_BOUND = 20
VERDICTS = {"accept", "reject", "unsupported"}
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z_0-9]*(?:[:!][^}]*)?\}")


class Hang(Exception):
    """An input ran longer than TIME_BOUND seconds."""


@contextlib.contextmanager
def time_bound(seconds: int = TIME_BOUND) -> Iterator[None]:
    def expire(_signum: int, _frame: object) -> None:
        raise Hang(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# --- program text --------------------------------------------------------------------------------

SECTIONS = ["xdp", "tc", "syscall", "socket", "tp_btf/sched_switch", "kprobe/do_sys_openat2",
            "fentry/do_sys_openat2", "lsm/file_open", "iter/task", "raw_tp/sys_enter",
            "struct_ops/foo", "tp_btf/nope", "fentry.s/x", "kprobe.multi/*", "nope", "",
            "cgroup_skb/egress", "perf_event", "tracepoint/syscalls/sys_enter_open"]
CALLS = ["bpf_task_acquire", "bpf_task_release", "bpf_task_from_pid", "bpf_rcu_read_lock",
         "bpf_rcu_read_unlock", "bpf_iter_num_new", "bpf_iter_num_next", "bpf_iter_num_destroy",
         "bpf_map_lookup_elem", "bpf_map_update_elem", "bpf_get_prandom_u32", "bpf_loop",
         "bpf_ktime_get_ns", "bpf_obj_new_impl", "bpf_obj_drop_impl", "bpf_rdonly_cast",
         "bpf_cpumask_create", "bpf_cpumask_release", "bpf_dynptr_from_mem", "bpf_no_such",
         "bpf_spin_lock", "bpf_spin_unlock", "bpf_kptr_xchg", "bpf_cast_to_kern_ctx",
         "0", "1", "999", "-1", "212", "pc+1", "sub", "kernel-function#1", "unknown#5"]
REGS = [f"r{i}" for i in range(11)] + ["r11", "w0", "w1", "w3", "r-1"]
NUMS = ["0", "1", "-1", "8", "-8", "-12", "-512", "-513", "511", "0x7fffffff", "0xffffffff",
        "4294967296", "-9223372036854775808", "18446744073709551615", "99999999999999999999"]
OPS = ["=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "s>>=", "s/="]
CMPS = ["==", "!=", ">", ">=", "<", "<=", "s>", "s<", "&"]
SIZES = ["u8", "u16", "u32", "u64", "s8", "s32"]
JUNK = ["", " ", "\t", "/*", "*/", "//", "#", ";", ":", "\ufeff", "\r", "\u00e9", "\x00", "{",
        "}", "{arg}", "'", '"', "ll", "goto", " " * 200, "a" * 120]


def _insn(draw: st.DrawFn, labels: list[str]) -> str:
    r = lambda: draw(st.sampled_from(REGS))  # noqa: E731
    n = lambda: draw(st.sampled_from(NUMS))  # noqa: E731
    kind = draw(st.integers(0, 11))
    if kind == 0:
        return f"{r()} {draw(st.sampled_from(OPS))} {draw(st.sampled_from([r(), n()]))}"
    if kind == 1:
        return f"{r()} = *({draw(st.sampled_from(SIZES))} *)({r()} {n()})"
    if kind == 2:
        value = draw(st.sampled_from([r(), n()]))
        return f"*({draw(st.sampled_from(SIZES))} *)({r()} {n()}) = {value}"
    if kind == 3:
        target = draw(st.sampled_from([*labels, "+1", "-1", "+5"])) if labels else "+1"
        cmp, rhs = draw(st.sampled_from(CMPS)), draw(st.sampled_from([r(), n()]))
        return f"if {r()} {cmp} {rhs} goto {target}"
    if kind == 4:
        return f"call {draw(st.sampled_from(CALLS + labels))}"
    if kind == 5:
        return f"{r()} = {draw(st.sampled_from(['m', 'nope', '0x1234']))} ll"
    if kind == 6:
        return f"goto {draw(st.sampled_from([*labels, '+0', '-1']))}"
    if kind == 7:
        return "r1 = r10" if draw(st.booleans()) else f"r2 = r10\n  r2 += {n()}"
    if kind == 8:
        return f"lock *(u64 *)({r()} {n()}) += {r()}"
    if kind == 9:
        return " ".join(draw(st.lists(st.sampled_from(JUNK + REGS + NUMS + OPS), max_size=6)))
    if kind == 10:
        return f"(85) call {draw(st.sampled_from(CALLS))}#{draw(st.sampled_from(NUMS))}"
    return "exit"


@st.composite
def programs(draw: st.DrawFn) -> str:
    """A short program file: a header (sometimes malformed), instructions, labels, junk."""
    lines = []
    if draw(st.integers(0, 9)):
        lines.append(f'# SEC("{draw(st.sampled_from(SECTIONS))}")')
    if draw(st.booleans()):
        lines.append(f'# LICENSE("{draw(st.sampled_from(["GPL", "MIT", "", "Dual BSD/GPL"]))}")')
    if draw(st.booleans()):
        lines.append("# MAP: m " + draw(st.sampled_from(
            ["array key=u32 value=u64", "hash key=u32 value=u64 max_entries=4",
             'array key=u32 value="struct s { struct task_struct __kptr *t; }"',
             "array key=u32 value=u64 flags=nope", "ringbuf max_entries=4096", "nope"])))
    if draw(st.integers(0, 4)) == 0:
        lines.append("# CAPS: " + draw(st.sampled_from(["-cap_bpf", "-cap_sys_admin -cap_bpf",
                                                          "-cap_perfmon", "+nope"])))
    labels = draw(st.lists(st.sampled_from(["l1", "l2", "out", "sub"]), max_size=3,
                           unique=True))
    body = [f"  {_insn(draw, labels)}" for _ in range(draw(st.integers(0, 14)))]
    for label in labels:
        body.insert(draw(st.integers(0, len(body))), f"{label}:")
    body += ["  r0 = 0", "  exit"] if draw(st.booleans()) else []
    text = "\n".join(lines + body) + "\n"
    if draw(st.integers(0, 5)) == 0:
        text = text.replace("\n", draw(st.sampled_from(["\r", "\r\n", "\n\n"])))
    return text


def check_program(text: str) -> str:
    """Parse and verify ``text``; return the verdict or "error" (a KfunclabError)."""
    with time_bound():
        try:
            program = parse_program(text, "fuzz.s")
            results = [verify(program, btf="bundled", log_level=level, collect_all=level == 1,
                              insn_limit=20_000) for level in (0, 2)]
        except KfunclabError:
            return "error"
    for r in results:
        assert r.verdict.value in VERDICTS, r.verdict
        for d in (*r.rejected, *((r.error,) if r.error else ())):
            for line in (d.message, *d.context):
                assert not PLACEHOLDER.search(line), f"unfilled placeholder: {line!r}"
    return results[0].verdict.value


# --- C declaration text --------------------------------------------------------------------------

C_WORDS = ["void", "int", "u32", "u64", "char", "const", "unsigned", "long", "struct",
           "task_struct", "bpf_x", "a", "mem__sz", "p__k", "t__nullable", "__bpf_kfunc", "static",
           "*", "(", ")", ",", ";", "{", "}", "...", "=", "&", ".", "[", "]", "1", "0x10",
           "/* c */", "// c\n", "\n", "#define X 1\n", '"s"', "'c'", "__attribute__((x))",
           "BTF_KFUNCS_START(ids)", "BTF_KFUNCS_END(ids)", "BTF_ID_FLAGS(func, bpf_x, KF_ACQUIRE)",
           "KF_RET_NULL", "|",
           "static const struct btf_kfunc_id_set s = { .owner = THIS_MODULE, .set = &ids };",
           "static const struct btf_kfunc_id_set s",
           "register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &s);",
           "typedef", "enum", "union", "bool", "__user", "/*", "\\\n", "\xff", "\u00e9"]
GOOD_C = ("__bpf_kfunc struct task_struct *bpf_x(struct task_struct *p) { return p; }\n"
          "BTF_KFUNCS_START(ids)\nBTF_ID_FLAGS(func, bpf_x, KF_ACQUIRE | KF_RET_NULL)\n"
          "BTF_KFUNCS_END(ids)\n"
          "static const struct btf_kfunc_id_set s = { .owner = THIS_MODULE, .set = &ids };\n"
          "register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &s);\n")


@st.composite
def c_texts(draw: st.DrawFn) -> str:
    """C text: a well-formed kfunc file with words spliced in, or a soup of C words."""
    words = draw(st.lists(st.sampled_from(C_WORDS), max_size=30))
    if draw(st.booleans()):
        at = draw(st.integers(0, len(GOOD_C)))
        return GOOD_C[:at] + " ".join(words) + GOOD_C[at:]
    if draw(st.integers(0, 9)) == 0:  # deep nesting of function-pointer parameters
        depth = draw(st.integers(0, 400))
        return "void f(" + "void (*a)(" * depth + ")" * depth + ");"
    return " ".join(words)


def check_c_text(text: str) -> None:
    with time_bound():
        for parse in (lambda: load_c(text, file="fuzz.h"),
                      lambda: parse_function_text(text, "fuzz.h")):
            with contextlib.suppress(KfunclabError):
                parse()


# --- JSON catalogues -----------------------------------------------------------------------------

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from(
    ["", "x", "0", "KF_ACQUIRE", "KF_NOPE", "BPF_PROG_TYPE_XDP", "XDP", "nope", "linux-6.18",
     "void bpf_x(void)", "struct task_struct *bpf_x(void)", "task_in_cgroup", "doc"]))
_json = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
        ["name", "flags", "prototype", "x"]), inner, max_size=3)), max_leaves=8)


def _field(value: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(value, _json)


_rows = st.fixed_dictionaries({"name": _field(st.sampled_from(["bpf_x", "bpf_task_acquire"])),
                               "flags": _field(st.sampled_from(["0", "KF_ACQUIRE | KF_RET_NULL",
                                                                 "KF_RELEASE", "KF_X"])),
                               "prototype": _field(st.sampled_from(
                                   ["void bpf_x(void)", "struct task_struct *bpf_x(void)",
                                    "int bpf_x(void *mem, u32 mem__sz)", "bad ("]))},
                              optional={"present": _field(st.booleans()),
                                        "note": _field(st.just("n"))})
_sets = st.fixed_dictionaries(
    {"name": _field(st.sampled_from(["s", "t"])), "source": _field(st.just("f.c")),
     "register": _field(st.lists(st.sampled_from(["BPF_PROG_TYPE_XDP", "TRACING", "nope"]),
                                 max_size=2)),
     "kfuncs": _field(st.lists(_rows, max_size=3))},
    optional={"kind": _field(st.sampled_from(["kfuncs", "set8"])),
              "filter": _field(st.sampled_from([None, "task_in_cgroup", "nope"])),
              "fmodret": _field(st.booleans())})
_tables = st.fixed_dictionaries({}, optional={
    "sets": _field(st.lists(_sets, max_size=3)), "catalog": _field(st.just("c")),
    "base": _field(st.sampled_from(["linux-6.18", "doc", "nope"])),
    "drop_flags": _field(st.lists(st.sampled_from(["KF_TRUSTED_ARGS", "KF_X"]), max_size=2)),
    "sources": _field(st.dictionaries(st.just("k"), _json, max_size=1))})


@st.composite
def json_texts(draw: st.DrawFn) -> str:
    """A catalogue table in JSON: mostly the right shape with wrong values, sometimes junk."""
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return "[" * draw(st.integers(1, 100_000))
    if choice == 1:
        return json.dumps(draw(_json))
    return json.dumps(draw(_tables))


_TMP = Path(tempfile.mkdtemp(prefix="kfunclab-fuzz-"))


def check_json_text(text: str) -> None:
    path = _TMP / "fuzz.json"
    path.write_text(text)
    with time_bound(), contextlib.suppress(KfunclabError):
        load_catalog(path)


# --- BTF blobs -----------------------------------------------------------------------------------

@st.composite
def btf_blobs(draw: st.DrawFn) -> bytes:
    """A raw BTF blob of a few random records (ids point anywhere, loops included), sometimes
    with bytes flipped or cut."""
    b = BtfBuilder()
    count = draw(st.integers(1, 8))
    tid = lambda: draw(st.integers(0, count + 1))  # noqa: E731
    for _ in range(count):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            b.add_int("int", draw(st.sampled_from([1, 2, 4, 8, 16, 3])), draw(st.booleans()))
        elif kind == 1:
            b.add_ptr(tid())
        elif kind == 2:
            members = [(f"m{i}", tid(), draw(st.integers(0, 128)))
                       for i in range(draw(st.integers(0, 3)))]
            b.add_struct(draw(st.sampled_from(["s", "task_struct", ""])),
                         draw(st.integers(0, 64)), members, union=draw(st.booleans()))
        elif kind == 3:
            b.add_typedef("t", tid())
        elif kind == 4:
            b.add_const(tid())
        elif kind == 5:
            b.add_array(tid(), tid(), draw(st.integers(0, 1 << 31)))
        elif kind == 6:
            proto = b.add_func_proto(tid(), [("a", tid())])
            b.add_func(draw(st.sampled_from(["bpf_x", "bpf_task_acquire"])), proto)
        elif kind == 7:
            b.add_enum("e", [("A", 1)], size=draw(st.sampled_from([1, 4, 8, 3])))
        elif kind == 8:
            b.add_raw(draw(st.integers(0, 31)), "r", draw(st.integers(0, 3)), tid(),
                      draw(st.binary(max_size=24)))
        else:
            b.add_decl_tag("bpf_kfunc", tid(), draw(st.integers(-1, 2)))
    blob = bytearray(b.build())
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(blob) - 1))
        blob[at] = draw(st.integers(0, 255))
    if draw(st.integers(0, 5)) == 0:
        blob = blob[:draw(st.integers(0, len(blob)))]
    return bytes(blob)


def _exercise(action: Callable[[], object]) -> None:
    with contextlib.suppress(KfunclabError):
        action()


def check_btf_blob(blob: bytes) -> None:
    with time_bound():
        try:
            btf = Btf.from_bytes(blob, "fuzz.btf")
        except KfunclabError:
            return
        _exercise(btf.kfuncs)
        for type_id in range(len(btf)):
            for method in (btf.describe, btf.resolve, btf.sizeof, btf.to_ctype):
                _exercise(functools.partial(method, type_id))
            try:
                is_struct = btf.kind(type_id) in (BtfKind.STRUCT, BtfKind.UNION)
            except KfunclabError:
                continue
            if is_struct:
                for off, size in ((0, 4), (0, 8), (4, 4), (8, 8), (-1, 1)):
                    _exercise(functools.partial(struct_access, btf, type_id, off, size))


#: target name -> (strategy, check, corpus file extension)
TARGETS: dict[str, tuple[st.SearchStrategy, Callable, str]] = {
    "prog": (programs(), check_program, ".s"),
    "c": (c_texts(), check_c_text, ".h"),
    "json": (json_texts(), check_json_text, ".json"),
    "btf": (btf_blobs(), check_btf_blob, ".btf"),
}
