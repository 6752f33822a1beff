"""Rich HTML views of kfunclab values, for Jupyter: results, kfuncs, catalogues, programs.

Rendering is dispatched on the value's type here, outside the data classes: importing this
module registers :func:`result_html` as the view a result's ``_repr_html_`` delegates to (the
verifier never imports a view), and :func:`register_formatters` teaches IPython the others.
Every view is one self-contained HTML fragment: inline styles only (no ``<style>`` block a
sanitiser could strip), every text escaped, colours that read on light and dark themes (text
inherits the theme's colour; highlights are translucent tints; badges carry their own foreground).
Elements carry ``kfunclab-*`` classes and ``data-insn`` attributes so browser tests can find them.

>>> from kfunclab.verifier import verify_text
>>> page = result_html(verify_text('# SEC("xdp")\\n r0 = 2\\n exit\\n'))
>>> "kfunclab-verdict-accept" in page, "processed 2 insns" in page
(True, True)
"""

from __future__ import annotations

import errno as errno_mod
import re
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from kfunclab.errors import KfunclabError
from kfunclab.isa.insn import Imm64Tail
from kfunclab.isa.printer import format_llvm
from kfunclab.isa.program import Program
from kfunclab.kfuncs import KF, Annotation, Catalog, Kfunc, Registry
from kfunclab.verifier.result import VerificationResult, register_html_view
from kfunclab.viz.text import CLine, c_line_of, c_line_starts, c_line_text, type_id_note

if TYPE_CHECKING:
    from kfunclab.verifier.result import Diagnostic

# --- styles ----------------------------------------------------------------------------------
# Text colour is inherited from the notebook theme; only translucent tints and self-contained
# badges add colour, so the same HTML reads in JupyterLab light/dark, Notebook 7 and VS Code.
FONT = "font-family:var(--jp-ui-font-family,system-ui,sans-serif);"
MONO = "font-family:var(--jp-code-font-family,ui-monospace,monospace);font-size:12px;"
BOX = (FONT + "font-size:13px;line-height:1.45;color:inherit;max-width:100%;margin:2px 0;"
       "white-space:normal;")
BORDER = "1px solid rgba(128,128,128,0.35)"
MUTED = "opacity:0.72;"
TINT_FAIL = "background:rgba(220,38,38,0.30);"
TINT_PATH = "background:rgba(220,38,38,0.11);"
TINT_CURRENT = "background:rgba(37,99,235,0.26);"
TINT_NOTE = "background:rgba(128,128,128,0.12);"
TINT_CHANGED = "background:rgba(234,179,8,0.28);"
BADGE = ("display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;"
         "font-size:12px;letter-spacing:0.04em;color:#fff;")
BADGE_OK = BADGE + "background:#1a7f37;"
BADGE_BAD = BADGE + "background:#c62828;"
CHIP = ("display:inline-block;padding:0 6px;margin:1px 2px;border-radius:4px;font-size:11px;"
        "border:" + BORDER + ";" + MONO)
# JupyterLab centres tables with a fixed layout; ours sit left and size to their content
TABLE = "border-collapse:collapse;margin:4px 0;width:auto;table-layout:auto;"
CELL = "padding:1px 8px;text-align:left;vertical-align:top;border:none;white-space:pre;"
HEAD = CELL + "font-weight:600;border-bottom:" + BORDER + ";"

#: What each flag asks of the verifier (kfuncs.rst and docs/kernel-notes.md), for tooltips.
FLAG_HELP: dict[KF, str] = {
    KF.ACQUIRE: "returns a referenced pointer the program must release",
    KF.RELEASE: "releases the one referenced pointer passed to it",
    KF.RET_NULL: "the returned pointer may be NULL: check it before use",
    KF.KPTR_GET: "takes a pointer to a kptr and returns a new reference (until 6.4)",
    KF.TRUSTED_ARGS: "every pointer argument must be trusted (unmodified, valid)",
    KF.SLEEPABLE: "may sleep: only sleepable programs may call it",
    KF.DESTRUCTIVE: "may crash or reboot the machine: needs CAP_SYS_BOOT",
    KF.RCU: "pointer arguments may be RCU-protected instead of trusted",
    KF.ITER_NEW: "iterator constructor",
    KF.ITER_NEXT: "iterator next method",
    KF.ITER_DESTROY: "iterator destructor",
    KF.RCU_PROTECTED: "must be called inside an RCU read-side critical section",
    KF.FASTCALL: "supports the bpf_fastcall calling convention",
}

