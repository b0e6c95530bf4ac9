"""Random user sessions on the window: seeded sequences of what a user does, with the
window's invariants checked after every step.

Each seed writes a small deck (six songs of 2-4 s with a click and a tone, one in a
subfolder; a file that is not audio under an audio name; one song analyzed slowly, one that
ignores its cancel flag for a second) and a reference sheet naming the songs, opens the
window on a fresh session store (or none) and performs 20-60 actions picked by the seed:
add files and folders (again, too), drop them with the sheet, start, pause, resume, cancel,
retry, analyze again, force a fresh analysis, skip or give more time to the stalled song,
clear, undo, redo, new session, sort, filter, change the settings mid-run, load the sheet (or one
with the tempo only, whose columns replace the full sheet's), fit, export the results, the
chunks and the calibration, apply the exported profile, switch tabs, select songs, correct
tempo and key, and quit mid-run and start again on the same store.
It also sorts (and filters) the table, selects rows and acts on them (Analyze again and
Skip from the context menu, Skip Song, Checked by Ear, the Chunks tab, Copy rows),
checking that the action reached the songs shown at those rows and no other; and a list
restored at a start comes back 1-5 songs per turn of the event loop (``RESTORE_SLICE``
lowered in this process; 2,000 for some seeds), half the time with Clear, Undo, adding
files or a folder, Start, Retry, a sort, a filter or a row action while it comes back.
The songs are analyzed by the real analysis (``core.analysis.analyze.analyze_file``); only
the slow and the stuck song are slowed down around it.  Short waits of the event loop run
between the steps.

After every step:

- the batch's counts, running songs, queue and run tallies agree with a recount of its jobs;
- the table has one row per song, in its state, and the filter proxy maps onto it;
- the selected song ids the window acts on are the songs of the selected rows;
- an idle engine has no song running;
- no exception reached Qt's event loop (pytest-qt fails the test), no thread raised and no
  worker or scan logged a crash;

and at the end every run ends (cancelled if need be) within 20 s, every export asked for
has reported, every file written is a complete CSV (every row as wide as its header, as
many rows as songs), an export onto a song of the list was refused and left it as it was,
the table's painted cells say what the songs hold, and the library in the session store is
the list shown.  Quitting and starting again also checks that the list comes back with its
done songs' values and the user's corrections.  The longest wait of the event loop (a quit
and restart left out) is printed per seed with the steps it spanned; the process is set up
as the app's (start-up objects frozen, the analysis imported in the background) before the
first seed.  A seed replays the same choices; what they meet
depends on timing, so a failure is replayed by running its seed a few times.

With ``--cluster`` (``SONGCAL_FUZZ_CLUSTER=1``) the songs run on a Dask LocalCluster of
two single-threaded workers (one on every third seed) that are threads of this process
(``processes=False``, tcp addresses), one cluster for every seed.  The window picks its
engine from its settings as the app does (:func:`gui.settings_dialog.cluster_choice`):
``local:2``, ``local`` (as many as the workers asked for) or this computer, changed in the
Settings dialog mid-run too; a local cluster they name is the fuzz's, reached through its
client with the deck's analyzer (:func:`cluster_analyze`, module-level).  The stuck song
then holds its worker thread for 1, 3 or 8 s, half the seeds wait 2 s (not 60) for a
worker thread when songs given up on hold them all, and another user of the cluster takes
a worker thread for 0.5-4 s now and then (songs handed over meanwhile wait in Dask's
queue); Start, Retry, Skip, Clear and Undo come more often.  After every step also:

- every running song is held by a worker slot, and waits in the scheduler's queue exactly
  while its task has not started on a worker;
- no song is still running 3 s after its Dask future finished;
- the worker slots and the Workers panel name the cluster's workers and no other;

and at the end every song handed to the cluster ends there within 20 s, then no longer
holds a worker thread, and the window follows no task any more.  A seed starts once the
cluster runs nothing of the last one.  Seeds 0-519 found one bug: a song skipped or
cancelled while it waited in Dask's queue left its cancelled future among the tasks the
window follows (tests/gui/test_cluster_window.py,
``test_a_song_skipped_while_it_waits_in_the_schedulers_queue_is_followed_no_more``).

Run from the repository root (``-s`` shows the per-seed lines)::

    QT_QPA_PLATFORM=offscreen python -m benchmarks.window_fuzz --seeds 0-49
    QT_QPA_PLATFORM=offscreen python -m benchmarks.window_fuzz --seeds 7 --verbose
    QT_QPA_PLATFORM=offscreen python -m benchmarks.window_fuzz --cluster --seeds 0-99

(``python -m pytest -p no:cacheprovider -n 0 -s benchmarks/window_fuzz.py`` with
``SONGCAL_FUZZ_SEEDS=0-49`` in the environment does the same.)
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
import os
import random
import sys
import threading
import time
from collections import Counter

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The tests' fixtures: isolated settings and session data, no thread left behind, windows
# closed at the end (imported here so that this file runs as a test module of its own).
from tests.conftest import no_leaked_threads, private_data_dir  # noqa: E402,F401
from tests.gui.conftest import (  # noqa: E402,F401
    application_settings,
    drop_paths,
    isolated_qsettings,
    make_window,
    write_click_wav,
)

#: Seconds the slow song takes (it honours its cancel flag between steps).
SLOW_S = 6.0
#: Seconds the stuck song ignores its cancel flag before it is analyzed.
STUCK_S = 1.0
#: Longest wait (s) for a run to end once cancelled, and for exports to report.
END_WAIT_S = 20.0


def _seeds_from(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            out.extend(range(int(lo), int(hi) + 1))
        else:
            out.append(int(part))
    return out


SEEDS = _seeds_from(os.environ.get("SONGCAL_FUZZ_SEEDS", "0-4"))
VERBOSE = os.environ.get("SONGCAL_FUZZ_VERBOSE", "") not in ("", "0")
#: Run the window's songs on a Dask LocalCluster (``--cluster``).
CLUSTER = os.environ.get("SONGCAL_FUZZ_CLUSTER", "") not in ("", "0")
#: Worker threads of that cluster (one per in-process worker); every third seed has one
#: (a song given up on then holds every thread).
CLUSTER_WORKERS = 2
#: Longest a song may stay running once its Dask future has finished (s): its outcome is
#: settled in the client's callback thread, one future after another.
FUTURE_GRACE_S = 3.0


# -- the deck -----------------------------------------------------------------------------
@dataclasses.dataclass
class Deck:
    folder: str
    sub: str
    songs: list  # every audio-named file, the broken one too
    sheet: str
    notes: str


def make_deck(root, rng: random.Random) -> Deck:
    folder = os.path.join(root, "deck")
    sub = os.path.join(folder, "sub")
    os.makedirs(sub)
    names = [("Nova Lights", "Midnight Drive"), ("The Harbor", "Low Tide"),
             ("Kesta", "Slow Burn"), ("Lumen Trio", "Waltz for June"),
             ("Juno Park", "Glass City"), ("Static Bloom", "Overdrive")]
    songs, rows = [], []
    for i, (artist, title) in enumerate(names):
        where = sub if i >= 4 else folder
        tag = " slow" if i == 2 else (" stuck" if i == 3 else "")
        path = os.path.join(where, f"{i + 1:03d}_{artist}_{title}{tag}.wav")
        bpm = 90 + 12 * i
        write_click_wav(path, bpm=bpm, seconds=rng.uniform(2.0, 4.0), seed=i)
        songs.append(path)
        rows.append([title + tag, artist, f"{bpm:g}", "A minor", "-14"])
    broken = os.path.join(folder, "007_Broken_Noise.wav")
    with open(broken, "wb") as f:
        f.write(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(range(256)) * 4)
    songs.append(broken)
    rows.append(["Noise", "Broken", "100", "C major", "-10"])
    sheet = os.path.join(root, "reference.csv")
    with open(sheet, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Song", "Artist", "BPM", "Key", "Loud (Db)"])
        w.writerows(rows)
        w.writerow(["Lonely Row", "Nobody", "100", "C major", "-9"])
    notes = os.path.join(folder, "notes.txt")
    with open(notes, "w") as f:
        f.write("not audio")
    return Deck(folder, sub, songs, sheet, notes)


class DeckAnalyzer:
    """The real analysis, with the slow song slowed down and the stuck one held."""

    def __init__(self):
        self.stop = threading.Event()  # set at the end: nothing left holding a thread
        self.stuck_s = STUCK_S

    def __call__(self, path, *, settings, progress=None, should_cancel=None):
        from core.errors import AnalysisCancelled
        from gui.engine import default_analyze

        name = os.path.basename(path)
        if " slow" in name:
            steps = 30
            for i in range(steps):
                if (should_cancel is not None and should_cancel()) or self.stop.is_set():
                    raise AnalysisCancelled(path)
                time.sleep(SLOW_S / steps)
                if progress is not None:
                    progress(i + 1, steps + 1, 3.0)
        elif " stuck" in name:
            self.stop.wait(self.stuck_s)  # a decoder that does not look at its cancel flag
        return default_analyze(path, settings=settings, progress=progress,
                               should_cancel=should_cancel)


#: The deck's analyzer on the cluster: the tasks run in the cluster's worker threads of this
#: process (``processes=False``), so they share it; its stop is renewed for every seed once
#: the cluster runs nothing of the last one.
CLUSTER_DECK = DeckAnalyzer()


def cluster_analyze(path, *, settings, progress=None, should_cancel=None):
    """:class:`DeckAnalyzer` for the cluster's workers (a module-level function: Dask
    sends functions by reference)."""
    return CLUSTER_DECK(path, settings=settings, progress=progress,
                        should_cancel=should_cancel)


def hold_a_thread(seconds: float) -> str:
    """A task of another user of the cluster: holds a worker thread for ``seconds`` (the
    window's songs handed over meanwhile wait in the scheduler's queue)."""
    CLUSTER_DECK.stop.wait(seconds)
    return "held"


#: Scheduler task states of a song handed to the cluster that has not ended there.
_HANDED = ("released", "waiting", "queued", "no-worker", "processing")


def cluster_songs(cluster) -> dict[str, str]:
    """``{task key: where}`` of the songs the cluster holds and has not ended: in the
    scheduler (its task state) or running in a worker thread (``"thread"``: a task whose
    future was cancelled is forgotten by the scheduler while its thread goes on).  Read in
    this process: a LocalCluster's scheduler and in-process workers live here."""
    out = {str(k): ts.state for k, ts in list(cluster.scheduler.tasks.items())
           if str(k).startswith("songcal-") and ts.state in _HANDED}
    for worker in list(cluster.workers.values()):
        for key in list(getattr(worker, "active_threads", {}).values()):
            if str(key).startswith("songcal-"):
                out[str(key)] = "thread"
    return out


