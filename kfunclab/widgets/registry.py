"""``RegistryView``: which kfuncs a program type may call, kernel by kernel.

>>> html = render_registry("doc", "BPF_PROG_TYPE_TRACING")
>>> "bpf_put_pid" in html and "KF_RELEASE" in html
True
"""

from __future__ import annotations

from typing import Any

from kfunclab.kfuncs import PROFILES, Catalog, get_profile
from kfunclab.viz.html import registry_html
from kfunclab.widgets.base import WIDE, WidgetView, classed, ipywidgets
from kfunclab.widgets.catalogs import base_catalog

ALL = "(all program types)"


def prog_type_choices(profile: str) -> list[str]:
    """The program types that reach a kfunc hook in ``profile``'s kernel, in enum order."""
    from kfunclab.kfuncs import PROG_TYPES

    prof = get_profile(profile)
    mapped = {t for t, _hook in prof.hook_map}
    return [t for t in PROG_TYPES if t in mapped and t != "BPF_PROG_TYPE_UNSPEC"]


def render_registry(profile: str, prog_type: str | None = None, name_filter: str = "",
                    catalog: str | Catalog | None = None) -> str:
    """The kfunc table of ``profile``'s catalogue (or ``catalog``), for one program type or all."""
    cat = base_catalog(get_profile(profile), catalog)
    return registry_html(cat, None if prog_type in (None, ALL) else prog_type,
                         name_filter=name_filter)


class RegistryView(WidgetView):
    """A profile dropdown, a program-type dropdown and a name filter over the kfunc table.

    CSS classes: ``kfunclab-registry`` (the box), ``kfunclab-profile-select``,
    ``kfunclab-progtype-select``, ``kfunclab-name-filter``, ``kfunclab-registry-table``.
    """

    def __init__(self, profile: str = "linux-6.18", prog_type: str | None = None, *,
                 catalog: str | Catalog | None = None) -> None:
        super().__init__()
        w = ipywidgets()
        self.catalog_arg = catalog
        name = get_profile(profile).name
        self.profile_select = classed(w.Dropdown(options=list(PROFILES), value=name,
                                                 description="kernel"),
                                      "kfunclab-profile-select")
        self.prog_type_select = classed(w.Dropdown(options=[ALL, *prog_type_choices(name)],
                                                   value=prog_type or ALL,
                                                   description="program", style=WIDE,
                                                   layout=w.Layout(width="max-content")),
                                        "kfunclab-progtype-select")
        self.name_filter = classed(w.Text(value="", placeholder="kfunc name contains",
                                          description="filter", style=WIDE,
                                          continuous_update=False),
                                   "kfunclab-name-filter")
        self.table_html = classed(w.HTML(), "kfunclab-registry-table")
        self.profile_select.observe(self._on_profile, names="value")
        self.prog_type_select.observe(lambda _c: self._render(), names="value")
        self.name_filter.observe(lambda _c: self._render(), names="value")
        self.widget = classed(w.VBox([
            w.HBox([self.profile_select, self.prog_type_select, self.name_filter]),
            self.table_html]), "kfunclab-registry")
        self._render()

    @property
    def profile(self) -> str:
        return self.profile_select.value

    @property
    def prog_type(self) -> str | None:
        value = self.prog_type_select.value
        return None if value == ALL else value

    def select(self, *, profile: str | None = None, prog_type: str | None = None) -> None:
        """Show ``profile``'s kfuncs for ``prog_type`` (either may stay as it is)."""
        if profile is not None:
            self.profile_select.value = get_profile(profile).name
        if prog_type is not None:
            self.prog_type_select.value = prog_type

    def _on_profile(self, _change: Any) -> None:
        with self._hold():
            keep = self.prog_type_select.value
            choices = [ALL, *prog_type_choices(self.profile)]
            self.prog_type_select.options = choices
            self.prog_type_select.value = keep if keep in choices else ALL
        self._render()

    def _render(self) -> None:
        if self._holding:
            return
        self.table_html.value = render_registry(self.profile, self.prog_type,
                                                self.name_filter.value, self.catalog_arg)
