"""IPython magics: ``%%bpf`` verifies BPF assembly, ``%%bpf_c`` BPF C, ``%%kfuncs`` declares
kfuncs, ``%%bpf_log`` reads a pasted kernel verifier log (:mod:`kfunclab.logs`) into the
same views.

``%load_ext kfunclab`` registers them, and HTML views for kfuncs, catalogues, registries and
programs. ::

    %%bpf tp_btf/task_newtask
        r1 = *(u64 *)(r1 + 0)
        call bpf_task_acquire
        r0 = 0                 # leak: never released
        exit

shows the verdict, the kernel's message with its instruction and source line, the listing and
(when references were acquired and :mod:`kfunclab.viz` can draw them) their lifetimes, and keeps
the :class:`~kfunclab.verifier.result.VerificationResult` as ``_bpf``. ::

    %%kfuncs --profile doc --name mine
    struct pid *bpf_get_task_pid(struct task_struct *task) { ... }
    BTF_SET8_START(bpf_task_set)
    BTF_ID_FLAGS(func, bpf_get_task_pid, KF_ACQUIRE | KF_RET_NULL)
    BTF_SET8_END(bpf_task_set)
    ...

makes catalogue ``mine``, which later ``%%bpf ... --catalog mine`` cells verify against. ::

    %%bpf_c
    #include "vmlinux.h"
    #include <bpf/bpf_helpers.h>
    SEC("tp_btf/task_newtask") int prog(void *ctx) { ... }

compiles the C with clang (:mod:`kfunclab.cc`) and shows every program's result as ``%%bpf``
does.
Line numbers in messages are the cell's own (the magic line is line 1). Bad input (a typo in the
assembly or the C) is shown as a message with its line, never as a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape as html_escape
from typing import Any

from IPython.core.magic import Magics, cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

from kfunclab.cc import CompileError, compile_text
from kfunclab.errors import CatalogError, KfunclabError, ParseError
from kfunclab.kfuncs import Catalog, Kfunc, catalog_from_c, catalog_from_table, get_profile, load_c
from kfunclab.kfuncs.profiles import Profile
from kfunclab.viz.html import error_html, register_formatters, registry_html, result_html
from kfunclab.widgets import catalogs
from kfunclab.widgets.figures import render_png
from kfunclab.widgets.render import verdict_line
from kfunclab.widgets.source import cell_text, parse_cell


@dataclass(frozen=True)
class UserCatalog:
    """A catalogue made by ``%%kfuncs``: its name, the C text it was read from (with the
    prototypes it borrowed), the profile it was read for, and the Catalog verify() is given."""

    name: str
    text: str
    profile: str
    catalog: Catalog

    def under(self, profile: Profile) -> Catalog:
        """The catalogue as ``profile``'s kernel reads the text (itself for its own profile)."""
        if profile.name == self.profile:
            return self.catalog
        return catalog_from_c(self.text, profile, self.name, file=f"<{self.name}>")


#: Catalogues made by ``%%kfuncs``, by name; ``%%bpf --catalog NAME`` looks here first.
USER_CATALOGS: dict[str, UserCatalog] = {}

_SEC_HINT = ('write the section on the magic line (%%bpf tp_btf/task_newtask) or as '
             'the cell\'s first line (# SEC("tp_btf/task_newtask"))')
_TAG_HINT = ("the doc's kernel (about 6.2) took BTF_SET8_START: try %%kfuncs --profile doc, "
             "or write BTF_KFUNCS_START/BTF_KFUNCS_END")

_EMPTY_HINT = ("no kfunc is registered, so no program can call one: register the ID set with "
               "register_btf_kfunc_id_set(BPF_PROG_TYPE_X, &set) through a struct "
               "btf_kfunc_id_set { .owner = THIS_MODULE, .set = &ids } (doc section 2.5)")


def summary_text(result: Any) -> str:
    """One plain-text line for a result (``text/plain`` next to the HTML)."""
    return f"<VerificationResult {verdict_line(result)} ({result.stats.processed_insns} insns)>"


def show_error(error: BaseException, source: str | None = None, hint: str = "") -> None:
    """Display a kfunclab error as a message box (a ParseError with its line and a caret)."""
    text = f"{type(error).__name__}: {error}" + (f"\nhint: {hint}" if hint else "")
    display({"text/html": error_html(error, source, hint=hint), "text/plain": text}, raw=True)


