"""Exercise checks for the notebooks: verify a learner's answer and say what is still wrong.

Every ``check_*`` function takes the learner's program (assembly text, a parsed Program, or the
``_bpf`` result of a ``%%bpf`` cell) or C text, verifies it offline (bundled BTF) and returns a
:class:`Feedback`: passed or not, one sentence that says what happened, and details that point
at instructions, source lines and paths ("the reference taken at insn 1 ... is still held when
the program exits at insn 10, on the path 0-6 → 9-10"). It never raises for a wrong answer.

>>> fb = check_leak_fixed(EXERCISES["leak_fixed"].solution)
>>> fb.passed, fb.summary
(True, 'good: accepted, and bpf_task_release is called on every path that holds the task')
>>> check_leak_fixed(EXERCISES["leak_fixed"].starter).passed
False

Two helpers for lessons: :func:`kernel_said` puts the live kernel's recorded answer next to
kfunclab's, and :func:`compare_profiles` verifies one program under several kernel profiles.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kfunclab.errors import KfunclabError
from kfunclab.isa.insn import Call, Load
from kfunclab.isa.parser import parse_program
from kfunclab.isa.program import Program
from kfunclab.kfuncs import Kfunc, load_c
from kfunclab.verifier import Diagnostic, RefEventKind, VerificationResult, verify

ProgramLike = str | Program | VerificationResult
BTF = "bundled"  # the same answers on every machine (Binder has no /sys/kernel/btf/vmlinux)

# --- feedback ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Feedback:
    """What a check found: ``passed``, a one-line ``summary`` and ``details`` lines.

    ``str()`` is plain text; in Jupyter it shows as a green or red box.
    """

    exercise: str
    passed: bool
    summary: str
    details: tuple[str, ...] = ()
    result: VerificationResult | None = field(default=None, compare=False, repr=False)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        mark = "✔" if self.passed else "✘"
        return "\n".join([f"{mark} [{self.exercise}] {self.summary}",
                          *(f"  - {d}" for d in self.details)])

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        colour, back = ("#1a7f37", "#e9f7ee") if self.passed else ("#b42318", "#fdecea")
        items = "".join(f"<li>{html.escape(d)}</li>" for d in self.details)
        # explicit text colour: the light background must stay readable in dark themes
        return (f'<div class="kfunclab-feedback" style="border-left:4px solid {colour};'
                f'background:{back};color:#1f2328;padding:6px 10px;margin:4px 0">'
                f'<b style="color:{colour}">{"✔" if self.passed else "✘"} '
                f"{html.escape(self.exercise)}</b>: {html.escape(self.summary)}"
                f'{f"""<ul style="margin:4px">{items}</ul>""" if items else ""}</div>')


# --- reading the learner's answer ----------------------------------------------------------------


def program_of(answer: ProgramLike, file: str = "<your program>") -> Program:
    """The Program behind an answer (text is parsed; a ParseError says line and column)."""
    if isinstance(answer, VerificationResult):
        return answer.program
    if isinstance(answer, Program):
        return answer
    return parse_program(answer, file)


def run(answer: ProgramLike, **options: object) -> VerificationResult:
    """verify() with the bundled BTF (options as for :func:`kfunclab.verifier.verify`)."""
    options.setdefault("btf", BTF)
    return verify(program_of(answer), **options)  # type: ignore[arg-type]


def source_text(program: Program, insn: int) -> str:
    """``line 5: if r0 == 0 goto out`` for an instruction of a parsed program."""
    if program.source is None:
        return ""
    line = program.source.line_of(insn)
    text = program.source.text.splitlines()[line - 1].split("#", 1)[0].split("//", 1)[0]
    return f"line {line}: {text.strip()}"


def where(program: Program, insn: int | None) -> str:
    """``insn 4 (line 6: call bpf_task_release)``."""
    if insn is None:
        return "before verification"
    src = source_text(program, insn)
    return f"insn {insn} ({src})" if src else f"insn {insn}"


def path_text(path: Sequence[int], program: Program | None = None) -> str:
    """Runs of consecutive instructions: ``(0, 1, 2, 5, 6)`` -> ``0-2 → 5-6``.

    With ``program``, the second slot of an ``ld_imm64`` does not break a run.
    """
    follows: dict[int, int] = {}
    if program is not None:
        slots = [slot for slot, _ in program.instructions()]
        follows = dict(itertools.pairwise(slots))
    runs: list[list[int]] = []
    for insn in path:
        if runs and insn in (runs[-1][-1] + 1, follows.get(runs[-1][-1])):
            runs[-1].append(insn)
        else:
            runs.append([insn])
    return " → ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def calls_in(program: Program) -> set[str]:
    """Names of the helpers and kfuncs a program calls."""
    return {ins.name for _, ins in program.instructions() if isinstance(ins, Call) and ins.name}


def loads_at(program: Program, offset: int) -> bool:
    """Whether some ``rX = *(u64 *)(rY + offset)`` load reads that field."""
    return any(isinstance(ins, Load) and ins.off == offset for _, ins in program.instructions())


# --- explaining a rejection ----------------------------------------------------------------------


def _state_before(result: VerificationResult, diag: Diagnostic) -> dict[str, str]:
    """Registers just before the failing instruction, as the log prints them."""
    path = next((p for p in result.paths if p.error == diag), None)
    if path is None or len(path.steps) < 2:
        return {}
    return path.steps[-2].state.live_regs()


def _leak(result: VerificationResult, diag: Diagnostic, found: re.Match[str]) -> list[str]:
    # Not the reference id: kfunclab numbers ids in its own order (the kernel may differ).
    alloc, prog = int(found["insn"]), result.program
    return [f"the reference taken at {where(prog, alloc)} is still held when the program exits "
            f"at {where(prog, diag.insn)}, on the path {path_text(diag.path, prog)}",
            "release it (or hand it on) on that path too"]


def _scalar(result: VerificationResult, diag: Diagnostic, found: re.Match[str]) -> list[str]:
    reg = found["reg"]
    released = [e for lt in result.references for e in lt.events
                if e.kind is RefEventKind.RELEASED and e.insn in diag.path]
    if released:
        return [f"{reg} held a copy of a reference that was released at "
                f"{where(result.program, released[-1].insn)}: every copy (registers and stack "
                "slots) dies with the release, so use the object before releasing it"]
    return [f"{reg} does not hold a pointer here"]


def _maybe_null(result: VerificationResult, diag: Diagnostic, found: re.Match[str]) -> list[str]:
    return [f"on the path {path_text(diag.path, result.program)} nothing has compared the "
            "pointer with 0 yet; check it (if rX == 0 goto ...) on every path that reaches "
            "this instruction"]


def _mem_len(result: VerificationResult, diag: Diagnostic, found: re.Match[str]) -> list[str]:
    regs = _state_before(result, diag)
    ptr, size = int(found["ptr"]) + 1, int(found["ptr"]) + 2
    return [f"R{ptr} = {regs.get(f'R{ptr}', '?')} and R{size} = {regs.get(f'R{size}', '?')}: the "
            "largest size the verifier allows for must fit in the memory the pointer points to"]


def _constant(result: VerificationResult, diag: Diagnostic, found: re.Match[str]) -> list[str]:
    reg = found["reg"]
    value = _state_before(result, diag).get(reg, "?")
    return [f"{reg} = {value}: a __k argument must be one value the verifier knows exactly"]


def _rcu_ptr(result: VerificationResult, diag: Diagnostic, found: re.Match[str]) -> list[str]:
    return ["the pointer was loaded where no RCU read section protects it (a sleepable program "
            "outside bpf_rcu_read_lock()/bpf_rcu_read_unlock(), or a field that is not RCU-safe)"]


def _trusted(result: VerificationResult, diag: Diagnostic, found: re.Match[str]) -> list[str]:
    return ["this argument must be trusted: a reference from an acquire kfunc, or a pointer the "
            "kernel hands over as trusted (a tp_btf argument); an RCU pointer or a pointer "
            "walked from another one is not enough"]


def _sleepable(result: VerificationResult, diag: Diagnostic, found: re.Match[str]) -> list[str]:
    return [f"a kfunc that may sleep is called inside a {found['region']} region: move the call "
            "out of it (before the region starts or after it ends)"]


_EXPLAIN: tuple[tuple[str, Callable[..., list[str]]], ...] = (
    (r"Unreleased reference id=(?P<id>\d+) alloc_insn=(?P<insn>\d+)", _leak),
    (r"(?P<reg>R\d+) invalid mem access 'scalar'", _scalar),
    (r"Possibly NULL pointer passed|invalid mem access 'ptr_or_null_'", _maybe_null),
    (r"arg#(?P<ptr>\d+) arg#\d+ memory, len pair", _mem_len),
    (r"(?P<reg>R\d+) must be a known constant", _constant),
    (r"R\d+ must be a rcu pointer", _rcu_ptr),
    (r"R\d+ must be referenced or trusted", _trusted),
    (r"is sleepable within (?P<region>.+) region", _sleepable),
)


def explain(result: VerificationResult, diag: Diagnostic | None = None) -> list[str]:
    """Lines that say where ``diag`` (default: the first rejection) happened and why."""
    diag = diag or result.error
    if diag is None:
        return []
    lines = [f"the verifier says at {where(result.program, diag.insn)}: {diag.message}"]
    text = "\n".join((*diag.context, diag.message))
    for pattern, why in _EXPLAIN:
        found = re.search(pattern, text)
        if found:
            lines += why(result, diag, found)
            break
    others = len(result.rejected) - 1
    if others > 0:
        lines.append(f"{others} more path(s) are rejected too: fix this one and check again")
    return lines


# --- the shared shape of a program exercise ------------------------------------------------------


@dataclass(frozen=True)
class Exercise:
    """One exercise: where it is, its goal, the broken starter and one right answer."""

    name: str
    notebook: str
    goal: str
    starter: str
    solution: str


def _missing(program: Program, names: Iterable[str]) -> list[str]:
    have = calls_in(program)
    return [n for n in names if n not in have]


def _program_check(name: str, answer: ProgramLike, *, must_call: Sequence[str],
                   praise: str, **options: object) -> Feedback:
    """Parse, verify, explain; an accepted program must still call what the exercise is about."""
    try:
        program = program_of(answer)
        result = run(program, collect_all=True, **options)
    except KfunclabError as exc:
        return Feedback(name, False, "the verifier cannot read this program",
                        (_short_paths(str(exc)),))
    if not result.accepted:
        return Feedback(name, False, f"still rejected: {result.error.message}",  # type: ignore
                        tuple(explain(result)), result)
    missing = _missing(program, must_call)
    if missing:
        return Feedback(name, False, "accepted, but the program no longer does the job: it "
                        "must still call " + ", ".join(missing), (), result)
    return Feedback(name, True, praise,
                    (f"the verifier walked {len(result.paths)} path(s), "
                     f"{result.stats.processed_insns} instructions",), result)


def check_welcome(answer: ProgramLike) -> Feedback:
    """01: the task looked up by pid must be given back."""
    return _program_check("welcome", answer, must_call=("bpf_task_from_pid", "bpf_task_release"),
                          praise="good: accepted, the task reference is returned")


def check_leak_fixed(answer: ProgramLike) -> Feedback:
    """04: release the task on the early-exit branch too."""
    return _program_check("leak_fixed", answer,
                          must_call=("bpf_task_from_pid", "bpf_task_release",
                                     "bpf_get_prandom_u32"),
                          praise="good: accepted, and bpf_task_release is called on every path "
                                 "that holds the task")


def check_null_checked(answer: ProgramLike) -> Feedback:
    """05: every path must NULL-check before the release."""
    return _program_check("null_checked", answer,
                          must_call=("bpf_task_from_pid", "bpf_task_release"),
                          praise="good: accepted, the pointer is NULL-checked on every path")


def check_size_fixed(answer: ProgramLike) -> Feedback:
    """03: the size passed with the buffer must never exceed the buffer."""
    return _program_check("size_fixed", answer, must_call=("bpf_copy_from_user_str",),
                          praise="good: accepted, every size the verifier allows fits the buffer")


def check_constant_fixed(answer: ProgramLike) -> Feedback:
    """03: the __k argument of bpf_rdonly_cast must be a known constant."""
    return _program_check("constant_fixed", answer, must_call=("bpf_rdonly_cast",),
                          praise="good: accepted, btf_id__k is a constant the verifier knows")


def check_rcu_fixed(answer: ProgramLike) -> Feedback:
    """06: real_parent loaded inside an RCU read section, acquired, released."""
    fb = _program_check("rcu_fixed", answer,
                        must_call=("bpf_task_from_pid", "bpf_task_acquire", "bpf_task_release"),
                        praise="good: accepted, real_parent is an RCU pointer where it is used")
    if fb.passed and not loads_at(program_of(answer), 1280):
        return Feedback("rcu_fixed", False, "accepted, but the program no longer reads "
                        "task->real_parent (the load from +1280): keep it", (), fb.result)
    return fb


def check_kptr_swap(answer: ProgramLike) -> Feedback:
    """07: the task swapped out of the map must be released."""
    return _program_check("kptr_swap", answer,
                          must_call=("bpf_kptr_xchg", "bpf_task_acquire", "bpf_task_release"),
                          praise="good: accepted, the new task is in the map and the old one "
                                 "is released")


def check_sleepable_fixed(answer: ProgramLike) -> Feedback:
    """08: no sleeping inside the RCU read section."""
    return _program_check("sleepable_fixed", answer,
                          must_call=("bpf_copy_from_user_str", "bpf_rcu_read_lock",
                                     "bpf_rcu_read_unlock"),
                          praise="good: accepted, the sleepable call is outside the RCU section")


def check_prune_safe(answer: ProgramLike) -> Feedback:
    """10: safe for the kernel-faithful verifier, so also for the naive pruner."""
    name = "prune_safe"
    fb = _program_check(name, answer, must_call=("bpf_rdonly_cast",),
                        praise="good: accepted by the kernel-faithful verifier")
    naive = run(answer, precision=False)
    naive_note = (f"the naive pruner (precision=False) says {naive.verdict.value}"
                  + (f", after pruning at {where(naive.program, naive.prune_events[0].insn)} "
                     f"against checkpoint {naive.prune_events[0].checkpoint_id}"
                     if naive.prune_events else ""))
    if fb.passed:
        return Feedback(name, True, fb.summary, (*fb.details, naive_note), fb.result)
    return Feedback(name, False, fb.summary, (naive_note, *fb.details), fb.result)


def check_portable(answer: ProgramLike) -> Feedback:
    """11: one program that both 6.18 and 7.0 accept."""
    name = "portable"
    details, ok = [], True
    for profile in ("linux-6.18", "linux-7.0"):
        fb = _program_check(name, answer, must_call=("css_rstat_updated",), praise="ok",
                            profile=profile)
        if fb.result is None:
            return fb
        ok &= fb.passed
        details.append(f"{profile}: " + ("accepted" if fb.passed else fb.summary))
        details += [] if fb.passed else list(fb.details[1:])
    summary = ("good: accepted by Linux 6.18 and by 7.0" if ok
               else "not portable yet: a kernel still rejects it")
    return Feedback(name, ok, summary, tuple(details))


# --- exercises on C declarations -----------------------------------------------------------------

_FILL_PROGRAM = """# SEC("tp_btf/task_newtask")
	r1 = r10
	r1 += -16                  # a 16-byte buffer on the stack
	r2 = {size}
	r3 = 65
	call bpf_fill
	r0 = 0
	exit