#: What a parameter annotation tells the verifier (kfuncs.rst; docs/kernel-notes.md §2).
ANNOTATION_HELP: dict[Annotation, str] = {
    Annotation.NONE: "no annotation: checked by its C type",
    Annotation.SIZE: "size of the preceding pointer argument (a memory/size pair)",
    Annotation.CONST_SIZE: "size of the preceding pointer, and a known constant",
    Annotation.CONSTANT: "scalar that must be a known constant (it matters for safety)",
    Annotation.IGNORE: "ignored by the verifier",
    Annotation.UNINIT: "uninitialised dynptr/iterator the kfunc initialises",
    Annotation.OPTIONAL: "sized buffer that may be NULL",
    Annotation.NULLABLE: "NULL is accepted",
    Annotation.CONST_STR: "pointer to a read-only constant string",
    Annotation.MAP: "a map pointer",
    Annotation.ALLOC: "an object allocated by bpf_obj_new",
    Annotation.REFCOUNTED_KPTR: "a refcounted local kptr",
    Annotation.IRQ_FLAG: "stack slot holding saved IRQ flags",
    Annotation.PROG: "hidden: the verifier passes the program's aux data",
    Annotation.RDONLY_BUF_SIZE: "constant size of the read-only buffer returned in R0",
    Annotation.RDWR_BUF_SIZE: "constant size of the writable buffer returned in R0",
}


def e(value: object) -> str:
    """HTML-escape ``value``'s text (quotes too: the result may sit in an attribute).

    >>> e("<R1=ptr_or_null_ & 'x'>")
    '&lt;R1=ptr_or_null_ &amp; &#x27;x&#x27;&gt;'
    """
    return escape(str(value), quote=True)


def tag(name: str, body: str = "", *, cls: str = "", style: str = "", **attrs: object) -> str:
    """One element; ``body`` is already HTML, attribute values are escaped here."""
    parts = [name]
    if cls:
        parts.append(f'class="{e(cls)}"')
    if style:
        parts.append(f'style="{e(style)}"')
    for key, value in attrs.items():
        if value is not None:
            parts.append(f'{key.rstrip("_").replace("_", "-")}="{e(value)}"')
    return f"<{' '.join(parts)}>{body}</{name}>"


def box(body: str, cls: str) -> str:
    """The outer ``div`` of every view (class ``kfunclab`` plus ``cls``)."""
    return tag("div", body, cls=f"kfunclab {cls}", style=BOX)


def table(head: Sequence[str], rows: Iterable[str], cls: str = "") -> str:
    """A table with escaped header texts and pre-rendered ``<tr>`` rows."""
    th = "".join(tag("th", e(h), style=HEAD) for h in head)
    return tag("table", tag("thead", tag("tr", th)) + tag("tbody", "".join(rows)), cls=cls,
               style=TABLE)


def td(body: str, style: str = "", **attrs: object) -> str:
    return tag("td", body, style=CELL + style, **attrs)


def chip(text: str, title: str = "", style: str = "", cls: str = "") -> str:
    return tag("span", e(text), cls=cls, style=CHIP + style, title=title or None)


def flag_chips(flags: KF) -> str:
    """One chip per flag (tooltip: what it means), or a muted ``0``."""
    if not flags:
        return tag("span", "0", style=MONO + MUTED, title="no flags")
    return "".join(chip(f.kernel_name, FLAG_HELP.get(f, ""), cls="kfunclab-flag")
                   for f in KF if f in flags)


