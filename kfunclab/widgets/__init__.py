"""Jupyter widgets over kfunclab results and catalogues (ipywidgets 8, no front-end extension).

Each widget is thin wiring over a pure ``render_*`` function (:mod:`kfunclab.widgets.render`),
so the views are testable without a browser; ipywidgets is imported when a widget is built.

- :class:`StateExplorer` -- step along a path and watch registers, stack and references;
- :class:`RefLifetimes` -- what happened to each reference, path by path;
- :class:`RejectedPaths` -- every failing path of a ``collect_all=True`` result;
- :class:`KfuncPlayground` -- tick flags / change annotations of one kfunc, re-verify live;
- :class:`RegistryView` -- which kfuncs each program type may call, per kernel profile.
"""

from kfunclab.widgets.explorer import StateExplorer
from kfunclab.widgets.paths import RefLifetimes, RejectedPaths
from kfunclab.widgets.playground import KfuncPlayground
from kfunclab.widgets.registry import RegistryView

__all__ = ["KfuncPlayground", "RefLifetimes", "RegistryView", "RejectedPaths", "StateExplorer"]