"""


#: catalogue files written by catalog_file(), and the short name messages show for them
_CATALOG_NAMES: dict[str, str] = {}


def catalog_file(text: str, stem: str = "kfuncs") -> str:
    """Write C text where verify(catalog=PATH) can read it (same text, same file).

    Messages about the file name it ``<stem>.h`` (the real path depends on the machine).
    """
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / "kfunclab-exercises"
    folder.mkdir(exist_ok=True)
    path = folder / f"{stem}-{digest}.h"
    if not path.exists():
        path.write_text(text)
    _CATALOG_NAMES[str(path)] = f"{stem}.h"
    return str(path)


def _short_paths(message: str) -> str:
    for path, name in _CATALOG_NAMES.items():
        message = message.replace(path, name)
    return message


def check_sz_declaration(c_text: str) -> Feedback:
    """02: declare bpf_fill(buf, size, byte) so the verifier knows the buffer's size."""
    name = "sz_declaration"
    try:
        kfunc = Kfunc.declare(c_text, profile="doc")
    except KfunclabError as exc:
        return Feedback(name, False, "the kernel would refuse this declaration", (str(exc),))
    if kfunc.name != "bpf_fill" or len(kfunc.params) != 3:
        return Feedback(name, False, "expected bpf_fill with three parameters (the buffer, its "
                        f"size, the byte); found {kfunc.prototype()}")
    catalog = catalog_file(
        f"{c_text.strip().rstrip(';')};\nBTF_SET8_START(fill_ids)\nBTF_ID_FLAGS(func, bpf_fill)\n"
        "BTF_SET8_END(fill_ids)\nstatic const struct btf_kfunc_id_set fill_set = "
        "{ .owner = THIS_MODULE, .set = &fill_ids };\nstatic int init(void) { return "
        "register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &fill_set); }\n", "fill")
    try:
        fits = run(_FILL_PROGRAM.format(size=16), profile="doc", catalog=catalog)
        overflows = run(_FILL_PROGRAM.format(size=32), profile="doc", catalog=catalog)
    except KfunclabError as exc:
        return Feedback(name, False, "kfunclab cannot use this declaration",
                        (_short_paths(str(exc)),))
    if fits.accepted and not overflows.accepted:
        return Feedback(name, True, "good: the verifier now checks the buffer against its size",
                        ("bpf_fill(fp-16, 16, 'A') is accepted",
                         f"bpf_fill(fp-16, 32, 'A') is refused: {overflows.error.message}"))  # type: ignore
    if not fits.accepted:
        return Feedback(name, False, "a correct call is refused", tuple(explain(fits)))
    return Feedback(name, False, "a call that writes 32 bytes into a 16-byte buffer is accepted: "
                    "the size is not tied to the buffer")


