"""Process-wide settings of the window, made once when the application starts.

Nothing here belongs to one widget: each setting changes the whole process, so it is made
in one place, at start-up, instead of as a side effect of importing or building a widget
(where the order of imports or constructors would decide the outcome).

=============================  ===================================================
:data:`SWITCH_INTERVAL_S`      how long a thread may hold the GIL when another waits
:data:`PLOT_OPTIONS`           pyqtgraph's defaults for every plot of the window
:func:`freeze_long_lived`      keep start-up objects out of full garbage collections
=============================  ===================================================

:func:`configure_process` makes the first two (before the window is built: plots read
pyqtgraph's options when they are created); :func:`freeze_long_lived` comes once the window
exists.  :func:`gui.app.run_gui` calls both; the window tests call
:func:`configure_process` so they see the application's settings.
"""

from __future__ import annotations

import gc

from core.batch.runner import SWITCH_INTERVAL_S, keep_freed_memory, shorten_switch_interval

__all__ = ["SWITCH_INTERVAL_S", "PLOT_OPTIONS", "configure_process", "freeze_long_lived"]

# SWITCH_INTERVAL_S (from :mod:`core.batch.runner`): longest time (s) a Python thread keeps
# the GIL while another thread waits for it.  Song workers run Python code between their
# numpy and decoder calls; each time the GUI thread needs the GIL (once per model or paint
# call) it would wait up to this long, so a short interval keeps the window responsive while
# songs are analyzed, and the workers wait less for each other.

#: pyqtgraph's process-wide options, set before any plot exists.  White plots with dark
#: grey text, like the rest of the window.  Antialiasing off by default: the live batch
#: plots are redrawn several times a second; the calibration plots (:mod:`gui.calibration_plots`)
#: ask for it per item (``antialias=True``) for smooth curves and markers.  Either way no
#: plot depends on which module was imported first.
PLOT_OPTIONS = {"antialias": False, "background": "w", "foreground": "#333"}

_configured = False


def configure_process() -> None:
    """Set the thread switch interval, malloc's reuse of freed blocks and pyqtgraph's
    options (once per process).

    Call before the first window or plot is built.  Calling again does nothing.
    """
    global _configured
    if _configured:
        return
    _configured = True
    shorten_switch_interval()
    keep_freed_memory()
    import pyqtgraph as pg

    pg.setConfigOptions(**PLOT_OPTIONS)


def freeze_long_lived() -> None:
    """Move every object alive now out of reach of the garbage collector's full passes.

    Call once the window is built.  What exists then (modules, classes, Qt wrappers,
    settings) lives for the whole session; a full collection would walk all of it again and
    again (tens of ms each, while every thread waits) as a drop adds thousands of rows.
    Frozen objects are never collected, so this is done once, not per window.
    """
    gc.freeze()
