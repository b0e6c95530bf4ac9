"""The library: the last list, its results, the reference sheet, manual matches and the fit
come back at the next start; an interrupted batch is offered for resuming; New Session."""

from __future__ import annotations

import dataclasses
import os
import time

from PySide6.QtCore import Qt

from core.batch.rules import SongState
from core.batch.store import ResultStore
from core.errors import AudioFileError
from core.io.results import SongResult
from core.settings import AnalysisSettings
from gui.main_window import MainWindow
from gui.song_columns import COL_NOTE
from tests.databases import write_database
from tests.gui.calibration_data import make_deck
from tests.gui.conftest import FakeAnalyzer

TIMEOUT = 20_000
SETTINGS = AnalysisSettings(workers=2, budget_base_s=30.0)
_FIELDS = {f.name for f in dataclasses.fields(SongResult)}


def _window(qtbot, store, analyze=None):
    w = MainWindow(SETTINGS, analyze=analyze or FakeAnalyzer(), remember=False, store=store)
    w.confirm_quit = False
    qtbot.addWidget(w)
    w.show()
    return w


def _restore(qtbot, w):
    with qtbot.waitSignal(w.library.restored, timeout=TIMEOUT) as sig:
        assert w.restore_library()
    return sig.args[0]


def test_the_list_and_its_results_come_back_after_a_normal_quit(qtbot, tmp_path):
    db = tmp_path / "store.sqlite"
    fake = FakeAnalyzer(fail_on="bad", error=AudioFileError("/m/bad.wav", "cannot decode"))
    first = _window(qtbot, ResultStore(db), fake)
    first.engine.batch.add(["/m/one.wav", "/m/bad.wav", "/m/two.wav"])
    first.engine.jobsAdded.emit(0, 3)
    with qtbot.waitSignal(first.engine.batchFinished, timeout=TIMEOUT):
        first.start()
    first.engine.correct([2], bpm_user=60.0)
    first.engine.correct([0], user_checked=True)
    first.close()

    second = _window(qtbot, ResultStore(db))
    info = _restore(qtbot, second)
    assert info["songs"] == 3 and not info["unfinished"]
    jobs = second.engine.batch.jobs
    assert [j.path for j in jobs] == ["/m/one.wav", "/m/bad.wav", "/m/two.wav"]
    assert [j.state for j in jobs] == [SongState.DONE, SongState.FAILED, SongState.DONE]
    assert jobs[2].result.bpm == 120.0 and jobs[2].result.bpm_user == 60.0
    assert jobs[0].result.user_checked is True and jobs[2].result.user_checked is None
    assert second.model.index(1, COL_NOTE).data() == "cannot decode"
    assert second.resume_banner.isHidden()
    second.close()


def test_reference_manual_matches_and_fit_come_back(qtbot, tmp_path):
    sheet, rows, _truth = make_deck(tmp_path, n=30)
    db = tmp_path / "store.sqlite"
    store = ResultStore(db)
    paths = [r["path"] for r in rows]
    sid = store.begin_session(paths, SETTINGS.to_dict(), kind="library", running=False)
    for i, row in enumerate(rows):
        store.save_session_result(sid, i, SongResult(**{k: v for k, v in row.items()
                                                        if k in _FIELDS}))
    # the garbled last song was paired by hand with the sheet's last row
    store.set_session_state(sid, {"reference": str(sheet), "manual": {"29": 30},
                                  "unpaired": [], "fitted": True})
    w = _window(qtbot, store)
    with qtbot.waitSignal(w.calibration.fitted, timeout=TIMEOUT):
        info = _restore(qtbot, w)
    assert info["songs"] == 30 and info["reference"] == str(sheet)
    ctrl = w.calibration
    assert ctrl.sheet is not None and ctrl.session.manual == {29: 30}
    assert ctrl.session.calibration is not None
    assert ctrl.reference_row(ctrl.song_index(29)).title == "Lonely Row"
    # a change made now is kept for the next start too
    ctrl.unmatch(ctrl.song_index(3))
    w.close()
    again = ResultStore(db)
    state = again.last_library()["state"]
    again.close()
    assert state["reference"] == str(sheet) and state["fitted"] is True
    assert state["manual"] == {"29": 30} and state["unpaired"] == [3]


def test_an_interrupted_batch_is_offered_and_resumed_in_place(qtbot, tmp_path):
    db = tmp_path / "store.sqlite"
    store = ResultStore(db)
    sid = store.begin_session(["/m/a.wav", "/m/b.wav", "/m/c.wav"], SETTINGS.to_dict(),
                              kind="library")  # running: the window was killed mid-batch
    store.save_session_result(sid, 0, SongResult(path="/m/a.wav", status="done", bpm=90.0))
    fake = FakeAnalyzer()
    w = _window(qtbot, store, fake)
    info = _restore(qtbot, w)
    assert info["unfinished"]
    assert not w.resume_banner.isHidden() and "2 songs" in w.resume_banner.label.text()
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        w.resume_banner.resume_button.click()
    assert sorted(fake.calls) == ["/m/b.wav", "/m/c.wav"]  # the done one is not run again
    assert [j.state for j in w.engine.batch.jobs] == [SongState.DONE] * 3
    assert store.unfinished_session() is None
    w.close()


def test_quitting_mid_batch_keeps_what_ended_since_the_last_row_refresh(qtbot, tmp_path):
    # The rows are refreshed (and the library written) a few times a second while a batch
    # runs; a song that ended, and a correction made, since the last refresh are kept when
    # the window quits before the next one.
    db = tmp_path / "store.sqlite"
    fake = FakeAnalyzer()

    def analyze(path, *, settings, progress=None, should_cancel=None):
        while "slow" in path and not should_cancel():  # runs until the quit stops it
            time.sleep(0.01)
        return fake(path, settings=settings, progress=progress, should_cancel=should_cancel)

    first = _window(qtbot, ResultStore(db), analyze)
    eng = first.engine
    eng.ROW_REFRESH_S = 3600.0  # the next refresh never comes before the quit,
    eng.ENDED_REPORT_MS = 3_600_000  # nor the report of a song's end
    eng.batch.add(["/m/slow.wav", "/m/one.wav", "/m/two.wav"])
    eng.jobsAdded.emit(0, 3)
    first.start()
    qtbot.waitUntil(lambda: eng.batch.jobs[2].state is SongState.DONE, timeout=TIMEOUT)
    eng.correct([1], bpm_user=60.0)
    eng.correct([2], key_user="C major")
    assert eng.is_running
    first.close()
    assert not first.stuck_workers

    second = _window(qtbot, ResultStore(db))
    info = _restore(qtbot, second)
    assert info["songs"] == 3 and info["unfinished"]
    jobs = second.engine.batch.jobs
    assert [j.state for j in jobs[1:]] == [SongState.DONE] * 2
    assert jobs[1].result.bpm_user == 60.0 and jobs[2].result.key_user == "C major"
    assert jobs[0].result is None  # stopped by the quit: queued again, offered for resuming
    assert not second.resume_banner.isHidden()
    second.close()