_LAB_CALLERS = {
    "an XDP program": '# SEC("xdp")\n\tr1 = 3\n\tcall bpf_lab_counter\n\tr0 = 2\n\texit\n',
    "a tp_btf (TRACING) program": '# SEC("tp_btf/task_newtask")\n\tr1 = 3\n'
                                  '\tcall bpf_lab_counter\n\tr0 = 0\n\texit\n',
}


def check_registration(c_text: str) -> Feedback:
    """09: register bpf_lab_counter the 6.18 way, for tp_btf (TRACING) and XDP programs."""
    name = "registration"
    try:
        kfuncs, _registry = load_c(c_text, "linux-6.18", file="<your C>")
    except KfunclabError as exc:
        return Feedback(name, False, "Linux 6.18 would refuse this C", (str(exc),))
    if "bpf_lab_counter" not in kfuncs:
        return Feedback(name, False, "bpf_lab_counter is in no kfunc ID set (BTF_ID_FLAGS)")
    catalog = catalog_file(c_text, "lab")
    details, ok = [], True
    for who, prog in _LAB_CALLERS.items():
        try:
            result = run(prog, catalog=catalog)
        except KfunclabError as exc:
            return Feedback(name, False, "kfunclab cannot use this C", (_short_paths(str(exc)),))
        ok &= result.accepted
        details.append(f"{who} calling bpf_lab_counter: " + (
            "accepted" if result.accepted else f"rejected: {result.error.message}"))  # type: ignore
    summary = ("good: Linux 6.18 accepts the set, and both program types may call the kfunc"
               if ok else "the set loads, but not every program type may call the kfunc yet")
    return Feedback(name, ok, summary, tuple(details))