# --- program listings --------------------------------------------------------------------------

_COMMENT = re.compile(r"(?:^|\s)(#|//)(.*)$")


def source_line(program: Program, slot: int) -> tuple[int, str] | None:
    """``(line number, text)`` of the source line that produced ``slot``, if known."""
    src = program.source
    if src is None or not 0 <= slot < len(src.lines):
        return None
    line = src.line_of(slot)
    lines = src.text.splitlines()
    return (line, lines[line - 1]) if 0 < line <= len(lines) else (line, "")


def source_comment(program: Program, slot: int) -> str:
    """The ``# ...`` / ``// ...`` comment on ``slot``'s source line ("" if none)."""
    found = source_line(program, slot)
    if found is None:
        return ""
    m = _COMMENT.search(found[1])
    return (m.group(1) + m.group(2)).strip() if m else ""


C_LINE = MONO + MUTED + "font-style:italic;"  # the theme's colour: reads light and dark


def c_line_html(record: CLine | None, *, element: str = "div") -> str:
    """A C source line in the kernel log's form (``; text @ file:N``), class ``kfunclab-c-line``
    ("" for None)."""
    if record is None:
        return ""
    return tag(element, e(c_line_text(record)), cls="kfunclab-c-line", style=C_LINE,
               data_c_line=f"{record[0]}:{record[1]}")


def insn_text(program: Program, slot: int) -> str:
    """``slot``'s instruction in LLVM syntax, jumps naming their labels (``goto out``)."""
    insn = program.insns[slot]
    if isinstance(insn, Imm64Tail):
        return "(second half of ld_imm64)"
    labels = {s: name for name, s in sorted(program.labels.items(), key=lambda kv: kv[1])}
    try:
        text = format_llvm(insn, labels, pc=slot)
    except KfunclabError:
        return repr(insn)
    return text + type_id_note(program, slot)


def listing_html(program: Program, *, failing: int | None = None, path: Iterable[int] = (),
                 current: int | None = None, visits: Mapping[int, int] | None = None,
                 max_rows: int = 4000) -> str:
    """The program as a table: index, instruction, source line and comment.

    ``failing`` is marked (class ``kfunclab-insn-failing``), instructions on ``path`` are tinted
    (``kfunclab-insn-onpath``), ``current`` gets ``kfunclab-insn-current``; with ``visits``
    (insn -> times processed), instructions never processed are dimmed and repeats counted.
    """
    on_path = set(path)
    by_slot: dict[int, list[str]] = {}
    for name, slot in program.labels.items():
        by_slot.setdefault(slot, []).append(name)
    c_starts = c_line_starts(program)
    rows: list[str] = []
    for slot, _insn in program.instructions()[:max_rows]:
        for label in by_slot.get(slot, ()):
            rows.append(tag("tr", td("") + td("") + td(e(label + ":"), MONO + MUTED)
                            + td("") + td(""), cls="kfunclab-label"))
        if slot in c_starts:  # the C line above the first instruction it produced, as the log
            record = c_starts[slot]
            rows.append(tag("tr", td("") + td("") + td(e(c_line_text(record)), C_LINE,
                                                       colspan=3),
                            cls="kfunclab-c-line", data_c_line=f"{record[0]}:{record[1]}"))
        classes = ["kfunclab-insn"]
        style, mark = "", ""
        if slot in on_path:
            classes.append("kfunclab-insn-onpath")
            style, mark = TINT_PATH, "·"
        if slot == current:
            classes.append("kfunclab-insn-current")
            style, mark = TINT_CURRENT, "▶"
        if slot == failing:
            classes.append("kfunclab-insn-failing")
            style, mark = TINT_FAIL + "font-weight:600;", "✗"
        seen = visits.get(slot, 0) if visits is not None else None
        if seen == 0:
            classes.append("kfunclab-insn-unvisited")
            style += MUTED
        where = source_line(program, slot)
        c_line = c_line_of(program, slot) if where is None else None
        count = f"×{seen}" if seen and seen > 1 else ""
        rows.append(tag(
            "tr",
            td(e(mark), "width:1em;")
            + td(e(slot), MONO + "text-align:right;")
            + td(e(insn_text(program, slot)), MONO)
            + td(e(source_comment(program, slot)), MONO + MUTED)
            + td(e(f"line {where[0]}" if where else f"{c_line[0]}:{c_line[1]}" if c_line
                   else "") + (" " + e(count) if count else ""),
                 MUTED + "font-size:11px;"),
            cls=" ".join(classes), style=style, data_insn=slot))
    more = len(program.instructions()) - max_rows
    if more > 0:
        rows.append(tag("tr", td("") + td(e(f"... {more} more instructions"), MUTED)))
    return table(("", "insn", "instruction", "comment", "source"), rows, "kfunclab-listing")