def test_clearing_a_resumed_batch_while_it_is_read_starts_nothing_later(
        qtbot, tmp_path, wav_deck, monkeypatch):
    # Resume adds the songs of an interrupted command-line batch and starts once they are
    # in; cleared before that, the next songs added are not started by themselves.
    import threading

    import gui.workers

    _deck, paths = wav_deck
    gate = threading.Event()
    read = gui.workers.song_identity_or_name
    monkeypatch.setattr(gui.workers, "song_identity_or_name",
                        lambda path: gate.wait(10) and read(path))
    store = ResultStore(tmp_path / "store.sqlite")
    store.begin_session([str(p) for p in paths[:3]], SETTINGS.to_dict())  # never ended
    w = _window(qtbot, store)
    _restore(qtbot, w)
    assert not w.resume_banner.isHidden()
    w._confirm = lambda *a: True
    try:
        with qtbot.waitSignal(w.engine.jobsAdded, timeout=TIMEOUT):
            w.resume_banner.resume_button.click()
        assert w.engine.is_scanning and w.clear()
    finally:
        gate.set()
    with qtbot.waitSignal(w.engine.scanFinished, timeout=TIMEOUT):
        w.add_paths([paths[4]])
    assert not w.engine.is_running
    assert [j.state for j in w.engine.batch.jobs] == [SongState.QUEUED]
    w.close()


def test_new_session_starts_empty_and_stays_empty_at_the_next_start(qtbot, tmp_path):
    db = tmp_path / "store.sqlite"
    first = _window(qtbot, ResultStore(db))
    first.engine.batch.add(["/m/a.wav"])
    first.engine.jobsAdded.emit(0, 1)
    first._confirm = lambda *a: True
    assert first.new_session()
    assert first.engine.batch.jobs == [] and first.undo_action.isEnabled()
    first.close()
    second = _window(qtbot, ResultStore(db))
    assert _restore(qtbot, second)["songs"] == 0
    assert second.engine.batch.jobs == []
    second.close()


def test_without_a_store_the_window_still_works(qtbot, make_window, fast_settings):
    w = make_window(fast_settings, FakeAnalyzer())
    assert not w.library.active
    assert not w.restore_library()
    w.engine.batch.add(["/m/a.wav"])
    w.engine.jobsAdded.emit(0, 1)
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        w.start()


def test_results_of_another_analyzer_build_are_pointed_out_when_the_list_comes_back(
        qtbot, tmp_path):
    from core.analysis.identity import analyzer_id

    def analyze(path, *, settings, progress=None, should_cancel=None):
        build = analyzer_id() if "new" in path else "0123456789ab"  # an earlier build
        return SongResult(path=path, title="T", status="done", bpm=100.0, analyzer=build)

    db = tmp_path / "store.sqlite"
    first = _window(qtbot, ResultStore(db), analyze)
    first.engine.batch.add(["/m/new.wav", "/m/old1.wav", "/m/old2.wav"])
    first.engine.jobsAdded.emit(0, 3)
    with qtbot.waitSignal(first.engine.batchFinished, timeout=TIMEOUT):
        first.start()
    first.close()

    second = _window(qtbot, ResultStore(db))
    said = []
    second.statusBar().messageChanged.connect(said.append)
    info = _restore(qtbot, second)
    assert info["songs"] == 3 and info["other_build"] == 2
    assert any("3 songs; 2 were analyzed by another build of SongCal" in m
               for m in said), said
    assert second.engine.batch.jobs[1].result.analyzer == "0123456789ab"  # kept as stored
    second.close()


def test_dsd_songs_an_earlier_build_analyzed_show_their_files_own_rate_when_they_come_back(
        qtbot, tmp_path):
    """Such results kept 88,200, the rate DSD is read at: the rate comes from the files'
    headers, not from analyzing the songs again, and the store keeps it."""
    from core.analysis.identity import analyzer_id
    from gui.song_columns import descriptor_column
    from tests.core.test_dsd import DSD64, click_bits, write_dff, write_dsf

    bits = click_bits(0.2, 120.0)
    write_dsf(tmp_path / "a.dsf", [bits, bits])
    write_dsf(tmp_path / "b.dsf", [click_bits(0.2, 120.0, 2 * DSD64)], rate=2 * DSD64)
    write_dff(tmp_path / "c.dff", [bits])
    (tmp_path / "d.wav").write_bytes(b"RIFF")
    write_dsf(tmp_path / "e.dsf", [click_bits(0.3, 100.0)])
    formats = {"a.dsf": "DSF/DSD_LSBF_PLANAR", "b.dsf": "DSF/DSD_LSBF_PLANAR",
               "c.dff": "IFF/DSD_MSBF", "d.wav": "WAV/PCM_24", "e.dsf": "DSF/DSD_LSBF_PLANAR"}
    calls = []

    def analyze(path, *, settings, progress=None, should_cancel=None):
        calls.append(path)
        name = os.path.basename(path)  # e.dsf: this build's result, whatever it says
        build = analyzer_id() if name == "e.dsf" else "0123456789ab"
        return SongResult(path=path, title="T", status="done", bpm=100.0, sample_rate=88_200,
                          format=formats[name], analyzer=build)

    paths = [str(tmp_path / n) for n in sorted(formats)]
    db = tmp_path / "store.sqlite"
    first = _window(qtbot, ResultStore(db), analyze)
    first.engine.batch.add(paths)
    first.engine.jobsAdded.emit(0, len(paths))
    with qtbot.waitSignal(first.engine.batchFinished, timeout=TIMEOUT):
        first.start()
    first.close()
    wanted = [DSD64, 2 * DSD64, DSD64, 88_200, 88_200]

    second = _window(qtbot, ResultStore(db))
    _restore(qtbot, second)
    jobs = second.engine.batch.jobs
    qtbot.waitUntil(lambda: [j.result.sample_rate for j in jobs] == wanted, timeout=TIMEOUT)
    rate = descriptor_column("sample_rate")
    qtbot.waitUntil(lambda: second.model.index(0, rate).data() == str(DSD64), timeout=TIMEOUT)
    assert [j.result.analyzer for j in jobs][:4] == ["0123456789ab"] * 4  # not analyzed again
    assert jobs[0].result.bpm == 100.0 and len(calls) == len(paths)
    second.close()

    third = _window(qtbot, ResultStore(db))  # the store kept the rates
    _restore(qtbot, third)
    assert [j.result.sample_rate for j in third.engine.batch.jobs] == wanted
    third.close()


def test_the_songs_of_another_build_can_be_shown_alone_and_analyzed_again(qtbot, tmp_path):
    from core.analysis.identity import analyzer_id

    calls = []

    def analyze(path, *, settings, progress=None, should_cancel=None):
        calls.append(path)
        build = analyzer_id() if "new" in path or len(calls) > 3 else "0123456789ab"
        return SongResult(path=path, title="T", status="done", bpm=100.0, analyzer=build)

    w = _window(qtbot, ResultStore(tmp_path / "store.sqlite"), analyze)
    w.engine.batch.add(["/m/new.wav", "/m/old1.wav", "/m/old2.wav"])
    w.engine.jobsAdded.emit(0, 3)
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        w.start()
    w.filter_combo.setCurrentText("Made by another build")
    assert w.proxy.rowCount() == 2
    shown = [w.proxy.mapToSource(w.proxy.index(r, 0)).row() for r in range(2)]
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        w.table.retryRequested.emit(shown)  # the row menu's "Analyze Again"
    w.proxy.refilter()
    assert w.proxy.rowCount() == 0  # all made by this build now
    assert sorted(calls[3:]) == ["/m/old1.wav", "/m/old2.wav"]
    w.filter_combo.setCurrentText("All songs")
    assert w.proxy.rowCount() == 3
    w.close()