# --- lesson helpers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KernelAnswer:
    """The live kernel's recorded answer next to kfunclab's, for a lesson cell."""

    kernel: str  # "reject: <message>" or "accept"
    ours: str

    @property
    def same(self) -> bool:
        return self.kernel == self.ours

    def __str__(self) -> str:
        mark = "same answer" if self.same else "DIFFERENT"
        return (f"Linux 6.18 (live kernel, recorded): {self.kernel}\n"
                f"kfunclab (linux-6.18 profile):      {self.ours}\n({mark})")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td><b>{who}</b></td><td><code>{html.escape(text)}</code></td></tr>"
                       for who, text in (("Linux 6.18 (live kernel, recorded)", self.kernel),
                                         ("kfunclab, linux-6.18 profile", self.ours)))
        note = "same answer ✔" if self.same else "<b style='color:#b42318'>different ✘</b>"
        return f'<table class="kfunclab-kernel-said">{rows}</table><small>{note}</small>'


def _answer_text(verdict: str, message: str | None) -> str:
    return "accept" if verdict == "accept" else f"reject: {message}"


def kernel_said(result: VerificationResult, message: str | None = None) -> KernelAnswer:
    """What Linux 6.18 answered for ``result``'s program (``message`` None: it accepted).

    The answer was recorded from the live kernel when the notebook was written. With the
    environment variable ``KFUNCLAB_LIVE_KERNEL=1`` (``scripts/run_notebooks.py --kernel``) it
    is asked again, and a different answer raises AssertionError.
    """
    recorded = _answer_text("accept" if message is None else "reject", message)
    ours = _answer_text(result.verdict.value, result.error.message if result.error else None)
    if os.environ.get("KFUNCLAB_LIVE_KERNEL") == "1":
        from kfunclab.kernel import kernel_verdict

        live = kernel_verdict(result.program)
        now = _answer_text(live.verdict, live.error)
        assert now == recorded, f"the live kernel now says {now!r}, recorded {recorded!r}"
    return KernelAnswer(recorded, ours)