# --- results ---------------------------------------------------------------------------------


def verdict_badge(accepted: bool) -> str:
    """The ACCEPT / REJECT badge."""
    if accepted:
        return tag("span", "ACCEPT", cls="kfunclab-verdict kfunclab-verdict-accept",
                   style=BADGE_OK)
    return tag("span", "REJECT", cls="kfunclab-verdict kfunclab-verdict-reject", style=BADGE_BAD)


def prog_type_name(section: str) -> str:
    """``BPF_PROG_TYPE_TRACING`` for ``tp_btf/...`` ("" for a section libbpf does not know)."""
    from kfunclab.progtypes import program_type

    try:
        return program_type(section).prog_type.kernel_name
    except KfunclabError:
        return ""


def _header(result: VerificationResult) -> str:
    prog = result.program
    bits = [verdict_badge(result.accepted),
            tag("span", e(f'SEC("{prog.section}")'), style=MONO),
            tag("span", e(prog_type_name(prog.section)), style=MUTED),
            tag("span", e(f"profile {result.profile}"), style=MUTED,
                cls="kfunclab-profile")]
    if prog.source is not None and prog.source.file not in ("<string>", ""):
        bits.append(tag("span", e(prog.source.file), style=MUTED + MONO))
    return tag("div", "&ensp;".join(bits), style="margin-bottom:4px;")


def errno_text(err: int) -> str:
    """``errno 13 (EACCES)``."""
    return f"errno {err} ({errno_mod.errorcode.get(err, '?')})"


def diagnostic_html(result: VerificationResult, diag: Diagnostic, *, title: str = "") -> str:
    """The kernel's message with its instruction, source line and the log lines before it."""
    prog = result.program
    parts: list[str] = []
    if title:
        parts.append(tag("div", e(title), style="font-weight:600;"))
    if diag.insn is not None:
        where = source_line(prog, diag.insn) if diag.insn < len(prog.insns) else None
        text = insn_text(prog, diag.insn) if diag.insn < len(prog.insns) else ""
        head = f"insn {diag.insn}: {text}"
        if where is not None:
            head += f"    (line {where[0]}: {where[1].strip()})"
        if diag.insn < len(prog.insns):  # the C line that produced it, as the kernel's log
            parts.append(c_line_html(c_line_of(prog, diag.insn)))
        parts.append(tag("div", e(head), cls="kfunclab-where", style=MONO + MUTED,
                         data_insn=diag.insn))
    for line in diag.context:
        parts.append(tag("div", e(line), cls="kfunclab-context", style=MONO))
    parts.append(tag("div", e(diag.message), cls="kfunclab-message",
                     style=MONO + "font-weight:600;"))
    parts.append(tag("div", e(errno_text(diag.errno)), style=MUTED + "font-size:11px;"))
    return tag("div", "".join(parts), cls="kfunclab-diagnostic",
               style=TINT_NOTE + "border-left:3px solid #c62828;padding:4px 8px;margin:4px 0;")


