"""The window in daily use: failures in plain sight, destructive commands that ask and can be
undone, honest progress figures, the stall banner's more time, small display details,
the user's corrections and the audio preview."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QItemSelectionModel, QPointF, Qt
from PySide6.QtGui import Qt as QtGui
from PySide6.QtGui import QTextDocument

from core.batch.rules import SongState
from core.errors import AudioFileError
from core.io.csvio import read_csv_rows
from core.io.results import SongResult
from core.settings import AnalysisSettings
from gui.song_columns import (
    COL_CHUNK,
    COL_ELAPSED,
    COL_FILE,
    COL_NOTE,
    COL_STATUS,
    COL_TITLE,
    descriptor_column,
)
from gui.song_text import USER_MARK
from gui.tempo_dialog import SetTempoDialog
from gui.window_rows import tempo_alternatives
from tests.gui.conftest import FakeAnalyzer

TIMEOUT = 10_000


def _add(w, paths):
    first = len(w.engine.batch.jobs)
    w.engine.batch.add(paths)
    w.engine.jobsAdded.emit(first, len(paths))


def _run(qtbot, w, timeout=TIMEOUT):
    with qtbot.waitSignal(w.engine.batchFinished, timeout=timeout):
        w.start()


def _select(w, row):
    w.table.selectionModel().select(
        w.proxy.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
        | QItemSelectionModel.SelectionFlag.Rows)


# -- 2. failures in plain sight -------------------------------------------------------------

def test_failed_songs_say_why_in_a_column_and_in_the_log(qtbot, make_window, fast_settings,
                                                         tmp_path):
    fake = FakeAnalyzer(fail_on="bad", error=AudioFileError("/m/bad.wav",
                                                            "cannot decode: not audio"))
    w = make_window(fast_settings, fake)
    _add(w, ["/m/good.wav", "/m/bad.wav"])
    _run(qtbot, w)
    assert w.model.index(1, COL_NOTE).data() == "cannot decode: not audio"  # no hover needed
    assert w.model.index(0, COL_NOTE).data() == ""
    assert "failed: /m/bad.wav: cannot decode: not audio" in w.log_panel.toPlainText()


def test_a_scan_names_every_path_it_leaves_out_and_ends_with_a_summary(
        qtbot, make_window, fast_settings, wav_deck):
    deck, paths = wav_deck
    (deck / "._000_Artist_Song 0.wav").write_bytes(b"\0\5\x16\7")
    os.symlink(deck / "gone.wav", deck / "dangling.wav")
    os.symlink(deck / "sub", deck / "loop")
    w = make_window(fast_settings, FakeAnalyzer())
    with qtbot.waitSignal(w.engine.scanSummary, timeout=TIMEOUT) as summary:
        w.add_paths([deck, deck / "missing.wav"])
    text = summary.args[0]
    assert text.startswith("6 added, 1 failed (file not found), 3 skipped:")
    assert "1 non-audio file ignored" in text
    log = w.log_panel.toPlainText()
    assert "ignored 1 file that is not audio: " in log
    for name, why in (("._000_Artist_Song 0.wav", "resource fork"),
                      ("dangling.wav", "dangling link"), ("loop", "link to a folder")):
        assert f"skipped: {deck / name}: " in log and why in log
    assert f"failed: {deck / 'missing.wav'}: file not found" in log
    row = next(j.id for j in w.engine.batch.jobs if j.path.endswith("missing.wav"))
    assert w.model.index(row, COL_NOTE).data() == "file not found"
    assert "6 added" in w.statusBar().currentMessage()


# -- 3. destructive commands ask, and can be undone ----------------------------------------

def test_clear_asks_and_undo_brings_the_songs_back(qtbot, make_window, fast_settings):
    w = make_window(fast_settings, FakeAnalyzer())
    _add(w, ["/m/a.wav", "/m/b.wav"])
    _run(qtbot, w)
    asked = []
    w._confirm = lambda title, text, ok: asked.append(text) or False
    assert not w.clear()
    assert len(w.engine.batch.jobs) == 2 and "2 songs" in asked[0]
    w._confirm = lambda *a: True
    assert w.clear()
    assert w.engine.batch.jobs == [] and w.model.rowCount() == 0
    assert w.undo_action.isEnabled()
    w.undo_action.trigger()
    assert [j.state for j in w.engine.batch.jobs] == [SongState.DONE] * 2
    assert w.model.rowCount() == 2 and w.model.index(0, COL_TITLE).data() == "T m/a"
    assert not w.undo_action.isEnabled()
    assert w.clear() and w.undo_action.isEnabled()
    _add(w, ["/m/new.wav"])  # songs added since: undo would drop them, so it is gone
    w._update_actions()
    assert not w.undo_action.isEnabled() and not w.undo_clear()


def test_retry_in_a_paused_batch_queues_the_songs_and_says_resume_goes_on(
        qtbot, make_window, fast_settings):
    fake = FakeAnalyzer(block_on="slow", fail_on="bad",
                        error=AudioFileError("/m/bad.wav", "cannot decode"))
    w = make_window(fast_settings, fake)
    _add(w, ["/m/bad.wav", "/m/slow.wav"])
    try:
        w.start()
        qtbot.waitUntil(lambda: w.engine.batch.jobs[0].state is SongState.FAILED
                        and fake.blocked.is_set(), timeout=TIMEOUT)
        w.pause_action.trigger()
        fake.fail_on = None
        w._update_actions()
        w.retry_action.trigger()
        assert w.engine.batch.jobs[0].state is SongState.QUEUED
        assert w.statusBar().currentMessage() == ("1 song queued again; the batch is paused: "
                                                  "Resume (F6) goes on.")
        w._update_actions()
        assert w.pause_action.isChecked() and w.pause_action.text() == "Res&ume"
    finally:
        fake.release()
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        w.pause_action.trigger()
    assert [j.state for j in w.engine.batch.jobs] == [SongState.DONE] * 2


def test_force_fresh_asks_keeps_results_in_sight_and_cancel_leaves_them(
        qtbot, make_window, fast_settings):
    gate = threading.Event()
    calls = []

    def analyze(path, *, settings, progress=None, should_cancel=None):
        calls.append(path)
        if len(calls) > 2:  # the fresh analyses wait until released or cancelled
            while not gate.wait(0.01):
                if should_cancel():
                    from core.errors import AnalysisCancelled
                    raise AnalysisCancelled(path)
        return SongResult(path=path, title="T", status="done", bpm=100.0 + len(calls))

    w = make_window(AnalysisSettings(workers=1, budget_base_s=30.0), analyze)
    _add(w, ["/m/a.wav", "/m/b.wav"])
    _run(qtbot, w)
    bpm = descriptor_column("bpm")
    before = [w.model.index(r, bpm).data() for r in range(2)]
    w._confirm = lambda *a: False
    assert w.force_fresh() == 0 and len(calls) == 2
    w._confirm = lambda *a: True
    assert w.force_fresh() == 2
    qtbot.waitUntil(lambda: len(calls) == 3, timeout=TIMEOUT)
    assert [w.model.index(r, bpm).data() for r in range(2)] == before  # still shown
    assert "earlier result is shown" in w.model.index(1, COL_NOTE).data()
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        w.cancel_action.trigger()
    gate.set()
    assert [j.state for j in w.engine.batch.jobs] == [SongState.DONE] * 2
    assert [w.model.index(r, bpm).data() for r in range(2)] == before


def test_analyze_again_that_times_out_keeps_the_earlier_result(qtbot, make_window,
                                                                 fast_settings):
    release = threading.Event()
    calls = []

    def analyze(path, *, settings, progress=None, should_cancel=None):
        calls.append(path)
        if len(calls) > 1:
            release.wait(20)  # a stuck decoder on the second try
        return SongResult(path=path, status="done", bpm=128.0)

    w = make_window(fast_settings, analyze)
    _add(w, ["/m/a.wav"])
    _run(qtbot, w)
    try:
        with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
            w.table.retryRequested.emit([0])
        job = w.engine.batch.jobs[0]
        assert job.state is SongState.DONE and job.result.bpm == 128.0
        assert job.outcome is SongState.TIMED_OUT
        assert "timed out" in w.model.index(0, COL_NOTE).data()
        assert "the earlier result is kept" in w.log_panel.toPlainText()
    finally:
        release.set()
    qtbot.waitUntil(lambda: not w.engine.abandoned, timeout=TIMEOUT)


# -- 4. progress figures --------------------------------------------------------------------

def test_a_second_batch_starts_its_plots_and_rate_from_zero(qtbot, make_window, fast_settings):
    w = make_window(fast_settings, FakeAnalyzer())
    _add(w, [f"/m/{i}.wav" for i in range(4)])
    _run(qtbot, w)
    time.sleep(1.2)  # idle between the batches
    _add(w, ["/m/x.wav", "/m/y.wav"])
    _run(qtbot, w)
    h = w.engine.history
    assert h.done[0] == 0 and h.done[-1] == 2 and h.done == sorted(h.done)  # never back
    assert min(s.start for s in w.engine.segments) < 0.5  # the timeline starts now
    assert len(w.engine.segments) == 2
    assert w.engine.batch.run_counts() == {"ended": 2, "analyzed": 2, "stored": 0, "total": 2}
    w._refresh_ui()
    assert "songs/min" in w.rate_label.text()
    w._refresh_plots(force=True)
    legend = [label.text for _sample, label in w.plots.budget_legend.items]
    assert legend == ["budget", "hard limit", "analysis time (coloured by state)"]
    # The legend sits above the budget and hard-limit lines, not over them.
    vb = w.plots.budget_plot.getViewBox()
    box = w.plots.budget_legend.mapRectToParent(w.plots.budget_legend.boundingRect())
    limit = max(w.plots.limit_curve.getData()[1])  # log10 of the hard limit (log axis)
    assert box.bottom() < vb.mapFromView(QPointF(5.0, limit)).y()
    done_x = w.plots.elapsed_points[SongState.DONE].getData()[0]
    assert sorted(done_x) == [5.0, 6.0]  # this run's songs only


def test_eta_says_paused_and_the_status_bar_counts_every_state(qtbot, make_window):
    fake = FakeAnalyzer(block_on="slow")
    w = make_window(AnalysisSettings(workers=1, budget_base_s=30.0), fake)
    _add(w, ["/m/slow.wav", "/m/b.wav", "/m/c.wav"])
    try:
        w.start()
        qtbot.waitUntil(lambda: fake.blocked.is_set(), timeout=TIMEOUT)
        w.pause_action.trigger()
        w._refresh_ui()
        assert w.eta_label.text() == "ETA: paused"
        assert not w.start_action.isEnabled()  # Resume goes on, Start does not
        assert w.pause_action.text() == "Res&ume"
        w.engine.skip(2)
        w.engine.skip(0)
    finally:
        fake.release()
    w.pause_action.trigger()
    qtbot.waitUntil(lambda: not w.engine.is_running, timeout=TIMEOUT)
    w._refresh_ui()
    assert w.count_label.text() == "3 songs: 1 done, 2 skipped"


# -- 6. the stall banner -----------------------------------------------------------------------

def test_banner_floats_over_the_table_and_gives_more_time(qtbot, make_window, fast_settings):
    fake = FakeAnalyzer(block_on="000")
    w = make_window(fast_settings, fake)
    _add(w, [f"/music/{i:03d}.wav" for i in range(30)])
    w.table.scrollToBottom()
    table_geometry = w.table.geometry()
    first_row = w.table.rowAt(0)
    try:
        w.start()
        qtbot.waitUntil(lambda: not w.banner.isHidden(), timeout=TIMEOUT)
        assert w.table.geometry() == table_geometry and w.table.rowAt(0) == first_row
        assert w.banner.parent() is w.table
        assert w.table.rect().contains(w.banner.geometry())
        job = w.engine.batch.jobs[0]
        limit = w.engine.batch.hard_limit(job)
        budget = w.engine.batch.budget(job)
        qtbot.mouseClick(w.banner.more_button, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(w.banner.more_button, Qt.MouseButton.LeftButton)  # repeatable
        assert w.engine.batch.hard_limit(job) == pytest.approx(limit + 2 * budget)
        assert "given" in w.banner.label.text()
        qtbot.waitUntil(lambda: job.elapsed() > limit + 0.1, timeout=TIMEOUT)
        assert job.state is SongState.STALLED  # past its first limit, still running
        w._refresh_ui()
        assert w.eta_label.text() == "ETA: waiting on a stalled song"  # not "ETA 0 s"
    finally:
        fake.release()
    qtbot.waitUntil(lambda: w.engine.batch.jobs[0].state is SongState.DONE, timeout=TIMEOUT)
    w.cancel_action.trigger()
    qtbot.waitUntil(lambda: not w.engine.is_running, timeout=TIMEOUT)


# -- 9. small things ------------------------------------------------------------------------

def test_small_display_details(qtbot, make_window, fast_settings, tmp_path):
    w = make_window(fast_settings, FakeAnalyzer())
    _add(w, ["/m/a.wav"])
    _run(qtbot, w)
    job = w.engine.batch.jobs[0]
    fm = w.table.fontMetrics()
    assert w.table.columnWidth(COL_CHUNK) > fm.horizontalAdvance("36/61") + 8
    alternatives = descriptor_column("bpm_alternatives")
    assert w.table.columnWidth(alternatives) > fm.horizontalAdvance("61.5 / 123 / 184.5") + 8
    job.result.peak_dbfs = -0.004
    job.result.bpm_alternatives = "61.50;123.00;184.50"
    w.model._cells.clear()
    assert w.model.index(0, descriptor_column("peak_dbfs")).data() == "0.0"
    assert w.model.index(0, alternatives).data() == "61.5 / 123 / 184.5"
    job.result.bpm_alternatives = "61.50;junk;nan;123.00"  # a damaged stored row
    w.model._cells.clear()
    assert w.model.index(0, alternatives).data() == "61.5 / 123"
    shown = w.model.index(0, COL_ELAPSED).data()
    w.engine.set_settings(AnalysisSettings(workers=2, budget_base_s=99.0))
    assert w.model.index(0, COL_ELAPSED).data() == shown  # the budget it ran with


def test_names_and_errors_with_markup_show_as_written_in_tips_and_labels(
        qtbot, make_window, fast_settings, tmp_path):
    markup = '<b>Live</b><img src="cover.png">'

    def shown(tip):  # what a tooltip shows: Qt renders a tip that looks like HTML
        if not QtGui.mightBeRichText(tip):
            return tip
        doc = QTextDocument()
        doc.setHtml(tip)
        return doc.toPlainText()

    fake = FakeAnalyzer(fail_on="bad", error=AudioFileError("/m/x", f"cannot decode {markup}"))
    w = make_window(fast_settings, fake)
    _add(w, [f"/m/{markup}.wav", f"/m/bad {markup}.wav"])
    _run(qtbot, w)
    tip = Qt.ItemDataRole.ToolTipRole
    assert shown(w.model.index(0, COL_FILE).data(tip)) == f"/m/{markup}.wav"
    for col in (COL_NOTE, COL_STATUS, COL_TITLE):
        assert markup in shown(w.model.index(1, col).data(tip))
    sheet = tmp_path / "<b>Sheet.csv"
    sheet.write_text("Title,BPM\nT m/a,120\n")
    w.load_reference(str(sheet))
    qtbot.waitUntil(lambda: "Sheet" in w.calibration_view.status_label.text(), timeout=TIMEOUT)
    label = w.calibration_view.status_label
    assert label.textFormat() == Qt.TextFormat.PlainText and "<b>Sheet.csv" in label.text()
    assert "<b>Sheet.csv" in shown(label.toolTip())


def test_file_names_with_bytes_that_are_not_utf8_or_control_characters_stay_told_apart(
        qtbot, make_window, fast_settings):
    """Qt drops the lone surrogates a file name that is not valid UTF-8 reaches Python with:
    caf\xe9.wav and caf\xe8.wav (Latin-1 names from an old archive) both showed as
    "caf.wav" in the File column, its tip and the Log; a newline split a name over two
    lines.  They show as the command line prints them."""
    latin = [os.fsdecode(b"/m/caf\xe9.wav"), os.fsdecode(b"/m/caf\xe8.wav")]
    fake = FakeAnalyzer(fail_on="caf", error=AudioFileError("/m/x", "cannot decode"))
    w = make_window(fast_settings, fake)
    _add(w, [*latin, "/m/two\nlines.wav"])
    _run(qtbot, w)
    tip = Qt.ItemDataRole.ToolTipRole
    files = [w.model.index(i, COL_FILE).data() for i in range(3)]
    assert files == ["caf\\udce9.wav", "caf\\udce8.wav", "two\\nlines.wav"]
    assert w.model.index(1, COL_FILE).data(tip) == "/m/caf\\udce8.wav"
    assert w.model.index(0, COL_TITLE).data() == "caf\\udce9.wav"  # no result, no tags
    log = w.log_panel.toPlainText()
    assert "failed: /m/caf\\udce9.wav: cannot decode" in log
    assert "failed: /m/caf\\udce8.wav: cannot decode" in log


def test_export_results_never_writes_over_a_song_the_sheet_or_the_store(
        qtbot, make_window, tmp_path, fast_settings):
    from core.batch.store import ResultStore

    store = ResultStore(tmp_path / "store.sqlite")
    take = tmp_path / "take-07"  # a song of the list whose name says nothing
    take.write_bytes(b"not sniffed as audio " * 20)
    sheet = tmp_path / "reference.csv"
    sheet.write_text("title,artist,bpm\nT e-0,Fake,120\n", encoding="utf-8")
    w = make_window(fast_settings, FakeAnalyzer(), store=store)
    _add(w, [str(take), "/m/001.wav"])
    _run(qtbot, w)
    w.load_reference(sheet)
    qtbot.waitUntil(lambda: w.calibration.sheet is not None, timeout=TIMEOUT)
    kept = {p: p.read_bytes() for p in (take, sheet)}
    for target, reason in ((take, "it is a song of the list"),
                           (sheet, "it is the reference sheet"),
                           (tmp_path / "store.sqlite", "the file is a database"),
                           (tmp_path / "results.mp3", "an audio file")):
        with qtbot.waitSignal(w.exported, timeout=TIMEOUT) as blocker:
            w.export_results(target)
        assert reason in blocker.args[1] and "the results file" in blocker.args[1]
        assert "Export failed" in w.statusBar().currentMessage()
    assert all(p.read_bytes() == b for p, b in kept.items())
    assert not (tmp_path / "results.mp3").exists()
    with qtbot.waitSignal(w.exported, timeout=TIMEOUT) as blocker:
        w.export_results(tmp_path / "results.csv")
    assert blocker.args[1] == "" and (tmp_path / "results.csv").exists()


def test_results_csv_has_titles_sources_notes_and_corrections(qtbot, make_window, tmp_path,
                                                              fast_settings):
    from core.batch.store import ResultStore

    store = ResultStore(tmp_path / "store.sqlite")
    song = tmp_path / "003_Kesta_Slow Burn.wav"
    song.write_bytes(b"RIFF" + os.urandom(2000))
    fake = FakeAnalyzer()
    w = make_window(fast_settings, fake, store=store)
    with qtbot.waitSignal(w.engine.scanFinished, timeout=TIMEOUT):
        w.add_paths([song, tmp_path / "004_Ada Reyes_Gone.wav"])
    _run(qtbot, w)
    job = w.engine.batch.jobs[0]
    job.result.note = "quiet intro"
    _select(w, 0)
    w.bpm_double_action.trigger()
    w.set_key("C major")
    assert w.model.index(0, descriptor_column("bpm")).data() == "240.0" + USER_MARK
    assert w.model.index(0, descriptor_column("key")).data() == "C major" + USER_MARK
    with qtbot.waitSignal(w.exported, timeout=TIMEOUT):
        w.export_results(tmp_path / "results.csv")
    _columns, rows = read_csv_rows(tmp_path / "results.csv")
    by_title = {r["title"]: r for r in rows}
    done, failed = by_title["T urn"], by_title["Gone"]
    assert (done["bpm"], done["bpm_user"], done["key"], done["key_user"]) == (
        "120.0", "240.0", "A minor", "C major")
    assert done["source"] == "analysis" and done["note"] == "quiet intro" and not done["error"]
    assert failed["artist"] == "Ada Reyes" and failed["error"] == "file not found"
    # the same content under another name is served from the store, and says so (the same
    # file again is not listed twice)
    copy = tmp_path / "copy" / song.name
    copy.parent.mkdir()
    copy.write_bytes(song.read_bytes())
    with qtbot.waitSignal(w.engine.scanFinished, timeout=TIMEOUT):
        w.add_paths([copy])
    _run(qtbot, w)
    again = w.engine.batch.jobs[2]
    assert again.result.source == "store"
    assert w.model.index(2, COL_ELAPSED).data() == "from store"
    w.close()
    store.close()


# -- corrections and preview ------------------------------------------------------------------

def test_tempo_corrections_double_halve_and_clear(qtbot, make_window, fast_settings):
    w = make_window(fast_settings, FakeAnalyzer())
    _add(w, ["/m/a.wav", "/m/b.wav"])
    _run(qtbot, w)
    _select(w, 1)
    assert w.bpm_half_action.isEnabled()
    w.bpm_half_action.trigger()
    job = w.engine.batch.jobs[1]
    assert (job.result.bpm, job.result.bpm_user) == (120.0, 60.0)
    w.bpm_double_action.trigger()  # back at the analyzer's value: no correction left
    assert job.result.bpm_user is None
    w.bpm_double_action.trigger()
    assert job.result.bpm_user == 240.0
    tip = w.model.index(1, descriptor_column("bpm")).data(Qt.ItemDataRole.ToolTipRole)
    assert "analyzer said 120.0" in tip and "bpm_user" in tip
    w.clear_correction_action.trigger()
    assert job.result.bpm_user is None and w.engine.batch.jobs[0].result.bpm_user is None


def test_set_key_asks_in_words_for_one_song_or_many(qtbot, make_window, fast_settings,
                                                    monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    asked = []
    monkeypatch.setattr(QInputDialog, "getItem",
                        lambda _parent, title, label, *_a: asked.append((title, label))
                        or ("C major", True))
    w = make_window(fast_settings, FakeAnalyzer())
    _add(w, ["/m/a.wav", "/m/b.wav"])
    _run(qtbot, w)
    _select(w, 0)
    w.choose_key()
    w.table.selectAll()
    w.choose_key()
    assert asked == [("Set Key", "Key of 1 song:"), ("Set Key", "Key of 2 songs:")]
    assert [j.result.key_user for j in w.engine.batch.jobs] == ["C major", "C major"]


def test_the_key_menu_records_the_key_chosen_and_clears_it(qtbot, make_window, fast_settings):
    w = make_window(fast_settings, FakeAnalyzer())
    _add(w, ["/m/a.wav", "/m/b.wav"])
    _run(qtbot, w)
    _select(w, 1)
    keys = {a.text(): a for a in w.key_menu().actions()}
    keys["D major"].trigger()
    assert [j.result.key_user for j in w.engine.batch.jobs] == [None, "D major"]
    keys["Clear Key Correction"].trigger()
    assert [j.result.key_user for j in w.engine.batch.jobs] == [None, None]


def test_tempo_scaled_again_and_again_stays_a_tempo(qtbot, make_window, fast_settings):
    w = make_window(fast_settings, FakeAnalyzer())
    _add(w, ["/m/a.wav"])
    _run(qtbot, w)
    _select(w, 0)
    job = w.engine.batch.jobs[0]
    for _ in range(8):  # 120 -> 480, then x2 would leave 10-600 BPM (and reach 15360)
        w.bpm_double_action.trigger()
    assert job.result.bpm_user == 480.0
    assert "1 song not changed" in w.statusBar().currentMessage()
    assert "600 BPM" in w.statusBar().currentMessage()
    for _ in range(30):  # no tempo of 0.01 BPM either
        w.bpm_half_action.trigger()
    assert job.result.bpm_user == 15.0


def test_a_correction_of_many_songs_refreshes_the_rows_once(qtbot, make_window, fast_settings):
    w = make_window(fast_settings, FakeAnalyzer())
    _add(w, [f"/m/{i}.wav" for i in range(40)])
    _run(qtbot, w)
    w.table.selectAll()
    changed = []
    w.engine.jobsChanged.connect(changed.append)
    assert w.scale_tempo(2.0) == 40
    assert len(changed) == 1 and changed[0] == list(range(40))
    assert {j.result.bpm_user for j in w.engine.batch.jobs} == {240.0}


def test_the_actions_follow_a_select_all_of_thousands_of_songs_quickly(
        qtbot, make_window, fast_settings):
    w = make_window(fast_settings, FakeAnalyzer())
    _add(w, [f"/m/{i:05d}.wav" for i in range(20000)])
    w.table.selectAll()
    assert w.table.selected_rows() == list(range(20000))
    t = time.perf_counter()
    for _ in range(3):  # the status refresh does this every 0.4 s
        w._update_actions()
    assert time.perf_counter() - t < 1.2  # 2 s when every selected cell was looked at
    assert w.skip_action.isEnabled()


def test_the_selected_songs_follow_sorting_filtering_and_clearing(qtbot, make_window,
                                                                  fast_settings):
    w = make_window(fast_settings, FakeAnalyzer())
    _add(w, ["/m/b.wav", "/m/a.wav", "/m/c.wav"])
    _run(qtbot, w)
    _select(w, 0)
    assert w.table.selected_job_ids() == [0]
    w.table.sortByColumn(COL_TITLE, Qt.SortOrder.AscendingOrder)  # a, b, c
    assert w.table.selected_job_ids() == [0]  # the same song, now on the second row
    _select(w, 0)
    assert w.table.selected_job_ids() == [1]
    w.table.selectAll()
    assert w.table.selected_job_ids() == [1, 0, 2]  # top to bottom as shown
    w.search.setText("c.wav")
    assert w.proxy.rowCount() == 1
    _select(w, 0)
    assert w.table.selected_job_ids() == [2]
    w.search.setText("")
    w._confirm = lambda *a: True
    assert w.clear()
    assert w.table.selected_job_ids() == [] and w._selected_jobs() == []
    w.undo_clear()
    w.table.selectAll()
    assert sorted(w.table.selected_job_ids()) == [0, 1, 2]


def test_the_songs_to_check_by_ear_are_shown_alone_until_the_user_sets_them(
        qtbot, make_window, fast_settings, tmp_path):
    from core.analysis.identity import analyzer_id

    doubt = {"sure": {}, "weak": {"bpm_weak_pulse": True}, "drift": {"bpm_varies": True},
             "dim": {"bpm_confidence": 0.45}, "vague": {"key_confidence": 0.41}}

    def analyze(path, *, settings, progress=None, should_cancel=None):
        name = os.path.basename(path)[:-4]
        values = dict(bpm=120.0, bpm_confidence=0.9, bpm_weak_pulse=False, bpm_varies=False,
                      key="A minor", key_confidence=0.95)
        values.update(doubt.get(name, {}))
        if name == "bad":
            raise AudioFileError(path, "cannot decode: not audio")
        return SongResult(path=path, title=name, status="done", analyzer=analyzer_id(),
                          **values)

    w = make_window(fast_settings, analyze)
    _add(w, [f"/m/{n}.wav" for n in (*doubt, "bad")])
    _run(qtbot, w)

    def shown():
        return [w.model.job(w.proxy.mapToSource(w.proxy.index(r, 0)).row()).result.title
                for r in range(w.proxy.rowCount())]

    assert w.filter_combo.findText("Tempo or key to check") >= 0
    w.filter_combo.setCurrentText("Tempo or key to check")
    assert shown() == ["weak", "drift", "dim", "vague"]  # not the sure one, not the failed one
    notes = [w.proxy.index(r, COL_NOTE).data() for r in range(4)]
    assert notes == ["check by ear: weak pulse", "check by ear: tempo varies",
                     "check by ear: tempo confidence 0.45", "check by ear: key confidence 0.41"]
    _select(w, 0)  # "weak": the user sets its tempo, so it leaves the list
    w.scale_tempo(2.0)
    assert w.engine.batch.jobs[1].result.bpm_user == 240.0
    assert shown() == ["drift", "dim", "vague"]
    _select(w, 2)  # "vague": a tempo of the user's does not settle a doubtful key
    w.scale_tempo(2.0)
    assert shown() == ["drift", "dim", "vague"]
    w.set_key("C major")
    assert shown() == ["drift", "dim"]
    assert w.model.index(4, COL_NOTE).data() == ""  # nothing left in doubt
    # "dim": heard and found right, so marked as checked by ear (again: the mark goes back)
    _select(w, 1)
    assert w.checked_action in w.edit_menu.actions() and w.checked_action.isEnabled()
    w.checked_action.trigger()
    assert shown() == ["drift"] and w.engine.batch.jobs[3].result.user_checked is True
    assert w.statusBar().currentMessage().startswith("1 song marked as checked by ear")
    assert w.model.index(3, COL_NOTE).data() == "checked by ear by you"
    _select(w, 0)
    w.checked_action.trigger()
    assert shown() == []
    w.filter_combo.setCurrentText("All songs")
    assert w.proxy.rowCount() == 6
    _select(w, 3)
    w.checked_action.trigger()  # every selected song has the mark: it is taken back
    assert w.engine.batch.jobs[3].result.user_checked is None
    _select(w, 2)
    w.clear_correction_action.trigger()  # clears the mark with the corrections
    assert w.engine.batch.jobs[2].result.user_checked is None
    w.filter_combo.setCurrentText("Tempo or key to check")
    assert shown() == ["drift", "dim"]
    w.filter_combo.setCurrentText("All songs")
    _select(w, 1)
    w.checked_action.trigger()  # exported beside the user's tempo
    out = tmp_path / "results.csv"
    with qtbot.waitSignal(w.exported, timeout=TIMEOUT):
        w.export_results(out)
    _cols, rows = read_csv_rows(out)
    assert [(r["bpm_user"], r["user_checked"]) for r in rows[:2]] == [("", ""),
                                                                      ("240.0", "true")]
    assert all(r["user_checked"] == "" for r in rows[2:])
    # File > Export Your Values as Reference: what the user set or heard, read back as a sheet
    assert w.export_checked_action in w.file_menu.actions()
    mine = tmp_path / "my_checks.csv"
    with qtbot.waitSignal(w.exported, timeout=TIMEOUT) as blocker:
        w.export_checked(mine)
    assert blocker.args[1] == ""
    _cols, rows = read_csv_rows(mine)
    assert [(r["title"], r["bpm"], r["key"]) for r in rows] == [
        ("weak", "240.0", "A minor"), ("vague", "240.0", "C major")]
    w.load_reference(mine)
    qtbot.waitUntil(lambda: w.calibration.sheet is not None, timeout=TIMEOUT)
    assert len(w.calibration.sheet.rows) == 2


def test_the_chunks_tab_shows_the_selected_songs_tempo_key_and_loudness_chunk_by_chunk(
        qtbot, make_window, fast_settings, tmp_path):
    from core.analysis.identity import analyzer_id
    from core.io.results import ChunkResult
    from gui.chunk_view import NO_CHUNKS, NO_SONG

    def analyze(path, *, settings, progress=None, should_cancel=None):
        if "old" in path:  # a result kept without its chunk values
            return SongResult(path=path, title="old", status="done", bpm=100.0,
                              analyzer=analyzer_id())
        chunks = [ChunkResult(index=i, start_s=30.0 * i, end_s=min(75.0, 30.0 * (i + 1)),
                              bpm=b, key=k, loudness_lufs=v, bpm_confidence=bc,
                              key_confidence=kc)
                  for i, (b, bc, k, kc, v) in enumerate([(110.0, 0.9, "D major", 0.456, -12.0),
                                                         (121.0, 0.25, "A major", 1.0, -10.5),
                                                         (None, None, None, None, None)])]
        return SongResult(path=path, title="Two Tempi & More", status="done", bpm=110.0,
                          bpm_varies=True, key="D major", key_modulating=False,
                          chunk_results=chunks, analyzer=analyzer_id())

    w = make_window(fast_settings, analyze)
    _add(w, ["/m/two.wav", "/m/old.wav"])
    _run(qtbot, w)
    view = w.chunk_view
    assert w.bottom_tabs.tabText(w.bottom_tabs.indexOf(view)) == "Chunks"
    w.view_menu.actions()[4].trigger()  # View > Show Chunks (Ctrl+5)
    assert w.bottom_tabs.currentWidget() is view
    assert view.summary.text() == NO_SONG and view.table.rowCount() == 0
    _select(w, 0)
    cells = [[view.table.item(r, c).text() for c in range(8)] for r in range(3)]
    assert cells == [["1", "0:00", "0:30", "110.0", "0.90", "D major", "0.46", "-12.0"],
                     ["2", "0:30", "1:00", "121.0", "0.25", "A major", "1.00", "-10.5"],
                     ["3", "1:00", "1:15", "", "", "", "", ""]]
    tips = {view.table.horizontalHeaderItem(c).text(): view.table.horizontalHeaderItem(c).toolTip()
            for c in range(view.table.columnCount())}
    assert "tempo can be trusted" in tips["BPM conf."] and "key can be trusted" in tips["Key conf."]
    text = view.summary.text()
    assert "Two Tempi &amp; More" in text and "110.0 BPM" in text and "tempo varies" in text
    assert "D major" in text and "3 chunks" in text
    x, y = view.curve.getData()  # a segment per chunk with a tempo, broken between them
    assert list(x[:2]) == [0.0, 30.0] and list(y[:2]) == [110.0, 110.0]
    assert list(y[3:5]) == [121.0, 121.0] and np.isnan(y[2]) and len(x) == 6
    assert view.song_line.value() == 110.0
    assert view.band.getRegion() == pytest.approx((110.0 / 1.04, 110.0 * 1.04))
    # the plot says what its lines and its grey band are, above the highest chunk
    assert view.legend.isVisible()
    assert [label.text for _sample, label in view.legend.items] == [
        "chunk tempo", "song tempo", "within 4 % of the song tempo"]
    assert view.plot.getViewBox().viewRange()[1][1] > 121.0 + 2.0
    w.set_tempo(220.0)  # the user's tempo, marked as in the table, then the analyzer's
    assert "220.0 BPM \u270e (analyzer: 110.0 BPM)" in view.summary.text()
    w.mark_checked()
    assert "checked by ear by you" in view.summary.text()
    _select(w, 1)
    assert view.summary.text() == NO_CHUNKS and view.table.rowCount() == 0
    assert not view.song_line.isVisible() and len(view.curve.getData()[0] or []) == 0
    assert not view.legend.isVisible()
    w.table.selectAll()  # two songs: no single song to show
    assert view.summary.text() == NO_SONG
    # File > Export Chunks: a row per chunk of every song that kept them
    assert w.export_chunks_action in w.file_menu.actions() and w.export_chunks_action.isEnabled()
    out = tmp_path / "chunks.csv"
    with qtbot.waitSignal(w.exported, timeout=TIMEOUT) as blocker:
        w.export_chunks(out)
    assert blocker.args[1] == ""
    _cols, rows = read_csv_rows(out)
    assert [(r["title"], r["chunk"], r["bpm"], r["bpm_confidence"], r["key"], r["key_confidence"])
            for r in rows] == [
        ("Two Tempi & More", "1", "110.0", "0.9", "D major", "0.456"),
        ("Two Tempi & More", "2", "121.0", "0.25", "A major", "1.0"),
        ("Two Tempi & More", "3", "", "", "", "")]
    assert rows[0]["song_bpm"] == "110.0" and rows[0]["bpm_varies"] == "true"
    with qtbot.waitSignal(w.exported, timeout=TIMEOUT) as blocker:
        w.export_chunks(tmp_path / "chunks.wav")  # guarded like every export of the window
    assert "an audio file" in blocker.args[1] and not (tmp_path / "chunks.wav").exists()


def test_a_title_without_spaces_in_the_chunks_tab_does_not_widen_the_window(
        qtbot, make_window, fast_settings):
    from core.analysis.identity import analyzer_id
    from core.io.results import ChunkResult

    title = "Artist_Name_A_Very_Long_Title_Taken_From_The_File_Name_" * 6

    def analyze(path, *, settings, progress=None, should_cancel=None):
        return SongResult(path=path, title=title, status="done", bpm=120.0,
                          chunk_results=[ChunkResult(index=0, start_s=0.0, end_s=30.0,
                                                     bpm=120.0)], analyzer=analyzer_id())

    w = make_window(fast_settings, analyze)
    w.resize(1024, 600)
    _add(w, ["/m/a.wav"])
    _run(qtbot, w)
    w.bottom_tabs.setCurrentWidget(w.chunk_view)
    _select(w, 0)
    qtbot.wait(50)
    assert w.minimumSizeHint().width() < 1024 and w.width() == 1024  # it was 3,000 px
    assert title in w.chunk_view.summary.text() and w.chunk_view.summary.toolTip() == title


def test_set_tempo_types_a_value_or_picks_one_the_analyzer_weighed(qtbot, make_window,
                                                                  fast_settings, monkeypatch):
    w = make_window(fast_settings, FakeAnalyzer(bpm_alternatives="120.00;80.00;60.00;180.00"))
    _add(w, ["/m/a.wav", "/m/b.wav"])
    _run(qtbot, w)
    _select(w, 1)
    job = w.engine.batch.jobs[1]
    assert w.tempo_action.isEnabled()
    asked = []

    def typed(dialog):
        asked.append((dialog.spin.value(), dialog.spin.minimum(), dialog.spin.maximum(),
                      dialog.play_button.isVisibleTo(dialog)))
        dialog.spin.setValue(133.5)
        return SetTempoDialog.DialogCode.Accepted

    monkeypatch.setattr(SetTempoDialog, "exec", typed)
    w.tempo_action.trigger()
    assert asked == [(120.0, 10.0, 600.0, True)]
    assert job.result.bpm_user == 133.5 and w.engine.batch.jobs[0].result.bpm_user is None
    # The button's menu: the tempi weighed (the one shown checked), the levels, Clear.
    button = next(b for b in w.table_bar.buttons if b.defaultAction() is w.tempo_action)
    menu = button.menu()
    menu.aboutToShow.emit()
    labels = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert labels[:4] == ["120.0 BPM  (its choice)", "80.0 BPM", "60.0 BPM", "180.0 BPM"]
    assert {"Tempo \u00d73/2", "Tempo \u00d72/3", "Clear Tempo Correction"} <= set(labels)
    assert not any(a.isChecked() for a in menu.actions())  # 133.5 is none of them

    def shown_menu():
        menu.aboutToShow.emit()
        return {a.text(): a for a in menu.actions()}

    shown_menu()["80.0 BPM"].trigger()
    assert job.result.bpm_user == 80.0
    pick = shown_menu()
    assert pick["80.0 BPM"].isChecked() and not pick["120.0 BPM  (its choice)"].isChecked()
    pick["Tempo \u00d73/2"].trigger()  # of the tempo shown: the user's 80
    assert job.result.bpm_user is None  # back at the analyzer's value: no correction left
    pick = shown_menu()
    assert not pick["Clear Tempo Correction"].isEnabled()
    pick["Tempo \u00d72/3"].trigger()
    assert job.result.bpm_user == 80.0
    shown_menu()["Clear Tempo Correction"].trigger()
    assert job.result.bpm_user is None
    shown_menu()["Tempo \u00d73/4"].trigger()
    assert job.result.bpm_user == 90.0
    shown_menu()["Tempo \u00d74/3"].trigger()
    assert job.result.bpm_user is None
    shown_menu()["Tempo \u00d74/5"].trigger()
    assert job.result.bpm_user == 96.0
    shown_menu()["Tempo \u00d75/4"].trigger()
    assert job.result.bpm_user is None
    # Two songs: one typed value for both; the menu has no single song's tempi.
    w.table.selectAll()

    def typed_95(dialog):
        asked.append(dialog.play_button.isVisibleTo(dialog))  # no Play for two songs
        dialog.spin.setValue(95.0)
        return SetTempoDialog.DialogCode.Accepted

    monkeypatch.setattr(SetTempoDialog, "exec", typed_95)
    w.tempo_action.trigger()
    assert asked[-1] is False
    assert [j.result.bpm_user for j in w.engine.batch.jobs] == [95.0, 95.0]
    menu.aboutToShow.emit()
    assert not any("BPM" in a.text() for a in menu.actions())
    # The same menu is a submenu of the Edit menu and of the table's context menu.
    assert w.tempo_levels_action in w.edit_menu.actions()
    assert w.tempo_levels_action in w.table.row_actions
    assert w.tempo_levels_action.menu() is not None and w.tempo_levels_action.isEnabled()
    # A cancelled dialog changes nothing.
    def cancelled(dialog):
        dialog.spin.setValue(50.0)
        return SetTempoDialog.DialogCode.Rejected

    monkeypatch.setattr(SetTempoDialog, "exec", cancelled)
    w.tempo_action.trigger()
    assert [j.result.bpm_user for j in w.engine.batch.jobs] == [95.0, 95.0]


def test_each_tempo_menu_fills_itself_and_each_show_action_shows_its_own_tab(
        qtbot, make_window, fast_settings):
    # The tempo menu of the Edit menu and the one of the BPM button's arrow are filled by
    # one slot, which each names itself to as it opens; each View > Show action carries
    # the index of its own tab.
    w = make_window(fast_settings, FakeAnalyzer())
    _add(w, ["/m/a.wav"])
    _run(qtbot, w)
    _select(w, 0)
    arrow = next(b.menu() for b in w.table_bar.buttons
                 if b.defaultAction() is w.tempo_action)
    submenu = w.tempo_levels_action.menu()
    assert arrow is not submenu
    for menu in (submenu, arrow):
        assert menu.actions() == []
        menu.aboutToShow.emit()
        texts = [a.text() for a in menu.actions()]
        assert "Tempo \u00d73/2" in texts and "Clear Tempo Correction" in texts
    assert (submenu.actions()[0] not in arrow.actions())  # each filled its own
    shows = [a for a in w.view_menu.actions() if a.text().startswith("Show ")]
    assert len(shows) == w.bottom_tabs.count() == 5
    for i in (4, 0, 3, 1, 2):
        shows[i].trigger()
        assert w.bottom_tabs.currentIndex() == i


def test_set_tempo_plays_the_song_to_tap_along_and_stops_it_after(qtbot, make_window,
                                                                   fast_settings, monkeypatch):
    w = make_window(fast_settings, FakeAnalyzer())
    _add(w, ["/m/a.wav"])
    _run(qtbot, w)
    _select(w, 0)
    events = []
    def play():
        events.append("play")
        w.preview.playing = "/m/a.wav"

    monkeypatch.setattr(w, "preview_selected", play)
    monkeypatch.setattr(w.preview, "stop", lambda: events.append("stop"))

    def tapped(dialog):
        dialog.play_button.click()
        w.preview.started.emit("/m/a.wav")
        events.append(dialog.play_button.text())
        w.preview.stopped.emit()
        events.append(dialog.play_button.text())
        for _ in range(3):
            dialog.tap_button.click()  # the real clock: too fast, or a tempo, never an error
        dialog.spin.setValue(101.0)
        return SetTempoDialog.DialogCode.Accepted

    monkeypatch.setattr(SetTempoDialog, "exec", tapped)
    w.tempo_action.trigger()
    assert events == ["play", "\u25a0 &Stop", "\u25b6 &Play", "stop"]
    assert w.engine.batch.jobs[0].result.bpm_user == 101.0


def test_tempo_alternatives_skip_what_is_not_a_tempo():
    r = SongResult(path="/m/a.wav", bpm=100.0, bpm_alternatives="100.00;x;50.00;;100.00;900;5")
    assert tempo_alternatives(r) == [100.0, 50.0]
    assert tempo_alternatives(SongResult(path="/m/b.wav")) == []


class FakeOutput:
    def __init__(self, problem=None):
        self._problem = problem
        self.played = []
        self.stopped = 0

    def problem(self):
        return self._problem

    def play(self, frames, rate):
        self.played.append((frames.shape, rate))

    def stop(self):
        self.stopped += 1


def test_preview_plays_an_excerpt_and_stops(qtbot, make_window, fast_settings, wav_deck):
    _deck, paths = wav_deck
    out = FakeOutput()
    w = make_window(fast_settings, FakeAnalyzer(), audio_output=out)
    _add(w, [str(paths[0])])
    _select(w, 0)
    with qtbot.waitSignal(w.preview.started, timeout=TIMEOUT):
        w.preview_action.trigger()
    (shape, rate), = out.played
    assert rate == 22050 and 2.0 * rate <= shape[0] <= 3.0 * rate  # a 3 s file, from 0.75 s
    with qtbot.waitSignal(w.preview.stopped, timeout=TIMEOUT):
        w.preview_action.trigger()
    assert out.stopped == 1


def test_preview_without_an_audio_device_says_so(qtbot, make_window, fast_settings, wav_deck):
    _deck, paths = wav_deck
    w = make_window(fast_settings, FakeAnalyzer(),
                    audio_output=FakeOutput("No audio output device was found (none)."))
    _add(w, [str(paths[0])])
    _select(w, 0)
    w.preview_action.trigger()
    assert w.statusBar().currentMessage().startswith("No audio output device")
    assert w.preview.playing is None


def test_preview_problem_is_plain_without_portaudio(monkeypatch):
    import builtins

    from gui import preview

    real_import = builtins.__import__

    def no_portaudio(name, *a, **kw):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *a, **kw)

    monkeypatch.setattr(builtins, "__import__", no_portaudio)
    assert "libportaudio2" in preview.output_problem()


def test_read_excerpt_starts_a_quarter_in(tmp_path):
    import soundfile as sf

    from gui.preview import read_excerpt

    sr = 8000
    y = np.repeat(np.arange(40, dtype=np.float32)[:, None] / 100, sr, axis=0)  # 40 s ramp
    sf.write(tmp_path / "ramp.wav", y, sr, subtype="FLOAT")
    frames, rate = read_excerpt(tmp_path / "ramp.wav", seconds=4.0)
    assert rate == sr and frames.shape == (4 * sr, 1)
    assert frames[0, 0] == pytest.approx(0.10)  # 10 s in: a quarter of 40 s



def test_read_excerpt_of_many_channels_reads_small_blocks(tmp_path, monkeypatch):
    """Blocks were 5 s whatever the channel count: 64 channels at 384 kHz made blocks of
    491 MB.  They hold at most 5 s of stereo at 48 kHz; the excerpt is the first two
    channels."""
    import soundfile as sf

    from core.analysis import decode
    from gui import preview

    sr = 48000
    y = np.repeat(np.arange(8, dtype=np.float32)[:, None] / 100, sr, axis=0)  # 8 s ramp
    sf.write(tmp_path / "many.wav", np.hstack([y, -y] + [0 * y] * 14), sr, subtype="FLOAT")
    sizes = []
    real_stream = decode.stream

    def recording(*args, **kwargs):
        for block in real_stream(*args, **kwargs):
            sizes.append(block.size)
            yield block

    monkeypatch.setattr(decode, "stream", recording)
    frames, rate = preview.read_excerpt(tmp_path / "many.wav", seconds=4.0)
    assert max(sizes) <= preview._BLOCK_SAMPLES
    assert rate == sr and frames.shape == (4 * sr, 2)
    assert frames[0, 0] == pytest.approx(0.02) and frames[0, 1] == pytest.approx(-0.02)


def test_read_excerpt_never_plays_damage_loud(tmp_path):
    """A float file holding NaN, infinity or samples far past full scale previews as
    silence where it is invalid and within full scale elsewhere."""
    import soundfile as sf

    from gui.preview import read_excerpt

    sr = 8000
    y = np.full((8 * sr, 1), 0.5, np.float32)
    y[2 * sr :: 7] = np.nan
    y[2 * sr + 1 :: 7] = np.inf
    y[2 * sr + 2 :: 7] = 1e30
    y[2 * sr + 3 :: 7] = -3.0
    sf.write(tmp_path / "bad.wav", y, sr, subtype="FLOAT")
    frames, _ = read_excerpt(tmp_path / "bad.wav", seconds=4.0)
    assert np.isfinite(frames).all() and np.abs(frames).max() <= 1.0
    assert (frames == 0.5).any() and (frames == 0.0).any()

def test_analyzing_in_the_tempo_range_the_calibration_offers(qtbot, make_window, fast_settings):
    fake = FakeAnalyzer()
    w = make_window(fast_settings, fake)
    _add(w, ["/m/a.wav", "/m/b.wav"])
    _run(qtbot, w)
    assert len(fake.calls) == 2
    said = []
    w.statusBar().messageChanged.connect(said.append)
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        w.calibration_view.ratio_panel.useRange.emit(88.0)  # "Analyze in 88–175 BPM"
    assert w.engine.settings.tempo_floor_bpm == 88.0
    assert w.calibration.session.settings.tempo_floor_bpm == 88.0
    assert w.engine.settings.workers == fast_settings.workers  # the rest as it was
    assert sorted(fake.calls[2:]) == ["/m/a.wav", "/m/b.wav"]  # both analyzed again
    assert not any(j.force for j in w.engine.batch.jobs)  # a store may serve the range
    assert "Tempo range 88–175 BPM: analyzing 2 songs again." in said


def test_a_folder_added_again_lists_each_song_once(qtbot, make_window, fast_settings, wav_deck):
    """Dropping a folder twice (or a file of a folder already added) adds no second row;
    the scan's summary says how many were in the list already.  After Clear they can be
    added again."""
    deck, paths = wav_deck
    w = make_window(fast_settings, FakeAnalyzer())
    with qtbot.waitSignal(w.engine.scanSummary, timeout=TIMEOUT):
        w.add_paths([deck])
    n = len(w.engine.batch.jobs)
    with qtbot.waitSignal(w.engine.scanSummary, timeout=TIMEOUT) as summary:
        w.add_paths([deck, paths[0]])
    assert len(w.engine.batch.jobs) == n
    assert summary.args[0].startswith(f"0 added, {n} already in the list")
    w.engine.clear()
    with qtbot.waitSignal(w.engine.scanSummary, timeout=TIMEOUT) as summary:
        w.add_paths([deck])
    assert len(w.engine.batch.jobs) == n and summary.args[0].startswith(f"{n} added")


def test_the_chunks_tab_spells_keys_as_the_song_table_does(qtbot, make_window, fast_settings,
                                                           monkeypatch):
    # The song's key and its chunks' keys kept their sharps when the window spelled keys
    # with flats; the song shown is spelled again when the setting changes.
    from core.analysis.identity import analyzer_id
    from core.io.results import ChunkResult
    from gui.settings_dialog import SettingsDialog

    def analyze(path, *, settings, progress=None, should_cancel=None):
        chunks = [ChunkResult(index=i, start_s=30.0 * i, end_s=30.0 * (i + 1), bpm=120.0,
                              key=k, loudness_lufs=-10.0)
                  for i, k in enumerate(["A# minor", "C major"])]
        return SongResult(path=path, title="Dark", status="done", bpm=120.0, key="A# minor",
                          chunk_results=chunks, analyzer=analyzer_id())

    def choose(flats):
        def pick(dlg):
            dlg.key_names.setCurrentIndex(dlg.key_names.findData(flats))
            dlg.accept()
            return 1
        monkeypatch.setattr(SettingsDialog, "exec", pick)
        w.settings_dialog()

    w = make_window(fast_settings, analyze)
    _add(w, ["/m/dark.wav"])
    _run(qtbot, w)
    view = w.chunk_view
    _select(w, 0)
    assert [view.table.item(r, 5).text() for r in range(2)] == ["A# minor", "C major"]
    assert "A# minor" in view.summary.text()
    choose(True)
    assert [view.table.item(r, 5).text() for r in range(2)] == ["B\u266d minor", "C major"]
    assert "B\u266d minor" in view.summary.text() and "A#" not in view.summary.text()
    assert w.model.index(0, descriptor_column("key")).data() == "B\u266d minor"
    choose(False)
    assert view.table.item(0, 5).text() == "A# minor" and "A# minor" in view.summary.text()


def test_the_chunks_tab_names_the_users_key_and_tempo_and_the_analyzers(
        qtbot, make_window, fast_settings):
    # A key the user set (Set Key, the Key menu) was not in the Chunks tab: it named the
    # analyzer's key alone.  It names the user's, marked with the table's pencil and
    # spelled as the table spells it, and the analyzer's after it; so for a tempo.
    from core.analysis.identity import analyzer_id
    from core.io.results import ChunkResult

    def analyze(path, *, settings, progress=None, should_cancel=None):
        chunks = [ChunkResult(index=i, start_s=30.0 * i, end_s=30.0 * (i + 1), bpm=b,
                              key="A minor", loudness_lufs=-10.0)
                  for i, b in enumerate([120.0, 140.0])]
        return SongResult(path=path, title="Dark", status="done", bpm=120.0, bpm_varies=True,
                          key="A minor", chunk_results=chunks, analyzer=analyzer_id())

    w = make_window(fast_settings, analyze)
    _add(w, ["/m/dark.wav"])
    _run(qtbot, w)
    view = w.chunk_view
    _select(w, 0)
    assert "A minor" in view.summary.text() and "\u270e" not in view.summary.text()
    w.spell_keys(True)
    w.set_key("A# minor")
    text = view.summary.text()
    assert "B\u266d minor \u270e (analyzer: A minor)" in text and "A#" not in text
    key_col = descriptor_column("key")
    assert w.model.index(0, key_col).data() == "B\u266d minor \u270e"  # as the table says
    assert [view.table.item(r, 5).text() for r in range(2)] == ["A minor"] * 2  # chunks: as heard
    w.set_tempo(60.0)
    text = view.summary.text()
    assert "60.0 BPM \u270e (analyzer: 120.0 BPM)" in text
    assert "more than 4 % off the analyzer's" in text  # what the chunks are weighed against
    assert view.song_line.value() == 120.0
    w.set_key(None)  # the correction taken back: the analyzer's key alone again
    text = view.summary.text()
    assert "A minor" in text and "analyzer: A minor" not in text and "B\u266d" not in text


def test_the_chunks_plot_names_the_analyzers_tempo_and_draws_yours(qtbot, make_window,
                                                                   fast_settings):
    # With a tempo set by hand, the plot's line kept the name "song tempo" though it is the
    # analyzer's (the one the chunks are weighed against) and the user's was not drawn.
    # The line keeps its place under its own name, the user's tempo gets a line of its own
    # where the chunks are, and the legend says where it is, with its value, when it is not.
    from core.analysis.identity import analyzer_id
    from core.io.results import ChunkResult

    def analyze(path, *, settings, progress=None, should_cancel=None):
        chunks = [ChunkResult(index=i, start_s=30.0 * i, end_s=30.0 * (i + 1), bpm=b)
                  for i, b in enumerate([118.0, 120.0, 126.0])]
        return SongResult(path=path, title="Drift", status="done", bpm=120.0,
                          chunk_results=chunks, analyzer=analyzer_id())

    w = make_window(fast_settings, analyze)
    _add(w, ["/m/drift.wav"])
    _run(qtbot, w)
    view = w.chunk_view
    _select(w, 0)

    def labels():
        return [label.text for _sample, label in view.legend.items]

    ours = ["chunk tempo", "song tempo", "within 4 % of the song tempo"]
    assert labels() == ours
    w.set_tempo(124.0)  # among the chunks: drawn
    theirs = ["chunk tempo", "analyzer's tempo", "within 4 % of the analyzer's tempo"]
    assert labels() == theirs + ["your tempo"]
    assert view.song_line.value() == 120.0 and view.song_line.isVisible()
    assert view.band.getRegion() == pytest.approx((120.0 / 1.04, 120.0 * 1.04))
    assert view.user_line.isVisible() and view.user_line.value() == 124.0
    lo, hi = view.plot.getViewBox().viewRange()[1]
    assert lo < 118.0 and hi > 126.0
    w.set_tempo(60.0)  # half: off the chunks' range, said in the legend, the range kept
    assert labels() == theirs + ["your tempo, 60.0 BPM, below the plot"]
    assert not view.user_line.isVisible() and view.song_line.value() == 120.0
    assert view.plot.getViewBox().viewRange()[1][0] > 100.0
    w.set_tempo(240.0)
    assert labels() == theirs + ["your tempo, 240.0 BPM, above the plot"]
    assert not view.user_line.isVisible()
    w.set_tempo(None)  # the correction taken back: as it was
    assert labels() == ours and not view.user_line.isVisible()
    # the legend's swatches: the user's line drawn as the legend shows it
    w.set_tempo(121.0)
    sample = view.legend.items[3][0].item
    assert sample.opts["pen"] == view.user_line.pen


def test_keys_can_be_shown_with_flats_and_are_kept_with_sharps(qtbot, make_window,
                                                               fast_settings, monkeypatch,
                                                               tmp_path):
    """Keys were always spelled with sharps (A# major), though many musicians read Bb
    major; Settings > Key names now offers flats, for the window only."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QInputDialog

    from core.io.results import write_results_csv
    from gui.main_window import MainWindow
    from gui.settings_dialog import FLAT_KEYS_KEY, SettingsDialog, flat_keys

    w = make_window(fast_settings, FakeAnalyzer())
    _add(w, ["/m/a.wav", "/m/b.wav"])
    _run(qtbot, w)
    _select(w, 0)
    w.set_key("F# minor")
    key_col = descriptor_column("key")
    assert w.model.index(0, key_col).data().startswith("F# minor")
    assert not flat_keys()

    def choose_flats(dlg):
        assert dlg.key_names.currentData() is False  # sharps until chosen
        dlg.key_names.setCurrentIndex(dlg.key_names.findData(True))
        dlg.accept()
        return 1

    monkeypatch.setattr(SettingsDialog, "exec", choose_flats)
    w.settings_dialog()
    assert flat_keys() and QSettings().value(FLAT_KEYS_KEY) in (True, "true")
    assert w.model.index(0, key_col).data() == "G\u266d minor \u270e"
    assert w.model.index(1, key_col).data() == "A minor"  # a white-key tonic: as it was
    assert w.chunk_view.flat_keys and w.calibration_view.values_model.flat_keys  # (all tabs)
    assert w.engine.batch.jobs[0].result.key_user == "F# minor"  # kept as spelled
    assert "B\u266d major" in [a.text() for a in w.key_menu().actions()]
    offered = []
    monkeypatch.setattr(QInputDialog, "getItem",
                        lambda _p, _t, _l, items, *_a: offered.append(items)
                        or ("B\u266d major", True))
    w.choose_key()
    assert "D\u266d major" in offered[0] and "C# major" not in offered[0]
    assert w.engine.batch.jobs[0].result.key_user == "A# major"
    assert w.model.index(0, key_col).data() == "B\u266d major \u270e"
    # the cell and its tip spell the flat alike, with the sign
    tip = w.model.index(0, key_col).data(Qt.ItemDataRole.ToolTipRole)
    assert "A# major (B\u266d major)" in tip
    out = tmp_path / "results.csv"
    write_results_csv(out, [j.result for j in w.engine.batch.jobs])
    text = out.read_text(encoding="utf-8")
    assert "A# major" in text and "Bb" not in text and "\u266d" not in text  # sharps
    # a window started later (one that remembers) reads the choice
    later = MainWindow(fast_settings, remember=True)
    qtbot.addWidget(later)
    assert later.model.flat_keys and later.calibration_view.values_model.flat_keys
    later.close()