def live_workers(cluster) -> set[str]:
    """``host:port`` of the cluster's workers the scheduler knows now."""
    return {a.split("://", 1)[-1] for a in list(cluster.scheduler.workers)}


def cluster_idle(cluster, qtbot, timeout_s) -> dict[str, str]:
    """Wait up to ``timeout_s`` until the cluster holds no song; returns those it still
    holds."""
    deadline = time.monotonic() + timeout_s
    while True:
        left = cluster_songs(cluster)
        if not left or time.monotonic() > deadline:
            return left
        qtbot.wait(50)


# -- what the driver watches --------------------------------------------------------------
class Problems(logging.Handler):
    """Log records and thread exceptions that mean a bug."""

    CRASH_WORDS = ("crashed", "Traceback", "scan of")

    def __init__(self):
        super().__init__(logging.WARNING)
        self.found: list[str] = []
        self.errors: list[str] = []

    def emit(self, record):
        text = record.getMessage()
        if record.exc_info or any(w in text for w in self.CRASH_WORDS):
            self.found.append(f"log {record.name}: {text[:2000]}")
        elif record.levelno >= logging.ERROR:
            self.errors.append(f"{record.name}: {text[:300]}")


class GapMeter:
    """The longest gap between ticks of a 10 ms timer in the GUI thread.

    A gap is laid at the door of every step that ran during it: the step under way at the
    tick before it and any started since (an action runs outside the event loop, so its own
    time shows at the first tick of the next wait, which may belong to the next step when
    the wait was 0 ms).  A gap a quit and restart had a part in is left out (a window is
    built).
    """

    def __init__(self):
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.last = time.perf_counter()
        self.longest = 0.0
        self.where = ""
        self._steps = [""]  # the steps under way since the last tick
        self.timer.start()

    @property
    def step(self) -> str:
        return self._steps[-1]

    @step.setter
    def step(self, name: str) -> None:
        self._steps.append(name)

    def _tick(self):
        now = time.perf_counter()
        gap = now - self.last
        if gap > self.longest and not any(s.endswith("restart") for s in self._steps):
            self.longest, self.where = gap, " + ".join(s for s in self._steps if s)
        self._steps = [self._steps[-1]]
        self.last = now

    def stop(self):
        self.timer.stop()


