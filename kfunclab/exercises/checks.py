"""The exercise checks of the notebooks: each verifies a learner's answer and says what is wrong.

A check fails an answer that the verifier accepts but that breaks the exercise's own rules
(a constant where the size must stay random, NULL swapped into a map instead of the new task,
...), with a sentence that says which rule.

>>> check_welcome(EXAMPLE).passed
True
"""

from __future__ import annotations

from kfunclab.btf import load_btf
from kfunclab.errors import KfunclabError
from kfunclab.exercises.feedback import (
    BTF,
    Feedback,
    ProgramLike,
    Visit,
    calls_to,
    catalog_file,
    explain,
    insn_at,
    origin,
    program_check,
    reads_through,
    run,
    short_paths,
    where,
)
from kfunclab.isa.insn import Call, Load
from kfunclab.kfuncs import Kfunc, load_c

EXAMPLE = ('# SEC("syscall")\n\tr1 = 1\n\tcall bpf_task_from_pid\n\tif r0 == 0 goto out\n'
           '\tr1 = r0\n\tcall bpf_task_release\nout:\n\tr0 = 0\n\texit\n')


def check_welcome(answer: ProgramLike) -> Feedback:
    """01: the task looked up by pid must be given back."""
    return program_check("welcome", answer, must_call=("bpf_task_from_pid", "bpf_task_release"),
                          praise="good: accepted, the task reference is returned")


def check_leak_fixed(answer: ProgramLike) -> Feedback:
    """04: release the task on the early-exit branch too."""
    return program_check("leak_fixed", answer,
                          must_call=("bpf_task_from_pid", "bpf_task_release",
                                     "bpf_get_prandom_u32"),
                          praise="good: accepted, and bpf_task_release is called on every path "
                                 "that holds the task")


def check_null_checked(answer: ProgramLike) -> Feedback:
    """05: every path must NULL-check before the release."""
    return program_check("null_checked", answer,
                          must_call=("bpf_task_from_pid", "bpf_task_release"),
                          praise="good: accepted, the pointer is NULL-checked on every path")


def check_size_fixed(answer: ProgramLike) -> Feedback:
    """03: every size the verifier allows must fit the 16-byte buffer; the size stays random."""
    name = "size_fixed"
    fb = program_check(name, answer, must_call=("bpf_copy_from_user_str", "bpf_get_prandom_u32"),
                       praise="good: accepted, every size the verifier allows fits the buffer")
    if not fb.passed or fb.result is None:
        return fb
    for history in calls_to(fb.result, "bpf_copy_from_user_str"):
        size = history[0].regs[2]
        if size.var.is_const:
            at = where(fb.result.program, history[0].insn)
            return Feedback(name, False, f"accepted, but the size is a constant now "
                            f"({size.var.const_value}) at {at}: the exercise keeps the random "
                            "size", (
                                "bound the random value instead (r2 &= ..., then r2 += 1), so that "
                                "its largest value still fits the 16 bytes",), fb.result)
    return fb


def check_constant_fixed(answer: ProgramLike) -> Feedback:
    """03: the __k argument of bpf_rdonly_cast must be a known constant."""
    return program_check("constant_fixed", answer, must_call=("bpf_rdonly_cast",),
                          praise="good: accepted, btf_id__k is a constant the verifier knows")


def check_rcu_fixed(answer: ProgramLike) -> Feedback:
    """06: real_parent loaded inside an RCU read section, acquired, released."""
    name = "rcu_fixed"
    fb = program_check(name, answer,
                       must_call=("bpf_task_from_pid", "bpf_task_acquire", "bpf_task_release"),
                       praise="good: accepted, real_parent is an RCU pointer where it is used")
    if not fb.passed or fb.result is None:
        return fb
    program = fb.result.program
    for history in calls_to(fb.result, "bpf_task_acquire"):
        made = origin(history, 1, program)
        field_name = _task_field(program, made)
        if field_name != "real_parent":
            what = (f"task->{field_name}" if field_name else
                    f"the value made at {where(program, made.insn)}" if made else "no value")
            return Feedback(name, False, "accepted, but bpf_task_acquire is not given "
                            "task->real_parent: keep acquiring the pointer you read from "
                            "real_parent", (f"at {where(program, history[0].insn)} R1 holds "
                                            f"{what}",), fb.result)
    return fb


def _task_field(program: object, made: Visit | None) -> str:
    """The task_struct field a load read (``real_parent``), or "" when it is not such a load."""
    ins = insn_at(program, made)
    if made is None or not isinstance(ins, Load):
        return ""
    base = made.regs[ins.src]
    if base.btf_name != "task_struct":
        return ""
    btf = load_btf(BTF)
    access = btf.member_at(btf.struct_id("task_struct"), base.off + ins.off, 8)
    return access.field_name or ""