def _rejected_list(result: VerificationResult) -> str:
    if len(result.rejected) <= 1:
        return ""
    rows = [tag("tr", td(e(f"path {d.path_id}"), MONO) + td(e(d.insn), MONO)
                + td(e(d.message), MONO), cls="kfunclab-rejected-row", data_insn=d.insn)
            for d in result.rejected]
    return tag("div", tag("div", e(f"{len(result.rejected)} rejected paths (collect_all; the "
                                   "kernel stops at the first):"), style="margin-top:6px;")
               + table(("path", "insn", "message"), rows, "kfunclab-rejected"))


def log_html(lines: Sequence[str], open_: bool = False, title: str = "verifier log") -> str:
    """The verifier log in a collapsible block."""
    summary = tag("summary", e(f"{title} ({len(lines)} lines)"), style="cursor:pointer;")
    body = tag("pre", e("\n".join(lines)), style=MONO + "margin:2px 0;white-space:pre-wrap;")
    return tag("details", summary + body, cls="kfunclab-log", open="" if open_ else None)


def result_html(result: VerificationResult, *, show_log: bool = False) -> str:
    """A verification result: verdict, message (insn, source line, context), listing, stats.

    The failing instruction is marked and the rejected path tinted in the listing; the summary
    line is the kernel's (``processed N insns (limit 1000000) ...``).

    >>> from kfunclab.verifier import verify_text
    >>> r = verify_text('# SEC("syscall")\\n r1 = 1\\n call bpf_task_from_pid\\n r0 = 0\\n exit')
    >>> page = result_html(r)
    >>> 'data-insn="3"' in page and "would lead to reference leak" in page
    True
    """
    err = result.error
    parts = [_header(result)]
    if err is not None:
        parts.append(diagnostic_html(result, err))
    for note in getattr(result, "notes", ()):
        parts.append(tag("div", e(note), cls="kfunclab-note", style=MUTED))
    parts.append(_rejected_list(result))
    parts.append(listing_html(result.program, failing=err.insn if err else None,
                              path=err.path if err else (), visits=result.visits or None))
    stats = result.stats.summary_line()
    if result.truncated:
        stats += "   (not every step was recorded)"
    parts.append(tag("div", e(stats), cls="kfunclab-stats", style=MONO + MUTED))
    if result.log_lines:
        parts.append(log_html(result.log_lines, open_=show_log))
    return box("".join(parts), "kfunclab-result")


# --- kfuncs, catalogues, programs ------------------------------------------------------------


def _param_html(kfunc: Kfunc) -> str:
    out = []
    for p in kfunc.params:
        text = p.c_text()
        ann = p.annotation
        if ann is not Annotation.NONE and not ann.is_whole_name and text.endswith(p.name):
            stem = text[: len(text) - len(ann.value)]
            out.append(e(stem) + tag("span", e(ann.value), cls="kfunclab-annotation",
                                     style="font-weight:700;text-decoration:underline;",
                                     title=ANNOTATION_HELP.get(ann, "")))
        else:
            out.append(e(text))
    return ", ".join(out) or "void"


def kfunc_html(kfunc: Kfunc) -> str:
    """A kfunc: prototype with its annotations marked, flags, and one row per parameter.

    >>> from kfunclab.kfuncs import Kfunc
    >>> page = kfunc_html(Kfunc.declare("void bpf_memzero(void *mem, int mem__sz)"))
    >>> "__sz" in page and "a memory/size pair" in page
    True
    """
    ret = kfunc.ret.spelling()
    head = e(ret) + ("" if ret.endswith("*") else " ")
    proto = tag("div", head + tag("b", e(kfunc.name)) + "(" + _param_html(kfunc) + ")",
                cls="kfunclab-prototype", style=MONO + "font-size:13px;")
    flags = tag("div", tag("span", "flags ", style=MUTED) + flag_chips(kfunc.flags),
                style="margin:3px 0;")
    rows = [tag("tr", td(e(p.name), MONO) + td(e(p.ctype.spelling()), MONO)
                + td(e(p.annotation.value or "-"), MONO)
                + td(e(ANNOTATION_HELP.get(p.annotation, "")), MUTED))
            for p in kfunc.params]
    params = table(("parameter", "type", "annotation", "meaning"), rows) if rows else ""
    meta = []
    if kfunc.btf_id is not None:
        meta.append(f"BTF id {kfunc.btf_id}")
    if kfunc.source:
        meta.append(f"from {kfunc.source}")
    foot = tag("div", e(" · ".join(meta)), style=MUTED + "font-size:11px;") if meta else ""
    return box(proto + flags + params + foot, "kfunclab-kfunc")


