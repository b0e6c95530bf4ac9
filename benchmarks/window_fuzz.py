"""Random user sessions on the window: seeded sequences of what a user does, with the
window's invariants checked after every step.

Each seed writes a small deck (six songs of 2-4 s with a click and a tone, one in a
subfolder; a file that is not audio under an audio name; one song analyzed slowly, one that
ignores its cancel flag for a second) and a reference sheet naming the songs, opens the
window on a fresh session store (or none) and performs 20-60 actions picked by the seed:
add files and folders (again, too), drop them with the sheet, start, pause, resume, cancel,
retry, analyze again, force a fresh analysis, skip or give more time to the stalled song,
clear, undo, new session, sort, filter, change the settings mid-run, load the sheet (or one
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

Run from the repository root (``-s`` shows the per-seed lines)::

    QT_QPA_PLATFORM=offscreen python -m benchmarks.window_fuzz --seeds 0-49
    QT_QPA_PLATFORM=offscreen python -m benchmarks.window_fuzz --seeds 7 --verbose

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
            self.stop.wait(STUCK_S)  # a decoder that does not look at its cancel flag
        return default_analyze(path, settings=settings, progress=progress,
                               should_cancel=should_cancel)


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

    def __init__(self, seed, qtbot, make_window, tmp_path, monkeypatch):  # noqa: F811
        self.seed = seed
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
        self.profiles: list[str] = []
        self.modals: list[str] = []
        self.windows = 0
        self._patch_dialogs(monkeypatch)
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
                return 1 if fuzz.rng.random() < 0.85 else 0

        mp.setattr(gui.main_window, "SettingsDialog", Settings)

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
            if r.random() < 0.5:
                w.table.skipRequested.emit(ids)  # the context menu's Skip
            else:
                w.skip_selected()
            for j in shown:
                if before[j.id][0] not in TERMINAL_STATES and j.state is not SongState.SKIPPED:
                    self.problem(f"Skip on row of song {j.id}: it is {j.state.value}")
            for j in others:
                if j.state is SongState.SKIPPED and before[j.id][0] is not SongState.SKIPPED:
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

    def act_clear(self):
        return self._trigger(self.w.clear_action)

    def act_undo(self):
        return self._trigger(self.w.undo_action)

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
        return (f"workers {s.workers}, budget {s.budget_base_s}+{s.budget_factor}/s, "
                f"limit x{s.hard_limit_factor}")

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
                             "n_min": len(w.engine.batch.jobs), "done": None})
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
        "tempo_range": 1, "match": 2, "export_checked": 1,
    }

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
            if w.model.index(r, 0).data(STATE_ROLE) != job.state.value:
                self.problem(f"row {r} shows {w.model.index(r, 0).data(STATE_ROLE)}, "
                             f"song is {job.state.value}")
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
        QApplication.processEvents()
        self.check()
        self.check_painted()
        if self.use_store:
            self.check_library()

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
            check_csv(e["path"], n_min=e["n_min"], n_max=len(e["batch"].jobs))
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


def run_seed(seed, qtbot, make_window, tmp_path, monkeypatch):  # noqa: F811
    """Run one seeded session; returns ``(steps, longest event-loop gap s, its step)``."""
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
        fuzz = Fuzz(seed, qtbot, make_window, tmp_path, monkeypatch)
        app_start_up()
        qtbot.wait(50)
        gaps = GapMeter()
        names = list(Fuzz.ACTIONS)
        weights = [Fuzz.ACTIONS[n] for n in names]
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
        threading.excepthook = old_hook
        root.removeHandler(problems)
        root.setLevel(old_level)


@pytest.mark.parametrize("seed", SEEDS)
def test_window_fuzz(seed, qtbot, make_window, tmp_path, monkeypatch):  # noqa: F811
    t0 = time.perf_counter()
    n, gap, where, fuzz = run_seed(seed, qtbot, make_window, tmp_path, monkeypatch)
    done = Counter(e["done"] == "ok" for e in fuzz.exports)
    why = Counter(str(e["done"])[:60] for e in fuzz.exports if e["done"] != "ok")
    print(f"\nseed {seed}: {n} steps, {fuzz.windows} window(s), store {fuzz.use_store}, "
          f"{len(fuzz.exports)} exports ({done[True]} written{'; ' + str(dict(why)) if why else ''}), "
          f"longest event-loop gap {1000 * gap:.0f} ms at {where}, "
          f"modal dialogs {Counter(fuzz.modals) or 'none'}, "
          f"{time.perf_counter() - t0:.1f} s")


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0-9", help="e.g. 0-49 or 3,7,11")
    parser.add_argument("--verbose", action="store_true", help="print every step")
    args = parser.parse_args(argv)
    os.environ["SONGCAL_FUZZ_SEEDS"] = args.seeds
    if args.verbose:
        os.environ["SONGCAL_FUZZ_VERBOSE"] = "1"
    return pytest.main(["-p", "no:cacheprovider", "-n", "0", "-q", "-s",
                        "--timeout", "600", os.path.abspath(__file__)])


if __name__ == "__main__":
    sys.exit(main())