def test_a_song_whose_file_changed_since_is_queued_again_when_the_list_comes_back(
        qtbot, tmp_path):
    """Another mix rendered under the same name: its old values are not passed off as the
    file's.  It comes back queued, its earlier values shown until Start analyzes it again,
    and the user's tempo is carried over; a file only touched is left as it was."""
    import os

    import numpy as np

    from tests.audio_files import tone, write_audio

    def analyze(path, *, settings, progress=None, should_cancel=None):
        calls.append(os.path.basename(path))
        size = os.path.getsize(path)  # the tempo says which content was measured
        return SongResult(path=path, title=os.path.basename(path), status="done",
                          bpm=float(size % 1000), duration_s=1.0)

    calls: list[str] = []
    paths = [tmp_path / n for n in ("kept.wav", "remixed.wav", "touched.wav")]
    for i, p in enumerate(paths):
        write_audio(p, tone(300.0 + 100 * i, 1.0, 8000), 8000)
    db = tmp_path / "store.sqlite"
    first = _window(qtbot, ResultStore(db), analyze)
    first.add_paths([str(tmp_path)])
    qtbot.waitUntil(lambda: len(first.engine.batch.jobs) == 3, timeout=TIMEOUT)
    with qtbot.waitSignal(first.engine.batchFinished, timeout=TIMEOUT):
        first.start()
    old = {os.path.basename(j.path): j.result.bpm for j in first.engine.batch.jobs}
    first.engine.correct([1], bpm_user=99.0)
    first.close()

    write_audio(paths[1], np.zeros(12_345, np.float32), 8000)  # a new mix, same name
    os.utime(paths[2])  # touched only: the same content
    calls.clear()
    second = _window(qtbot, ResultStore(db), analyze)
    said = []
    second.statusBar().messageChanged.connect(said.append)
    # Every file was written moments before its analysis: the file system cannot vouch for
    # any, so the list shows at once and their contents are read afterwards.
    with qtbot.waitSignal(second.library.contentsChecked, timeout=TIMEOUT) as checked:
        info = _restore(qtbot, second)
    assert info["changed"] == 0 and checked.args == [1]
    assert any("1 song of your last list: its file changed since it was analyzed" in m
               for m in said), said
    jobs = second.engine.batch.jobs
    assert [j.state for j in jobs] == [SongState.DONE, SongState.QUEUED, SongState.DONE]
    assert jobs[1].result is None and jobs[1].previous.bpm == old["remixed.wav"]
    note = second.model.index(1, COL_NOTE).data()
    assert note.startswith("the file changed since it was analyzed: Start analyzes it again")
    with qtbot.waitSignal(second.engine.batchFinished, timeout=TIMEOUT):
        second.start()
    assert calls == ["remixed.wav"]
    assert jobs[1].result.bpm == float(os.path.getsize(paths[1]) % 1000) != old["remixed.wav"]
    assert jobs[1].result.bpm_user == 99.0 and not jobs[1].changed_on_disk
    second.close()


def test_a_window_with_a_read_only_store_says_what_to_do(qtbot, tmp_path, monkeypatch):
    """A read-only store opened and then refused every write in SQLite's words ("attempt to
    write a readonly database"); the bar now says what is wrong and the ways out."""
    from core.batch.store import ResultStore

    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("SONGCAL_DATA_DIR", str(data))
    ResultStore(data / "results.sqlite").close()
    (data / "results.sqlite").chmod(0o444)
    try:
        w = MainWindow(SETTINGS, analyze=FakeAnalyzer(), remember=True)
    finally:
        (data / "results.sqlite").chmod(0o644)
    qtbot.addWidget(w)
    w.confirm_quit = False
    assert w.store is None
    tip = w.store_label.toolTip()
    assert "the file is read-only, so nothing can be kept in it; make it writable" in tip
    assert "Settings \u25b8 Session store file can name another file" in tip
    w.close()


def test_a_window_whose_session_store_cannot_open_says_its_list_is_not_kept(
        qtbot, tmp_path, monkeypatch, caplog):
    data = tmp_path / "data"
    data.write_text("a file where the data folder should be")
    monkeypatch.setenv("SONGCAL_DATA_DIR", str(data))
    w = MainWindow(SETTINGS, analyze=FakeAnalyzer(), remember=True)
    qtbot.addWidget(w)
    w.confirm_quit = False
    assert w.store is None and "File exists" in w.store_error
    assert not w.store_label.isHidden() and "not kept" in w.store_label.text()
    assert "will not be kept for the next start" in w.store_label.toolTip()
    assert "will not be kept" in w.store_banner.label.text() and not w.store_banner.isHidden()
    # said once: the status bar does not repeat the bar above the list (where it was cut)
    assert "will not be kept" not in w.statusBar().currentMessage()
    assert "session store cannot be opened" in w.log_panel.toPlainText()
    # a reason, not a traceback on the terminal: the folder or file is the user's to fix
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    w.close()


def test_a_song_whose_file_is_gone_is_queued_at_once_when_the_list_comes_back(
        qtbot, tmp_path):
    """The file system's word is enough for a file gone: queued as the list shows (its
    attempt then fails and says why), and no content is read for it."""
    import os

    from tests.audio_files import tone, write_audio

    def analyze(path, *, settings, progress=None, should_cancel=None):
        if not os.path.exists(path):
            raise AudioFileError(path, "file not found")
        return SongResult(path=path, title="T", status="done", bpm=100.0, duration_s=1.0)

    song = tmp_path / "gone.wav"
    write_audio(song, tone(440.0, 1.0, 8000), 8000)
    db = tmp_path / "store.sqlite"
    first = _window(qtbot, ResultStore(db), analyze)
    first.add_paths([str(song)])
    qtbot.waitUntil(lambda: len(first.engine.batch.jobs) == 1, timeout=TIMEOUT)
    with qtbot.waitSignal(first.engine.batchFinished, timeout=TIMEOUT):
        first.start()
    first.close()
    os.remove(song)
    second = _window(qtbot, ResultStore(db), analyze)
    said = []
    second.statusBar().messageChanged.connect(said.append)
    info = _restore(qtbot, second)
    assert info["changed"] == 1
    assert any("1 changed on disk since it was analyzed and waits" in m for m in said), said
    job = second.engine.batch.jobs[0]
    assert job.state is SongState.QUEUED and job.previous.bpm == 100.0
    with qtbot.waitSignal(second.engine.batchFinished, timeout=TIMEOUT):
        second.start()
    # the attempt failed: the earlier values stay, with a note naming both
    assert job.state is SongState.DONE and job.result.bpm == 100.0
    assert job.result.note == ("the file changed since it was analyzed, and analyzing it "
                               "again ended: failed, file not found; the earlier values are "
                               "kept")
    second.close()