def registry_html(registry_or_catalog: Catalog | Registry | Any, prog_type: str | None = None,
                  *, name_filter: str = "") -> str:
    """The kfuncs of a catalogue or registry: flags, ID set, program types, prototype.

    With ``prog_type`` only the kfuncs a program of that type may call are listed, with the
    flags it sees (the registry's lookup, like ``btf_kfunc_id_set_contains()``); kfuncs hidden
    by a set's filter for some attach types are listed as the filter answers without one.
    ``name_filter`` keeps names containing that text.

    >>> from kfunclab.kfuncs import load_catalog
    >>> page = registry_html(load_catalog("doc"), "BPF_PROG_TYPE_TRACING")
    >>> "bpf_get_task_pid" in page and "KF_RET_NULL" in page
    True
    """
    from kfunclab.kfuncs import ProgContext

    catalog = registry_or_catalog if isinstance(registry_or_catalog, Catalog) else None
    registry: Registry = (catalog.registry if catalog is not None
                          else getattr(registry_or_catalog, "registry", registry_or_catalog))
    if prog_type:
        kfuncs = registry.kfuncs_for(ProgContext.of(prog_type))
    else:
        found = (registry.find(n) for n in registry.names)
        kfuncs = [k for k in found if k is not None]
    kfuncs = [k for k in kfuncs if name_filter.lower() in k.name.lower()]
    rows = []
    for k in kfuncs:
        row = catalog.rows.get(k.name) if catalog is not None else None
        id_set = row.id_set if row else ""
        ptypes = (row.prog_types if row else registry.prog_types_of(k.name))
        where = ", ".join(p.removeprefix("BPF_PROG_TYPE_") for p in ptypes)
        note = row.note if row else ""
        rows.append(tag(
            "tr",
            td(tag("b", e(k.name)) + tag("div", e(k.prototype()), style=MUTED), MONO)
            + td(flag_chips(k.flags), "white-space:normal;")
            + td(e(id_set), MONO + MUTED)
            + ("" if prog_type else td(e(where), "white-space:normal;font-size:11px;"))
            + td(e(note), MUTED + "white-space:normal;font-size:11px;"),
            cls="kfunclab-kfunc-row", data_kfunc=k.name))
    head = ("kfunc", "flags", "ID set") + (() if prog_type else ("program types",)) + ("note",)
    profile = registry.profile
    title = (f"catalogue {catalog.name} (profile {profile.name}): {len(catalog)} kfuncs"
             if catalog is not None else f"registry (profile {profile.name}): "
                                         f"{len(registry)} kfuncs")
    if prog_type:
        title += f"; {len(kfuncs)} callable from {ProgContext.of(prog_type).prog_type}"
    elif name_filter:
        title += f"; {len(kfuncs)} matching '{name_filter}'"
    return box(tag("div", e(title), style="font-weight:600;") + table(head, rows,
                                                                       "kfunclab-registry"),
               "kfunclab-registry-view")


