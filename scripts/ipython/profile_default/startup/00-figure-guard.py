# Figure text guard: run by every kernel that ./course execute and ./course test start
# (scripts/env.sh sets IPYTHONDIR to scripts/ipython). See scripts/ipython/README.md.
#
# Before a figure is stored (plt.show(), display(fig), or the end of a cell), its texts
# are laid out as they will be drawn; overlapping texts or texts outside the figure are
# reported on stderr (COURSE_FIGURE_GUARD=warn, the default) or fail the cell
# (COURSE_FIGURE_GUARD=raise, set under pytest by the root conftest.py). A clean figure
# adds no output. Everything lives inside one function so the notebook's namespace
# gets no new names.


def _course_figure_guard() -> None:
    import json
    import os
    import sys
    from pathlib import Path

    from IPython import get_ipython

    mode = os.environ.get("COURSE_FIGURE_GUARD", "warn").strip().lower()
    if mode == "off":
        return
    if mode not in ("warn", "raise"):
        print(f"figure text guard: COURSE_FIGURE_GUARD must be warn, raise or off, got {mode!r}; "
              "using 'raise'", file=sys.stderr)
        mode = "raise"
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    import matplotlib.pyplot as plt
    from matplotlib._pylab_helpers import Gcf
    from matplotlib.figure import Figure

    from course_utils import textlayout

    class FigureTextError(AssertionError):
        """A figure about to be stored has overlapping texts or text outside it."""

    state = {"cell": 0, "source": "", "cells": None}

    def pre_run_cell(info=None) -> None:
        state["cell"] += 1
        state["source"] = getattr(info, "raw_cell", "") or ""
        install_formatter()                       # %matplotlib inline would replace it

    def notebook_name() -> str:
        name = os.environ.get("COURSE_NOTEBOOK") or os.environ.get("COURSE_GUARD_NOTEBOOK") or ""
        return Path(name).name

    def location() -> str:
        name = notebook_name()
        first = next((ln.strip() for ln in state["source"].splitlines()
                      if ln.strip() and not ln.lstrip().startswith("#")), "")
        first = first if len(first) <= 50 else first[:47] + "..."
        index = None
        if name and Path(name).exists():
            if state["cells"] is None:
                try:
                    cells = json.loads(Path(name).read_text(encoding="utf-8"))["cells"]
                    state["cells"] = ["".join(c["source"]) for c in cells]
                except (OSError, ValueError, KeyError):
                    state["cells"] = []
            src = state["source"].rstrip("\n")
            index = next((i for i, s in enumerate(state["cells"]) if s.rstrip("\n") == src), None)
        cell = f"cell {index}" if index is not None else f"code cell {state['cell']} (run order)"
        return f"{name or 'notebook'} {cell} ({first!r})"

    def check(fig) -> None:
        if not isinstance(fig, Figure) or getattr(fig, "_course_guard_cell", None) == state["cell"]:
            return
        fig._course_guard_cell = state["cell"]          # once per figure and cell
        try:
            problems = textlayout.text_problems(fig)
        except Exception as err:                         # never break a notebook for a layout quirk
            problems = [] if mode == "warn" else [f"could not lay the figure out: {err!r}"]
        if not problems:
            return
        where = location()
        message = f"figure text guard: {where}: " + "; ".join(problems)
        log = os.environ.get("COURSE_FIGURE_GUARD_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"notebook": notebook_name(), "where": where,
                                     "problems": problems}) + "\n")
        if mode == "raise":
            raise FigureTextError(message)
        print(message, file=sys.stderr)

    original_show = plt.show

    def show(*args, **kwargs):
        for manager in Gcf.get_all_fig_managers():
            check(manager.canvas.figure)
        return original_show(*args, **kwargs)

    show.__doc__ = original_show.__doc__
    show.__wrapped__ = original_show
    plt.show = show

    def install_formatter() -> None:
        if "inline" not in plt.get_backend():
            return
        import matplotlib_inline.backend_inline  # noqa: F401  registers the figure formatters

        formatter = shell.display_formatter.formatters["image/png"]
        try:
            current = formatter.lookup_by_type(Figure)
        except KeyError:
            return
        if getattr(current, "_course_guard", False):
            return

        def guarded(fig, *args, **kwargs):
            check(fig)
            return current(fig, *args, **kwargs)

        guarded._course_guard = True
        formatter.for_type(Figure, guarded)

    install_formatter()
    shell.events.register("pre_run_cell", pre_run_cell)


_course_figure_guard()
del _course_figure_guard