def _kept_list(qtbot, db, n):
    """Keep a list of ``n`` songs with results (each its own tempo) in the store at ``db``,
    as a window quitting leaves it; returns the paths."""
    paths = [f"/m/{i:03d}.wav" for i in range(n)]
    first = _window(qtbot, ResultStore(db))
    first.engine.restore_jobs([(p, SongResult(path=p, status="done", bpm=60.0 + i))
                               for i, p in enumerate(paths)])
    first.close()
    return paths


def _tempo(job):
    r = job.result if job.result is not None else job.previous  # (the files are gone)
    return r.bpm if r is not None else None


def _slice_then(w, action, after: int = 2):
    """Run ``action`` in the event loop after ``after`` slices of the restore came in (as a
    user's click between two slices); returns how many songs were in then."""
    seen = []

    def added(_first, _count):
        seen.append(len(w.engine.batch.jobs))
        if len(seen) == after:
            from PySide6.QtCore import QTimer

            QTimer.singleShot(0, action)

    w.engine.jobsAdded.connect(added)
    return seen


def test_a_long_list_comes_back_in_slices_as_it_was(qtbot, tmp_path, monkeypatch):
    from gui.engine_list import EngineListMixin

    db = tmp_path / "store.sqlite"
    paths = _kept_list(qtbot, db, 30)
    monkeypatch.setattr(EngineListMixin, "RESTORE_SLICE", 4)
    second = _window(qtbot, ResultStore(db))
    sizes = _slice_then(second, lambda: None)
    info = _restore(qtbot, second)
    assert sizes == [4, 8, 12, 16, 20, 24, 28, 30]  # a slice per turn of the event loop
    assert info["songs"] == 30 and not second.engine.restoring
    jobs = second.engine.batch.jobs
    assert [j.path for j in jobs] == paths
    assert [_tempo(j) for j in jobs] == [60.0 + i for i in range(30)]
    assert second.model.rowCount() == 30
    second.close()


def test_clear_while_the_list_comes_back_takes_it_all_and_undo_brings_it_all_back(
        qtbot, tmp_path, monkeypatch):
    from gui.engine_list import EngineListMixin

    db = tmp_path / "store.sqlite"
    paths = _kept_list(qtbot, db, 30)
    monkeypatch.setattr(EngineListMixin, "RESTORE_SLICE", 4)
    w = _window(qtbot, ResultStore(db))
    w._confirm = lambda *a: True
    cleared = []
    sizes = _slice_then(w, lambda: cleared.append(w.clear()))
    info = _restore(qtbot, w)  # (the rest of the list comes at once before the Clear)
    qtbot.waitUntil(lambda: bool(cleared), timeout=TIMEOUT)
    assert cleared == [True] and sizes[:2] == [4, 8] and info["songs"] == 30
    qtbot.wait(50)  # no slice comes after the Clear
    assert w.engine.batch.jobs == [] and w.model.rowCount() == 0
    assert w.undo_clear()
    jobs = w.engine.batch.jobs
    assert [j.path for j in jobs] == paths
    assert [_tempo(j) for j in jobs] == [60.0 + i for i in range(30)]
    w.close()
    third = _window(qtbot, ResultStore(db))  # the list that came back is kept
    assert _restore(qtbot, third)["songs"] == 30
    assert [_tempo(j) for j in third.engine.batch.jobs] == [60.0 + i for i in range(30)]
    third.close()


def test_a_folder_added_while_the_list_comes_back_comes_below_it(
        qtbot, tmp_path, monkeypatch, wav_deck):
    from gui.engine_list import EngineListMixin

    deck, wavs = wav_deck
    db = tmp_path / "store.sqlite"
    paths = _kept_list(qtbot, db, 30)
    monkeypatch.setattr(EngineListMixin, "RESTORE_SLICE", 4)
    w = _window(qtbot, ResultStore(db))
    _slice_then(w, lambda: w.add_paths([str(deck)]))
    with qtbot.waitSignal(w.engine.scanFinished, timeout=TIMEOUT):
        _restore(qtbot, w)
    jobs = w.engine.batch.jobs
    assert [j.path for j in jobs[:30]] == paths  # in their places, with their results
    assert [_tempo(j) for j in jobs[:30]] == [60.0 + i for i in range(30)]
    assert sorted(j.path for j in jobs[30:]) == sorted(str(p) for p in wavs)
    assert w.model.rowCount() == 36
    w.close()
    third = _window(qtbot, ResultStore(db))
    assert _restore(qtbot, third)["songs"] == 36
    back = third.engine.batch.jobs
    assert [j.path for j in back] == [j.path for j in jobs]
    assert [_tempo(j) for j in back[:30]] == [60.0 + i for i in range(30)]
    third.close()


def test_a_list_is_read_back_with_the_collector_paused_and_kept_out_of_its_full_passes(
        qtbot, tmp_path):
    import gc

    db = tmp_path / "store.sqlite"
    _kept_list(qtbot, db, 300)
    store = ResultStore(db)
    during = []
    read = store.take_library
    store.take_library = lambda: during.append(gc.isenabled()) or read()
    w = _window(qtbot, store)
    frozen = gc.get_freeze_count()
    assert gc.isenabled()
    assert _restore(qtbot, w)["songs"] == 300
    assert during == [False]  # no full collection on the reading thread holds the GIL
    assert gc.isenabled()
    assert gc.get_freeze_count() - frozen >= 300  # the results read are frozen
    w.close()


def test_clear_asked_while_the_list_comes_back_counts_every_song_of_it(
        qtbot, tmp_path, monkeypatch):
    """The question before Clear or New Session named the songs come back so far ("Remove
    all 8 songs?" for a list of 30): it counts the whole list."""
    from gui.engine_list import EngineListMixin

    db = tmp_path / "store.sqlite"
    _kept_list(qtbot, db, 30)
    monkeypatch.setattr(EngineListMixin, "RESTORE_SLICE", 4)
    w = _window(qtbot, ResultStore(db))
    asked = []
    w._confirm = lambda title, text, *a: asked.append(text) or False  # the user says no
    _slice_then(w, lambda: (w.clear(), w.new_session()))
    _restore(qtbot, w)
    qtbot.waitUntil(lambda: len(asked) == 2, timeout=TIMEOUT)
    assert "Remove all 30 songs" in asked[0], asked[0]
    assert "The 30 songs of this one" in asked[1], asked[1]
    assert len(w.engine.batch.jobs) == 30 and not w.engine.restoring
    w.close()


def _newer_store(path, layout):
    return write_database(path, layout, row="a song of the newer SongCal")