def resolve_catalog(name: str | None, user_ns: dict[str, Any], profile: str | None = None
                    ) -> tuple[str | Catalog | None, Profile]:
    """What ``%%bpf --catalog NAME --profile PROFILE`` hands to verify(): the catalogue (a
    Catalog, or a built-in name or file path) and the Profile, resolved here once; PROFILE
    defaults to the one the catalogue was made for.

    NAME is a ``%%kfuncs`` catalogue, a variable holding a Catalog, a built-in catalogue name,
    or a .h/.c/.json path. A Catalog goes to verify() as an object: no file is written.
    """
    user = USER_CATALOGS.get(name) if name else None
    value = user_ns.get(name) if name else None
    held = value if user is None and isinstance(value, Catalog) else None
    if held is not None:
        user = next((uc for uc in USER_CATALOGS.values() if uc.catalog is held), None)
    own = user.profile if user else held.profile.name if held else None
    prof = get_profile(profile or own)  # the one name lookup
    if user is not None:
        return user.under(prof), prof
    if held is not None:
        return catalog_from_table(catalogs.catalog_table(held), prof, str(name)), prof
    return name, prof


@magics_class
class KfunclabMagics(Magics):
    """``%%bpf``, ``%%bpf_c``, ``%%bpf_log`` and ``%%kfuncs``."""

    @magic_arguments()
    @argument("section", nargs="?", default=None,
              help='libbpf section (SEC) name, e.g. tp_btf/task_newtask; optional when the '
                   'cell starts with # SEC("...")')
    @argument("--profile", "-p", default=None,
              help="kernel profile: linux-6.18 (default), doc or linux-7.0")
    @argument("--catalog", "-c", default=None,
              help="kfunc catalogue: a %%kfuncs name, a variable holding a Catalog, a "
                   "built-in name or a .h/.c/.json file")
    @argument("--all-errors", "-a", action="store_true",
              help="go on past the first rejected path and show every one (collect_all)")
    @argument("--log", "-l", action="store_true",
              help="show the verifier log (log level 2)")
    @argument("--name", "-n", default=None,
              help="also store the result in this variable (it is always in _bpf)")
    @argument("--btf", default="auto",
              help="kernel BTF: auto (default), live, bundled, none or a file")
    @cell_magic
    def bpf(self, line: str, cell: str) -> None:
        """Verify the cell's BPF assembly and show the result; it is stored in ``_bpf``."""
        args = parse_argstring(self.bpf, line)
        ns = self.shell.user_ns
        ns["_bpf"] = None
        _check_name(args.name)
        try:
            catalog, profile = resolve_catalog(args.catalog, ns, args.profile)
            program = parse_cell(cell, args.section)
        except ParseError as exc:
            hint = _SEC_HINT if "SEC(" in exc.message and args.section is None else ""
            show_error(exc, cell_text(cell, args.section), hint)
            return
        except KfunclabError as exc:
            show_error(exc, hint=_catalog_hint(exc, args.catalog))
            return
        from kfunclab.verifier import verify

        try:
            result = verify(program, profile=profile, catalog=catalog,
                            collect_all=args.all_errors, log_level=2 if args.log else 1,
                            btf=None if args.btf == "none" else args.btf)
        except KfunclabError as exc:
            show_error(exc, hint=_catalog_hint(exc, args.catalog))
            return
        ns["_bpf"] = result
        if args.name:
            ns[args.name] = result
        display({"text/html": result_html(result, show_log=args.log),
                 "text/plain": summary_text(result)}, raw=True)
        _show_pictures(result, args.all_errors)

    @magic_arguments()
    @argument("section", nargs="?", default="",
              help="the program's section, for the header (a log does not say it)")
    @argument("--log", "-l", action="store_true", help="also show the log itself")
    @argument("--name", "-n", default=None,
              help="also store the result in this variable (it is always in _bpf_log)")
    @cell_magic
    def bpf_log(self, line: str, cell: str) -> None:
        """Read a pasted kernel verifier log and show what ``%%bpf`` shows for a program:
        verdict, message, listing with the rejected path, counts, reference lifetimes.
        The :class:`~kfunclab.logs.LogResult` is stored in ``_bpf_log``."""
        from kfunclab.logs import read_log

        args = parse_argstring(self.bpf_log, line)
        _check_name(args.name)
        result = read_log(cell, section=args.section, file="<cell>")
        self.shell.user_ns["_bpf_log"] = result
        if args.name:
            self.shell.user_ns[args.name] = result
        html = result_html(result, show_log=args.log)
        if result.unparsed:
            rows = "".join(f"line {n}: {text}\n" for n, text in result.unparsed)
            html += error_html(KfunclabError(
                f"{len(result.unparsed)} log line(s) kfunclab could not read:\n{rows}"))
        display({"text/html": html, "text/plain": f"<LogResult {verdict_line(result)} "
                                                   f"({result.stats.processed_insns} insns)>"},
                raw=True)
        _show_pictures(result, all_errors=False)
        if result.paths and result.program.insns:
            png = render_png("draw_cfg", result, heat=True)
            if png:
                from IPython.display import Image

                display(Image(data=png, format="png"))

    @magic_arguments()
    @argument("--profile", "-p", default=None,
              help="kernel profile: linux-6.18 (default), doc or linux-7.0")
    @argument("--catalog", "-c", default=None,
              help="kfunc catalogue: a %%kfuncs name, a variable holding a Catalog, a "
                   "built-in name or a .h/.c/.json file")
    @argument("--all-errors", "-a", action="store_true",
              help="go on past the first rejected path and show every one (collect_all)")
    @argument("--log", "-l", action="store_true", help="show the verifier log (log level 2)")
    @argument("--name", "-n", default=None,
              help="also store the result in this variable (it is always in _bpf)")
    @argument("--btf", default="auto",
              help="kernel BTF for vmlinux.h and verification: auto (default), live, bundled "
                   "or a file")
    @cell_magic
    def bpf_c(self, line: str, cell: str) -> None:
        """Compile the cell's BPF C with clang (``#include "vmlinux.h"`` is written from the
        BTF in use; libbpf's ``<bpf/bpf_helpers.h>`` come from libbpf-dev), verify every
        program of the object and show each result; ``_bpf`` holds the first program's
        result, ``_bpf_programs`` every program's by name."""
        args = parse_argstring(self.bpf_c, line)
        ns = self.shell.user_ns
        ns["_bpf"] = None
        ns["_bpf_programs"] = {}
        _check_name(args.name)
        if args.name:  # None until a program is verified: later cells can test for it
            ns[args.name] = None
        source = "\n" + cell  # line 1 is the magic line, as in %%bpf
        try:
            catalog, profile = resolve_catalog(args.catalog, ns, args.profile)
            obj = compile_text(source, C_CELL_NAME, btf=args.btf)
        except CompileError as exc:
            in_cell = exc.file == C_CELL_NAME
            show_error(exc, source if in_cell else None, _compile_hint(exc))
            return
        except KfunclabError as exc:
            show_error(exc, hint=_catalog_hint(exc, args.catalog))
            return
        from kfunclab.elf import verify_object

        try:
            results = verify_object(obj.path, profile=profile, catalog=catalog,
                                    collect_all=args.all_errors,
                                    log_level=2 if args.log else 1, btf=args.btf)
        except KfunclabError as exc:
            show_error(exc, hint=_catalog_hint(exc, args.catalog))
            return
        _show_object_results(ns, results, args)

    @magic_arguments()
    @argument("--profile", "-p", default="linux-6.18",
              help="kernel profile the C is read for: linux-6.18 (default), doc, linux-7.0")
    @argument("--name", "-n", default="_kfuncs",
              help="name of the catalogue (a variable, and for %%bpf --catalog NAME)")
    @cell_magic
    def kfuncs(self, line: str, cell: str) -> None:
        """Read kfunc declarations, ID sets and registrations (the kfuncs doc's C) into a
        catalogue usable by ``%%bpf --catalog NAME``."""
        args = parse_argstring(self.kfuncs, line)
        _check_name(args.name)
        try:
            user = make_user_catalog(cell, args.name, args.profile)
        except ParseError as exc:
            show_error(exc, "\n" + cell)
            return
        except KfunclabError as exc:
            hint = _TAG_HINT if "BTF_KFUNCS_START" in str(exc) else ""
            show_error(exc, hint=hint)
            return
        USER_CATALOGS[args.name] = user
        self.shell.user_ns[args.name] = user.catalog
        display({"text/html": registry_html(user.catalog),
                 "text/plain": repr(user.catalog)}, raw=True)
        if not len(user.catalog):
            display({"text/html": error_html(KfunclabError(_EMPTY_HINT)),
                     "text/plain": _EMPTY_HINT}, raw=True)


