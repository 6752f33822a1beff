"""``KfuncPlayground``: change one kfunc's flags and annotations, watch the verdict change.

Every change builds the catalogue again with the changed declaration
(:func:`~kfunclab.widgets.catalogs.catalog_table`), verifies the program with it, and updates
the verdict line, the result and the picture at once: no cell is re-run.

>>> pg = KfuncPlayground('''# SEC("syscall")
...     r1 = 1
...     call bpf_task_from_pid
...     r1 = r0                    # no NULL check
...     call bpf_task_release
...     r0 = 0
...     exit''', "bpf_task_from_pid")                                 # doctest: +SKIP
>>> pg.flag_boxes["KF_RET_NULL"].value = False                       # doctest: +SKIP
>>> pg.verdict_text.value                                            # doctest: +SKIP
'accept'
"""

from __future__ import annotations

from typing import Any

from kfunclab.errors import CatalogError, KfunclabError
from kfunclab.kfuncs import (
    KF,
    PROFILES,
    Annotation,
    Catalog,
    Kfunc,
    catalog_from_table,
    get_profile,
)
from kfunclab.kfuncs.profiles import Profile
from kfunclab.verifier import verify
from kfunclab.verifier.result import VerificationResult
from kfunclab.viz.html import (
    ANNOTATION_HELP,
    FLAG_HELP,
    kfunc_html,
    prog_type_name,
    result_html,
    verdict_badge,
)
from kfunclab.widgets import catalogs, render
from kfunclab.widgets.base import WIDE, WidgetView, classed, ipywidgets, set_picture
from kfunclab.widgets.figures import render_png
from kfunclab.widgets.source import parse_text


def verify_with(program: Any, kfunc: Kfunc, *, profile: Profile, base: Catalog,
                btf: str | None = "auto", collect_all: bool = False) -> VerificationResult:
    """Verify ``program`` with ``base`` where ``kfunc`` replaces (or joins) its declaration.

    The changed catalogue is built in memory and handed to verify() as a Catalog (no file).
    Raises DeclarationError when the kernel would refuse to register the changed kfunc.
    """
    table = catalogs.catalog_table(base, [kfunc], add_for=prog_type_name(program.section) or None)
    changed = catalog_from_table(table, profile, f"{base.name}-{kfunc.name}")
    return verify(program, profile=profile, catalog=changed, btf=btf, collect_all=collect_all)