def test_a_store_of_a_newer_songcal_is_said_above_the_list_and_left_untouched(
        qtbot, tmp_path, monkeypatch, caplog):
    """The window switched a newer SongCal's store to WAL mode (its header rewritten) while
    refusing it, and said only a status-bar line naming 'layout 5' that went after 30 s."""
    from core.batch.store import SCHEMA_VERSION

    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("SONGCAL_DATA_DIR", str(data))
    path = data / "results.sqlite"
    before = _newer_store(path, SCHEMA_VERSION + 2)
    w = MainWindow(SETTINGS, analyze=FakeAnalyzer(), remember=True)
    qtbot.addWidget(w)
    w.confirm_quit = False
    w.show()
    assert w.store is None
    said = w.store_banner.label.text()
    assert w.store_banner.isVisible()
    assert said.startswith(f"Your session store {path} was written by a newer SongCal "
                           f"(store layout {SCHEMA_VERSION + 2}; this one reads layouts up to "
                           f"{SCHEMA_VERSION}). It is left as it is")
    assert "not kept for the next start" in said
    assert "not kept" in w.store_label.text()
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    # the window goes on without a store
    w.engine.batch.add(["/m/one.wav", "/m/two.wav"])
    w.engine.jobsAdded.emit(0, 2)
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        w.start()
    assert [j.state for j in w.engine.batch.jobs] == [SongState.DONE, SongState.DONE]
    w.close()
    assert path.read_bytes() == before
    assert os.listdir(data) == ["results.sqlite"]


def test_a_chosen_store_of_a_newer_songcal_is_said_with_the_store_used_instead(
        qtbot, tmp_path, monkeypatch):
    """A store chosen in Settings that could not be opened was only logged before the
    window (and its Log) existed: the window showed the default store's list unsaid."""
    from PySide6.QtCore import QSettings

    from core.batch.store import SCHEMA_VERSION
    from gui.settings_dialog import SESSION_STORE_KEY, open_session_store_why

    data = tmp_path / "data"
    monkeypatch.setenv("SONGCAL_DATA_DIR", str(data))
    chosen = tmp_path / "shared.sqlite"
    before = _newer_store(chosen, SCHEMA_VERSION + 1)
    QSettings().setValue(SESSION_STORE_KEY, str(chosen))
    store, why = open_session_store_why()  # as gui.app does
    w = MainWindow(SETTINGS, analyze=FakeAnalyzer(), remember=True, store=store)
    qtbot.addWidget(w)
    w.confirm_quit = False
    if why:
        w.tell_chosen_store_problem(why)
    w.show()
    assert store is None and w.store is not None
    assert w.store_banner.isVisible()
    assert w.store_banner.label.text() == (
        f"The session store chosen in Settings cannot be used: {chosen} was written by a "
        f"newer SongCal (store layout {SCHEMA_VERSION + 1}; this one reads layouts up to "
        f"{SCHEMA_VERSION}). It is left as it is: its songs and results wait for that "
        f"SongCal. Instead this window keeps its list in the default store, "
        f"{data / 'results.sqlite'}.")
    assert w.store_label is None  # the list is kept, in the default store
    w.close()
    assert chosen.read_bytes() == before



def _four_songs_listed(qtbot, db, *, retry_s: float):
    """A window on a store at ``db`` (writes retried ``retry_s``) listing four songs, the
    list written: ``(store, window)``."""
    store = ResultStore(db, retry_s=retry_s)
    w = _window(qtbot, store)
    w.engine.batch.add([f"/m/{i}.wav" for i in range(4)])
    w.engine.jobsAdded.emit(0, 4)
    store.flush(5)
    return store, w


def test_a_store_that_stops_taking_writes_mid_batch_is_said_above_the_list(qtbot, tmp_path):
    """A store another process locked (or a full disk, or a store file removed) while the
    batch ran was said only in the Log: the window said "Batch finished: 4 done." and the
    list did not come back at the next start."""
    import subprocess
    import sys

    db = tmp_path / "store.sqlite"
    store, w = _four_songs_listed(qtbot, db, retry_s=0.5)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time\n"
         f"db = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
         "db.execute('BEGIN EXCLUSIVE')\nprint('held', flush=True)\nsys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert w.store_banner.isHidden()
        with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
            w.start()
        qtbot.waitUntil(lambda: "of 4 songs are not kept yet" in w.store_banner.label.text(),
                        timeout=TIMEOUT)
        said = w.store_banner.label.text()
        assert "\n" not in said  # the count is changed in place
        assert said.startswith(f"The session store {db} refuses writes: could not ")
        assert "another program holds the database" in said
        assert "export them" in said
        assert "not kept" in w.store_label.text()
        assert [j.state for j in w.engine.batch.jobs] == [SongState.DONE] * 4  # nothing lost
    finally:
        holder.stdin.close()
        holder.wait(10)
    # released: the refused results are written, and the bar says so in place of its news
    qtbot.waitUntil(lambda: "every result is kept" in w.store_banner.label.text(),
                    timeout=TIMEOUT)
    assert w.store_banner.label.text() == (
        f"The session store {db} takes writes again: every result is kept.")
    assert w.store_label is None
    w.close()
    assert store.stats.failed_writes == 0


def test_results_a_held_store_refused_are_kept_once_it_is_released(qtbot, tmp_path):
    """The results a store refused while another process held it were never written again:
    the window said the store failed, and its songs came back unanalyzed at the next start.
    They wait in memory and are written once the store takes writes again."""
    import sqlite3

    db = tmp_path / "store.sqlite"
    store, w = _four_songs_listed(qtbot, db, retry_s=0.3)
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
            w.start()
        qtbot.waitUntil(lambda: store.problem is not None, timeout=TIMEOUT)
    finally:
        holder.execute("COMMIT")
        holder.close()
    w.close()  # the refused results are written by now, or at the latest as it closes
    again = _window(qtbot, ResultStore(db))
    info = _restore(qtbot, again)
    assert info["songs"] == 4
    assert [j.state for j in again.engine.batch.jobs] == [SongState.DONE] * 4
    again.close()
    assert store.stats.failed_writes == 0


def test_two_windows_on_one_store_keep_a_list_each_and_the_one_closed_last_comes_back(
        qtbot, tmp_path):
    """Two windows open at once used to read back the same list and write into it: the
    songs the second added took the places of the first's (their results too), and one's
    batch ending marked the list ended while the other's ran."""
    db = tmp_path / "store.sqlite"
    before = _window(qtbot, ResultStore(db))
    before.engine.batch.add(["/m/c0.wav", "/m/c1.wav"])
    before.engine.jobsAdded.emit(0, 2)
    with qtbot.waitSignal(before.engine.batchFinished, timeout=TIMEOUT):
        before.start()
    before.close()

    one = _window(qtbot, ResultStore(db))
    assert _restore(qtbot, one)["songs"] == 2  # the last list, taken by the first window
    other = _window(qtbot, ResultStore(db))
    info = _restore(qtbot, other)
    assert info["songs"] == 0 and info["busy"] == 1
    assert "open in another SongCal window" in other.statusBar().currentMessage()
    for w, names in ((one, ["/m/a0.wav", "/m/a1.wav"]), (other, ["/m/b0.wav"])):
        eng = w.engine
        first = len(eng.batch.jobs)
        eng.batch.add(names)
        eng.jobsAdded.emit(first, len(names))
        with qtbot.waitSignal(eng.batchFinished, timeout=TIMEOUT):
            w.start()
    one.close()
    other.close()

    last = _window(qtbot, ResultStore(db))  # the list closed last comes back
    assert _restore(qtbot, last)["songs"] == 1
    assert [j.path for j in last.engine.batch.jobs] == ["/m/b0.wav"]
    earlier = _window(qtbot, ResultStore(db))  # while it is open, the other one comes
    info = _restore(qtbot, earlier)
    assert info["songs"] == 4 and info["busy"] == 1 and not info["unfinished"]
    jobs = earlier.engine.batch.jobs
    assert [j.path for j in jobs] == ["/m/c0.wav", "/m/c1.wav", "/m/a0.wav", "/m/a1.wav"]
    assert [j.state for j in jobs] == [SongState.DONE] * 4
    assert [j.result.path for j in jobs] == [j.path for j in jobs]
    last.close()
    earlier.close()