def make_user_catalog(text: str, name: str, profile: str) -> UserCatalog:
    """Load C text as a catalogue (kfuncs it names but does not declare come from the
    profile's own catalogue), in memory: verify() is given the Catalog itself.

    Raises ParseError with the line numbers of a cell whose first line is the magic line.
    """
    prof = get_profile(profile)
    base = catalogs.builtin_catalog(prof.catalog)
    borrowed: dict[str, Kfunc] = {}

    def prototype_of(kname: str) -> Kfunc | None:
        found = catalogs.find_declaration(kname, base)
        if found is not None:
            borrowed[kname] = found
        return found

    load_c("\n" + text, prof, prototype_of=prototype_of, file="<kfuncs cell>")
    # the catalogue is read again without prototype_of: put the borrowed prototypes in its text
    head = "".join(f"/* from {base.name} */\n{k.prototype()};\n" for k in borrowed.values())
    full = head + text
    try:
        catalog = catalog_from_c(full, prof, name, file=f"<{name}>")
    except KfunclabError as exc:  # pragma: no cover - load_c above accepted the same text
        raise CatalogError(f"{name}: {exc}") from None
    return UserCatalog(name, full, prof.name, catalog)


C_CELL_NAME = "cell.bpf.c"


def _compile_hint(exc: CompileError) -> str:
    if "vmlinux.h" in exc.log and ("conflicting types" in exc.log or "redefinition" in exc.log):
        return ("vmlinux.h already declares every kfunc (extern ... __ksym): drop your own "
                "declaration, or #define BPF_NO_KFUNC_PROTOTYPES before #include \"vmlinux.h\"")
    if "vmlinux.h" in exc.message and "file not found" in exc.message:
        return 'write #include "vmlinux.h" (kfunclab writes it from the kernel BTF)'
    return ""