@dataclass(frozen=True)
class ProfileRow:
    profile: str
    answer: str


@dataclass(frozen=True)
class ProfileTable:
    """One program verified under several kernel profiles."""

    rows: tuple[ProfileRow, ...]

    def __str__(self) -> str:
        width = max(len(r.profile) for r in self.rows)
        return "\n".join(f"{r.profile:<{width}}  {r.answer}" for r in self.rows)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        body = "".join(f"<tr><td><b>{html.escape(r.profile)}</b></td>"
                       f"<td><code>{html.escape(r.answer)}</code></td></tr>" for r in self.rows)
        return f'<table class="kfunclab-profiles">{body}</table>'


def compare_profiles(answer: ProgramLike,
                     profiles: Sequence[str] = ("doc", "linux-6.18", "linux-7.0"), *,
                     catalogs: dict[str, str] | None = None) -> ProfileTable:
    """Verify one program under each profile (``catalogs`` maps a profile to its catalogue)."""
    rows = []
    for profile in profiles:
        catalog = (catalogs or {}).get(profile)
        try:
            result = run(answer, profile=profile, catalog=catalog)
            text = _answer_text(result.verdict.value,
                                result.error.message if result.error else None)
        except KfunclabError as exc:
            text = f"refused before verification: {_short_paths(str(exc))}"
        rows.append(ProfileRow(profile, text))
    return ProfileTable(tuple(rows))