def _store_bar_window(qtbot, tmp_path):
    """``(window, store)``: a window on a store that retries a refused write after 0.2 s
    and tries the refused writes again 30 s to a minute after."""
    store = ResultStore(tmp_path / "store.sqlite", busy_timeout_s=0.05, retry_s=0.2,
                        ack_timeout_s=0.1, catch_up_s=30.0, max_catch_up_s=60.0)
    return _window(qtbot, store), store


def _batch_on_a_full_disk(qtbot, w, store):
    """Fill the store's disk (its database may not grow by a page), then analyze 40 songs,
    whose results the store refuses."""
    with store._lock:
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        store._db.execute(f"PRAGMA max_page_count={pages}")
    w.engine.batch.add([f"/m/{i}.wav" for i in range(40)])
    w.engine.jobsAdded.emit(0, 40)
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        w.start()


def _free_the_disk(store):
    with store._lock:
        store._db.execute("PRAGMA max_page_count=1073741823")


def test_the_store_bar_counts_down_to_the_next_try_and_tries_now_on_demand(qtbot, tmp_path):
    """The bar said the store refused writes, not when it would try them again (the waits
    grow to a minute), and a user who freed the disk could only wait."""
    w, store = _store_bar_window(qtbot, tmp_path)
    bar = w.store_banner
    assert bar.try_button.isHidden() and bar.next_label.isHidden()
    _batch_on_a_full_disk(qtbot, w, store)
    qtbot.waitUntil(lambda: "not kept yet" in bar.label.text(), timeout=TIMEOUT)
    qtbot.waitUntil(bar.next_label.isVisible, timeout=TIMEOUT)
    said = bar.next_label.text()
    assert said.startswith("next try in ") and said.endswith(" s"), said
    assert 20 < int(said.split()[3]) <= 60
    assert bar.try_button.isVisible() and bar.try_button.isEnabled()
    assert bar._clock.isActive() and bar._clock.interval() == 1000  # a second at a time
    # the count goes down as the clock ticks (no waiting here: the store is asked)
    store._idle_try -= 5.0
    bar.tick()
    assert int(bar.next_label.text().split()[3]) <= int(said.split()[3]) - 4
    # one digit left: as wide as for any count, so the bar's words do not rewrap
    store._idle_try = time.monotonic() + 3.0
    bar.tick()
    assert bar.next_label.text() in ("next try in 3 s", "next try in 2 s")
    fm = bar.next_label.fontMetrics()
    label = bar.next_label  # (what the bar's layout gives it)
    assert max(label.sizeHint().width(), label.minimumWidth()) >= fm.horizontalAdvance(
        "next try in 60 s")
    # space freed: Try Now writes them at once, on the store's writer thread
    _free_the_disk(store)
    qtbot.mouseClick(bar.try_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "every result is kept" in bar.label.text(), timeout=TIMEOUT)
    assert bar.next_label.isHidden() and bar.try_button.isHidden()
    assert not bar._clock.isActive()
    w.close()
    assert store.stats.failed_writes == 0


def _state(store):
    store.flush()
    with store._reading() as db:  # (the list this window holds, read as it is now)
        text = db.execute("SELECT state FROM sessions WHERE kind='library' "
                          "ORDER BY id DESC").fetchone()[0]
    import json

    return json.loads(text)


def test_a_manual_pair_follows_its_song_across_removals_and_their_undos(qtbot, tmp_path):
    """A song paired by hand keeps its pair while songs before it are removed (the pair
    kept at its new place), leaves with its song, and comes back with it on Undo; the
    list kept in the store says so at every step, and the next start pairs it again."""
    from PySide6.QtCore import QItemSelectionModel

    sheet, rows, _truth = make_deck(tmp_path, n=30)
    db = tmp_path / "store.sqlite"
    store = ResultStore(db)
    sid = store.begin_session([r["path"] for r in rows], SETTINGS.to_dict(), kind="library",
                              running=False)
    store.save_session_results(sid, [
        (i, SongResult(**{k: v for k, v in row.items() if k in _FIELDS}))
        for i, row in enumerate(rows)])
    # the garbled last song paired by hand with the sheet's last row; song 3 unpaired
    store.set_session_state(sid, {"reference": str(sheet), "manual": {"29": 30},
                                  "unpaired": [3], "fitted": True})
    w = _window(qtbot, store)
    with qtbot.waitSignal(w.calibration.fitted, timeout=TIMEOUT):
        _restore(qtbot, w)
    ctrl = w.calibration

    def select(places):
        sel = w.table.selectionModel()
        sel.clearSelection()
        for p in places:
            sel.select(w.model.index(p, 0), QItemSelectionModel.SelectionFlag.Select
                       | QItemSelectionModel.SelectionFlag.Rows)

    def paired_by_hand():  # the garbled song (key 29) and its row, once matched again
        qtbot.waitUntil(lambda: not ctrl.busy, timeout=TIMEOUT)
        pos = ctrl.song_index(29)
        if pos is None:
            return None
        return ctrl.session.manual.get(29), ctrl.reference_row(pos).title

    select([5])
    assert w.remove_selected() == 1  # a song before the pair
    assert w.engine.batch.jobs[28].key == 29
    assert _state(store)["manual"] == {"28": 30} and _state(store)["unpaired"] == [3]
    select([1, 28])
    assert w.remove_selected() == 2  # the paired song goes with another
    assert _state(store)["manual"] == {} and _state(store)["unpaired"] == [2]
    qtbot.waitUntil(lambda: ctrl.song_index(29) is None, timeout=TIMEOUT)

    w.undo()
    assert w.engine.batch.jobs[28].key == 29
    assert _state(store)["manual"] == {"28": 30} and _state(store)["unpaired"] == [3]
    qtbot.waitUntil(lambda: paired_by_hand() == (30, "Lonely Row"), timeout=TIMEOUT)
    w.undo()
    assert _state(store)["manual"] == {"29": 30} and _state(store)["unpaired"] == [3]
    qtbot.waitUntil(lambda: paired_by_hand() == (30, "Lonely Row"), timeout=TIMEOUT)
    w.redo()  # the song 5 out again, the pair moving up with the songs after it
    assert _state(store)["manual"] == {"28": 30}
    w.close()

    again = _window(qtbot, ResultStore(db))
    with qtbot.waitSignal(again.calibration.fitted, timeout=TIMEOUT):
        info = _restore(qtbot, again)
    assert info["songs"] == 29
    ctrl = again.calibration
    assert ctrl.session.manual == {28: 30}  # (the keys of a list read back: its places)
    assert ctrl.reference_row(ctrl.song_index(28)).title == "Lonely Row"
    assert 3 in ctrl.session.unpaired
    again.close()


