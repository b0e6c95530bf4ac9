"""Process-wide settings of the window, made once when the application starts.

Nothing here belongs to one widget: each setting changes the whole process, so it is made
in one place, at start-up, instead of as a side effect of importing or building a widget
(where the order of imports or constructors would decide the outcome).

=============================  ===================================================
:data:`SWITCH_INTERVAL_S`      how long a thread may hold the GIL when another waits
:data:`PLOT_OPTIONS`           pyqtgraph's defaults for every plot of the window
:func:`freeze_long_lived`      keep start-up objects out of full garbage collections
:func:`preload_analysis`       import the analysis in the background, then freeze it too
:func:`made_to_last`           freeze what a block makes (a list read back at start-up)
=============================  ===================================================

:func:`configure_process` makes the first two (before the window is built: plots read
pyqtgraph's options when they are created); :func:`freeze_long_lived` comes once the window
exists, and :func:`preload_analysis` right after it.  :func:`gui.app.run_gui` calls all
three; the window tests call :func:`configure_process` so they see the application's
settings.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import logging
import threading

from core.batch.runner import SWITCH_INTERVAL_S, keep_freed_memory, shorten_switch_interval

__all__ = ["SWITCH_INTERVAL_S", "PLOT_OPTIONS", "ANALYSIS_IMPORTS", "configure_process",
           "freeze_long_lived", "made_to_last", "preload_analysis"]

log = logging.getLogger(__name__)

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


@contextlib.contextmanager
def made_to_last():
    """Pause the garbage collector while the block runs, then freeze what exists (as
    :func:`freeze_long_lived`): for objects made in bulk that live on, such as the results
    of a list read back at start-up.

    Read with the collector on, the 20,000 results of a long list set off a full
    collection on the reading thread that held the GIL for 40-100 ms (the window could not
    answer meanwhile), and every later full collection walked them again.  Frozen objects
    are still freed when nothing refers to them any more; only reference cycles among them
    would stay (results and songs make none).  May run on any thread.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


#: What the first song's analysis imports: the analysis itself and the libraries it loads on
#: first use (librosa's filters bring numba and llvmlite; soxr resamples; PyAV and miniaudio
#: decode; mutagen reads tags).  Missing optional ones are skipped.
ANALYSIS_IMPORTS = ("core.analysis.analyze", "librosa.filters", "soxr", "av", "miniaudio",
                    "mutagen")


def preload_analysis(modules=ANALYSIS_IMPORTS) -> threading.Thread:
    """Import ``modules`` on a background thread, with garbage collection paused meanwhile,
    then freeze what they made (:func:`gc.freeze`); returns the running thread.

    Left to the first song, these imports (about 1 s, 460 modules) ran in a worker while the
    window waited: the objects they create set off full garbage collections, each holding
    the GIL for 40-110 ms (a 10 ms timer on the GUI thread missed its ticks that long, on a
    2-core machine), and the numba and librosa objects they leave were walked again by
    every full collection of the session.  Imported here, with the collector paused, no
    collection runs during them, and the frozen modules are out of later full collections,
    as :func:`freeze_long_lived` does for the window's start-up objects.  Call once, after
    :func:`freeze_long_lived`; a worker that needs a module still being imported waits for
    it, as it would have imported it anyway.
    """

    def run() -> None:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            for name in modules:
                try:
                    importlib.import_module(name)
                except ImportError as err:  # an optional decoder that is not installed
                    log.debug("not preloaded: %s (%s)", name, err)
                except Exception:  # a broken library: its first song will say why
                    log.warning("could not import %s ahead of the analysis", name,
                                exc_info=True)
            gc.freeze()
        finally:
            if was_enabled:
                gc.enable()

    thread = threading.Thread(target=run, name="songcal-preload", daemon=True)
    thread.start()
    return thread
