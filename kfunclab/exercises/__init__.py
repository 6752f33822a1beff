"""Exercise checks for the notebooks: verify a learner's answer and say what is still wrong.

Every ``check_*`` function takes the learner's program (assembly text, a parsed Program, or the
``_bpf`` result of a ``%%bpf`` cell) or C text, verifies it offline (bundled BTF) and returns a
:class:`Feedback`: passed or not, one sentence that says what happened, and details that point
at instructions, source lines and paths ("the reference taken at insn 1 ... is still held when
the program exits at insn 10, on the path 0-6 → 9-10"). It never raises for a wrong answer, and
it fails an answer that the verifier accepts but that breaks the exercise's own rules.

>>> fb = check_leak_fixed(EXERCISES["leak_fixed"].solution)
>>> fb.passed, fb.summary
(True, 'good: accepted, and bpf_task_release is called on every path that holds the task')
>>> check_leak_fixed(EXERCISES["leak_fixed"].starter).passed
False

Two helpers for lessons: :func:`kernel_said` puts a kernel's answer (asked now, or recorded)
next to kfunclab's, and :func:`compare_profiles` verifies one program under several profiles.

The package: :mod:`~kfunclab.exercises.feedback` (reading and explaining an answer),
:mod:`~kfunclab.exercises.checks` (one check per exercise), :mod:`~kfunclab.exercises.texts`
(starters and solutions), :mod:`~kfunclab.exercises.lessons` (kernel_said, compare_profiles).
"""

from __future__ import annotations

from collections.abc import Callable

from kfunclab.exercises.checks import (
    check_constant_fixed,
    check_kptr_swap,
    check_leak_fixed,
    check_null_checked,
    check_portable,
    check_prune_safe,
    check_rcu_fixed,
    check_registration,
    check_size_fixed,
    check_sleepable_fixed,
    check_sz_declaration,
    check_welcome,
)
from kfunclab.exercises.feedback import (
    BTF,
    Exercise,
    Feedback,
    ProgramLike,
    calls_in,
    catalog_file,
    explain,
    loads_at,
    path_text,
    program_of,
    run,
    source_text,
    where,
)
from kfunclab.exercises.lessons import (
    FROM_SOURCE,
    RECORDED_ON,
    KernelAnswer,
    ProfileRow,
    ProfileTable,
    answer_text,
    compare_profiles,
    kernel_said,
)
from kfunclab.exercises.texts import EXERCISES

#: exercise name -> its check function
CHECKS: dict[str, Callable[..., Feedback]] = {
    "welcome": check_welcome, "sz_declaration": check_sz_declaration,
    "size_fixed": check_size_fixed, "constant_fixed": check_constant_fixed,
    "leak_fixed": check_leak_fixed, "null_checked": check_null_checked,
    "rcu_fixed": check_rcu_fixed, "kptr_swap": check_kptr_swap,
    "sleepable_fixed": check_sleepable_fixed, "registration": check_registration,
    "prune_safe": check_prune_safe, "portable": check_portable,
}

__all__ = [
    "BTF", "CHECKS", "EXERCISES", "FROM_SOURCE", "RECORDED_ON", "Exercise", "Feedback",
    "KernelAnswer", "ProfileRow", "ProfileTable", "ProgramLike", "answer_text", "calls_in",
    "catalog_file", "check_constant_fixed", "check_kptr_swap", "check_leak_fixed",
    "check_null_checked", "check_portable", "check_prune_safe", "check_rcu_fixed",
    "check_registration", "check_size_fixed", "check_sleepable_fixed", "check_sz_declaration",
    "check_welcome", "compare_profiles", "explain", "kernel_said", "loads_at", "path_text",
    "program_of", "run", "source_text", "where",
]