def test_a_song_whose_file_changed_is_queued_even_after_songs_before_it_were_removed(
        qtbot, tmp_path, monkeypatch):
    """The contents of the restored files are read in the background; a song removed from
    the list meanwhile moved the songs after it up, and the song whose file changed is
    the one queued, not the one that took its place."""
    import threading

    import numpy as np

    import gui.library
    from tests.audio_files import tone, write_audio

    def analyze(path, *, settings, progress=None, should_cancel=None):
        return SongResult(path=path, title=os.path.basename(path), status="done",
                          bpm=float(os.path.getsize(path) % 1000), duration_s=1.0)

    paths = [tmp_path / n for n in ("a_kept.wav", "b_remixed.wav", "c_touched.wav")]
    for i, p in enumerate(paths):
        write_audio(p, tone(300.0 + 100 * i, 1.0, 8000), 8000)
    db = tmp_path / "store.sqlite"
    first = _window(qtbot, ResultStore(db), analyze)
    first.add_paths([str(tmp_path)])
    qtbot.waitUntil(lambda: len(first.engine.batch.jobs) == 3, timeout=TIMEOUT)
    with qtbot.waitSignal(first.engine.batchFinished, timeout=TIMEOUT):
        first.start()
    first.close()
    write_audio(paths[1], np.zeros(12_345, np.float32), 8000)  # a new mix, same name
    os.utime(paths[2])  # touched only

    gate = threading.Event()
    original = gui.library.changed_since

    def held(*args, **kw):  # the contents are read once the song was removed
        if kw.get("read", True):
            gate.wait(20)
        return original(*args, **kw)

    monkeypatch.setattr(gui.library, "changed_since", held)
    second = _window(qtbot, ResultStore(db), analyze)
    try:
        _restore(qtbot, second)
        second.table.selectRow(0)
        assert second.remove_selected() == 1
    finally:
        gate.set()
    with qtbot.waitSignal(second.library.contentsChecked, timeout=TIMEOUT) as checked:
        pass
    assert checked.args == [1]
    jobs = second.engine.batch.jobs
    assert [(os.path.basename(j.path), j.state) for j in jobs] == [
        ("b_remixed.wav", SongState.QUEUED), ("c_touched.wav", SongState.DONE)]
    second.close()


def test_songs_removed_while_the_contents_are_checked_leave_the_right_song_queued(
        qtbot, tmp_path, monkeypatch):
    """The check of touched files runs in the background after the list shows; a song
    removed from the list meanwhile moved the others up, and the check's answer, given by
    the places the songs had, queued the song below the changed one and left the changed
    one with the values of its old content (or failed past the end of the list)."""
    import threading

    import numpy as np

    import gui.library as library
    from tests.audio_files import tone, write_audio

    def analyze(path, *, settings, progress=None, should_cancel=None):
        return SongResult(path=path, title=os.path.basename(path), status="done",
                          bpm=float(os.path.getsize(path) % 1000), duration_s=1.0)

    paths = [tmp_path / f"{i}.wav" for i in range(3)]
    for i, p in enumerate(paths):
        write_audio(p, tone(300.0 + 100 * i, 1.0, 8000), 8000)
    db = tmp_path / "store.sqlite"
    first = _window(qtbot, ResultStore(db), analyze)
    first.add_paths([str(tmp_path)])
    qtbot.waitUntil(lambda: len(first.engine.batch.jobs) == 3, timeout=TIMEOUT)
    with qtbot.waitSignal(first.engine.batchFinished, timeout=TIMEOUT):
        first.start()
    first.close()
    write_audio(paths[2], np.zeros(12_345, np.float32), 8000)  # the last one, a new mix

    go_on = threading.Event()
    check = library.changed_since

    def held(*args, **kwargs):
        if kwargs.get("read", True):  # the background check of the touched files
            go_on.wait(TIMEOUT / 1000)
        return check(*args, **kwargs)

    monkeypatch.setattr(library, "changed_since", held)
    second = _window(qtbot, ResultStore(db), analyze)
    _restore(qtbot, second)
    second.engine.remove([0])
    with qtbot.waitSignal(second.library.contentsChecked, timeout=TIMEOUT) as checked:
        go_on.set()
    jobs = second.engine.batch.jobs
    assert [os.path.basename(j.path) for j in jobs] == ["1.wav", "2.wav"]
    assert checked.args == [1]
    assert [j.state for j in jobs] == [SongState.DONE, SongState.QUEUED]
    assert jobs[1].changed_on_disk and not jobs[0].changed_on_disk
    second.close()


def test_a_file_read_and_found_the_same_is_trusted_by_its_times_at_the_next_start(
        qtbot, tmp_path, monkeypatch):
    """A result that does not name the file it was measured on (kept before results did)
    cannot be vouched for by the file's times, so its content is read once the list shows;
    found the same, the result now names the file and when it was read, and the next start
    reads nothing (it read every such file again at every start)."""
    from core.batch import cache
    from core.batch.cache import content_fingerprint, inode_text
    from tests.audio_files import tone, write_audio

    song = write_audio(tmp_path / "a.wav", tone(440.0, 1.0, 8000), 8000)
    monkeypatch.setattr(cache, "_RACY_NS", 0)  # (no waiting for the clock's tick)
    time.sleep(0.05)
    db = tmp_path / "store.sqlite"
    store = ResultStore(db)
    sid = store.begin_session([str(song)], SETTINGS.to_dict(), kind="library", running=False)
    store.save_session_result(sid, 0, SongResult(
        path=str(song), status="done", bpm=120.0, content=content_fingerprint(song),
        content_at=time.time()))
    store.close()
    time.sleep(0.05)

    first = _window(qtbot, ResultStore(db))
    with qtbot.waitSignal(first.library.contentsChecked, timeout=TIMEOUT) as checked:
        _restore(qtbot, first)
    assert checked.args == [0]
    result = first.engine.batch.jobs[0].result
    assert result.content_inode == inode_text(os.stat(song)) and result.bpm == 120.0
    first.close()

    checks = []
    monkeypatch.setattr(type(first.library), "_check_contents",
                        lambda self, lib, positions: checks.append(positions))
    second = _window(qtbot, ResultStore(db))
    info = _restore(qtbot, second)
    assert info["songs"] == 1 and info["changed"] == 0 and checks == []
    assert second.engine.batch.jobs[0].state is SongState.DONE
    second.close()