class KfuncPlayground(WidgetView):
    """A checkbox per KF_ flag, an annotation choice per parameter and a profile picker for one
    kfunc; every change re-verifies ``program_text`` with the changed declaration.

    ``catalog`` is the catalogue to start from (a Catalog, e.g. from ``%%kfuncs``, or a .h/.c/
    .json path); by default, and for a built-in name, each profile's own catalogue. A kfunc the
    catalogue lacks is registered for the program's type in a set of its own. Flags the chosen
    kernel does not have are greyed out (the tooltip says why).

    CSS classes: ``kfunclab-playground`` (the box), ``kfunclab-profile-select``,
    ``kfunclab-flag-KF_<NAME>`` per flag, ``kfunclab-param-<i>`` per parameter,
    ``kfunclab-prototype``, ``kfunclab-verdict`` (a Label: the verdict line),
    ``kfunclab-verdict-badge``, ``kfunclab-playground-result``,
    ``kfunclab-playground-picture``, ``kfunclab-reset``.
    """

    def __init__(self, program_text: str, kfunc_name: str, *, section: str | None = None,
                 profile: str = "linux-6.18", catalog: str | Catalog | None = None,
                 btf: str | None = "auto", pictures: bool = True) -> None:
        super().__init__()
        w = ipywidgets()
        self.program = parse_text(program_text, section, "<playground>")
        self.kfunc_name = kfunc_name
        self.catalog_arg = catalog
        self.btf = btf
        self.pictures = pictures
        self.result: VerificationResult | None = None
        self.error: str | None = None  # a declaration or input error instead of a result
        # the dropdown's values are the Profile objects: the name is resolved here, once
        self.profile_select = classed(w.Dropdown(options=list(PROFILES.items()),
                                                 value=get_profile(profile),
                                                 description="kernel"),
                                      "kfunclab-profile-select")
        self.flag_boxes: dict[str, Any] = {}
        for flag in KF:
            box = w.Checkbox(value=False, description=flag.kernel_name, indent=False,
                             tooltip=FLAG_HELP.get(flag, ""),
                             layout=w.Layout(width="auto", margin="0 12px 0 0"))
            box.observe(self._on_change, names="value")
            self.flag_boxes[flag.kernel_name] = classed(box, f"kfunclab-flag-{flag.kernel_name}")
        self.param_choices: list[Any] = []
        self.params_box = w.VBox()
        self.prototype_html = classed(w.HTML(), "kfunclab-prototype")
        self.verdict_text = classed(w.Label(), "kfunclab-verdict")
        self.verdict_badge = classed(w.HTML(), "kfunclab-verdict-badge")
        self.result_html = classed(w.HTML(), "kfunclab-playground-result")
        self.picture = classed(w.Image(format="png"), "kfunclab-playground-picture")
        self.reset_button = classed(w.Button(description="reset", tooltip="the declaration "
                                             "as the chosen kernel has it"), "kfunclab-reset")
        set_picture(self.picture, None)
        self.profile_select.observe(lambda _c: self._load_declaration(), names="value")
        self.reset_button.on_click(lambda _b: self._load_declaration())
        flags_box = w.HBox(list(self.flag_boxes.values()),
                           layout=w.Layout(flex_flow="row wrap"))
        self.widget = classed(w.VBox([
            w.HBox([self.profile_select, self.reset_button]), flags_box, self.params_box,
            self.prototype_html, w.HBox([self.verdict_badge, self.verdict_text]), self.picture,
            self.result_html,
        ]), "kfunclab-playground")
        self._load_declaration()

    # --- what tests and users drive --------------------------------------------------------

    @property
    def profile(self) -> str:
        return self.profile_select.value.name

    @property
    def flags(self) -> KF:
        """The ticked flags."""
        out = KF(0)
        for flag in KF:
            box = self.flag_boxes[flag.kernel_name]
            if box.value and not box.disabled:
                out |= flag
        return out

    @property
    def annotations(self) -> dict[int, Annotation]:
        """The chosen annotation of each parameter, by index."""
        return {i: box.value for i, box in enumerate(self.param_choices)}

    @property
    def kfunc(self) -> Kfunc:
        """The declaration as currently changed."""
        return catalogs.modified_kfunc(self.declaration, self.flags, self.annotations)

    def set_flag(self, name: str, on: bool = True) -> None:
        """Tick (or untick) ``KF_NAME`` (``"KF_RET_NULL"`` or ``"RET_NULL"``)."""
        key = name if name.startswith("KF_") else f"KF_{name}"
        if key not in self.flag_boxes:
            raise CatalogError(f"unknown kfunc flag '{name}'; expected one of "
                               f"{', '.join(self.flag_boxes)}")
        self.flag_boxes[key].value = on

    def set_annotation(self, param: int | str, annotation: Annotation | str) -> None:
        """Give parameter ``param`` (index or current name) ``annotation`` (or its suffix)."""
        index = param if isinstance(param, int) else self._param_index(param)
        ann = annotation if isinstance(annotation, Annotation) else Annotation(annotation)
        self.param_choices[index].value = ann

    def set_profile(self, name: str) -> None:
        self.profile_select.value = get_profile(name)

    def __repr__(self) -> str:
        return f"<KfuncPlayground {self.kfunc_name} ({self.profile}): {self.verdict_text.value}>"

    # --- wiring ------------------------------------------------------------------------------

    def _param_index(self, name: str) -> int:
        for i, p in enumerate(self.kfunc.params):
            if name in (p.name, p.base_name):
                return i
        raise CatalogError(f"{self.kfunc_name} has no parameter '{name}'; expected one of "
                           f"{', '.join(p.name for p in self.kfunc.params)}")

    def _load_declaration(self) -> None:
        """Start again from the declaration the chosen kernel's catalogue has."""
        w = ipywidgets()
        prof: Profile = self.profile_select.value
        self.base = catalogs.base_catalog(prof, self.catalog_arg)
        found = catalogs.find_declaration(self.kfunc_name, self.base)
        if found is None:
            raise CatalogError(f"kfunc '{self.kfunc_name}' is in no catalogue; expected a kfunc "
                               f"of '{self.base.name}' or of a built-in catalogue")
        self.declaration = found
        with self._hold():
            for flag in KF:
                box = self.flag_boxes[flag.kernel_name]
                box.disabled = flag not in prof.flags
                box.tooltip = prof.flag_note(flag) or FLAG_HELP.get(flag, "")
                box.value = flag in found.flags and flag in prof.flags
            self.param_choices = []
            for i, p in enumerate(found.params):
                options = [(a.value or "none", a) for a in catalogs.annotation_choices(p, prof)]
                choice = w.Dropdown(options=options, value=p.annotation,
                                    description=p.base_name or f"arg{i}", style=WIDE,
                                    tooltip=ANNOTATION_HELP.get(p.annotation, ""),
                                    layout=w.Layout(width="max-content"))
                choice.observe(self._on_change, names="value")
                self.param_choices.append(classed(choice, f"kfunclab-param-{i}"))
            self.params_box.children = tuple(self.param_choices)
        self.refresh()

    def _on_change(self, _change: Any) -> None:
        if not self._holding:
            self.refresh()

    def refresh(self) -> None:
        """Verify again with the current choices and update every view."""
        try:
            kfunc = self.kfunc
            self.prototype_html.value = kfunc_html(kfunc)
            result = verify_with(self.program, kfunc, profile=self.profile_select.value,
                                 base=self.base,
                                 btf=self.btf)
        except KfunclabError as exc:
            self.result, self.error = None, f"{type(exc).__name__}: {exc}"
            self.verdict_text.value = f"declaration refused: {exc}" \
                if type(exc).__name__ == "DeclarationError" else f"error: {exc}"
            self.result_html.value = render.note_html(self.error, "kfunclab-error")
            self.verdict_badge.value = verdict_badge(False).replace(">REJECT<", ">REFUSED<")
            set_picture(self.picture, None)
            return
        self.result, self.error = result, None
        self.verdict_text.value = render.verdict_line(result)
        self.verdict_badge.value = verdict_badge(result.accepted)
        self.result_html.value = result_html(result)
        set_picture(self.picture, self._picture(result) if self.pictures else None)

    def _picture(self, result: VerificationResult) -> bytes | None:
        if result.references:
            return render_png("draw_ref_lifetimes", result)
        err = result.error
        if err is not None:
            return render_png("draw_cfg", result, highlight_path=err.path, failing_insn=err.insn)
        return render_png("draw_cfg", result)