def program_html(program: Program) -> str:
    """A program: section, program type, license, capabilities, maps, types, listing.

    >>> from kfunclab.isa import parse_program
    >>> "r0 = 2" in program_html(parse_program('# SEC("xdp")\\n r0 = 2\\n exit\\n'))
    True
    """
    from kfunclab.isa.printer import format_struct

    facts = [tag("span", e(f'SEC("{program.section}")'), style=MONO),
             tag("span", e(prog_type_name(program.section)), style=MUTED),
             tag("span", e(f'LICENSE("{program.license}")'), style=MONO + MUTED)]
    if program.dropped_caps:
        facts.append(tag("span", e("CAPS: " + ", ".join(f"-{c}" for c in
                                                        sorted(program.dropped_caps))),
                         style=MONO + MUTED))
    decls = [tag("div", e(f"MAP: {m.name} {m.map_type} key={m.key.name} value={m.value.name} "
                          f"max_entries={m.max_entries}"), style=MONO + MUTED)
             for m in program.maps]
    decls += [tag("div", e("TYPE: " + format_struct(s)), style=MONO + MUTED)
              for s in program.types]
    body = (tag("div", "&ensp;".join(facts)) + "".join(decls)
            + listing_html(program)
            + tag("div", e(f"{len(program.instructions())} instructions"), style=MUTED))
    return box(body, "kfunclab-program")


def error_html(error: BaseException, source: str | None = None, first_line: int = 1, *,
               hint: str = "") -> str:
    """A kfunclab error as a message box; a ParseError also shows its line with a caret.

    ``source`` is the text the error's line numbers refer to; ``first_line`` the number of
    its first line; ``hint`` a suggestion shown below.

    >>> from kfunclab.errors import ParseError
    >>> page = error_html(ParseError("p.s", 2, 6, "expected a register"), "x\\n r0 = x1")
    >>> "p.s:2:6: error: expected a register" in page and "|      ^" in page
    True
    """
    from kfunclab.errors import ParseError

    parts = [tag("div", e(f"{type(error).__name__}: {error}"), cls="kfunclab-error-message",
                 style=MONO + "font-weight:600;")]
    if isinstance(error, ParseError) and source is not None:
        lines = source.splitlines()
        index = error.line - first_line
        if 0 <= index < len(lines):
            text = lines[index]
            caret = " " * max(error.col - 1, 0) + "^"
            parts.append(tag("pre", e(f"{error.line:>4} | {text}\n     | {caret}"),
                             style=MONO + "margin:4px 0;"))
    if hint:
        parts.append(tag("div", e("hint: " + hint), cls="kfunclab-error-hint", style=MUTED))
    return box(tag("div", "".join(parts),
                   style=TINT_FAIL + "border-left:3px solid #c62828;padding:4px 8px;"),
               "kfunclab-error")


# --- IPython ---------------------------------------------------------------------------------


def _catalog_html(catalog: Catalog) -> str:
    return registry_html(catalog)


#: type -> HTML renderer, registered with IPython's ``text/html`` formatter.
FORMATTERS: dict[type, Any] = {
    Kfunc: kfunc_html,
    Catalog: _catalog_html,
    Registry: registry_html,
    Program: program_html,
}


def register_formatters(ip: Any) -> None:
    """Teach IPython shell ``ip`` to show kfuncs, catalogues, registries and programs as HTML.

    (Results have their own ``_repr_html_``, which this module's import fills with
    :func:`result_html`.) :func:`unregister_formatters` undoes it.
    """
    html = ip.display_formatter.formatters["text/html"]
    for cls, func in FORMATTERS.items():
        html.for_type(cls, func)


def unregister_formatters(ip: Any) -> None:
    """Remove what :func:`register_formatters` added."""
    html = ip.display_formatter.formatters["text/html"]
    for cls in FORMATTERS:
        html.pop(cls, None)


# a result's ``_repr_html_`` asks the verifier's view registry; the views fill it
register_html_view(VerificationResult, result_html)

__all__ = [
    "ANNOTATION_HELP", "FLAG_HELP", "c_line_html", "diagnostic_html", "error_html",
    "kfunc_html", "listing_html", "log_html", "program_html", "register_formatters",
    "registry_html", "result_html", "unregister_formatters", "verdict_badge",
]