# --- the exercises of the notebooks --------------------------------------------------------------

_WELCOME_STARTER = """# SEC("syscall")
	r1 = 1                     # pid 1
	call bpf_task_from_pid     # r0 = the task, or NULL
	if r0 == 0 goto out
	r6 = r0                    # keep the task ...
out:
	r0 = 0
	exit
"""
_WELCOME_SOLUTION = """# SEC("syscall")
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
"""
_SZ_DECL_STARTER = "void bpf_fill(void *buf, u32 len, u8 byte)"
_SZ_DECL_SOLUTION = "void bpf_fill(void *buf, u32 buf__sz, u8 byte)"
_SIZE_STARTER = """# SEC("syscall")
	call bpf_get_prandom_u32
	r2 = r0
	r2 &= 31                   # 0 .. 31
	r2 += 1                    # dst__sz: 1 .. 32
	r1 = r10
	r1 += -16                  # dst: 16 bytes at fp-16
	r3 = 0
	r4 = 0
	call bpf_copy_from_user_str
	r0 = 0
	exit
"""
_SIZE_SOLUTION = _SIZE_STARTER.replace("r2 &= 31                   # 0 .. 31",
                                       "r2 &= 15                   # 0 .. 15")
_CONST_STARTER = """# SEC("tp_btf/task_newtask")
	r6 = *(u64 *)(r1 + 0)      # the new task
	call bpf_get_prandom_u32
	r2 = r0                    # btf_id__k: which type to view the task as
	r1 = r6
	call bpf_rdonly_cast
	r0 = 0
	exit
"""
_CONST_SOLUTION = _CONST_STARTER.replace("r2 = r0                    # btf_id__k",
                                         "r2 = 114                   # btf_id__k")