def test_undo_of_new_session_does_not_wait_for_a_held_store_and_writes_the_list_later(
        qtbot, tmp_path):
    """Undo of Clear or New Session wrote the list back as a new session on the window's
    thread, waiting up to 3 s for the store (1.3 s at 20,000 songs); a store another program
    held kept the window still for those 3 s and the list was then not kept at all.  Undo
    returns at once now, and the list is written once the store takes writes."""
    import sqlite3
    import threading

    db = tmp_path / "store.sqlite"
    store, w = _four_songs_listed(qtbot, db, retry_s=30.0)
    store.session_timeout_s = 30.0  # a wait would outlast the holder below
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        w.start()
    w._confirm = lambda *a: True
    assert w.new_session()
    store.flush(5)
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    released = threading.Event()

    def release():  # (after a while in any case: a window waiting on the store goes on)
        if not released.is_set():
            released.set()
            holder.execute("COMMIT")

    timer = threading.Timer(8.0, release)
    timer.start()
    try:
        assert w.undo()
        assert not released.is_set()  # Undo came back while the store was still held
        assert len(w.engine.batch.jobs) == 4
    finally:
        timer.cancel()
        release()
        holder.close()
    assert store.flush(30)
    w.close()
    assert store.stats.failed_writes == 0
    again = _window(qtbot, ResultStore(db))
    assert _restore(qtbot, again)["songs"] == 4
    assert [j.state for j in again.engine.batch.jobs] == [SongState.DONE] * 4
    lists = again.store.list_libraries()  # the list once: not its copy, nor an empty one
    assert sorted(e["songs"] for e in lists) == [4]
    again.close()


def test_a_dismissed_store_bar_leaves_its_countdown_in_the_status_bar(qtbot, tmp_path):
    """Once the user dismissed the store bar nothing said that the store was still tried:
    a button in the status bar counts down to the next try, tries now on a click, shows
    the bar again from its menu and goes when the store takes writes again."""
    w, store = _store_bar_window(qtbot, tmp_path)
    bar, button = w.store_banner, w.store_banner.status_button
    assert button.parent() is not None and button.isHidden()
    _batch_on_a_full_disk(qtbot, w, store)
    qtbot.waitUntil(bar.next_label.isVisible, timeout=TIMEOUT)
    assert button.isHidden()  # the bar says it: once is enough
    qtbot.mouseClick(bar.dismiss_button, Qt.MouseButton.LeftButton)
    assert bar.isHidden() and button.isVisible()
    assert w.statusBar().isAncestorOf(button)
    said = button.text()
    assert said.startswith("Store: next try in ") and said.endswith(" s"), said
    store._idle_try -= 5.0
    bar.tick()  # (the bar's clock, once a second)
    assert int(button.text().split()[4]) <= int(said.split()[4]) - 4
    assert [a.text() for a in button.menu().actions()] == ["&Try Now", "&Show the Store Bar"]
    # its menu brings the bar back, which says the countdown again in its place
    bar.show_action.trigger()
    assert not bar.isHidden() and button.isHidden()
    qtbot.mouseClick(bar.dismiss_button, Qt.MouseButton.LeftButton)
    assert button.isVisible()
    # space freed: a click tries the refused writes now; the button goes with the problem
    _free_the_disk(store)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "every result is kept" in bar.label.text(), timeout=TIMEOUT)
    assert button.isHidden()
    w.close()
    assert store.stats.failed_writes == 0


def test_undo_of_clear_takes_the_kept_list_back_instead_of_writing_it_again(
        qtbot, tmp_path, monkeypatch):
    """Undo of Clear (or New Session) wrote the whole list again as a new session, every
    result turned into JSON again (about a second of the store's thread at 20,000 songs,
    which the window's thread waited on), and the list kept since the Clear was deleted.
    The list kept is taken back, as it is, through Redo and Undo again; the empty list the
    Clear began goes."""
    db = tmp_path / "store.sqlite"
    store, w = _four_songs_listed(qtbot, db, retry_s=5.0)
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        w.start()
    w.engine.correct([1], bpm_user=61.0)
    store.flush(5)
    sid = w.library.session
    w._confirm = lambda *a: True
    written = []
    for name in ("begin_session", "save_session_results", "add_to_session"):
        original = getattr(ResultStore, name)
        monkeypatch.setattr(store, name, lambda *a, _f=original, _n=name, **kw: (
            written.append(_n), _f(store, *a, **kw))[1])
    assert w.clear() and w.undo()
    assert w.redo() and w.undo()
    assert written == ["begin_session", "begin_session"]  # the two Clears' empty lists
    assert store.flush(5) and w.library.session == sid
    assert [(e["id"], e["mine"], e["songs"], e["done"]) for e in store.list_libraries()] \
        == [(sid, True, 4, 4)]
    w.engine.remove([0])  # the list taken back is written as before: by its positions
    store.flush(5)
    w.close()
    again = _window(qtbot, ResultStore(db))
    assert _restore(qtbot, again)["songs"] == 3
    jobs = again.engine.batch.jobs
    assert [j.path for j in jobs] == ["/m/1.wav", "/m/2.wav", "/m/3.wav"]
    assert [j.state for j in jobs] == [SongState.DONE] * 3
    assert jobs[0].result.bpm_user == 61.0
    again.close()


def test_undo_of_clear_while_the_store_is_held_takes_the_list_back_once_it_is_released(
        qtbot, tmp_path):
    """Clear and its Undo while another program holds the store: both wait, in order,
    and the list is then taken back (the Clear's empty list gone), nothing lost."""
    import sqlite3

    db = tmp_path / "store.sqlite"
    store, w = _four_songs_listed(qtbot, db, retry_s=0.2)
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        w.start()
    store.flush(5)
    sid = w.library.session
    w._confirm = lambda *a: True
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert w.clear() and w.undo()
        store.flush(5)
        assert store.backlog()["writes"] >= 2
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert store.flush(10) and store.backlog()["writes"] == 0
    assert w.library.session == sid and store.stats.failed_writes == 0
    assert [(e["id"], e["mine"], e["songs"], e["done"]) for e in store.list_libraries()] \
        == [(sid, True, 4, 4)]
    w.close()


def test_undo_of_clear_after_another_window_opened_the_list_writes_it_afresh(qtbot, tmp_path):
    """The list a Clear let go of may be opened by another window before the Undo: that
    window keeps it, and the Undo writes this window's list afresh, its songs at the same
    positions, so a later removal takes out the right rows of this copy only."""
    db = tmp_path / "store.sqlite"
    store, w = _four_songs_listed(qtbot, db, retry_s=5.0)
    with qtbot.waitSignal(w.engine.batchFinished, timeout=TIMEOUT):
        w.start()
    store.flush(5)
    sid = w.library.session
    w._confirm = lambda *a: True
    assert w.clear()
    store.flush(5)
    other = ResultStore(db)
    assert other.open_library(sid)[1] == ""
    assert w.undo()
    w.engine.remove([0])
    store.flush(5)
    fresh = w.library.session
    lists = {e["id"]: (e["mine"], e["held"], e["songs"], e["done"])
             for e in store.list_libraries()}
    assert fresh != sid and lists == {fresh: (True, False, 3, 3), sid: (False, True, 4, 4)}
    other.close()
    w.close()
    again = _window(qtbot, ResultStore(db))
    assert _restore(qtbot, again)["songs"] == 3
    assert [j.path for j in again.engine.batch.jobs] == ["/m/1.wav", "/m/2.wav", "/m/3.wav"]
    assert [j.state for j in again.engine.batch.jobs] == [SongState.DONE] * 3
    again.close()