def check_kptr_swap(answer: ProgramLike) -> Feedback:
    """07: the new task goes into the map; the task swapped out of it must be released."""
    name = "kptr_swap"
    fb = program_check(name, answer,
                       must_call=("bpf_kptr_xchg", "bpf_task_acquire", "bpf_task_release"),
                       praise="good: accepted, the new task is in the map and the old one "
                              "is released")
    if not fb.passed or fb.result is None:
        return fb
    program = fb.result.program
    for history in calls_to(fb.result, "bpf_kptr_xchg"):
        new = history[0].regs[2]
        made = insn_at(program, origin(history, 2, program))
        at = where(program, history[0].insn)
        if new.is_null or not new.ref_obj_id:
            return Feedback(name, False, "accepted, but bpf_kptr_xchg puts NULL into the slot: the "
                            "new task must go into the map", (
                                f"at {at} R2 = 0 (NULL); pass the reference "
                                "bpf_task_acquire returned, and "
                                "release only what comes out of the map",), fb.result)
        if not (isinstance(made, Call) and made.name == "bpf_task_acquire"):
            return Feedback(name, False, "accepted, but what goes into the map at "
                            f"{at} is not the new task acquired with bpf_task_acquire", (),
                            fb.result)
    return fb


def check_sleepable_fixed(answer: ProgramLike) -> Feedback:
    """08: no sleeping inside the RCU read section."""
    return program_check("sleepable_fixed", answer,
                          must_call=("bpf_copy_from_user_str", "bpf_rcu_read_lock",
                                     "bpf_rcu_read_unlock"),
                          praise="good: accepted, the sleepable call is outside the RCU section")


def check_prune_safe(answer: ProgramLike) -> Feedback:
    """10: safe for the kernel-faithful verifier (so also for the naive pruner), with the type
    id still chosen by the branch and the field still read through the cast."""
    name = "prune_safe"
    fb = program_check(name, answer, must_call=("bpf_rdonly_cast", "bpf_get_prandom_u32"),
                       praise="good: accepted by the kernel-faithful verifier")
    if fb.result is None:
        return fb
    naive = run(answer, precision=False)
    naive_note = (f"the naive pruner (precision=False) says {naive.verdict.value}"
                  + (f", after pruning at {where(naive.program, naive.prune_events[0].insn)} "
                     f"against checkpoint {naive.prune_events[0].checkpoint_id}"
                     if naive.prune_events else ""))
    if not fb.passed:
        return Feedback(name, False, fb.summary, (naive_note, *fb.details), fb.result)
    ids = {h[0].regs[2].var.const_value for h in calls_to(fb.result, "bpf_rdonly_cast")
           if h[0].regs[2].var.is_const}
    if len(ids) < 2:
        shown = ", ".join(str(i) for i in sorted(ids)) or "none"
        return Feedback(name, False, "accepted, but the type id is no longer chosen by the "
                        f"branch: bpf_rdonly_cast gets the same btf_id__k on every path ({shown})",
                        ("keep one type id per branch (task_struct on one, list_head on the "
                         "other) and make the read safe for both", naive_note), fb.result)
    if not reads_through(fb.result, "bpf_rdonly_cast"):
        return Feedback(name, False, "accepted, but nothing is read through the cast any more: "
                        "keep a read from the pointer bpf_rdonly_cast returns, at an offset "
                        "inside both types", (naive_note,), fb.result)
    return Feedback(name, True, fb.summary, (*fb.details, naive_note), fb.result)


def check_portable(answer: ProgramLike) -> Feedback:
    """11: one program that both 6.18 and 7.0 accept (kfunclab's models of upstream releases;
    a kernel build can differ from upstream, as notebook 11 shows)."""
    name = "portable"
    details, ok = [], True
    for profile in ("linux-6.18", "linux-7.0"):
        fb = program_check(name, answer, must_call=("css_rstat_updated",), praise="ok",
                           profile=profile)
        if fb.result is None:
            return fb
        if fb.passed is False and fb.summary.startswith("accepted, but"):
            return Feedback(name, False, fb.summary, (), fb.result)
        ok &= fb.passed
        details.append(f"kfunclab {profile} profile: " + ("accepted" if fb.passed else fb.summary))
        details += [] if fb.passed else list(fb.details[1:])
    summary = ("good: accepted under kfunclab's 6.18 and 7.0 profiles (upstream, from source)"
               if ok else "not portable yet: a kernel profile still rejects it")
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
                        (short_paths(str(exc)),))
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
            return Feedback(name, False, "kfunclab cannot use this C", (short_paths(str(exc)),))
        ok &= result.accepted
        details.append(f"{who} calling bpf_lab_counter: " + (
            "accepted" if result.accepted else f"rejected: {result.error.message}"))  # type: ignore
    summary = ("good: Linux 6.18 accepts the set, and both program types may call the kfunc"
               if ok else "the set loads, but not every program type may call the kfunc yet")
    return Feedback(name, ok, summary, tuple(details))