_LEAK_STARTER = """# SEC("syscall")
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	r6 = r0                    # the task reference
	call bpf_get_prandom_u32
	if r0 > 100 goto out       # early exit
	r1 = r6
	call bpf_task_release
out:
	r0 = 0
	exit
"""
_LEAK_SOLUTION = """# SEC("syscall")
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	r6 = r0
	call bpf_get_prandom_u32
	r1 = r6
	call bpf_task_release      # released before the branch: both paths are clean
	r0 = 0
	exit
out:
	r0 = 0
	exit
"""
_NULL_STARTER = """# SEC("syscall")
	r1 = 1
	call bpf_task_from_pid
	r6 = r0
	call bpf_get_prandom_u32
	if r0 > 7 goto check
	goto use                   # this path skips the NULL check
check:
	if r6 == 0 goto out
use:
	r1 = r6
	call bpf_task_release
out:
	r0 = 0
	exit
"""
_NULL_SOLUTION = _NULL_STARTER.replace("\tgoto use                   # this path skips the NULL "
                                       "check\n", "\tgoto check\n")
_RCU_STARTER = """# SEC("syscall")
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	r6 = r0
	r1 = *(u64 *)(r6 + 1280)   # task->real_parent
	call bpf_task_acquire
	if r0 == 0 goto rel
	r1 = r0
	call bpf_task_release
rel:
	r1 = r6
	call bpf_task_release
out:
	r0 = 0
	exit
"""
_RCU_SOLUTION = """# SEC("syscall")
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	r6 = r0
	call bpf_rcu_read_lock
	r1 = *(u64 *)(r6 + 1280)   # task->real_parent, inside the RCU section
	call bpf_task_acquire
	r7 = r0
	call bpf_rcu_read_unlock
	if r7 == 0 goto rel
	r1 = r7
	call bpf_task_release
rel:
	r1 = r6
	call bpf_task_release
out:
	r0 = 0
	exit
"""
_KPTR_STARTER = """# SEC("tp_btf/task_newtask")
# MAP: slots array key=u32 value="struct slot { struct task_struct __kptr *task; }"
	r6 = *(u64 *)(r1 + 0)      # the new task
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = slots ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r7 = r0                    # the map value
	r1 = r6
	call bpf_task_acquire
	if r0 == 0 goto out
	r1 = r7
	r2 = r0
	call bpf_kptr_xchg         # r0 = the task that was in the slot
out:
	r0 = 0
	exit
"""
_KPTR_SOLUTION = _KPTR_STARTER.replace(
    "\tcall bpf_kptr_xchg         # r0 = the task that was in the slot\n",
    "\tcall bpf_kptr_xchg         # r0 = the task that was in the slot\n"
    "\tif r0 == 0 goto out\n\tr1 = r0\n\tcall bpf_task_release\n")
_SLEEP_STARTER = """# SEC("syscall")
	call bpf_rcu_read_lock
	r1 = r10
	r1 += -16
	r2 = 16
	r3 = 0
	r4 = 0
	call bpf_copy_from_user_str  # may sleep
	call bpf_rcu_read_unlock
	r0 = 0
	exit
"""
_SLEEP_SOLUTION = """# SEC("syscall")
	call bpf_rcu_read_lock
	call bpf_rcu_read_unlock
	r1 = r10
	r1 += -16
	r2 = 16
	r3 = 0
	r4 = 0
	call bpf_copy_from_user_str
	r0 = 0
	exit
"""
_REG_STARTER = """__bpf_kfunc u64 bpf_lab_counter(u32 slot)
{
	return this_cpu_read(lab_counters[slot & 7]);
}

BTF_SET8_START(lab_ids)
BTF_ID_FLAGS(func, bpf_lab_counter)
BTF_SET8_END(lab_ids)

static const struct btf_kfunc_id_set lab_set = {
	.owner = THIS_MODULE,
	.set   = &lab_ids,
};

static int __init lab_init(void)
{
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &lab_set);
}
late_initcall(lab_init);
"""
_REG_SOLUTION = (_REG_STARTER.replace("SET8_START", "KFUNCS_START")
                 .replace("SET8_END", "KFUNCS_END")
                 .replace("\treturn register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &lab_set);",
                          "\treturn register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &lab_set) ?:"
                          "\n\t       register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &lab_set);"))
