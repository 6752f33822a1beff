"""Lesson helpers: what a kernel answered for a program, next to kfunclab's answer, and one
program verified under several kernel profiles.

:func:`kernel_said` is honest about where an answer comes from: it asks the running kernel when
it can ("asked now ... (kernel 6.18.44-...)") and otherwise shows the answer recorded when the
lesson was written ("recorded on <release>"). Every recorded answer in the notebooks is checked
against the running kernel by ``tests/test_notebook_answers.py``.

>>> answer_text("reject", "R1 must be a rcu pointer")
'reject: R1 must be a rcu pointer'
"""

from __future__ import annotations

import functools
import html
import os
from collections.abc import Sequence
from dataclasses import dataclass

from kfunclab.errors import KfunclabError
from kfunclab.exercises.feedback import ProgramLike, run, short_paths
from kfunclab.verifier import VerificationResult

#: The kernel build the notebooks' answers were recorded on (``uname -r`` of that machine).
RECORDED_ON = "6.18.44-fc-v1252"
#: The label of an answer read from the upstream sources rather than asked of a kernel; the
#: notebook test accepts a difference from the running kernel only for answers labelled so.
FROM_SOURCE = "upstream v6.18 (from source)"


def answer_text(verdict: str, message: str | None) -> str:
    """``accept`` or ``reject: <message>``, the way answers are compared."""
    return "accept" if verdict == "accept" else f"reject: {message}"


@dataclass(frozen=True)
class KernelAnswer:
    """A kernel's answer for a lesson's program, next to kfunclab's.

    ``recorded`` was typed into the lesson (taken on ``recorded_on``); ``asked`` is what the
    running kernel (``asked_on``) says now, None when it could not be asked (``why_not``).
    """

    recorded: str  # "reject: <message>" or "accept"
    recorded_on: str
    ours: str
    profile: str
    asked: str | None = None
    asked_on: str = ""
    why_not: str = ""

    @property
    def same(self) -> bool:
        """Whether kfunclab gives the recorded answer (the lesson's claim)."""
        return self.recorded == self.ours

    @property
    def agrees(self) -> bool:
        """Whether the running kernel, when asked, gives the recorded answer."""
        return self.asked is None or self.asked == self.recorded

    def rows(self) -> list[tuple[str, str]]:
        out = []
        if self.asked is not None:
            out.append((f"asked now (kernel {self.asked_on})", self.asked))
        out.append((f"recorded on {self.recorded_on}", self.recorded))
        out.append((f"kfunclab ({self.profile} profile)", self.ours))
        return out

    def notes(self) -> list[str]:
        out = []
        if self.asked is not None:
            out.append("this kernel gives the recorded answer" if self.agrees else
                       f"this kernel answers differently from {self.recorded_on}")
        out.append("kfunclab gives the recorded answer" if self.same else
                   "kfunclab answers DIFFERENTLY from the recorded answer")
        return out

    def __str__(self) -> str:
        width = max(len(who) for who, _ in self.rows()) + 1
        lines = [f"{who + ':':<{width}} {text}" for who, text in self.rows()]
        return "\n".join([*lines, f"({'; '.join(self.notes())})"])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td><b>{html.escape(who)}</b></td><td><code>{html.escape(text)}"
                       "</code></td></tr>" for who, text in self.rows())
        marks = "; ".join(html.escape(n) for n in self.notes())
        colour = "#1a7f37" if self.same and self.agrees else "#b42318"
        return (f'<table class="kfunclab-kernel-said">{rows}</table>'
                f'<small style="color:{colour}">{marks}</small>')


@functools.cache
def _can_ask() -> tuple[bool, str]:
    from kfunclab.kernel import kernel_available

    return kernel_available()


def ask_kernel(result: VerificationResult) -> tuple[str | None, str, str]:
    """(answer, kernel release, why not) of the running kernel for ``result``'s program."""
    ok, why = _can_ask()
    if not ok:
        return None, "", why
    from kfunclab.kernel import kernel_verdict

    try:
        live = kernel_verdict(result.program)
    except (KfunclabError, OSError) as exc:
        return None, "", str(exc)
    if live.verdict == "error":
        return None, live.kernel, f"the program never reached the verifier: {live.error}"
    return answer_text(live.verdict, live.error), live.kernel, ""


def kernel_said(result: VerificationResult, message: str | None = None, *,
                recorded_on: str = RECORDED_ON, ask: bool = True) -> KernelAnswer:
    """A kernel's answer for ``result``'s program next to kfunclab's.

    ``message`` is the answer recorded when the lesson was written (None: it accepted), on the
    kernel ``recorded_on`` — a release, or :data:`FROM_SOURCE` for an answer read from the
    upstream sources. With ``ask`` (the default) the running kernel is asked too, where it can
    be (root, bpf(), BTF); its answer is shown as "asked now". With the environment variable
    ``KFUNCLAB_LIVE_KERNEL=1`` an answer that differs from a recorded (not from-source) one
    raises AssertionError.
    """
    recorded = answer_text("accept" if message is None else "reject", message)
    ours = answer_text(result.verdict.value, result.error.message if result.error else None)
    asked, asked_on, why = ask_kernel(result) if ask else (None, "", "not asked")
    if (asked is not None and os.environ.get("KFUNCLAB_LIVE_KERNEL") == "1"
            and recorded_on != FROM_SOURCE):
        assert asked == recorded, f"the live kernel now says {asked!r}, recorded {recorded!r}"
    return KernelAnswer(recorded, recorded_on, ours, result.profile, asked, asked_on, why)


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
            text = answer_text(result.verdict.value,
                                result.error.message if result.error else None)
        except KfunclabError as exc:
            text = f"refused before verification: {short_paths(str(exc))}"
        rows.append(ProfileRow(profile, text))
    return ProfileTable(tuple(rows))
