"""Wrong answers for every exercise: each breaks one rule the exercise states, and its check
must fail it with a sentence that says which rule (the kernel selftests' __failure/__msg idea).

An answer the verifier accepts can still be wrong for the exercise: a constant where the size
must stay random, NULL swapped into the map instead of the new task, the same type id on both
branches. Each case is (exercise, what the answer does wrong, the answer, substrings of the
feedback in order).
"""

from __future__ import annotations

import pytest

from kfunclab.exercises import CHECKS, EXERCISES


def _sol(name: str, old: str, new: str) -> str:
    text = EXERCISES[name].solution
    assert old in text, f"{old!r} not in the {name} solution"
    return text.replace(old, new)


def _start(name: str, old: str, new: str) -> str:
    text = EXERCISES[name].starter
    assert old in text, f"{old!r} not in the {name} starter"
    return text.replace(old, new)


WRONG: list[tuple[str, str, str, list[str]]] = [
    # 01: give the task reference back
    ("welcome", "drops the lookup", '# SEC("syscall")\n\tr0 = 0\n\texit\n',
     ["accepted, but the program no longer does the job", "bpf_task_from_pid, bpf_task_release"]),
    ("welcome", "releases without the NULL check",
     _sol("welcome", "\tif r0 == 0 goto out\n", ""),
     ["still rejected: Possibly NULL pointer passed to trusted arg0", "nothing has compared"]),
    # 02: the verifier must know the buffer's size
    ("sz_declaration", "ignores the buffer instead of sizing it",
     "void bpf_fill(void *buf__ign, u32 len, u8 byte)",
     ["32 bytes into a 16-byte buffer is accepted", "not tied to the buffer"]),
    ("sz_declaration", "drops the byte argument", "void bpf_fill(void *buf, u32 buf__sz)",
     ["expected bpf_fill with three parameters"]),
    ("sz_declaration", "sizes the wrong argument", "void bpf_fill(void *buf, u32 len, u8 byte__sz)",
     ["the kernel would refuse this declaration", "'byte__sz' is a __sz size",
      "expected the buffer pointer right before its size"]),
    # 03.1: every size fits, and the size stays random
    ("size_fixed", "passes a constant size",
     _start("size_fixed", "\tr2 &= 31                   # 0 .. 31\n\tr2 += 1                    "
                          "# dst__sz: 1 .. 32\n", "\tr2 = 16\n"),
     ["accepted, but the size is a constant now (16)", "keeps the random size",
      "bound the random value instead"]),
    ("size_fixed", "bounds the size, but not enough",
     _start("size_fixed", "r2 &= 31", "r2 &= 16"),
     ["still rejected: arg#0 arg#1 memory, len pair leads to invalid memory access", "R2 ="]),
    ("size_fixed", "drops the copy", '# SEC("syscall")\n\tr0 = 0\n\texit\n',
     ["must still call bpf_copy_from_user_str, bpf_get_prandom_u32"]),
    # 03.2: btf_id__k a constant, keeping the cast
    ("constant_fixed", "drops the cast",
     _start("constant_fixed", "\tcall bpf_rdonly_cast\n", ""),
     ["must still call bpf_rdonly_cast"]),
    ("constant_fixed", "bounds the id instead of fixing it",
     _start("constant_fixed", "\tr1 = r6\n", "\tr2 &= 1\n\tr1 = r6\n"),
     ["still rejected: R2 must be a known constant", "one value the verifier knows exactly"]),
    # 04: release on every path, keeping the early exit
    ("leak_fixed", "drops the early-exit branch's random number",
     _start("leak_fixed", "\tcall bpf_get_prandom_u32\n\tif r0 > 100 goto out       "
                          "# early exit\n", ""),
     ["must still call bpf_get_prandom_u32"]),
    ("leak_fixed", "releases on one path only", EXERCISES["leak_fixed"].starter,
     ["would lead to reference leak", "release it (or hand it on) on that path too"]),
    # 05: NULL-check on every path
    ("null_checked", "drops the lookup", '# SEC("syscall")\n\tr0 = 0\n\texit\n',
     ["must still call bpf_task_from_pid, bpf_task_release"]),
    ("null_checked", "checks only one path", EXERCISES["null_checked"].starter,
     ["Possibly NULL pointer passed to trusted arg0", "on every path"]),
    # 06: real_parent, inside an RCU section, acquired and released
    ("rcu_fixed", "acquires the task it already holds instead of real_parent",
     _sol("rcu_fixed", "\tr1 = *(u64 *)(r6 + 1280)   # task->real_parent, inside the RCU section\n",
          "\tr1 = *(u64 *)(r6 + 1280)\n\tr1 = r6\n"),
     ["accepted, but bpf_task_acquire is not given task->real_parent",
      "R1 holds the value made at insn 1 (line 3: call bpf_task_from_pid)"]),
    ("rcu_fixed", "reads another field", _sol("rcu_fixed", "(r6 + 1280)", "(r6 + 1328)"),
     ["not given task->real_parent", "R1 holds task->group_leader"]),
    ("rcu_fixed", "keeps no RCU section", EXERCISES["rcu_fixed"].starter,
     ["still rejected: R1 must be a rcu pointer", "bpf_rcu_read_lock"]),
    # 07: the new task goes into the map, the old one is released
    ("kptr_swap", "releases the new task and swaps NULL in",
     _sol("kptr_swap", "\tr1 = r7\n\tr2 = r0\n\tcall bpf_kptr_xchg",
          "\tr1 = r0\n\tcall bpf_task_release\n\tr1 = r7\n\tr2 = 0\n\tcall bpf_kptr_xchg"),
     ["accepted, but bpf_kptr_xchg puts NULL into the slot: the new task must go into the map",
      "release only what comes out of the map"]),
    ("kptr_swap", "drops what comes out of the map", EXERCISES["kptr_swap"].starter,
     ["reference leak", "taken at insn 15 (line 17: call bpf_kptr_xchg)"]),
    ("kptr_swap", "never swaps",
     _sol("kptr_swap", "\tr1 = r7\n\tr2 = r0\n\tcall bpf_kptr_xchg         # r0 = the task "
                       "that was in the slot\n", "\tr1 = r0\n\tcall bpf_task_release\n\tr0 = 0\n"),
     ["must still call bpf_kptr_xchg"]),
    # 08: no sleeping inside the RCU section, keeping the section and the copy
    ("sleepable_fixed", "drops the RCU section",
     _sol("sleepable_fixed", "\tcall bpf_rcu_read_lock\n\tcall bpf_rcu_read_unlock\n", ""),
     ["must still call bpf_rcu_read_lock, bpf_rcu_read_unlock"]),
    ("sleepable_fixed", "still sleeps inside it", EXERCISES["sleepable_fixed"].starter,
     ["is sleepable within rcu_read_lock region", "move the call out"]),
    # 09: 6.18 macros, tracing and XDP
    ("registration", "keeps BTF_SET8_*", EXERCISES["registration"].starter,
     ["Linux 6.18 would refuse this C", "BTF_SET8_START"]),
    ("registration", "registers for tracing only",
     EXERCISES["registration"].starter.replace("SET8_", "KFUNCS_"),
     ["not every program type may call the kfunc yet",
      "an XDP program calling bpf_lab_counter: rejected"]),
    ("registration", "registers nothing", "__bpf_kfunc u64 bpf_lab_counter(u32 slot) { }\n",
     ["bpf_lab_counter is in no kfunc ID set"]),
    # 10: type id chosen by the branch, the read kept, safe when pruned or not
    ("prune_safe", "passes the same type id on both branches",
     _start("prune_safe", "(struct list_head)", "(struct task_struct)"),
     ["accepted, but the type id is no longer chosen by the branch",
      "the same btf_id__k on every path ("]),
    ("prune_safe", "drops the read",
     _start("prune_safe", "\tr0 = *(u32 *)(r0 + 1264)   # ->pid: beyond the end of a list_head\n",
            ""),
     ["accepted, but nothing is read through the cast any more"]),
    ("prune_safe", "keeps the read beyond the list_head", EXERCISES["prune_safe"].starter,
     ["access beyond struct list_head at off 1264 size 4", "the naive pruner"]),
    # 11: both kernels, still calling css_rstat_updated
    ("portable", "drops the call",
     _sol("portable", "\tcall css_rstat_updated     # a referenced pointer is trusted in every "
                      "kernel\n", ""),
     ["must still call css_rstat_updated"]),
    ("portable", "keeps the RCU pointer", EXERCISES["portable"].starter,
     ["not portable yet", "kfunclab linux-7.0 profile: still rejected"]),
]


def test_every_exercise_has_wrong_answers() -> None:
    assert {name for name, *_ in WRONG} == set(EXERCISES)


@pytest.mark.parametrize(("name", "wrong", "answer", "says"), WRONG,
                         ids=[f"{n}: {w}" for n, w, *_ in WRONG])
def test_a_wrong_answer_fails_with_a_helpful_message(name: str, wrong: str, answer: str,
                                                     says: list[str]) -> None:
    fb = CHECKS[name](answer)
    text = str(fb)
    assert not fb.passed, f"{name}: an answer that {wrong} passed:\n{text}"
    at = 0
    for part in says:
        found = text.find(part, at)
        assert found >= 0, f"{part!r} missing (in order) from:\n{text}"
        at = found + len(part)