_PRUNE_STARTER = """# SEC("tp_btf/task_newtask")
	r6 = *(u64 *)(r1 + 0)      # the new task
	r8 = *(u32 *)(r6 + 1264)   # task->pid
	r9 = *(u32 *)(r6 + 1268)   # task->tgid
	call bpf_get_prandom_u32
	if r0 > 3000 goto small
	r7 = 114                   # struct task_struct
	goto join
small:
	r7 = 95                    # struct list_head: 16 bytes
join:
	r1 = r6
	r2 = r7                    # btf_id__k
	call bpf_rdonly_cast
	r0 = *(u32 *)(r0 + 1264)   # ->pid: beyond the end of a list_head
	r0 = 0
	exit
"""
_PRUNE_SOLUTION = _PRUNE_STARTER.replace(
    "\tr0 = *(u32 *)(r0 + 1264)   # ->pid: beyond the end of a list_head",
    "\tr0 = *(u64 *)(r0 + 8)      # inside both structs")
_PORTABLE_STARTER = """# SEC("tp_btf/task_newtask")
	r1 = *(u64 *)(r1 + 0)      # the new task (trusted)
	r1 = *(u64 *)(r1 + 2376)   # task->cgroups (RCU)
	r1 = *(u64 *)(r1 + 112)    # ->dfl_cgrp (RCU)
	r2 = 0                     # cpu 0
	call css_rstat_updated
	r0 = 0
	exit
"""
_PORTABLE_SOLUTION = """# SEC("tp_btf/task_newtask")
	r1 = *(u64 *)(r1 + 0)
	r1 = *(u64 *)(r1 + 2376)
	r1 = *(u64 *)(r1 + 112)
	call bpf_cgroup_acquire    # KF_RCU: an RCU pointer in, a reference out
	if r0 == 0 goto out
	r6 = r0
	r1 = r0
	r2 = 0
	call css_rstat_updated     # a referenced pointer is trusted in every kernel
	r1 = r6
	call bpf_cgroup_release
out:
	r0 = 0
	exit
"""

#: name -> (check, exercise); the notebooks' exercise cells hold the starters verbatim.
EXERCISES: dict[str, Exercise] = {e.name: e for e in (
    Exercise("welcome", "01-welcome", "give the task reference back", _WELCOME_STARTER,
             _WELCOME_SOLUTION),
    Exercise("sz_declaration", "02-defining-kfuncs", "let the verifier know the buffer size",
             _SZ_DECL_STARTER, _SZ_DECL_SOLUTION),
    Exercise("size_fixed", "03-sz-and-k", "keep every size inside the buffer", _SIZE_STARTER,
             _SIZE_SOLUTION),
    Exercise("constant_fixed", "03-sz-and-k", "make btf_id__k a constant", _CONST_STARTER,
             _CONST_SOLUTION),
    Exercise("leak_fixed", "04-acquire-release", "release the task on every path",
             _LEAK_STARTER, _LEAK_SOLUTION),
    Exercise("null_checked", "05-ret-null", "NULL-check on every path", _NULL_STARTER,
             _NULL_SOLUTION),
    Exercise("rcu_fixed", "06-trusted-args-and-rcu", "use real_parent inside an RCU section",
             _RCU_STARTER, _RCU_SOLUTION),
    Exercise("kptr_swap", "07-kptrs", "release the task that comes out of the map",
             _KPTR_STARTER, _KPTR_SOLUTION),
    Exercise("sleepable_fixed", "08-sleepable-and-destructive", "do not sleep under RCU",
             _SLEEP_STARTER, _SLEEP_SOLUTION),
    Exercise("registration", "09-registration", "register the set the 6.18 way, for XDP too",
             _REG_STARTER, _REG_SOLUTION),
    Exercise("prune_safe", "10-pruning-and-precision", "safe on every path, pruned or not",
             _PRUNE_STARTER, _PRUNE_SOLUTION),
    Exercise("portable", "11-kernels-differ", "one program for 6.18 and 7.0",
             _PORTABLE_STARTER, _PORTABLE_SOLUTION),
)}

#: exercise name -> its check function
CHECKS: dict[str, Callable[..., Feedback]] = {
    "welcome": check_welcome, "sz_declaration": check_sz_declaration,
    "size_fixed": check_size_fixed, "constant_fixed": check_constant_fixed,
    "leak_fixed": check_leak_fixed, "null_checked": check_null_checked,
    "rcu_fixed": check_rcu_fixed, "kptr_swap": check_kptr_swap,
    "sleepable_fixed": check_sleepable_fixed, "registration": check_registration,
    "prune_safe": check_prune_safe, "portable": check_portable,
}