class Fuzz:
    """One seeded session on one window (replaced when the session quits and restarts)."""

    def __init__(self, seed, qtbot, make_window, tmp_path, monkeypatch,  # noqa: F811
                 cluster=None):
        self.seed = seed
        #: ``(LocalCluster, Client)`` the window's engine runs on (``--cluster``), or None.
        self.cluster = cluster
        self.done_futures: dict = {}  # (tag, job, attempt) -> when its future was seen done
        self.seen: Counter = Counter()  # cluster states met at the checks, songs handed over
        self.hogs: list = []  # futures of the tasks of "another user" of the cluster
        self.rng = random.Random(seed)
        self.qtbot = qtbot
        self.make_window = make_window
        self.tmp = str(tmp_path)
        self.deck = make_deck(self.tmp, self.rng)
        self.out = os.path.join(self.tmp, "out")
        os.makedirs(self.out)
        self.analyzer = DeckAnalyzer()
        self.use_store = self.rng.random() < 0.7
        self.db = os.path.join(self.tmp, "store.sqlite")
        self.log: list[str] = []
        self.answer = None  # what the next file dialog answers
        self.exports: list[dict] = []  # asked for, with what they must hold
        self.removed = 0  # songs taken out by Remove from List so far
        self.profiles: list[str] = []
        self.modals: list[str] = []
        self.windows = 0
        self._patch_dialogs(monkeypatch)
        if cluster is not None:
            self._patch_cluster(monkeypatch)
            # On the cluster the stuck song may hold its worker thread for longer: the
            # window gives up on it, and Dask's thread stays busy until it returns.
            CLUSTER_DECK.stuck_s = self.rng.choice((STUCK_S, 3.0, 8.0))
            # Half the seeds wait 2 s (not 60) for a worker thread when every one is held
            # by songs given up on, then fail the songs left; the workers are looked at
            # twice a second.
            import core.batch.cluster
            import gui.cluster_slots

            self.no_worker_wait_s = self.rng.choice((2.0, core.batch.cluster.NO_WORKER_WAIT_S))
            monkeypatch.setattr(core.batch.cluster, "NO_WORKER_WAIT_S", self.no_worker_wait_s)
            monkeypatch.setattr(gui.cluster_slots, "_REFRESH_S", 0.5)
        # A list restored at a start comes back a few songs per turn of the event loop,
        # as a list of thousands does, so that actions meet it half restored.
        from gui.engine_list import EngineListMixin

        self.restore_slice = self.rng.choice((1, 2, 3, 5, 2000))
        monkeypatch.setattr(EngineListMixin, "RESTORE_SLICE", self.restore_slice)
        self.mid_restore = ""  # the action taken while the last list came back
        self.settings = self._random_settings()
        self.w = None
        self._open_window()

    # -- dialogs answered by the seed ---------------------------------------------------------
    def _patch_dialogs(self, mp):
        from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox

        import gui.main_window

        fuzz = self
        mp.setattr(QFileDialog, "getOpenFileNames",
                   staticmethod(lambda *a, **k: (list(fuzz.answer or []), "")))
        mp.setattr(QFileDialog, "getOpenFileName",
                   staticmethod(lambda *a, **k: (fuzz.answer or "", "")))
        mp.setattr(QFileDialog, "getSaveFileName",
                   staticmethod(lambda *a, **k: (fuzz.answer or "", "")))
        mp.setattr(QFileDialog, "getExistingDirectory",
                   staticmethod(lambda *a, **k: fuzz.answer or ""))
        mp.setattr(QInputDialog, "getItem",
                   staticmethod(lambda _p, _t, _l, items, *a, **k:
                                (fuzz.rng.choice(items), True)))

        def modal(self, *a, **k):
            fuzz.modals.append(type(self).__name__)
            return 0

        mp.setattr(QDialog, "exec", modal)
        mp.setattr(QMessageBox, "exec", modal)
        for name in ("question", "warning", "information", "critical"):
            mp.setattr(QMessageBox, name, staticmethod(
                lambda *a, _n=name, **k: fuzz.modals.append(_n)
                or QMessageBox.StandardButton.No))

        base = gui.main_window.SettingsDialog

        class Settings(base):
            def exec(self):
                s = fuzz._random_settings()
                self.workers.setValue(s.workers)
                self.budget_base.setValue(s.budget_base_s)
                self.budget_factor.setValue(s.budget_factor)
                self.hard_limit.setValue(s.hard_limit_factor)
                if fuzz.cluster is not None:  # where songs run: mostly the cluster
                    self.cluster.setText(fuzz._random_engine())
                if fuzz.rng.random() >= 0.85:
                    return 0
                if fuzz.cluster is not None:
                    self.accept()  # (remembers the engine chosen, as OK does)
                return 1

        mp.setattr(gui.main_window, "SettingsDialog", Settings)

    def _random_engine(self) -> str:
        """What the settings say songs run on: a local cluster of the workers asked for
        (``local``) or of two (``local:2``), or this computer (empty)."""
        return self.rng.choice(("local:2", "local:2", "local", "local", ""))

    def _patch_cluster(self, mp):
        """The settings choose the engine as the app's do (:func:`gui.settings_dialog.
        cluster_choice`); a local cluster they name is the fuzz's LocalCluster, reached
        through its client with the deck's analyzer (the window's own would start worker
        processes)."""
        from PySide6.QtCore import QSettings

        from gui.cluster_control import ClusterControl
        from gui.settings_dialog import CLUSTER_KEY

        QSettings().setValue(CLUSTER_KEY, "local:2")
        fuzz, set_cluster = self, ClusterControl.set_cluster

        def on_the_fuzz_cluster(eng, spec, **options):
            if spec is not None and spec.address is None and not options:
                options = {"client": fuzz.cluster[1], "analyze": cluster_analyze}
            return set_cluster(eng, spec, **options)

        mp.setattr(ClusterControl, "set_cluster", on_the_fuzz_cluster)
        from core.batch.cluster import ClusterConnection

        submit = ClusterConnection.submit

        def counted(conn, *a, **k):
            fuzz.seen["handed over"] += 1
            return submit(conn, *a, **k)

        mp.setattr(ClusterConnection, "submit", counted)

    def _random_settings(self):
        from core.settings import AnalysisSettings

        r = self.rng
        return AnalysisSettings(workers=r.choice((1, 2, 2, 3)),
                                budget_base_s=r.choice((0.5, 1.0, 2.0, 30.0)),
                                budget_factor=r.choice((0.0, 0.0, 0.5)),
                                hard_limit_factor=r.choice((2.0, 3.0, 10.0)))

    # -- the window -----------------------------------------------------------------------
    def _open_window(self):
        store = None
        if self.use_store:
            from core.batch.store import ResultStore

            store = ResultStore(self.db)
        w = self.make_window(self.settings, self.analyzer, store=store)
        w.shutdown_timeout_ms = 5000
        w._confirm = lambda *a: self.rng.random() < 0.8
        if self.cluster is not None:  # (as gui.app does at a start)
            from gui.settings_dialog import cluster_choice

            w.engine.set_cluster(cluster_choice(workers=self.settings.workers))
            eng = w.engine
            eng.signals.clusterGaveUp.connect(lambda _why: self.seen.update(["gave up"]))
            eng.clusterFailed.connect(lambda _why: self.seen.update(["cluster failed"]))
            eng.timedOut.connect(lambda _id, eng=eng: self.seen.update(
                ["timed out on the cluster" if eng._on_cluster() else "timed out here"]))
        w.exported.connect(lambda path, error: self._on_exported("results", path, error))
        w.calibration.exported.connect(
            lambda paths: self._on_exported("calibration", paths, ""))
        w.calibration.failed.connect(lambda msg: self._on_cal_failed(msg))
        self.w = w
        self.windows += 1
        self.mid_restore = ""
        if self.use_store and self.windows > 1:
            back = []
            w.library.restored.connect(back.append)
            with self.qtbot.waitSignal(w.library.restored, timeout=10_000):
                assert w.restore_library()
                if self.rng.random() < 0.5:
                    self._act_mid_restore(back)

    MID_RESTORE = ("clear", "undo", "new_session", "add_folder", "add_files", "start",
                   "retry", "sort", "filter_text", "sorted_rows", "export_results")

    def _act_mid_restore(self, back):
        """Act while the last list is coming back (its first slice is in), or once it
        is back when it came in one slice or held no song."""
        w = self.w
        self.qtbot.waitUntil(lambda: bool(w.engine.restoring or back), timeout=10_000)
        restoring = w.engine.restoring
        name = self.rng.choice(self.MID_RESTORE)
        said = getattr(self, f"act_{name}")()
        self.mid_restore = (f"{name}: {said} (restoring {restoring}, "
                            f"{len(self.w.engine.batch.jobs)} songs)")
        self.log.append(f"   mid-restore {self.mid_restore}")
        if VERBOSE:
            print(f"   mid-restore {self.mid_restore}")
        self.check()

    # -- the actions --------------------------------------------------------------------------
    def _trigger(self, action) -> str:
        if not action.isEnabled():
            return "disabled"
        action.trigger()
        return "ok"

    def _some_paths(self):
        d, r = self.deck, self.rng
        pool = d.songs + [d.notes, os.path.join(d.folder, "missing.wav")]
        return r.sample(pool, r.randint(1, 4))

    def act_add_files(self):
        self.answer = self._some_paths()
        self.w.add_files_action.trigger()
        return ", ".join(os.path.basename(p) for p in self.answer)

    def act_add_folder(self):
        self.answer = self.rng.choice((self.deck.folder, self.deck.folder, self.deck.sub))
        self.w.add_folder_action.trigger()
        return os.path.basename(self.answer)

    def act_drop(self):
        r = self.rng
        paths = r.choice(([self.deck.folder], self._some_paths()))
        if r.random() < 0.4:
            paths = paths + [self.deck.sheet]
        drop_paths(self.w, paths)
        return ", ".join(os.path.basename(p) for p in paths)

    def act_start(self):
        return self._trigger(self.w.start_action)

    def act_pause(self):
        return self._trigger(self.w.pause_action)

    def act_cancel(self):
        return self._trigger(self.w.cancel_action)

    def act_retry(self):
        return self._trigger(self.w.retry_action)

    def act_force(self):
        return self._trigger(self.w.force_action)

    def act_select(self):
        from PySide6.QtCore import QItemSelection, QItemSelectionModel

        w, r = self.w, self.rng
        n = w.proxy.rowCount()
        if not n:
            return "empty"
        rows = sorted(r.sample(range(n), r.randint(1, min(n, 3))))
        sel = QItemSelection()
        for row in rows:
            sel.select(w.proxy.index(row, 0), w.proxy.index(row, w.proxy.columnCount() - 1))
        w.table.selectionModel().select(sel, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        return f"rows {rows}"

    def act_again_selected(self):
        from core.batch.rules import TERMINAL_STATES

        w = self.w
        ids = w.table.selected_job_ids()
        jobs = w.engine.batch.jobs
        if not any(i is not None and i < len(jobs) and jobs[i].state in TERMINAL_STATES
                   for i in ids):
            return "nothing ended selected"
        w.table.retryRequested.emit(ids)  # the context menu's Analyze again
        return f"ids {ids}"

    def act_skip_selected(self):
        from core.batch.rules import TERMINAL_STATES

        w = self.w
        ids = w.table.selected_job_ids()
        jobs = w.engine.batch.jobs
        if not any(i is not None and i < len(jobs) and jobs[i].state not in TERMINAL_STATES
                   for i in ids):
            return "nothing to skip selected"
        w.table.skipRequested.emit(ids)  # the context menu's Skip
        return f"ids {ids}"

    def act_remove_selected(self):
        """Select rows as shown, Remove from List (Delete), and check that exactly those
        songs left and the others kept their order."""
        w = self.w
        picked = self._select_shown(4)
        if not picked:
            return "nothing to select"
        before = list(w.engine.batch.jobs)
        if not w.remove_action.isEnabled():
            return "disabled"
        w.remove_action.trigger()
        after = w.engine.batch.jobs
        if len(after) == len(before):  # (the question was answered no)
            return f"kept {len(picked)}"
        self.removed += len(before) - len(after)  # (an earlier export's rows may be more)
        gone = {id(j) for j in picked}
        if [j for j in before if id(j) not in gone] != list(after):
            self.problem(f"Remove from List of {[j.id for j in picked]} left "
                         f"{[j.path for j in after][:8]}")
        return f"removed {len(picked)} of {len(before)}"

    def _select_shown(self, n_max):
        """Select up to ``n_max`` random rows of the table as shown (sorted, filtered);
        returns the jobs those rows show, top to bottom."""
        from PySide6.QtCore import QItemSelection, QItemSelectionModel

        w, r = self.w, self.rng
        n = w.proxy.rowCount()
        if not n:
            return []
        rows = sorted(r.sample(range(n), r.randint(1, min(n, n_max))))
        sel = QItemSelection()
        last = w.proxy.columnCount() - 1
        for row in rows:
            sel.select(w.proxy.index(row, 0), w.proxy.index(row, last))
        w.table.selectionModel().select(sel, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        return [w.model.job(w.proxy.mapToSource(w.proxy.index(row, 0)).row()) for row in rows]

    def act_sorted_rows(self):
        """Sort (and maybe filter), select rows, act on them through the table's menu or
        the window's actions, and check that the action reached the songs shown at those
        rows and no other."""
        from core.batch.jobs import SongState
        from core.batch.rules import TERMINAL_STATES
        from gui.song_columns import COL_TITLE

        w, r = self.w, self.rng
        said = []
        if r.random() < 0.8:
            said.append(f"sort {self.act_sort()}")
        if r.random() < 0.3:
            said.append(f"filter {self.act_filter_text()}")
        if not w.proxy.rowCount() and r.random() < 0.7:
            w.search.setText("")
            w.filter_combo.setCurrentIndex(0)
            said.append("filters off")
        what = r.choice(("retry", "skip", "chunks", "copy", "checked"))
        shown = self._select_shown(1 if what == "chunks" else 4)
        if not shown:
            return "; ".join(said + ["empty"])
        ids = w.table.selected_job_ids()
        if ids != [j.id for j in shown]:
            self.problem(f"selected ids {ids}, the rows show {[j.id for j in shown]}")
        jobs = list(w.engine.batch.jobs)
        before = {j.id: (j.state, j.result,
                         j.result.user_checked if j.result is not None else None) for j in jobs}
        others = [j for j in jobs if j.id not in set(ids)]
        said.append(f"{what} ids {ids}")
        if what == "retry":
            w.table.retryRequested.emit(ids)  # the context menu's Analyze again
            for j in shown:
                if before[j.id][0] in TERMINAL_STATES and j.state in TERMINAL_STATES \
                        and j.result is before[j.id][1]:
                    self.problem(f"Analyze again on row of song {j.id}: still {j.state.value}")
            for j in others:
                if before[j.id][0] in TERMINAL_STATES and j.state not in TERMINAL_STATES:
                    self.problem(f"Analyze again on {ids} queued song {j.id} again")
        elif what == "skip":
            asked = w.engine.batch._clock()

            def skipped_now(j):
                return (j.outcome is SongState.SKIPPED and j.finished_at is not None
                        and j.finished_at >= asked)

            if r.random() < 0.5:
                w.table.skipRequested.emit(ids)  # the context menu's Skip
            else:
                w.skip_selected()
            answered = w.engine.batch._clock()
            for j in shown:
                # (a song may end where it runs between the look and the skip, its worker
                # taking the batch's lock just before the skip does: an end before the skip
                # returned is the worker's; one analyzed again keeps its earlier result,
                # done, its outcome skipped)
                ended = j.finished_at is not None and j.finished_at <= answered
                if before[j.id][0] not in TERMINAL_STATES and not ended and \
                        not skipped_now(j):
                    self.problem(f"Skip on row of song {j.id}: it is {j.state.value} (was "
                                 f"{before[j.id][0].value}, ended {j.finished_at} after the "
                                 f"skip at {asked}, outcome {j.outcome}, {j.error!r}, "
                                 f"attempt {j.attempt}, result from "
                                 f"{getattr(j.result, 'source', None)})")
            for j in others:
                if skipped_now(j):
                    self.problem(f"Skip on {ids} skipped song {j.id}")
        elif what == "chunks":
            j = shown[0]
            want = (j.result if j.state is SongState.DONE and j.result is not None
                    and j.result.chunk_results else None)
            shows = w.chunk_view._shown  # a result, or the message said instead
            if (shows is not want) if want is not None else not isinstance(shows, str):
                self.problem(f"chunk view of song {j.id} ({j.state.value}) shows "
                             f"{getattr(shows, 'path', shows)!r}")
        elif what == "copy":
            text = w.table.copy_selection()
            lines = text.rstrip("\n").split("\n")[1:]
            if len(lines) != len(shown):
                self.problem(f"copied {len(lines)} rows of {len(shown)}")
            for line, j in zip(lines, shown, strict=False):
                title = w.model.title_artist(j)[0].replace("\t", " ").replace("\n", " ")
                if line.split("\t")[COL_TITLE] != title:
                    self.problem(f"copied row {line!r} for song {j.id} ({title})")
        else:
            n = w.mark_checked()
            done = [j for j in shown if before[j.id][0] is SongState.DONE
                    and before[j.id][1] is not None]
            if bool(n) != bool(done):
                self.problem(f"Checked by ear on {ids}: {n} changed, {len(done)} done")
            for j in others:
                if j.result is not None and before[j.id][1] is not None and \
                        j.result.user_checked != before[j.id][2]:
                    self.problem(f"Checked by ear on {ids} changed song {j.id}")
        return "; ".join(said)

    def act_more_time_selected(self):
        return self._trigger(self.w.more_time_action)

    def act_banner(self):
        from PySide6.QtCore import Qt

        w = self.w
        w.banner.refresh()
        if w.banner.isHidden():
            return "no banner"
        button = self.rng.choice((w.banner.more_button, w.banner.skip_button,
                                  w.banner.hide_button))
        self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        return button.text()

    def _trigger_counting(self, action) -> str:
        """Trigger ``action``; the songs it takes off the list (Clear, or Redo of a removal)
        count as removed, so that an earlier export may hold more rows than the list now."""
        before = len(self.w.engine.batch.jobs)
        out = self._trigger(action)
        self.removed += max(0, before - len(self.w.engine.batch.jobs))
        return out

    def act_clear(self):
        return self._trigger_counting(self.w.clear_action)

    def act_undo(self):
        return self._trigger_counting(self.w.undo_action)

    def act_redo(self):
        return self._trigger_counting(self.w.redo_action)

    def act_new_session(self):
        return self._trigger(self.w.new_session_action)

    def act_sort(self):
        from PySide6.QtCore import Qt

        from gui.song_columns import FIRST_REFERENCE_COL

        w = self.w
        n = w.proxy.columnCount()
        if n > FIRST_REFERENCE_COL and self.rng.random() < 0.4:  # a reference column
            col = self.rng.randrange(FIRST_REFERENCE_COL, n)
        else:
            col = self.rng.randrange(n)
        order = self.rng.choice((Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder))
        w.table.sortByColumn(col, order)
        return f"column {col} {order.name}"

    def act_filter_text(self):
        text = self.rng.choice(("", "", "song", "Slow", "00", "zzz", "broken", "a"))
        self.w.search.setText(text)
        return repr(text)

    def act_filter_state(self):
        combo = self.w.filter_combo
        i = self.rng.randrange(combo.count())
        combo.setCurrentIndex(i)
        return combo.currentText()

    def act_settings(self):
        self.w.settings_action.trigger()
        s = self.w.engine.settings
        eng = self.w.engine
        spec = eng._next_cluster[0] if eng._next_cluster else eng.cluster_spec
        return (f"workers {s.workers}, budget {s.budget_base_s}+{s.budget_factor}/s, "
                f"limit x{s.hard_limit_factor}"
                + (f", on {spec.describe() if spec else 'this computer'}"
                   if self.cluster is not None else ""))

    def act_load_reference(self):
        """Load the sheet, or one naming the same songs with their tempo only (its
        reference columns replace the full sheet's, a sort by one of them included)."""
        narrow = os.path.join(self.tmp, "reference_bpm.csv")
        if not os.path.exists(narrow):
            with open(self.deck.sheet, newline="", encoding="utf-8") as f:
                rows = list(csv.reader(f))
            with open(narrow, "w", newline="", encoding="utf-8") as f:
                csv.writer(f).writerows(row[:3] for row in rows)
        self.answer = self.rng.choice((self.deck.sheet, self.deck.sheet, narrow))
        said = self._trigger(self.w.load_reference_action)
        return f"{os.path.basename(self.answer)}: {said}"

    def act_fit(self):
        return self._trigger(self.w.fit_action)

    def act_apply_profile(self):
        w = self.w
        if not w.apply_profile_action.isEnabled():
            return "disabled"
        bad = os.path.join(self.tmp, "not_a_profile.json")
        if not os.path.exists(bad):
            with open(bad, "w") as f:
                f.write("{not json")
        self.answer = self.rng.choice(self.profiles + [bad])
        w.apply_profile_action.trigger()
        return os.path.basename(self.answer)

    def _export_path(self, name):
        return os.path.join(self.out, f"{len(self.exports):03d}_{name}")

    def act_export_results(self):
        w = self.w
        if not w.export_action.isEnabled():
            return "disabled"
        self.answer = self._export_path("results.csv")
        self.exports.append({"kind": "results", "path": self.answer, "batch": w.engine.batch,
                             "n_min": len(w.engine.batch.jobs), "removed": self.removed,
                             "done": None})
        w.export_action.trigger()
        return os.path.basename(self.answer)

    def act_export_chunks(self):
        w = self.w
        if not w.export_chunks_action.isEnabled():
            return "disabled"
        self.answer = self._export_path("chunks.csv")
        if any(j.result is not None and j.result.chunk_results for j in w.engine.batch.jobs):
            self.exports.append({"kind": "chunks", "path": self.answer, "done": None})
        w.export_chunks_action.trigger()
        return os.path.basename(self.answer)

    def act_export_calibration(self):
        w = self.w
        if not w.export_calibration_action.isEnabled():
            return "disabled"
        folder = self._export_path("cal")
        os.makedirs(folder)
        self.answer = folder
        self.exports.append({"kind": "calibration", "path": folder, "done": None})
        w.export_calibration_action.trigger()
        return os.path.basename(folder)

    def act_tab(self):
        i = self.rng.randrange(self.w.bottom_tabs.count())
        self.w.bottom_tabs.setCurrentIndex(i)
        return self.w.bottom_tabs.tabText(i)

    def act_correct(self):
        w, r = self.w, self.rng
        what = r.choice(("double", "half", "checked", "clear", "key", "tempo"))
        if what == "double":
            return self._trigger(w.bpm_double_action)
        if what == "half":
            return self._trigger(w.bpm_half_action)
        if what == "checked":
            return self._trigger(w.checked_action)
        if what == "clear":
            return self._trigger(w.clear_correction_action)
        if what == "key":
            return f"key: {self._trigger(w.key_action)}"
        return f"tempo {w.set_tempo(r.choice((None, 60.0, 128.5)))}"

    def act_paint(self):
        self.w.grab()
        return "painted"

    def act_open_list(self):
        """File > Open Earlier List: a list the store keeps (one left by a New Session, a
        Clear or an earlier window) opened in place of the list shown; it comes back with
        the songs the store holds for it, in order."""
        w = self.w
        if not w.open_list_action.isEnabled():
            return "disabled"
        lists = [e for e in w.store.list_libraries() or ()
                 if e["songs"] and not e["mine"] and not e["held"]]
        if not lists:
            return "no earlier list"
        entry = self.rng.choice(lists)
        kept = w.store._read_library(entry["id"])["paths"]
        ended = []
        w.library.restored.connect(ended.append)
        w.library.openFailed.connect(ended.append)
        try:
            assert w.open_list(entry["id"])
            self.qtbot.waitUntil(lambda: bool(ended), timeout=10_000)
        finally:
            w.library.restored.disconnect(ended.append)
            w.library.openFailed.disconnect(ended.append)
        if isinstance(ended[0], str):
            self.problem(f"list {entry['id']} could not be opened: {ended[0]}")
        shown = [j.path for j in w.engine.batch.jobs]
        if shown != kept:
            self.problem(f"list {entry['id']} opened with {len(shown)} songs {shown[:8]}, "
                         f"the store holds {len(kept)} {kept[:8]}")
        return f"list {entry['id']} of {len(kept)} songs"

    def act_restart(self):
        """Quit (mid-run or not) and start the window again on the same store."""
        from core.batch.jobs import SongState

        w = self.w
        running = w.engine.is_running
        before = [(j.path, j.state, j.result if j.state is SongState.DONE else None)
                  for j in w.engine.batch.jobs]
        w.close()
        stuck = w.stuck_workers
        for e in self.exports:
            if e["done"] is None:
                e["done"] = "quit"  # asked just before the quit: dropped with the window
        self._open_window()
        if self.use_store and not stuck:
            self._check_restored(before)
        return f"was running: {running}, stuck workers: {stuck}"

    def _check_restored(self, before):
        """The list comes back as it was left: its songs in order, the done ones done with
        the values they had, the user's corrections too."""
        from core.batch.jobs import SongState

        jobs = self.w.engine.batch.jobs
        mid = self.mid_restore.split(":")[0]
        if mid in ("clear", "undo", "new_session"):
            return  # the list cleared or put back as it was before the restart (empty)
        if mid:  # songs added meanwhile come after the restored ones
            jobs = jobs[:len(before)]
        if mid in ("start", "retry", "sorted_rows"):
            before = [(p, s, None) for p, s, _r in before]  # may be queued again
        if [p for p, _s, _r in before] != [j.path for j in jobs]:
            self.problem(f"the list came back as {[j.path for j in jobs]}, "
                         f"left as {[p for p, _s, _r in before]}")
        for (path, _state, r), job in zip(before, jobs, strict=True):
            if r is None:
                continue
            got = job.result if job.state is SongState.DONE else None
            fields = ("bpm", "key", "bpm_user", "key_user", "user_checked")
            if got is None or any(getattr(got, f) != getattr(r, f) for f in fields):
                self.problem(f"{os.path.basename(path)} was done with "
                             f"{[getattr(r, f) for f in fields]}, came back "
                             f"{job.state.value} with "
                             f"{[getattr(got, f) for f in fields] if got else None}")

    def act_resume_banner(self):
        from PySide6.QtCore import Qt

        rb = self.w.resume_banner
        if rb.isHidden():
            return "no banner"
        button = self.rng.choice([b for b in rb.findChildren(type(self.w.banner.skip_button))
                                  if b.isVisible()] or [None])
        if button is None:
            return "no button"
        self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        return button.text()

    def act_export_over_song(self):
        """Export the results onto a song of the list: refused, the song left as it was."""
        w = self.w
        if not w.export_action.isEnabled():
            return "disabled"
        listed = [j.path for j in w.engine.batch.jobs if os.path.isfile(j.path)]
        if not listed:
            return "no song file listed"
        target = self.rng.choice(listed)
        with open(target, "rb") as f:
            data = f.read()
        self.answer = target
        self.exports.append({"kind": "refused", "path": target, "bytes": data, "done": None})
        w.export_action.trigger()
        return os.path.basename(target)

    def act_touch_song(self):
        """Render another mix under a song's name (its content changes)."""
        d = self.deck
        path = self.rng.choice(d.songs[:6])
        self.touched = getattr(self, "touched", set()) | {path}
        write_click_wav(path, bpm=self.rng.uniform(80, 160), seconds=self.rng.uniform(2, 4),
                        seed=self.rng.randrange(1000))
        return os.path.basename(path)

    def act_keys(self):
        from PySide6.QtGui import QKeySequence
        from PySide6.QtTest import QTest

        w = self.w
        seq = self.rng.choice(("F5", "F6", "Shift+F5", "Ctrl+Shift+R", "Ctrl+1", "Ctrl+2",
                               "Ctrl+3", "Ctrl+4", "Ctrl+5", "Ctrl+Z", "Ctrl+T", "Ctrl+A",
                               "Ctrl+C", "Ctrl+F", "Ctrl+Shift+F", "Ctrl+K", "Escape"))
        combo = QKeySequence(seq)[0]
        w.activateWindow()
        QTest.keyClick(w.focusWidget() or w, combo.key(), combo.keyboardModifiers())
        return seq

    def act_tempo_range(self):
        from core.settings import TEMPO_FLOORS

        floor = self.rng.choice(TEMPO_FLOORS)
        self.w.use_tempo_range(floor)
        return f"{floor:g}"

    def act_match(self):
        w = self.w
        if not w.matches_action.isEnabled():
            return "disabled"
        dlg = w.open_match_dialog()
        r = self.rng
        dlg.refresh()
        if dlg.pair_list.count() and r.random() < 0.5:
            dlg.pair_list.setCurrentRow(r.randrange(dlg.pair_list.count()))
            return f"unpair {dlg.unpair_selected()}"
        if dlg.song_list.count() and dlg.row_list.count():
            dlg.song_list.setCurrentRow(r.randrange(dlg.song_list.count()))
            dlg.row_list.setCurrentRow(r.randrange(dlg.row_list.count()))
            return f"pair {dlg.pair_selected()}"
        return "nothing to pair"

    def act_hog(self):
        """Another user of the cluster takes a worker thread for a while."""
        if self.cluster is None:
            return "no cluster"
        seconds = self.rng.choice((0.5, 1.0, 2.0, 4.0))
        self.hogs.append(self.cluster[1].submit(hold_a_thread, seconds, pure=False))
        return f"{seconds:g} s"

    def act_export_checked(self):
        w = self.w
        if not w.export_checked_action.isEnabled():
            return "disabled"
        self.answer = self._export_path("checked.csv")
        if any(j.result is not None and j.result.has_user_values for j in w.engine.batch.jobs):
            self.exports.append({"kind": "checked", "path": self.answer, "done": None})
        w.export_checked_action.trigger()
        return os.path.basename(self.answer)

    ACTIONS = {
        "add_files": 6, "add_folder": 5, "drop": 4, "start": 10, "pause": 5, "cancel": 4,
        "retry": 4, "force": 2, "select": 8, "again_selected": 4, "skip_selected": 3,
        "more_time_selected": 2, "banner": 4, "clear": 2, "undo": 2, "new_session": 1,
        "sort": 4, "filter_text": 3, "filter_state": 3, "settings": 3, "load_reference": 3,
        "fit": 3, "apply_profile": 2, "export_results": 3, "export_chunks": 2,
        "export_calibration": 2, "tab": 4, "correct": 4, "paint": 2, "restart": 2,
        "resume_banner": 2, "export_over_song": 1, "touch_song": 1, "keys": 5,
        "sorted_rows": 8,
        "tempo_range": 1, "match": 2, "export_checked": 1, "remove_selected": 3, "redo": 2,
        "open_list": 2,
    }
    #: Added to the weights with ``--cluster``: another user of the cluster, and more of
    #: what hands songs over or gives up on them while they run there.
    CLUSTER_ACTIONS = {"hog": 4, "start": 6, "force": 2, "retry": 2, "skip_selected": 2,
                       "banner": 2, "clear": 2, "undo": 2, "new_session": 1,
                       "remove_selected": 2}

    # -- what must hold ----------------------------------------------------------------------
    def _on_exported(self, kind, what, error):
        path = what if kind == "results" else next(iter(what.values()), "")
        for e in self.exports:  # (one asked just before a quit may report after it)
            if e["done"] in (None, "quit") and (e["path"] == path or (
                    kind == "calibration" and e["kind"] == "calibration"
                    and os.path.dirname(path).startswith(e["path"]))):
                e["done"] = error or "ok"
                e["written"] = what
                return
        if kind == "results" and error:
            return  # an export refused before it was listed: said in the status bar
        self.problem(f"an export reported that nobody asked for: {kind} {what!r} {error!r}")

    def _on_cal_failed(self, msg):
        for e in self.exports:
            if e["kind"] == "calibration" and e["done"] is None and (
                    e["path"] in msg or msg.startswith("Cannot export")):
                e["done"] = f"failed: {msg}"
                return

    def problem(self, text):
        raise AssertionError(f"seed {self.seed}: {text}\n" + "\n".join(self.log[-15:]))

    def check(self):
        from PySide6.QtCore import QModelIndex

        from core.batch.jobs import ACTIVE_STATES, SongState
        from core.batch.progress import QueuedTally, run_counts
        from gui.engine import EngineState
        from gui.song_columns import JOB_ID_ROLE, STATE_ROLE

        w = self.w
        eng = w.engine
        b = eng.batch
        with b._lock:
            jobs = list(b.jobs)
            if [j.id for j in jobs] != list(range(len(jobs))):
                self.problem("job ids are not their places")
            counts = b.counts()
            recount = Counter(j.state for j in jobs)
            if counts != {s: recount.get(s, 0) for s in SongState}:
                self.problem(f"counts {counts} != recount {dict(recount)}")
            active = {j.id for j in jobs if j.state in ACTIVE_STATES}
            if set(b._active) != active:
                self.problem(f"running songs {sorted(b._active)} != {sorted(active)}")
            q = QueuedTally.of(jobs)
            if (b._queued.n, b._queued.known_n) != (q.n, q.known_n) or \
                    abs(b._queued.known_s - q.known_s) > 1e-6:
                self.problem(f"queue tally {b._queued} != {q}")
            queued = [j.id for j in jobs if j.state is SongState.QUEUED]
            if queued and b._first_queued > queued[0]:
                self.problem(f"first queued {b._first_queued} > {queued[0]}")
            rc = run_counts(jobs, b._run)
            if b.run_counts() != rc:
                self.problem(f"run counts {b.run_counts()} != recount {rc}")
        if w.model.rowCount() != len(jobs):
            self.problem(f"table rows {w.model.rowCount()} != songs {len(jobs)}")
        for job in jobs:  # the model's rows are the songs in the order sorted by
            r = w.model.row_of(job.id)
            if w.model.job(r) is not job:
                self.problem(f"row {r} of song {job.id} shows song {w.model.job(r).id}")
            # (a song handed to a cluster's scheduler, not started there, shows queued; a
            # worker may start or end a song between this look and the row's update, which
            # the window's thread makes when it next runs: the row is given that moment)
            if w.model.index(r, 0).data(STATE_ROLE) != job.status.value:
                self.qtbot.wait(50)
                r = w.model.row_of(job.id)
                shown, status = w.model.index(r, 0).data(STATE_ROLE), job.status.value
                if shown != status:
                    self.problem(f"row {r} shows {shown}, song is {status}")
        proxy = w.proxy
        if proxy.rowCount() > len(jobs):
            self.problem(f"proxy rows {proxy.rowCount()} > songs {len(jobs)}")
        if not proxy.filtering and proxy.rowCount() != len(jobs):
            self.problem(f"no filter, proxy rows {proxy.rowCount()} != songs {len(jobs)}")
        seen = set()
        for r in range(proxy.rowCount()):
            src = proxy.mapToSource(proxy.index(r, 0))
            if not src.isValid() or src.row() >= len(jobs):
                self.problem(f"proxy row {r} maps to {src.row()}")
            if proxy._identity and src.row() != r:
                self.problem(f"proxy says it is the identity, row {r} -> {src.row()}")
            jid = proxy.index(r, 0).data(JOB_ID_ROLE)
            if src.isValid() and src.row() < len(jobs) and jid != w.model.job(src.row()).id:
                self.problem(f"proxy row {r} names job {jid}, maps to row {src.row()} of "
                             f"job {w.model.job(src.row()).id}")
            seen.add(src.row())
        if len(seen) != proxy.rowCount():
            self.problem("proxy shows a song twice")
        ids = w.table.selected_job_ids()  # (kept between changes of the rows)
        shown = [proxy.index(r, 0).data(JOB_ID_ROLE) for r in w.table.selected_rows()]
        if ids != shown:
            self.problem(f"selected song ids {ids}, the selected rows show {shown}")
        if proxy.rowCount(QModelIndex()) and w.table.model() is not proxy:
            self.problem("table lost its model")
        if eng.state == EngineState.IDLE and active:
            self.problem(f"engine idle with songs running: {sorted(active)}")
        if self.cluster is not None:
            self.check_cluster()

    def check_cluster(self):
        """The cluster's invariants; what a thread of Dask's may be changing as they are
        read must still be wrong 0.3 s later."""
        issues = self.cluster_issues()
        if issues:
            time.sleep(0.3)
            issues = self.cluster_issues(again=True)
        if issues:
            self.problem("; ".join(issues))

    def cluster_issues(self, again=False) -> list[str]:
        """On the cluster: every running song is held by a worker slot, waits in the
        scheduler's queue exactly while its task has not started on a worker, and is not
        running any more once its Dask future has finished (a few seconds allowed: the
        client settles futures one after another); the slots and the worker panel name the
        cluster's workers and no other."""
        from core.batch.rules import ACTIVE_STATES
        from gui.cluster_slots import _tag

        eng = self.w.engine
        if not eng._on_cluster():
            return []
        slots, batch = eng.worker_slots, eng.batch
        tag, now, out = _tag(batch), time.monotonic(), []
        live = live_workers(self.cluster[0])
        with slots._lock:
            held = {(r.job_id, r.attempt): r for s in slots.slots
                    if (r := s.record) is not None and r.batch is batch}
            names = [(s.name, getattr(s, "left", False)) for s in slots.slots]
        for job in list(batch.jobs):
            if job.state not in ACTIVE_STATES:
                continue
            rec = held.get((job.id, job.attempt))
            if rec is None:
                out.append(f"song {job.id} {job.state.value} (attempt {job.attempt}) is on "
                           f"no worker slot")
            elif job.waiting != (not rec.started_at):
                out.append(f"song {job.id} waiting {job.waiting}, its task "
                           f"{'started' if rec.started_at else 'not started'}")
            if not again:
                self.seen["songs queued in the scheduler" if job.waiting else
                          "songs running on a worker"] += 1
        # futures go by the song's key, not its place: places move on a removal
        by_key = {job.key: job for job in list(batch.jobs)}
        for key, future in list(slots._futures.items()):
            if not future.done():
                self.done_futures.pop(key, None)
                continue
            first = self.done_futures.setdefault(key, now)
            job = by_key.get(key[1]) if key[0] == tag else None
            if job is None:
                continue
            if job.attempt == key[2] and job.state in ACTIVE_STATES and \
                    now - first > FUTURE_GRACE_S:
                out.append(f"song {job.id} {job.state.value}, its Dask future "
                           f"{future.status} for {now - first:.1f} s")
        if not again and eng.abandoned:
            self.seen["songs given up on, still running"] += 1
        if {n.rsplit(" #", 1)[0] for n, left in names if not left} != live or any(
                left for _n, left in names):
            out.append(f"worker slots {names}, the cluster's workers {sorted(live)}")
        panel = self.w.workers.model_
        panel.refresh()
        for r in range(panel.rowCount()):
            name = panel.index(r, 0).data()
            if name.removesuffix(" (abandoned)").rsplit(" #", 1)[0] not in live:
                out.append(f"worker panel row {name!r}: not a worker of {sorted(live)}")
        return out

    def settle(self, timeout_s=END_WAIT_S):
        """End the run and wait for everything asked for to report."""
        from PySide6.QtWidgets import QApplication

        w = self.w
        deadline = time.monotonic() + timeout_s
        if w.engine.is_running:
            w.engine.cancel()
        while time.monotonic() < deadline and (w.engine.is_running or w.engine.is_scanning
                                               or w.calibration.busy
                                               or w.engine._tasks):
            self.qtbot.wait(50)
        if w.engine.is_running:
            self.problem(f"run did not end {timeout_s:.0f} s after cancel: "
                         f"{[(j.id, j.state.value) for j in w.engine.batch.jobs]}")
        if w.engine.is_scanning:
            self.problem("a scan never ended")
        if self.cluster is not None:
            self.settle_cluster()
        QApplication.processEvents()
        self.check()
        self.check_painted()
        if self.use_store:
            self.check_library()

    def settle_cluster(self):
        """Once the run has ended, every song handed to the cluster ends there (a song
        given up on runs on until it returns) and then no longer counts as holding a
        worker thread."""
        for f in self.hogs:
            f.cancel()
        left = cluster_idle(self.cluster[0], self.qtbot, END_WAIT_S)
        if left:
            self.problem(f"{END_WAIT_S:.0f} s after the run ended the cluster still holds "
                         f"{left}")
        eng = self.w.engine
        slots = eng.worker_slots
        # (a song let go before its start is followed until the workers are seen not to
        # hold its task, a second or two later)
        deadline = time.monotonic() + 5.0
        while (eng.abandoned or getattr(slots, "_records", None)) \
                and time.monotonic() < deadline:
            self.qtbot.wait(50)
        if eng.abandoned:
            self.problem(f"songs given up on still hold worker threads once the cluster "
                         f"ran none: {[(r.name, r.job_id) for r in eng.abandoned]}")
        if eng._on_cluster() and (slots._records or slots._futures or slots.in_flight):
            self.problem(f"the cluster ran nothing, the window still follows songs "
                         f"{sorted(slots._records)} (futures {sorted(slots._futures)}, "
                         f"{slots.in_flight} in flight)")

    def check_painted(self):
        """Once the run has ended and the rows were refreshed, every cell the table keeps
        for painting says what the song holds now."""
        from PySide6.QtWidgets import QApplication

        w = self.w
        w.engine.tick()
        QApplication.processEvents()
        w.grab()  # paints the rows in sight (their cells are kept)
        model, jobs = w.model, w.engine.batch.jobs
        for row, cells in list(model._cells.items()):
            if row >= len(jobs):
                self.problem(f"cells kept for row {row} of {len(jobs)}")
            for (col, role), kept in cells.items():
                if not isinstance(kept, str | int | float | type(None)):
                    continue
                now = model._value(jobs[row], col, role)
                if kept != now:
                    self.problem(f"row {row} column {col} role {role} shows {kept!r}, "
                                 f"the song holds {now!r}")

    def check_library(self):
        """The library in the store is the list shown: its songs in order, and the last
        result of every ended song (the engine is idle: everything was written)."""
        from core.batch.jobs import TERMINAL_STATES

        w = self.w
        jobs = w.engine.batch.jobs
        lib = w.store.last_library()
        paths = lib["paths"] if lib else []
        if paths != [j.path for j in jobs]:
            self.problem(f"the library holds {len(paths)} songs {paths[:8]}, the list "
                         f"{len(jobs)} {[j.path for j in jobs][:8]}")
        for j in jobs:
            if j.state in TERMINAL_STATES and j.result is not None:
                got = lib["results"].get(j.id)
                fields = ("status", "bpm", "key", "bpm_user", "key_user", "user_checked")
                if got is None or any(getattr(got, f) != getattr(j.result, f)
                                      for f in fields):
                    self.problem(f"library result of {j.id} "
                                 f"{[getattr(got, f) for f in fields] if got else None}, "
                                 f"shown {[getattr(j.result, f) for f in fields]}")


def check_csv(path, n_rows=None, *, n_min=None, n_max=None):
    with open(path, newline="", encoding="utf-8") as f:
        lines = [row for row in csv.reader(f) if row and not row[0].startswith("#")]
    assert lines, f"{path} is empty"
    header, rows = lines[0], lines[1:]
    bad = [i for i, row in enumerate(rows) if len(row) != len(header)]
    assert not bad, f"{path}: rows {bad[:5]} are not {len(header)} wide"
    if n_rows is not None:
        assert len(rows) == n_rows, f"{path}: {len(rows)} rows, expected {n_rows}"
    if n_min is not None:
        assert n_min <= len(rows) <= n_max, f"{path}: {len(rows)} rows, not {n_min}-{n_max}"
    return header, rows


def check_exports(fuzz: Fuzz):
    for e in fuzz.exports:
        if e["kind"] == "refused":
            with open(e["path"], "rb") as f:  # (unless the session rewrote it)
                if f.read() != e["bytes"] and e["path"] not in getattr(fuzz, "touched", ()):
                    fuzz.problem(f"an export wrote over the song {e['path']}")
            if e["done"] == "ok":
                fuzz.problem(f"an export onto the song {e['path']} was not refused")
            continue
        if e["done"] is None:
            fuzz.problem(f"export {e['kind']} to {e['path']} never reported")
        if e["done"] == "quit" and os.path.exists(e["path"]) and e["kind"] != "calibration":
            check_csv(e["path"])  # written anyway: whole
        if e["done"] != "ok":
            continue
        if e["kind"] == "results":
            # (songs removed from the list after the export were in it)
            check_csv(e["path"], n_min=e["n_min"],
                      n_max=len(e["batch"].jobs) + fuzz.removed - e["removed"])
        elif e["kind"] in ("chunks", "checked"):
            check_csv(e["path"])
        else:
            for path in e["written"].values():
                if path.endswith(".csv"):
                    check_csv(path)
                elif path.endswith(".json"):
                    with open(path, encoding="utf-8") as f:
                        json.load(f)


_started_up = []


def app_start_up():
    """What ``gui.app.run_gui`` does once per process when its window is built: freeze the
    start-up objects and import the analysis in the background (waited for here, before the
    gaps are measured).  Without it every full garbage collection walks the whole process
    and the first song imports the analysis, and the gaps measured are not the app's."""
    from gui import startup

    if not _started_up:
        _started_up.append(True)
        startup.freeze_long_lived()
        startup.preload_analysis().join(60)


def run_seed(seed, qtbot, make_window, tmp_path, monkeypatch, cluster=None):  # noqa: F811
    """Run one seeded session; returns ``(steps, longest event-loop gap s, its step, the
    fuzz)``.  ``cluster``: ``(LocalCluster, Client)`` to run the songs on, or None."""
    problems = Problems()
    root = logging.getLogger()
    root.addHandler(problems)
    old_level = root.level
    root.setLevel(logging.INFO)
    thread_errors = []
    old_hook = threading.excepthook
    threading.excepthook = lambda args: thread_errors.append(
        f"{args.thread}: {args.exc_type.__name__}: {args.exc_value}")
    gaps = None
    fuzz = None
    try:
        if cluster is not None:
            left = cluster_idle(cluster[0], qtbot, END_WAIT_S)
            if left:  # (a song deaf to its stop holds a thread of this process for good)
                raise AssertionError(f"seed {seed}: the last seed left {left} on the cluster")
            CLUSTER_DECK.stop = threading.Event()
            n = 1 if seed % 3 == 0 else CLUSTER_WORKERS
            cluster[0].scale(n)
            deadline = time.monotonic() + 60
            while len(cluster[0].scheduler.workers) != n and time.monotonic() < deadline:
                qtbot.wait(50)
        fuzz = Fuzz(seed, qtbot, make_window, tmp_path, monkeypatch, cluster)
        app_start_up()
        qtbot.wait(50)
        gaps = GapMeter()
        actions = Counter(Fuzz.ACTIONS)
        if cluster is not None:
            actions.update(Fuzz.CLUSTER_ACTIONS)
        names = list(actions)
        weights = [actions[n] for n in names]
        n_steps = fuzz.rng.randint(20, 60)
        for step in range(n_steps):
            name = fuzz.rng.choices(names, weights)[0]
            gaps.step = f"{step}:{name}"
            said = getattr(fuzz, f"act_{name}")()
            line = f"{step:2d} {name}: {said} [{fuzz.w.engine.state}, " \
                   f"{len(fuzz.w.engine.batch.jobs)} songs]"
            fuzz.log.append(line)
            if VERBOSE:
                print(line)
            qtbot.wait(fuzz.rng.choice((0, 0, 5, 20, 50, 100, 250, 600)))
            fuzz.check()
            if problems.found or thread_errors:
                fuzz.problem("; ".join(problems.found + thread_errors))
        gaps.step = "settle"
        fuzz.settle()
        check_exports(fuzz)
        if problems.found or thread_errors:
            fuzz.problem("; ".join(problems.found + thread_errors))
        return n_steps, gaps.longest, gaps.where, fuzz
    finally:
        if gaps is not None:
            gaps.stop()
        if fuzz is not None:
            fuzz.analyzer.stop.set()
        if cluster is not None:
            CLUSTER_DECK.stop.set()
        threading.excepthook = old_hook
        root.removeHandler(problems)
        root.setLevel(old_level)


@pytest.fixture(scope="module")
def fuzz_cluster():
    """With ``--cluster``: one Dask LocalCluster for every seed, its workers threads of this
    process (tcp addresses, as a cluster's workers have); else None."""
    if not CLUSTER:
        yield None
        return
    import distributed

    cluster = distributed.LocalCluster(n_workers=CLUSTER_WORKERS, threads_per_worker=1,
                                       processes=False, protocol="tcp://",
                                       dashboard_address=None, silence_logs=logging.ERROR,
                                       scheduler_kwargs={"dashboard": False})
    client = distributed.Client(cluster, timeout=30)
    try:
        yield cluster, client
    finally:
        client.close()
        cluster.close()


if CLUSTER:
    @pytest.fixture(autouse=True)
    def no_leaked_threads():  # noqa: F811
        """As the tests' check, the threads of Dask's client, scheduler and workers
        (``N-Dask-...``, an asyncio executor of the workers scaled) that live as long as the
        cluster left aside."""
        import re

        from tests.core.cluster_helpers import DASK_THREADS

        before = set(threading.enumerate())
        yield
        deadline = time.monotonic() + 5.0
        while True:
            leaked = [t.name for t in set(threading.enumerate()) - before if t.is_alive()
                      and not t.name.startswith((*DASK_THREADS, "asyncio_", "songcal-cpu-sampler"))
                      and not re.match(r"\d+-Dask-", t.name)]
            if not leaked or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert not leaked, f"test left threads running: {leaked}"


@pytest.mark.parametrize("seed", SEEDS)
def test_window_fuzz(seed, qtbot, make_window, tmp_path, monkeypatch,  # noqa: F811
                     fuzz_cluster):
    t0 = time.perf_counter()
    n, gap, where, fuzz = run_seed(seed, qtbot, make_window, tmp_path, monkeypatch,
                                   fuzz_cluster)
    done = Counter(e["done"] == "ok" for e in fuzz.exports)
    why = Counter(str(e["done"])[:60] for e in fuzz.exports if e["done"] != "ok")
    print(f"\nseed {seed}: {n} steps, {fuzz.windows} window(s), store {fuzz.use_store}, "
          f"{len(fuzz.exports)} exports ({done[True]} written{'; ' + str(dict(why)) if why else ''}), "
          f"longest event-loop gap {1000 * gap:.0f} ms at {where}, "
          f"modal dialogs {Counter(fuzz.modals) or 'none'}, "
          + (f"cluster of {len(fuzz_cluster[0].scheduler.workers)}: "
             f"{dict(fuzz.seen) or 'nothing handed over'}, " if fuzz_cluster else "")
          + f"{time.perf_counter() - t0:.1f} s")


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0-9", help="e.g. 0-49 or 3,7,11")
    parser.add_argument("--verbose", action="store_true", help="print every step")
    parser.add_argument("--cluster", action="store_true",
                        help="run the songs on a Dask LocalCluster (threads of this process)")
    args = parser.parse_args(argv)
    os.environ["SONGCAL_FUZZ_SEEDS"] = args.seeds
    if args.cluster:
        os.environ["SONGCAL_FUZZ_CLUSTER"] = "1"
    if args.verbose:
        os.environ["SONGCAL_FUZZ_VERBOSE"] = "1"
    return pytest.main(["-p", "no:cacheprovider", "-n", "0", "-q", "-s",
                        "--timeout", "600", os.path.abspath(__file__)])


if __name__ == "__main__":
    sys.exit(main())
