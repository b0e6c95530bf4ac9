"""The main window: drop, a whole batch, the stall banner, cancel, quit, settings, panels."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QSettings, Qt
from PySide6.QtGui import QDragEnterEvent
from PySide6.QtWidgets import QApplication

from core.batch.rules import SongState
from core.settings import AnalysisSettings
from gui.settings_dialog import SettingsDialog, load_settings, save_settings
from gui.window_actions import about_text
from tests.gui.conftest import FakeAnalyzer, drop_paths, with_row_menu


def test_drop_folder_adds_audio_files_recursively(qtbot, make_window, wav_deck, fast_settings):
    deck, paths = wav_deck
    w = make_window(fast_settings, FakeAnalyzer())
    with qtbot.waitSignal(w.engine.scanFinished, timeout=10_000):
        drop_paths(w, [deck])
    assert w.model.rowCount() == 6  # notes.txt skipped silently, subfolder included
    files = sorted(w.model.index(r, 3).data() for r in range(6))
    assert files == sorted(p.name for p in paths)
    assert w.start_action.isEnabled()


def test_drop_without_local_files_is_refused(make_window, fast_settings):
    w = make_window(fast_settings, FakeAnalyzer())
    mime = QMimeData()
    mime.setText("just text")
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(w, enter)
    assert not enter.isAccepted()


def test_whole_batch_of_real_songs_in_the_window(qtbot, make_window, wav_deck, tmp_path):
    deck, paths = wav_deck
    settings = AnalysisSettings(workers=2, budget_base_s=60.0)
    w = make_window(settings, None)  # the real analysis
    with qtbot.waitSignal(w.engine.scanFinished, timeout=10_000):
        w.add_paths([deck])
    with qtbot.waitSignal(w.engine.batchFinished, timeout=60_000):
        w.start_action.trigger()
    batch = w.engine.batch
    assert [j.state for j in batch.jobs] == [SongState.DONE] * 6, [j.error for j in batch.jobs]
    for job in batch.jobs:
        assert job.result.duration_s == pytest.approx(3.0, abs=0.01)
        assert job.result.sample_rate == 22050
    w._refresh_ui()
    assert w.count_label.text() == "6 songs: 6 done"
    with qtbot.waitSignal(w.exported, timeout=10_000) as blocker:
        w.export_results(tmp_path / "out" / "results.csv")
    assert blocker.args[1] == ""
    from core.io.csvio import read_csv_rows

    cols, rows = read_csv_rows(tmp_path / "out" / "results.csv")
    assert cols[:5] == ["path", "title", "artist", "status", "error"]
    assert [r["status"] for r in rows] == ["done"] * 6


def test_a_song_waiting_in_a_cluster_queue_counts_as_queued_in_the_window(
        qtbot, make_window, fast_settings, tmp_path):
    # Handed to a cluster's scheduler, not started on a worker yet: the status bar, the
    # "Running" filter and an export tell it as queued until it starts.
    w = make_window(fast_settings, FakeAnalyzer())
    batch = w.engine.batch
    batch.add(["/m/waits.wav", "/m/later.wav"])
    w.engine.jobsAdded.emit(0, 2)
    job, attempt = batch.claim("h:1 #1", starts_later=True)
    w._refresh_ui()
    assert w.count_label.text() == "2 songs: 2 queued"
    w.filter_combo.setCurrentText("Running")
    assert w.proxy.rowCount() == 0
    w.filter_combo.setCurrentText("Queued")
    assert w.proxy.rowCount() == 2
    with qtbot.waitSignal(w.exported, timeout=10_000) as blocker:
        w.export_results(tmp_path / "results.csv")
    assert blocker.args[1] == ""
    from core.io.csvio import read_csv_rows

    cols, rows = read_csv_rows(tmp_path / "results.csv")
    assert [r["status"] for r in rows] == ["queued", "queued"]
    assert batch.started(job.id, attempt, "h:1/0")
    w._refresh_ui()
    assert w.count_label.text() == "2 songs: 1 running, 1 queued"
    w.proxy.refilter()
    assert w.proxy.rowCount() == 1
    w.filter_combo.setCurrentText("Running")
    assert w.proxy.rowCount() == 1


def test_stall_banner_names_song_and_batch_still_finishes(qtbot, make_window, fast_settings):
    fake = FakeAnalyzer(block_on="002")
    w = make_window(fast_settings, fake)
    eng = w.engine
    eng.batch.add([f"/music/{i:03d}.wav" for i in range(8)])
    eng.jobsAdded.emit(0, 8)
    try:
        w.start()
        qtbot.waitUntil(lambda: not w.banner.isHidden(), timeout=5000)
        text = w.banner.label.text()
        assert "002.wav" in text
        job = eng.batch.jobs[2]
        assert job.worker in text and "past its budget" in text
        w.bottom_tabs.setCurrentIndex(0)
        w.workers.refresh()
        states = [w.workers.model_.worker_state(r) for r in range(w.workers.model_.rowCount())]
        assert "stalled" in states
        with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
            pass
        assert job.state is SongState.TIMED_OUT
        assert eng.batch.counts()[SongState.DONE] == 7
        w._refresh_ui()
        assert w.banner.isHidden()
        w.workers.refresh()
        states = [w.workers.model_.worker_state(r) for r in range(w.workers.model_.rowCount())]
        assert "abandoned" in states
    finally:
        fake.release()
    qtbot.waitUntil(lambda: not eng.abandoned, timeout=5000)
    assert eng.batch.jobs[2].state is SongState.TIMED_OUT


def test_banner_skip_button_skips_the_stalled_song(qtbot, make_window, fast_settings):
    settings = dataclasses.replace(fast_settings, hard_limit_factor=100.0)
    fake = FakeAnalyzer(block_on="000")
    w = make_window(settings, fake)
    eng = w.engine
    eng.batch.add(["/music/000.wav", "/music/001.wav"])
    eng.jobsAdded.emit(0, 2)
    try:
        w.start()
        qtbot.waitUntil(lambda: not w.banner.isHidden(), timeout=5000)
        with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
            qtbot.mouseClick(w.banner.skip_button, Qt.MouseButton.LeftButton)
        assert eng.batch.jobs[0].state is SongState.SKIPPED
        assert eng.batch.jobs[1].state is SongState.DONE
    finally:
        fake.release()
    qtbot.waitUntil(lambda: not eng.abandoned, timeout=5000)


def test_cancel_action_mid_batch(qtbot, make_window, fast_settings):
    fake = FakeAnalyzer(n_chunks=30, step_s=0.01)
    w = make_window(fast_settings, fake)
    w.engine.batch.add([f"/music/{i:03d}.wav" for i in range(10)])
    w.engine.jobsAdded.emit(0, 10)
    w.start_action.trigger()
    qtbot.waitUntil(lambda: len(fake.calls) >= 2, timeout=5000)
    w._update_actions()
    assert w.cancel_action.isEnabled()
    with qtbot.waitSignal(w.engine.batchFinished, timeout=10_000):
        w.cancel_action.trigger()
    c = w.engine.batch.counts()
    assert c[SongState.CANCELLED] >= 8 and c[SongState.QUEUED] == 0
    w._update_actions()
    assert w.retry_action.isEnabled() and not w.cancel_action.isEnabled()


def test_songs_added_while_a_batch_is_cancelled_wait_for_the_next_start(
        qtbot, make_window, fast_settings, wav_deck):
    # A cancel waits for the running songs to stop; songs a scan adds meanwhile are not part
    # of the cancelled run: it still ends, and they stay queued for Start.
    _deck, paths = wav_deck
    fake = FakeAnalyzer(block_on="000")  # a song slow to stop
    w = make_window(fast_settings, fake)
    eng = w.engine
    with qtbot.waitSignal(eng.scanFinished, timeout=10_000):
        w.add_paths([paths[0]])
    try:
        w.start()
        assert fake.blocked.wait(5)
        w.cancel_action.trigger()
        assert eng.state == "cancelling"
        with qtbot.waitSignal(eng.scanFinished, timeout=10_000):
            w.add_paths([paths[1], paths[2]])
    finally:
        fake.release()
    with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
        pass
    assert [j.state for j in eng.batch.jobs] == [SongState.CANCELLED, SongState.QUEUED,
                                                 SongState.QUEUED]
    w._update_actions()
    assert w.start_action.isEnabled()
    with qtbot.waitSignal(eng.batchFinished, timeout=10_000):
        w.start_action.trigger()
    assert [j.state for j in eng.batch.jobs][1:] == [SongState.DONE] * 2


def test_quit_mid_batch_stops_workers_without_crash(qtbot, make_window, fast_settings):
    fake = FakeAnalyzer(n_chunks=100, step_s=0.01)
    w = make_window(fast_settings, fake)
    w.engine.batch.add([f"/music/{i:03d}.wav" for i in range(6)])
    w.engine.jobsAdded.emit(0, 6)
    w.start()
    qtbot.waitUntil(lambda: len(fake.calls) >= 2, timeout=5000)
    assert w.close()
    assert not w.stuck_workers
    assert len(fake.returned) == len(fake.calls)


def test_plots_and_worker_panel_follow_the_batch(qtbot, make_window, fast_settings):
    from gui.plots import NO_RUN

    w = make_window(fast_settings, FakeAnalyzer())
    w.bottom_tabs.setCurrentWidget(w._plots_holder)
    w._refresh_plots(force=True)
    assert w.plots.empty_label.isVisible() and w.plots.empty_label.text() == NO_RUN
    w.engine.batch.add([f"/music/{i:03d}.wav" for i in range(6)])
    w.engine.jobsAdded.emit(0, 6)
    w._refresh_plots(force=True)
    assert w.plots.empty_label.isVisible()  # songs listed, none run yet
    with qtbot.waitSignal(w.engine.batchFinished, timeout=10_000):
        w.start()
    w._refresh_plots(force=True)
    assert not w.plots.empty_label.isVisible()
    x, y = w.plots.done_curve.getData()
    assert y[-1] == 6
    assert len(w.plots.elapsed_points[SongState.DONE].xData) == 6
    assert len(w.plots.segments[SongState.DONE].opts["x0"]) == 6
    running = w.plots.elapsed_points[SongState.RUNNING].getData()[0]
    assert running is None or len(running) == 0
    w.workers.refresh()
    model = w.workers.model_
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == ["W1", "W2"]
    assert all(model.worker_state(r) == "idle" for r in range(model.rowCount()))


def test_the_plots_show_the_last_attempts_of_a_long_run(qtbot, make_window, fast_settings,
                                                       monkeypatch):
    # A plot of every song would cost each refresh more the longer a batch runs; they show
    # the last attempts (plots.RECENT, 2,000 in the application; 5 here).
    import gui.plots

    monkeypatch.setattr(gui.plots, "RECENT", 5, raising=False)
    w = make_window(fast_settings, FakeAnalyzer(n_chunks=1, step_s=0.001))
    w.engine.batch.add([f"/music/{i:03d}.wav" for i in range(12)])
    w.engine.jobsAdded.emit(0, 12)
    with qtbot.waitSignal(w.engine.batchFinished, timeout=10_000):
        w.start()
    w._refresh_plots(force=True)
    assert len(w.engine.segments) == 12  # the engine keeps the run's whole timeline
    last = sorted(s.job_id + 1 for s in w.engine.segments[-5:])
    assert sorted(w.plots.elapsed_points[SongState.DONE].xData) == last
    assert len(w.plots.budget_curve.xData) == 5
    assert len(w.plots.segments[SongState.DONE].opts["x0"]) == 5
    first = min(s.start for s in w.engine.segments[-5:])
    assert w.plots.timeline_plot.viewRange()[0][0] <= first


def test_copy_selected_rows_as_tsv(qtbot, make_window, fast_settings):
    w = make_window(fast_settings, FakeAnalyzer())
    w.engine.batch.add(["/music/a.wav", "/music/b.wav"])
    w.engine.jobsAdded.emit(0, 2)
    w.table.selectAll()
    text = w.table.copy_selection()
    lines = text.splitlines()
    assert lines[0].startswith("#\tTitle\tArtist\tFile\tStatus")
    assert lines[1].split("\t")[3] == "a.wav" and len(lines) == 3
    assert QApplication.clipboard().text() == text


def test_settings_are_remembered(qtbot):
    s = AnalysisSettings(workers=3, budget_base_s=12.5, budget_factor=0.5,
                         hard_limit_factor=2.0, chunk_seconds=20.0, sample_rate=16000)
    save_settings(s)
    assert load_settings() == s
    dlg = SettingsDialog(s)
    qtbot.addWidget(dlg)
    assert dlg.settings() == s
    dlg.workers.setValue(5)
    assert dlg.settings().workers == 5


def test_settings_show_the_default_session_store_file_whole(qtbot, tmp_path, monkeypatch):
    """The empty Session store file field names the default file; its whole path shows
    (it was cut after 'data/res' in a dialog of its own width)."""
    from core.batch.store import default_store_path

    monkeypatch.chdir(tmp_path)  # a path as long as the usual Linux one
    monkeypatch.setenv("SONGCAL_DATA_DIR", "home/someone/.local/share/SongCal")
    dlg = SettingsDialog(AnalysisSettings())
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    field = dlg.session_store
    assert field.text() == "" and field.placeholderText() == default_store_path()
    assert field.placeholderText().endswith("results.sqlite")
    shown = field.fontMetrics().horizontalAdvance(field.placeholderText())
    assert shown <= field.contentsRect().width() - 8  # the frame's and the text's margins


def test_the_tempo_range_is_chosen_remembered_and_restored(qtbot):
    s = AnalysisSettings(workers=2, tempo_floor_bpm=88.0)
    save_settings(s)
    assert load_settings() == s
    dlg = SettingsDialog(s)
    qtbot.addWidget(dlg)
    assert dlg.tempo_range.currentText() == "88\u2013175 BPM"
    assert dlg.settings() == s
    dlg.tempo_range.setCurrentIndex(dlg.tempo_range.findData(78.0))
    assert dlg.settings().tempo_floor_bpm == 78.0
    dlg._defaults()
    assert dlg.tempo_range.currentText().startswith("Automatic")
    assert dlg.settings().tempo_floor_bpm == 0.0
    # a range set on the command line is offered as it is
    odd = SettingsDialog(AnalysisSettings(workers=2, tempo_floor_bpm=84.5))
    qtbot.addWidget(odd)
    assert odd.tempo_range.currentText() == "84.5\u2013168 BPM"
    assert odd.settings().tempo_floor_bpm == 84.5


def test_bad_remembered_setting_falls_back_on_default(qtbot):
    qs = QSettings()
    qs.setValue("analysis/sample_rate", "lots")
    qs.setValue("analysis/workers", 2)
    s = load_settings(qs)
    assert s.sample_rate == AnalysisSettings().sample_rate
    assert s.workers == 2


def test_about_names_versions():
    text = about_text()
    assert "SongCal" in text and "PySide6" in text and "numpy" in text


def test_quit_with_a_stuck_decoder_does_not_hang(qtbot, make_window, fast_settings):
    import time

    settings = dataclasses.replace(fast_settings, budget_base_s=30.0)
    fake = FakeAnalyzer(block_on="000")
    w = make_window(settings, fake)
    w.shutdown_timeout_ms = 200
    w.engine.batch.add(["/music/000.wav", "/music/001.wav"])
    w.engine.jobsAdded.emit(0, 2)
    try:
        w.start()
        qtbot.waitUntil(fake.blocked.is_set, timeout=5000)
        shown_while_waiting = []
        shutdown = w.engine.shutdown
        w.engine.shutdown = lambda **kw: shown_while_waiting.append(w.isVisible()) \
            or shutdown(**kw)
        t0 = time.monotonic()
        assert w.close()
        assert time.monotonic() - t0 < 2.0
        assert w.stuck_workers
        assert shown_while_waiting == [False]  # no frozen window left on the screen
    finally:
        fake.release()
    qtbot.waitUntil(lambda: len(fake.returned) == len(fake.calls), timeout=5000)


def test_worker_panel_tells_computing_from_waiting(qtbot, make_window, fast_settings):
    import threading
    import time

    from core.io.results import SongResult

    settings = dataclasses.replace(fast_settings, budget_base_s=30.0)
    stop = threading.Event()

    def analyze(path, *, settings, progress=None, should_cancel=None):
        if "busy" in path:
            while not stop.is_set():  # a slow song: computing
                sum(range(2000))
        else:
            stop.wait(10)  # a stuck decoder: no CPU
        return SongResult(path=path, status="done")

    w = make_window(settings, analyze)
    w.engine.batch.add(["/music/busy.wav", "/music/stuck.wav"])
    w.engine.jobsAdded.emit(0, 2)
    model = w.workers.model_
    try:
        w.start()
        qtbot.waitUntil(lambda: all(r.native_id for r in w.engine.busy_records()),
                        timeout=5000)
        model.refresh()
        refreshed = [time.monotonic()]

        def labels_settle():
            # CPU use is a rate between two refreshes: refresh at most every 0.2 s.
            if time.monotonic() - refreshed[0] >= 0.2:
                model.refresh()
                refreshed[0] = time.monotonic()
            labels = {model.index(r, 2).data(): model.cpu_label(r)
                      for r in range(model.rowCount())}
            assert labels == {"busy.wav": "computing", "stuck.wav": "waiting (no CPU)"}

        qtbot.waitUntil(labels_settle, timeout=5000)
        assert {model.worker_state(r) for r in range(model.rowCount())} == {"busy"}
    finally:
        stop.set()
    qtbot.waitUntil(lambda: not w.engine.is_running, timeout=5000)


def _store_with_unfinished_session(tmp_path, paths):
    from core.batch.store import ResultStore

    store = ResultStore(str(tmp_path / "store.sqlite"))
    store.begin_session([str(p) for p in paths], AnalysisSettings().to_dict())
    return store


def test_interrupted_batch_is_offered_and_resumed(qtbot, make_window, wav_deck, tmp_path,
                                                 fast_settings):
    _, paths = wav_deck
    store = _store_with_unfinished_session(tmp_path, paths[:3])
    fake = FakeAnalyzer()
    w = make_window(fast_settings, fake, store=store)
    assert w.offer_resume()
    assert not w.resume_banner.isHidden()
    assert "3 songs" in w.resume_banner.label.text()
    with qtbot.waitSignal(w.engine.batchFinished, timeout=10_000):
        qtbot.mouseClick(w.resume_banner.resume_button, Qt.MouseButton.LeftButton)
    assert sorted(j.path for j in w.engine.batch.jobs) == sorted(str(p) for p in paths[:3])
    assert w.engine.batch.counts()[SongState.DONE] == 3
    assert store.unfinished_session() is None
    assert w.resume_banner.isHidden()


def test_dismissed_session_is_not_offered_again(make_window, wav_deck, tmp_path, fast_settings):
    _, paths = wav_deck
    store = _store_with_unfinished_session(tmp_path, paths[:2])
    w = make_window(fast_settings, FakeAnalyzer(), store=store)
    assert w.offer_resume()
    w.resume_banner.dismiss_button.click()
    assert w.resume_banner.isHidden()
    assert not w.offer_resume()
    assert w.engine.batch.jobs == []


def test_banner_hide_keeps_the_hard_limit(qtbot, make_window, fast_settings):
    fake = FakeAnalyzer(block_on="000")
    w = make_window(fast_settings, fake)
    w.engine.batch.add(["/music/000.wav"])
    w.engine.jobsAdded.emit(0, 1)
    try:
        w.start()
        qtbot.waitUntil(lambda: not w.banner.isHidden(), timeout=5000)
        # a run time, never a clock time ("timed out at 1:20" read as twenty past one)
        assert "will be timed out when it has run 1.2 s" in w.banner.label.text()
        assert "still timed out when it has run 1.2 s" in w.banner.hide_button.toolTip()
        qtbot.mouseClick(w.banner.hide_button, Qt.MouseButton.LeftButton)
        assert w.banner.isHidden()
        w._refresh_ui()
        assert w.banner.isHidden()  # still stalled, but the user hid the warning
        assert w.engine.batch.jobs[0].state is SongState.STALLED
        with qtbot.waitSignal(w.engine.batchFinished, timeout=10_000):
            pass
        assert w.engine.batch.jobs[0].state is SongState.TIMED_OUT
        assert "hard limit 1.2 s" in w.engine.batch.jobs[0].error
    finally:
        fake.release()
    qtbot.waitUntil(lambda: not w.engine.abandoned, timeout=5000)


def test_analyze_again_from_the_table_forces_a_fresh_analysis(qtbot, make_window,
                                                               fast_settings):
    fake = FakeAnalyzer()
    w = make_window(fast_settings, fake)
    w.engine.batch.add(["/music/000.wav", "/music/001.wav"])
    w.engine.jobsAdded.emit(0, 2)
    with qtbot.waitSignal(w.engine.batchFinished, timeout=10_000):
        w.start()
    with qtbot.waitSignal(w.engine.batchFinished, timeout=10_000):
        w.table.retryRequested.emit([1])
    assert len(fake.calls) == 3 and fake.calls[2] == "/music/001.wav"
    assert w.engine.batch.jobs[1].force
    assert w.engine.batch.counts()[SongState.DONE] == 2


def test_workers_beyond_the_memory_are_lowered_and_the_dialog_says_why(
        qtbot, make_window, fast_settings, monkeypatch, caplog):
    """The Settings dialog took 256 workers on a small machine and the batch started 256
    songs at once; the command line lowers them to what the memory holds."""
    import core.settings

    monkeypatch.setattr(core.settings, "available_memory",
                        lambda: 3 * core.settings.MEMORY_PER_SONG - 1)
    dlg = SettingsDialog(dataclasses.replace(fast_settings, workers=2))
    qtbot.addWidget(dlg)
    assert dlg.workers_note.isHidden()
    dlg.workers.setValue(256)
    assert not dlg.workers_note.isHidden()
    assert dlg.workers_note.text() == (
        "Lowered on this computer: 256 workers need about 17.2 GB of memory for songs in "
        "progress (64 MB each) and 0.2 GB is available; using 2 workers.")
    dlg.cluster.setText("local:2")  # a cluster's workers are sized by their machines
    assert dlg.workers_note.isHidden()
    dlg.cluster.setText("")
    w = make_window(fast_settings, FakeAnalyzer())
    with caplog.at_level("WARNING"):
        said = w.apply_settings(dlg.settings())
    assert w.engine.settings.workers == 2 and len(w.engine.slots) == 2
    assert said.startswith("256 workers need about 17.2 GB") and said.endswith("using 2 workers.")
    assert w.statusBar().currentMessage() == said
    assert said in caplog.text
    w.apply_settings(dataclasses.replace(fast_settings, workers=3))  # 3 do not fit either
    assert w.engine.settings.workers == 2
    monkeypatch.setattr(core.settings, "available_memory",
                        lambda: 256 * core.settings.MEMORY_PER_SONG)
    assert w.apply_settings(dlg.settings()) is None and w.engine.settings.workers == 256


def test_the_actions_follow_the_states_the_batch_counts(make_window, fast_settings):
    from core.io.results import SongResult

    w = make_window(fast_settings, FakeAnalyzer())
    eng = w.engine
    w._update_actions()
    assert not any(a.isEnabled() for a in (w.start_action, w.retry_action, w.force_action,
                                           w.clear_action, w.export_chunks_action))
    eng.restore_jobs([("/m/a.wav", SongResult(path="/m/a.wav", status="failed", error="x")),
                      ("/m/b.wav", SongResult(path="/m/b.wav", status="done", bpm=120.0))])
    w._update_actions()
    assert not w.start_action.isEnabled()  # nothing queued
    assert all(a.isEnabled() for a in (w.retry_action, w.force_action, w.clear_action,
                                       w.export_chunks_action))
    eng.restore_jobs([("/m/c.wav", None)])  # a song not analyzed yet: queued
    w._update_actions()
    assert w.start_action.isEnabled()


def test_worker_panel_reads_thread_cpu_times_off_the_gui_thread(qtbot, make_window,
                                                                  fast_settings):
    """Listing the process's threads can take tens of milliseconds under load: the panel's
    refresh uses the last reading and never lists threads on the GUI thread itself."""
    import threading

    from gui.worker_panel import ThreadCpuSampler

    sampler = ThreadCpuSampler()
    if not sampler.available:
        pytest.skip("no per-thread CPU times on this system")
    readers = []
    real_threads = sampler._proc.threads

    class Proc:
        def threads(self):
            readers.append(threading.current_thread())
            return real_threads()

    sampler._proc = Proc()
    w = make_window(fast_settings, lambda path, **kw: None)
    model = w.workers.model_
    model.sampler = sampler
    model.refresh()
    qtbot.waitUntil(lambda: bool(readers), timeout=5000)
    qtbot.waitUntil(lambda: sampler._latest[1] > 0, timeout=5000)
    model.refresh()
    assert readers and threading.main_thread() not in readers
    times, at = sampler.sample()
    assert threading.get_native_id() in times and at > 0


def test_every_tip_names_the_keys_of_its_command_or_none(make_window, fast_settings):
    """A tip ends with its keys in parentheses, never with empty ones: Settings has a
    standard key only on some platforms and Ctrl+, elsewhere."""
    from PySide6.QtGui import QAction, QKeySequence

    w = make_window(fast_settings)
    settings_keys = w.settings_action.shortcut().toString(
        QKeySequence.SequenceFormat.NativeText)
    assert settings_keys
    assert w.settings_action.toolTip().endswith(f"({settings_keys})")
    for a in w.findChildren(QAction):
        assert "()" not in a.toolTip(), a.text()
        keys = a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if a.statusTip() and keys:
            assert a.toolTip() == f"{a.statusTip()} ({keys})", a.text()


_SMALL_WORDS = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or",
                "the", "to", "with"}


def _not_title_case(text: str) -> list[str]:
    words = text.replace("&", "").replace("\u2026", "").split()
    return [w for i, w in enumerate(words)
            if w[:1].isalpha() and w[:1].islower() and (i == 0 or w not in _SMALL_WORDS)]


def test_commands_are_named_in_title_case_everywhere(qtbot, make_window, fast_settings):
    """The menus, the row menu, the tabs and the Calibration tab's buttons name their
    commands alike ('Copy rows', 'Analyze again' and 'Apply profile…' stood among
    'Select All', 'Set Tempo…' and 'Apply Profile…')."""

    w = make_window(fast_settings, FakeAnalyzer())
    w.engine.batch.add(["/m/a.wav"])
    w.engine.jobsAdded.emit(0, 1)
    with qtbot.waitSignal(w.engine.batchFinished, timeout=10_000):
        w.start()
    texts = []

    def walk(menu):
        for a in menu.actions():
            if not a.isSeparator():
                texts.append(a.text())
                if a.menu() is not None:
                    walk(a.menu())

    for top in w.menuBar().actions():
        walk(top.menu())
    with_row_menu(w, 0, walk)
    texts += [w.bottom_tabs.tabText(i) for i in range(w.bottom_tabs.count())]
    view = w.calibration_view
    texts += [b.text() for b in (view.load_button, view.match_button, view.fit_button,
                                 view.export_button, view.export_calibrated_button,
                                 view.apply_button)]
    assert {"Copy Rows", "Skip Song", "Analyze Again", "Reveal in File Manager",
            "Batch Plots", "Apply Profile\u2026"} <= {t.replace("&", "") for t in texts}
    assert [t for t in texts if _not_title_case(t)] == []


def test_dialogs_are_titled_as_the_commands_that_open_them(make_window, fast_settings, qtbot):
    """Settings… opens 'Settings' and Matches… opens 'Matches' (they were 'Analysis
    settings' and 'Match songs with the reference')."""
    from gui.match_dialog import MatchDialog

    w = make_window(fast_settings)
    settings = SettingsDialog(fast_settings, w)
    matches = MatchDialog(w.calibration, w)
    for dlg in (settings, matches):
        qtbot.addWidget(dlg)
    for action, dlg in ((w.settings_action, settings), (w.matches_action, matches)):
        assert dlg.windowTitle() == action.text().replace("&", "").removesuffix("\u2026")


def test_the_settings_note_reads_as_text(qtbot):
    """The note under the settings (what a budget and the hard limit do) was drawn in the
    palette's 'mid' grey, 2.3:1 on the dialog; it is ordinary text now (at least 4.5:1)."""
    from PySide6.QtWidgets import QLabel

    from gui.song_paint import contrast_ratio

    dlg = SettingsDialog(AnalysisSettings())
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    note = next(lb for lb in dlg.findChildren(QLabel) if "past its budget" in lb.text())
    note.ensurePolished()
    text = note.palette().color(note.foregroundRole())
    ground = dlg.palette().color(dlg.backgroundRole())
    assert contrast_ratio(text, ground) >= 4.5, (text.name(), ground.name())


def test_the_filter_field_shows_its_hint_whole_in_a_1024_px_window(qtbot, make_window,
                                                                   fast_settings):
    """The filter field takes the bar's spare room before the gap does: at 1024 px its hint
    ended in '(Ctr...', hiding the shortcut."""
    w = make_window(fast_settings)
    w.resize(1024, 700)
    qtbot.waitUntil(lambda: w.width() == 1024, timeout=2000)
    field = w.search
    hint = field.fontMetrics().horizontalAdvance(field.placeholderText())
    assert hint + 40 <= field.width()  # frame, text margins and the clear button's room


def test_dropped_monkeys_audio_musepack_and_amr_files_are_analyzed(qtbot, make_window,
                                                                  tmp_path):
    data = Path(__file__).parents[1] / "core" / "data"
    names = ["rock_120_a_minor.ape", "rock_120_a_minor.mpc", "rock_120_a_minor_nb.amr",
             "rock_120_a_minor.awb"]
    for name in names:
        shutil.copy(data / name, tmp_path / name)
    w = make_window(AnalysisSettings(workers=2, budget_base_s=60.0), None)  # real analysis
    with qtbot.waitSignal(w.engine.scanFinished, timeout=10_000):
        drop_paths(w, [tmp_path])
    assert w.model.rowCount() == 4
    with qtbot.waitSignal(w.engine.batchFinished, timeout=60_000):
        w.start_action.trigger()
    results = {os.path.basename(j.path): j.result for j in w.engine.batch.jobs}
    assert {name: (r.status, r.format) for name, r in results.items()} == {
        "rock_120_a_minor.ape": ("done", "APE/APE"),
        "rock_120_a_minor.mpc": ("done", "MPC/MPC8"),
        "rock_120_a_minor_nb.amr": ("done", "AMR/AMRNB"),
        "rock_120_a_minor.awb": ("done", "AMR/AMRWB")}
    for r in results.values():
        assert r.bpm == pytest.approx(120.0, rel=0.01) and r.key == "A minor"


def test_a_dsd_songs_rate_column_shows_its_own_rate(qtbot, make_window, tmp_path):
    # Read as 88.2 kHz PCM, a DSD64 file's Rate (Hz) is its own 2822400, as a PCM file's is.
    from gui.song_columns import COLUMN_NAMES
    from tests.core.test_dsd import DSD64, click_bits, write_dsf

    bits = click_bits(4.0, 120.0)
    write_dsf(tmp_path / "song.dsf", [bits, bits])
    w = make_window(AnalysisSettings(workers=1, budget_base_s=60.0), None)  # real analysis
    with qtbot.waitSignal(w.engine.scanFinished, timeout=10_000):
        drop_paths(w, [tmp_path / "song.dsf"])
    with qtbot.waitSignal(w.engine.batchFinished, timeout=60_000):
        w.start_action.trigger()
    w._refresh_ui()
    rate = w.model.index(0, COLUMN_NAMES.index("sample_rate")).data()
    assert rate == str(DSD64)