def _show_object_results(ns: dict[str, Any], results: list[Any], args: Any) -> None:
    """Each program of a compiled cell: its name and section, then the %%bpf views."""
    by_name = {}
    for item in results:
        head = f"{item.program} (SEC(\"{item.section}\"))"
        if item.result is None:
            show_error(KfunclabError(f"{head}: {item.error_text}"))
            continue
        by_name[item.program] = item.result
        display({"text/html": f"<div><b>{html_escape(head)}</b></div>" +
                 result_html(item.result, show_log=args.log),
                 "text/plain": f"{head}: {summary_text(item.result)}"}, raw=True)
        _show_pictures(item.result, args.all_errors)
    ns["_bpf_programs"] = by_name
    first = next(iter(by_name.values()), None)
    ns["_bpf"] = first
    if args.name:
        ns[args.name] = first


def _catalog_hint(exc: KfunclabError, catalog: str | None) -> str:
    if catalog is not None and isinstance(exc, CatalogError) and \
            "unknown kfunc catalogue" in str(exc):
        return f"define it first with %%kfuncs --name {catalog}"
    return ""


def _check_name(name: str | None) -> None:
    from IPython.core.error import UsageError

    if name is not None and not name.isidentifier():
        raise UsageError(f"--name {name!r}: expected a Python identifier")


def _show_pictures(result: Any, all_errors: bool) -> None:
    from IPython.display import Image

    pngs = []
    if result.references:
        pngs.append(render_png("draw_ref_lifetimes", result))
    if all_errors and len(result.rejected) > 1:
        pngs.append(render_png("draw_rejected_paths", result))
    for png in pngs:
        if png:
            display(Image(data=png, format="png"))


# --- the extension -----------------------------------------------------------------------------


def _plain(text_of: Any) -> Any:
    def printer(obj: Any, p: Any, cycle: bool) -> None:
        p.text(text_of(obj))

    return printer


def load_ipython_extension(ip: Any) -> None:
    """``%load_ext kfunclab``: the magics, HTML views, and short plain-text reprs."""
    from kfunclab.isa.program import Program
    from kfunclab.verifier.result import VerificationResult

    ip.register_magics(KfunclabMagics)
    register_formatters(ip)
    plain = ip.display_formatter.formatters["text/plain"]
    plain.for_type(VerificationResult, _plain(summary_text))
    plain.for_type(Kfunc, _plain(lambda k: f"<Kfunc {k}>"))
    plain.for_type(Program, _plain(lambda p: f'<Program SEC("{p.section}"), '
                                             f"{len(p.instructions())} instructions>"))


def unload_ipython_extension(ip: Any) -> None:
    """``%unload_ext kfunclab``: remove the magics and the formatters."""
    from kfunclab.isa.program import Program
    from kfunclab.verifier.result import VerificationResult
    from kfunclab.viz.html import unregister_formatters

    unregister_formatters(ip)
    plain = ip.display_formatter.formatters["text/plain"]
    for cls in (VerificationResult, Kfunc, Program):
        plain.pop(cls, None)
    cell = ip.magics_manager.magics.get("cell", {})
    for name in ("bpf", "bpf_c", "kfuncs"):
        cell.pop(name, None)
