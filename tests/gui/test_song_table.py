"""The live song table model, its filter proxy and TSV copy."""

from __future__ import annotations

import csv

import pytest
from PySide6.QtCore import Qt

from core.analysis.identity import analyzer_id
from core.batch.rules import SongState
from core.io.results import DESCRIPTOR_COLUMNS, SongResult, write_results_csv
from core.settings import AnalysisSettings
from gui.engine import BatchEngine
from gui.song_columns import (
    COL_ARTIST,
    COL_CHUNK,
    COL_ELAPSED,
    COL_FILE,
    COL_NOTE,
    COL_NUM,
    COL_PROGRESS,
    COL_STATUS,
    COL_TITLE,
    COPY_ROLE,
    FIRST_DESCRIPTOR_COL,
    JOB_ID_ROLE,
    PROGRESS_ROLE,
    SORT_ROLE,
    STATE_ORDER,
    STATE_ROLE,
    TABLE_DESCRIPTORS,
    descriptor_column,
)
from gui.song_filter import SongFilterProxy
from gui.song_table import SongTableModel
from gui.song_text import OTHER_BUILD_NOTE
from gui.song_view import rows_to_tsv


@pytest.fixture
def engine(qapp):
    eng = BatchEngine(AnalysisSettings(workers=2), analyze=lambda *a, **k: None)
    yield eng
    eng.shutdown(timeout_ms=2000)


def _add(eng, paths):
    first = len(eng.batch.jobs)
    eng.batch.add(paths)
    eng.jobsAdded.emit(first, len(paths))


def _set_done(eng, job_id, **values):
    batch = eng.batch
    job, attempt = batch.claim("W1")
    assert job.id == job_id
    batch.progress(job.id, attempt, 2, 4, 120.0)
    values.setdefault("analyzer", analyzer_id())
    batch.finish(job.id, attempt, SongResult(path=job.path, status="done", **values))


def test_model_passes_qt_model_tester(qtmodeltester, engine):
    model = SongTableModel(engine)
    _add(engine, ["/m/a.wav", "/m/b.wav", "/m/c.wav"])
    _set_done(engine, 0, title="Alpha", artist="X", bpm=128.0, key="A minor", duration_s=200.0)
    engine.batch.claim("W2")
    engine.batch.add_failed("/m/bad.wav", "the file is empty (0 bytes)")
    engine.jobsAdded.emit(3, 1)
    qtmodeltester.check(model, force_py=True)
    proxy = SongFilterProxy()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy, force_py=True)


def test_a_result_of_another_analyzer_build_says_so_in_its_note(engine):
    model = SongTableModel(engine)
    _add(engine, ["/m/a.wav", "/m/b.wav", "/m/c.wav"])
    _set_done(engine, 0, bpm=120.0)
    _set_done(engine, 1, bpm=120.0, analyzer="0123456789ab", note="a loop")
    _set_done(engine, 2, bpm=120.0, analyzer="")  # made before builds had ids
    notes = [model.index(r, COL_NOTE).data() for r in range(3)]
    assert notes == ["", f"{OTHER_BUILD_NOTE}; a loop", OTHER_BUILD_NOTE]
    assert "analyze it again" in OTHER_BUILD_NOTE


def test_rows_columns_and_values(engine):
    model = SongTableModel(engine)
    _add(engine, ["/m/001_Artist_Song.wav", "/m/b.wav"])
    _set_done(engine, 0, title="Song", artist="Artist", bpm=127.96, loudness_lufs=-9.04,
              duration_s=185.0, key="F# minor", key_camelot="11A", chunks=4)
    assert model.rowCount() == 2
    assert model.columnCount() == FIRST_DESCRIPTOR_COL + len(DESCRIPTOR_COLUMNS)
    assert sorted(TABLE_DESCRIPTORS) == sorted(DESCRIPTOR_COLUMNS)
    row = [model.index(0, c).data() for c in range(model.columnCount())]
    assert row[:8] == ["1", "Song", "Artist", "001_Artist_Song.wav", "done", "", "100 %", "4/4"]
    bpm_col = descriptor_column("bpm")
    lufs_col = descriptor_column("loudness_lufs")
    dur_col = descriptor_column("duration_s")
    assert model.index(0, bpm_col).data() == "128.0"
    assert model.index(0, lufs_col).data() == "-9.0"
    assert model.index(0, dur_col).data() == "3:05"
    assert model.index(0, bpm_col).data(SORT_ROLE) == pytest.approx(127.96)
    assert model.index(1, bpm_col).data() == ""
    assert model.index(1, COL_STATUS).data(STATE_ROLE) == "queued"
    assert model.index(0, 0).data(PROGRESS_ROLE) == 1.0
    assert model.index(0, COL_STATUS).data(Qt.ItemDataRole.DecorationRole) is not None
    assert model.index(0, COL_ELAPSED).data().endswith(" / 1:06")  # 20 s + 0.25 x 185 s


def test_failure_reason_in_tooltip(engine):
    model = SongTableModel(engine)
    engine.batch.add_failed("/m/bad.wav", "the file is empty (0 bytes)")
    engine.jobsAdded.emit(0, 1)
    tip = model.index(0, COL_TITLE).data(Qt.ItemDataRole.ToolTipRole)
    assert tip == "failed: the file is empty (0 bytes)"


def test_title_falls_back_on_identity_then_file_name(engine):
    model = SongTableModel(engine)
    _add(engine, ["/m/x.wav"])
    assert model.index(0, COL_TITLE).data() == "x.wav"
    engine.identity[0] = ("Real Title", "Real Artist")
    assert model.index(0, COL_TITLE).data() == "Real Title"


def test_jobs_changed_emits_one_data_changed_per_run_of_rows(qtbot, engine):
    model = SongTableModel(engine)
    _add(engine, [f"/m/{i}.wav" for i in range(10)])
    seen = []
    model.dataChanged.connect(lambda a, b, *_: seen.append((a.row(), b.row())))
    engine.jobsChanged.emit([1, 2, 3, 7, 9])
    assert seen == [(1, 3), (7, 7), (9, 9)]


def test_filter_by_status_and_text(engine):
    model = SongTableModel(engine)
    _add(engine, ["/m/alpha.wav", "/m/beta.wav", "/m/gamma.wav"])
    _set_done(engine, 0, title="Alpha", artist="One")
    proxy = SongFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_states([SongState.DONE])
    assert proxy.rowCount() == 1 and proxy.index(0, COL_TITLE).data() == "Alpha"
    proxy.set_states([SongState.QUEUED])
    assert proxy.rowCount() == 2
    proxy.set_text("GAM")
    assert proxy.rowCount() == 1 and proxy.index(0, COL_TITLE).data() == "gamma.wav"
    proxy.set_states(None)
    proxy.set_text("")
    assert proxy.rowCount() == 3


def test_a_song_waiting_in_a_cluster_queue_says_so_until_it_starts(engine):
    # Handed to a cluster's scheduler (claimed to start later), not started on a worker:
    # the row says queued, with no clock, worker or progress yet, until it starts.
    from gui.song_columns import COL_PROGRESS, COL_WORKER

    waiting_note = ("handed to the cluster, waiting in its queue for a worker thread (its "
                    "time counts from its start there)")

    model = SongTableModel(engine)
    _add(engine, ["/m/waits.wav", "/m/runs.wav", "/m/later.wav"])
    batch = engine.batch
    waits, attempt = batch.claim("h:1 #1", starts_later=True)
    runs, runs_attempt = batch.claim("h:2 #1", starts_later=True)
    assert batch.started(runs.id, runs_attempt, "h:2/0")

    def cells(name):  # (the rows of the model follow a sort)
        row = next(r for r in range(model.rowCount())
                   if model.index(r, COL_FILE).data() == name)
        return [model.index(row, c).data(role) for c, role in (
            (COL_STATUS, Qt.ItemDataRole.DisplayRole),
            (COL_ELAPSED, Qt.ItemDataRole.DisplayRole),
            (COL_WORKER, Qt.ItemDataRole.DisplayRole),
            (COL_PROGRESS, Qt.ItemDataRole.DisplayRole),
            (COL_NOTE, Qt.ItemDataRole.DisplayRole),
            (COL_STATUS, STATE_ROLE),
            (COL_STATUS, Qt.ItemDataRole.ToolTipRole),
            (COL_ELAPSED, SORT_ROLE))]

    assert cells("waits.wav")[:6] == ["queued", "", "", "", waiting_note, "queued"]
    assert "waiting in its queue" in cells("waits.wav")[6]
    assert cells("waits.wav")[7] == -1.0  # (sorted with the songs not started)
    status, elapsed, worker = cells("runs.wav")[:3]
    assert (status, worker) == ("running", "h:2/0") and elapsed.endswith(" / 20 s")
    proxy = SongFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_states([SongState.RUNNING, SongState.STALLED])
    assert [proxy.index(r, COL_FILE).data() for r in range(proxy.rowCount())] == ["runs.wav"]
    proxy.set_states([SongState.QUEUED])
    assert [proxy.index(r, COL_FILE).data() for r in range(proxy.rowCount())] == [
        "waits.wav", "later.wav"]
    proxy.set_states(None)
    # Sorted by status, it is with the queued songs, after the running one.
    proxy.sort(COL_STATUS, Qt.SortOrder.AscendingOrder)
    assert [proxy.index(r, COL_FILE).data() for r in range(3)] == [
        "runs.wav", "waits.wav", "later.wav"]
    # It starts on a worker: running, on its clock.
    assert batch.started(waits.id, attempt, "h:1/0")
    engine.jobsChanged.emit([waits.id])
    status, elapsed, worker, progress, note = cells("waits.wav")[:5]
    assert (status, worker, progress) == ("running", "h:1/0", "0 %")
    assert elapsed.endswith(" / 20 s") and note != waiting_note
    proxy.set_states([SongState.RUNNING])
    assert proxy.rowCount() == 2


def test_sort_by_descriptor_puts_unknown_values_first(engine):
    model = SongTableModel(engine)
    _add(engine, ["/m/a.wav", "/m/b.wav", "/m/c.wav"])
    _set_done(engine, 0, bpm=140.0)
    _set_done(engine, 1, bpm=90.0)
    proxy = SongFilterProxy()
    proxy.setSourceModel(model)
    bpm_col = descriptor_column("bpm")
    proxy.sort(bpm_col, Qt.SortOrder.AscendingOrder)
    assert [proxy.index(r, bpm_col).data() for r in range(3)] == ["", "90.0", "140.0"]


def test_rows_to_tsv_has_header_and_shown_values(engine):
    model = SongTableModel(engine)
    _add(engine, ["/m/a.wav", "/m/b\tc.wav"])
    _set_done(engine, 0, title="A", bpm=100.0)
    text = rows_to_tsv(model, [0, 1], columns=[0, 1, 3])
    # a tab in a name shows, and is copied, as \t (as the command line prints it)
    assert text == "#\tTitle\tFile\n1\tA\ta.wav\n2\tb\\tc.wav\tb\\tc.wav\n"


def test_copied_rows_hold_values_as_the_results_csv_writes_them(engine):
    """Keys with sharps whatever Settings > Key names says, and no pencil: a value the user
    set goes to a column of its own after the analyzer's, as bpm_user and key_user do."""
    model = SongTableModel(engine)
    model.set_flat_keys(True)
    _add(engine, ["/m/a.wav", "/m/b.wav"])
    _set_done(engine, 0, title="A", bpm=64.0, bpm_user=128.0, key="A# minor",
              key_user="C# major", key_camelot="3A")
    _set_done(engine, 1, title="B", bpm=90.0, key="D# major", key_camelot="5B")
    proxy = SongFilterProxy()
    proxy.setSourceModel(model)
    bpm, key, camelot = (descriptor_column(c) for c in ("bpm", "key", "key_camelot"))
    shown = [proxy.index(0, c).data() for c in (bpm, key)]
    assert shown == ["128.0 \u270e", "D\u266d major \u270e"]  # the window's spelling
    text = rows_to_tsv(proxy, [0, 1], columns=[COL_TITLE, bpm, key, camelot])
    assert text == ("Title\tBPM\tBPM set by hand\tKey\tKey set by hand\tCamelot\n"
                    "A\t64.0\t128.0\tA# minor\tC# major\t3A\n"
                    "B\t90.0\t\tD# major\t\t5B\n")
    whole = rows_to_tsv(proxy, [0, 1])
    assert "\u270e" not in whole and "\u266d" not in whole
    header = whole.splitlines()[0].split("\t")
    assert header.count("BPM set by hand") == 1 and header.count("Key set by hand") == 1
    assert all(len(line.split("\t")) == len(header) for line in whole.splitlines())


def test_copied_rows_keep_the_values_set_by_hand_of_a_song_analyzed_again(engine):
    """A song queued again keeps the tempo and key the user set (they go to its new result)
    and its row shows them meanwhile: a copy holds them in the columns set by hand too."""
    model = SongTableModel(engine)
    _add(engine, ["/m/a.wav"])
    _set_done(engine, 0, title="A", bpm=64.0, bpm_user=128.0, key="A# minor",
              key_user="C# major")
    bpm, key = descriptor_column("bpm"), descriptor_column("key")
    engine.batch.requeue([0], force=True)
    job, _attempt = engine.batch.claim("W1")  # running again, its new result not yet in
    assert job.result is None and job.previous is not None
    assert model.index(0, bpm).data() == "128.0"  # the value set by hand is shown
    text = rows_to_tsv(model, [0], columns=[bpm, key])
    assert text == ("BPM\tBPM set by hand\tKey\tKey set by hand\n"
                    "64.0\t128.0\tA# minor\tC# major\n")


def test_copied_rows_hold_numbers_a_spreadsheet_reads_as_the_results_csv(engine, tmp_path):
    """A duration shown 3:25 is copied as the CSV's duration_s (a spreadsheet reads "3:25"
    as 3 hours 25), a meter shown 3/4 as beats per bar (a date), a flag as true / false,
    the chunks (2/4, a date) and the analysis time (0:42 / 5:00) as the CSV's chunks and
    analysis_s, the progress (100 %) as a number: each copied descriptor is the CSV's cell."""
    model = SongTableModel(engine)
    _add(engine, ["/m/a.wav", "/m/b.wav"])
    _set_done(engine, 0, title="A", duration_s=205.25, time_signature=3, bpm=120.0,
              bpm_weak_pulse=True, bpm_varies=False, key_modulating=False,
              bpm_alternatives="120.00;60.00;240.00", brightness_hz=2345.678,
              peak_dbfs=-0.004, chunks=4)
    engine.batch.jobs[0].result.analysis_s = 42.5  # (the batch's clock stands still here)
    proxy = SongFilterProxy()
    proxy.setSourceModel(model)
    duration, meter, weak = (descriptor_column(c) for c in
                             ("duration_s", "time_signature", "bpm_weak_pulse"))
    assert [proxy.index(0, c).data() for c in (duration, meter, weak, COL_CHUNK)] == \
        ["3:25", "3/4", "yes", "4/4"]  # the window's own text is kept
    text = rows_to_tsv(proxy, [0, 1], columns=[duration, meter, weak, COL_CHUNK,
                                               COL_ELAPSED, COL_PROGRESS])
    assert text == ("Duration (s)\tMeter (beats per bar)\tWeak pulse\tChunks\t"
                    "Analysis (s)\tProgress (%)\n"
                    "205.25\t3\ttrue\t4\t42.5\t100\n"
                    "\t\t\t\t\t\n")
    # every descriptor of a whole copied row is the results CSV's cell of that column
    write_results_csv(tmp_path / "results.csv", engine.batch.results())
    with open(tmp_path / "results.csv", encoding="utf-8-sig", newline="") as f:
        written = next(csv.DictReader(f))
    lines = rows_to_tsv(proxy, [0]).splitlines()
    copied = dict(zip(lines[0].split("\t"), lines[1].split("\t"), strict=True))
    for name in TABLE_DESCRIPTORS:
        col = descriptor_column(name)
        header = proxy.headerData(col, Qt.Orientation.Horizontal, COPY_ROLE) \
            or proxy.headerData(col, Qt.Orientation.Horizontal)
        assert copied[header] == written[name], name
    assert written["duration_s"] == "205.25" and written["bpm_varies"] == "false"


def test_copied_text_a_spreadsheet_takes_for_a_formula_is_guarded_as_in_the_csv(engine,
                                                                               tmp_path):
    # pasted as is, "-Intro-" is a formula Excel cannot compute (#NAME?) and "=1+1" one
    # that it does; the results CSV writes both with an apostrophe, and so does a copy
    model = SongTableModel(engine)
    _add(engine, ["/m/-take 2.wav"])
    _set_done(engine, 0, title="-Intro-", artist="=1+1", bpm=120.0)
    assert model.index(0, COL_TITLE).data() == "-Intro-"  # shown as it is
    text = rows_to_tsv(model, [0], columns=[COL_TITLE, COL_ARTIST, COL_FILE])
    assert text == "Title\tArtist\tFile\n'-Intro-\t'=1+1\t'-take 2.wav\n"
    write_results_csv(tmp_path / "results.csv", engine.batch.results())
    with open(tmp_path / "results.csv", encoding="utf-8-sig", newline="") as f:
        written = next(csv.DictReader(f))
    assert (written["title"], written["artist"]) == ("'-Intro-", "'=1+1")


def test_descriptor_column_rejects_unknown_name():
    with pytest.raises(ValueError, match="'tempo'"):
        descriptor_column("tempo")


def test_sorting_thousands_of_songs_reads_each_value_once_and_keeps_ties_in_order(engine):
    model = SongTableModel(engine)
    n = 3000
    _add(engine, [f"/m/{i:05d}_{'Beta' if i % 3 else 'alpha'} {i % 50}.wav" for i in range(n)])
    for i in range(400):  # 400 with a tempo, the others queued
        _set_done(engine, i, bpm=float(i % 90) + 60.0)
    proxy = SongFilterProxy()
    proxy.setSourceModel(model)
    asked = []
    sort_value = model._sort_value
    model._sort_value = lambda job, col: asked.append(job.id) or sort_value(job, col)
    title = [model.index(r, COL_TITLE).data().casefold() for r in range(n)]
    proxy.sort(COL_TITLE, Qt.SortOrder.AscendingOrder)
    assert len(asked) == n  # once per song, not twice per comparison (seconds for 10,000)
    shown = [proxy.index(r, 0).data(JOB_ID_ROLE) for r in range(n)]  # the songs shown
    assert shown == sorted(range(n), key=lambda r: title[r])  # stable: ties by #
    proxy.sort(COL_TITLE, Qt.SortOrder.DescendingOrder)
    shown = [proxy.index(r, 0).data(JOB_ID_ROLE) for r in range(n)]  # the songs shown
    assert [title[r] for r in shown] == sorted(title, reverse=True)
    bpm_col = descriptor_column("bpm")
    proxy.sort(bpm_col, Qt.SortOrder.AscendingOrder)
    values = [proxy.index(r, bpm_col).data() for r in range(n)]
    assert values[:n - 400] == [""] * (n - 400)  # unknown values first
    numbers = [float(v) for v in values if v]
    assert numbers == sorted(numbers)


def _shown(proxy) -> list[int]:
    """The songs the proxy shows, top to bottom."""
    return [proxy.index(r, 0).data(JOB_ID_ROLE) for r in range(proxy.rowCount())]


def _by_value(ids, value, *, reverse=False) -> list[int]:
    """``ids`` grouped by ``value`` (groups in order, reversed or not), each group in song
    order: what a sort that keeps ties in the batch's order shows."""
    groups = sorted({value(j) for j in ids}, reverse=reverse)
    return [j for g in groups for j in ids if value(j) == g]


@pytest.fixture
def sorted_deck(engine):
    """60 songs, the last five queued: titles with ties of any case, tempi above and below
    100 and missing, keys with ties and missing."""
    model = SongTableModel(engine)
    n = 60
    _add(engine, [f"/m/{i:03d}.wav" for i in range(n)])
    titles = ["beta", "Alpha", "alpha", "gamma"]
    keys = ["A minor", "C major", "A minor", None, "Bb major"]
    for i in range(n - 5):
        _set_done(engine, i, title=titles[i % 4], key=keys[i % 5],
                  bpm=None if i % 7 == 0 else float(60 + (i * 3) % 5 * 20))
    proxy = SongFilterProxy()
    proxy.setSourceModel(model)
    return engine, model, proxy


def test_every_kind_of_column_sorts_both_ways_with_ties_and_missing_values(sorted_deck):
    engine, model, proxy = sorted_deck
    jobs = engine.batch.jobs
    ids = list(range(len(jobs)))
    assert _shown(proxy) == ids
    title = {j: proxy.index(j, COL_TITLE).data().casefold() for j in ids}  # as shown
    bpm = {j: -1.0 if jobs[j].result is None or jobs[j].result.bpm is None
           else jobs[j].result.bpm for j in ids}
    key = {j: (jobs[j].result.key or "") if jobs[j].result else "" for j in ids}
    state = {j: STATE_ORDER[jobs[j].state] for j in ids}
    assert {bpm[j] for j in ids} >= {-1.0, 60.0, 100.0, 140.0}  # numbers, not text
    for col, value in ((COL_TITLE, title.get), (descriptor_column("bpm"), bpm.get),
                       (descriptor_column("key"), key.get), (COL_STATUS, state.get)):
        proxy.sort(col, Qt.SortOrder.AscendingOrder)
        assert _shown(proxy) == _by_value(ids, value), col
        proxy.sort(col, Qt.SortOrder.DescendingOrder)
        assert _shown(proxy) == _by_value(ids, value, reverse=True), col
        assert proxy.sortColumn() == col and proxy.sortOrder() == Qt.SortOrder.DescendingOrder
    proxy.sort(COL_NUM, Qt.SortOrder.DescendingOrder)
    assert _shown(proxy) == ids[::-1]
    proxy.sort(COL_NUM, Qt.SortOrder.AscendingOrder)
    assert _shown(proxy) == ids and proxy.sortColumn() == -1


def test_a_sorted_model_passes_the_model_tester_and_finds_each_song(qtmodeltester, sorted_deck):
    engine, model, proxy = sorted_deck
    proxy.sort(COL_TITLE, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(proxy, force_py=True)
    for job in engine.batch.jobs:
        row = model.row_of(job.id)
        assert model.job(row) is job
        assert model.index(row, COL_FILE).data() == f"{job.id:03d}.wav"


def test_selection_and_current_song_follow_the_songs_through_sorts(sorted_deck):
    from PySide6.QtCore import QItemSelectionModel
    from PySide6.QtWidgets import QTableView

    _engine, model, proxy = sorted_deck
    view = QTableView()
    view.setModel(proxy)
    sel = view.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    chosen = [3, 10, 17, 58]
    for j in chosen:
        sel.select(proxy.index(j, 0), flags)
    sel.setCurrentIndex(proxy.index(10, 2), QItemSelectionModel.SelectionFlag.NoUpdate)

    def selected():
        return sorted(proxy.index(i.row(), 0).data(JOB_ID_ROLE) for i in sel.selectedRows())

    for col, order in ((COL_TITLE, Qt.SortOrder.DescendingOrder),
                       (descriptor_column("bpm"), Qt.SortOrder.AscendingOrder),
                       (COL_NUM, Qt.SortOrder.AscendingOrder)):
        proxy.sort(col, order)
        assert selected() == chosen
        current = sel.currentIndex()
        assert current.data(JOB_ID_ROLE) == 10 and current.column() == 2
    proxy.set_text("alpha")  # a filter over a sorted list keeps the chosen songs it shows
    proxy.sort(COL_TITLE, Qt.SortOrder.AscendingOrder)
    assert selected() == [j for j in chosen if j % 4 in (1, 2) and j < 55]


def test_a_filter_over_a_sorted_list_shows_the_matching_songs_in_that_order(sorted_deck):
    _engine, _model, proxy = sorted_deck
    bpm_col = descriptor_column("bpm")
    proxy.sort(bpm_col, Qt.SortOrder.DescendingOrder)
    order = _shown(proxy)
    proxy.set_text("ALPHA")
    assert _shown(proxy) == [j for j in order if j < 55 and j % 4 in (1, 2)]
    proxy.set_states(["queued"])
    assert _shown(proxy) == []  # queued songs have no title "alpha"
    proxy.set_text("")
    assert _shown(proxy) == [j for j in order if j >= 55]
    proxy.set_states(None)
    assert _shown(proxy) == order


def test_changed_songs_are_repainted_where_the_sort_put_them(sorted_deck):
    engine, model, proxy = sorted_deck
    proxy.sort(COL_TITLE, Qt.SortOrder.DescendingOrder)
    spans = []
    model.dataChanged.connect(lambda a, b, _r=(): spans.append((a.row(), b.row())))
    engine.jobsChanged.emit([0, 1])
    rows = {model.row_of(0), model.row_of(1)}
    assert all(any(a <= r <= b for a, b in spans) for r in rows)
    assert sum(b - a + 1 for a, b in spans) == 2  # those two rows, no others
    spans.clear()
    engine.jobsChanged.emit(list(range(0, 60, 2)))  # scattered: one span over them
    rows = sorted(model.row_of(j) for j in range(0, 60, 2))
    assert all(any(a <= r <= b for a, b in spans) for r in rows)


def test_songs_added_to_a_sorted_list_come_below_until_sorted_again(sorted_deck):
    engine, model, proxy = sorted_deck
    proxy.sort(COL_TITLE, Qt.SortOrder.AscendingOrder)
    before = _shown(proxy)
    _add(engine, ["/m/aaa.wav", "/m/zzz.wav"])
    assert _shown(proxy) == before + [60, 61]  # rows do not jump while the user looks
    proxy.resort()
    shown = _shown(proxy)
    assert shown[:6] == [55, 56, 57, 58, 59, 60] and shown[-1] == 61  # "055.wav"... "aaa.wav"
    old = engine.clear()
    assert proxy.rowCount() == 0
    engine.put_back(*old)  # the list that comes back is shown in the order chosen
    assert _shown(proxy) == shown and proxy.sortColumn() == COL_TITLE


def _count_sort_values(model) -> list:
    """Record the song of every sort value the model computes."""
    asked = []
    sort_value = model._sort_value
    model._sort_value = lambda job, col: asked.append(job.id) or sort_value(job, col)
    return asked


def test_a_sort_again_asks_only_the_songs_that_changed_and_puts_them_in_place(sorted_deck):
    engine, model, proxy = sorted_deck
    bpm_col = descriptor_column("bpm")
    asked = _count_sort_values(model)
    proxy.sort(bpm_col, Qt.SortOrder.AscendingOrder)
    assert len(asked) == 60
    proxy.sort(COL_TITLE, Qt.SortOrder.AscendingOrder)
    asked.clear()
    proxy.sort(bpm_col, Qt.SortOrder.DescendingOrder)  # back to a column sorted before
    assert asked == []
    assert engine.correct([3], bpm_user=500.0) == 1  # reported at once (no batch runs)
    proxy.sort(bpm_col, Qt.SortOrder.AscendingOrder)
    assert asked == [3]
    assert _shown(proxy)[-1] == 3  # the highest tempo now
    proxy.sort(bpm_col, Qt.SortOrder.DescendingOrder)
    assert _shown(proxy)[0] == 3
    engine.correct([3], bpm_user=None)  # the analyzer's tempo again
    proxy.resort()
    bpm = [proxy.index(r, bpm_col).data(SORT_ROLE) for r in range(60)]
    assert bpm == sorted(bpm, reverse=True)


def test_a_song_changed_and_not_yet_reported_sorts_by_its_new_value(sorted_deck):
    engine, model, proxy = sorted_deck
    proxy.sort(COL_TITLE, Qt.SortOrder.AscendingOrder)
    assert _shown(proxy)[-1] != 57
    # Tags read for a queued song: the engine reports the row at its next tick only.
    engine.identity[57] = ("zzz last", "")
    engine.feed.rowsIdentified.emit([57])
    proxy.sort(COL_TITLE, Qt.SortOrder.AscendingOrder)
    assert _shown(proxy)[-1] == 57
    engine.tick()
    proxy.sort(COL_TITLE, Qt.SortOrder.DescendingOrder)
    assert _shown(proxy)[0] == 57


def test_songs_put_back_or_added_sort_by_their_own_values(sorted_deck):
    engine, model, proxy = sorted_deck
    proxy.sort(COL_TITLE, Qt.SortOrder.AscendingOrder)
    old = engine.clear()
    _add(engine, ["/m/b.wav", "/m/a.wav"])
    proxy.sort(COL_TITLE, Qt.SortOrder.DescendingOrder)
    assert [proxy.index(r, COL_TITLE).data() for r in range(2)] == ["b.wav", "a.wav"]
    engine.clear()
    engine.put_back(*old)
    proxy.sort(COL_TITLE, Qt.SortOrder.AscendingOrder)
    titles = [proxy.index(r, COL_TITLE).data().casefold() for r in range(60)]
    assert titles == sorted(titles)
    _add(engine, ["/m/0.wav"])
    proxy.sort(COL_TITLE, Qt.SortOrder.AscendingOrder)  # the same sort: the new song too
    assert _shown(proxy)[0] == 60


def test_the_time_taken_sorts_by_the_time_now(sorted_deck, monkeypatch):
    engine, model, proxy = sorted_deck
    batch = engine.batch
    a, _ = batch.claim("W1")
    b, _ = batch.claim("W2")
    clock = {a.id: 5.0, b.id: 1.0}  # the other songs ended long ago
    monkeypatch.setattr(type(a), "elapsed", lambda job, now=None: clock.get(job.id, 0.1))
    proxy.sort(COL_ELAPSED, Qt.SortOrder.DescendingOrder)
    assert _shown(proxy)[:2] == [a.id, b.id]
    clock[b.id] = 9.0  # time passes without a report
    proxy.sort(COL_ELAPSED, Qt.SortOrder.DescendingOrder)
    assert _shown(proxy)[:2] == [b.id, a.id]


def test_sorting_again_by_the_same_column_with_nothing_changed_moves_nothing(sorted_deck):
    engine, model, proxy = sorted_deck
    layouts = []
    model.layoutChanged.connect(lambda *a: layouts.append(1))
    proxy.sort(COL_TITLE, Qt.SortOrder.AscendingOrder)
    proxy.sort(COL_TITLE, Qt.SortOrder.AscendingOrder)
    assert len(layouts) == 1
    engine.correct([4], bpm_user=90.0)  # a change (in another column): sorted again
    proxy.sort(COL_TITLE, Qt.SortOrder.AscendingOrder)
    assert len(layouts) == 2


def test_a_sort_by_column_of_the_table_sorts_once(qapp, engine):
    from gui.song_view import SongTableView

    model = SongTableModel(engine)
    _add(engine, [f"/m/{i:03d}.wav" for i in range(20)])
    proxy = SongFilterProxy()
    proxy.setSourceModel(model)
    view = SongTableView()
    view.setModel(proxy)
    layouts = []
    model.layoutChanged.connect(lambda *a: layouts.append(1))
    view.sortByColumn(COL_FILE, Qt.SortOrder.DescendingOrder)
    assert _shown(proxy) == list(range(19, -1, -1))
    assert len(layouts) == 1


def test_the_frozen_columns_show_the_sort_of_the_view(qapp, engine):
    from gui.song_view import SongTableView

    proxy = SongFilterProxy()
    proxy.setSourceModel(SongTableModel(engine))
    view = SongTableView()
    view.setModel(proxy)
    header = view.frozen.horizontalHeader()
    for column, order in ((COL_FILE, Qt.SortOrder.DescendingOrder),
                          (1, Qt.SortOrder.AscendingOrder)):
        view.sortByColumn(column, order)
        assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (column, order)


def test_a_note_with_two_doubts_says_both_in_the_note_column(qtbot, engine):
    from PySide6.QtWidgets import QStyle

    from gui.song_view import SongTableView

    model = SongTableModel(engine)
    view = SongTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    _add(engine, ["/m/quiet.wav", "/m/sure.wav"])
    _set_done(engine, 0, bpm=66.5, bpm_confidence=0.36, key="F minor", key_confidence=0.59)
    _set_done(engine, 1, bpm=120.0, bpm_confidence=0.9, key="C major", key_confidence=0.57)
    view.resize(1280, 300)
    view.show()
    delegate = view.itemDelegateForColumn(COL_NOTE)
    width, style, fm = view.columnWidth(COL_NOTE), view.style(), view.fontMetrics()
    room = width - 2 * (style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1)
    note = model.index(0, COL_NOTE).data()
    assert note == "check by ear: tempo confidence 0.36, key confidence 0.59"
    assert fm.horizontalAdvance(note) > room  # the whole note does not fit its cell
    shown = delegate.shown(note, fm, width, style)
    assert shown == "check by ear: tempo 0.36, key 0.59"
    assert fm.horizontalAdvance(shown) <= room  # both doubts, whole
    assert model.index(0, COL_NOTE).data(Qt.ItemDataRole.ToolTipRole) == note
    one = model.index(1, COL_NOTE).data()
    assert delegate.shown(one, fm, width, style) == one == "check by ear: key confidence 0.57"
    # a cell whose room is the note's rounded width paints the shorter form: Qt measures
    # the text unrounded and would elide one a fraction of a pixel wider than its room
    margins = width - room
    exact = fm.horizontalAdvance(one) + margins
    assert delegate.shown(one, fm, exact, style) == "check by ear: key 0.57"
    assert delegate.shown(one, fm, exact + 1, style) == one


def test_a_note_with_three_or_four_doubts_is_painted_short_and_whole_in_its_tip(
        qtbot, engine):
    from PySide6.QtWidgets import QStyle

    from gui.song_view import SongTableView

    model = SongTableModel(engine)
    view = SongTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    _add(engine, ["/m/four.wav", "/m/three.wav"])
    _set_done(engine, 0, bpm=66.5, bpm_confidence=0.36, bpm_weak_pulse=True,
              bpm_varies=True, key="F minor", key_confidence=0.59)
    _set_done(engine, 1, bpm=90.0, bpm_confidence=0.41, bpm_weak_pulse=True,
              key="D major", key_confidence=0.44)
    view.resize(1280, 300)
    view.show()
    delegate = view.itemDelegateForColumn(COL_NOTE)
    width, style, fm = view.columnWidth(COL_NOTE), view.style(), view.fontMetrics()
    room = width - 2 * (style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1)
    four = model.index(0, COL_NOTE).data()
    assert four == ("check by ear: weak pulse, tempo varies, tempo confidence 0.36, "
                    "key confidence 0.59")
    three = model.index(1, COL_NOTE).data()
    assert three == "check by ear: weak pulse, tempo confidence 0.41, key confidence 0.44"
    painted = {}
    for row, note in ((0, four), (1, three)):
        shown = delegate.shown(note, fm, width, style)
        assert fm.horizontalAdvance(shown) <= room, shown  # painted whole, not elided
        assert model.index(row, COL_NOTE).data(Qt.ItemDataRole.ToolTipRole) == note
        painted[row] = shown
    # the tempo's several doubts by their subject, the key's figure kept
    assert painted == {0: "check by ear: tempo, key 0.59", 1: "check by ear: tempo, key 0.44"}
    # a narrower cell still says both subjects in full words
    assert delegate.shown(four, fm, fm.horizontalAdvance("check by ear: tempo, key") + 12,
                          style) == "check by ear: tempo, key"


def test_a_progress_cell_says_its_chunk_to_a_screen_reader(engine):
    model = SongTableModel(engine)
    _add(engine, ["/m/a.wav", "/m/b.wav"])
    job, attempt = engine.batch.claim("W1")
    engine.batch.progress(job.id, attempt, 2, 5, 120.0)
    spoken = [model.index(r, COL_PROGRESS).data(Qt.ItemDataRole.AccessibleTextRole)
              for r in range(2)]
    assert spoken == ["Progress: 40 %, chunk 2 of 5", "Progress: queued"]
    assert model.index(0, COL_PROGRESS).data() == "40 %"  # the bar's own text


def _four_doubts_view(qtbot, engine, width):
    from gui.song_view import SongTableView

    model = SongTableModel(engine)
    view = SongTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    _add(engine, ["/m/four.wav", "/m/sure.wav"])
    _set_done(engine, 0, bpm=66.5, bpm_confidence=0.36, bpm_weak_pulse=True,
              bpm_varies=True, key="F minor", key_confidence=0.59)
    _set_done(engine, 1, bpm=120.0, bpm_confidence=0.9, key="C major", key_confidence=0.9)
    view.resize(width, 300)
    view.show()
    qtbot.waitExposed(view)
    return model, view


@pytest.mark.parametrize("width", [1600, 1280, 1024])
def test_the_note_column_widens_to_its_whole_note_only_on_a_wide_table(qtbot, engine, width):
    from PySide6.QtWidgets import QStyle

    from gui.song_view import NOTE_WIDTH

    model, view = _four_doubts_view(qtbot, engine, width)
    note = model.index(0, COL_NOTE).data()
    fm, style = view.fontMetrics(), view.style()
    room = 2 * (style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1)
    if width == 1600:
        qtbot.waitUntil(lambda: view.columnWidth(COL_NOTE) > NOTE_WIDTH)
        fitted = view.columnWidth(COL_NOTE)
        assert view.sizeHintForColumn(COL_NOTE) < fitted <= view.sizeHintForColumn(COL_NOTE) + 8
        assert fm.horizontalAdvance(note) + room + 2 <= fitted  # the whole note, with room
        delegate = view.itemDelegateForColumn(COL_NOTE)
        assert delegate.shown(note, fm, fitted, style) == note
        # a narrower window gives the room back
        view.resize(1280, 300)
        assert view.columnWidth(COL_NOTE) == NOTE_WIDTH
        view.resize(1600, 300)
        assert view.columnWidth(COL_NOTE) == fitted
    else:
        qtbot.wait(400)  # (past the fitting that follows changed notes)
        assert view.columnWidth(COL_NOTE) == NOTE_WIDTH


def _drag_note_edge(qtbot, view, to_width):
    """Drag the right edge of the Note column's header section to ``to_width`` px."""
    from PySide6.QtCore import QPoint

    hh = view.horizontalHeader()
    y = hh.height() // 2
    edge = hh.sectionViewportPosition(COL_NOTE) + hh.sectionSize(COL_NOTE) - 1
    qtbot.mousePress(hh.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(edge, y))
    target = QPoint(edge + to_width - hh.sectionSize(COL_NOTE), y)
    qtbot.mouseMove(hh.viewport(), target)
    qtbot.mouseRelease(hh.viewport(), Qt.MouseButton.LeftButton, pos=target)


def test_a_note_width_the_user_dragged_is_kept_and_remembered(qtbot, engine):
    from gui.column_chooser import apply_column_layout, column_layout
    from gui.song_view import NOTE_WIDTH

    model, view = _four_doubts_view(qtbot, engine, 1600)
    qtbot.waitUntil(lambda: view.columnWidth(COL_NOTE) > NOTE_WIDTH)
    fitted = view.columnWidth(COL_NOTE)
    saved = {e["name"]: e["width"] for e in column_layout(view)}
    assert saved["note"] == NOTE_WIDTH  # the fitted width is not the user's
    _drag_note_edge(qtbot, view, 300)
    assert view.columnWidth(COL_NOTE) == 300
    assert view.note_width == 300
    for width in (1280, 1900, 1600):
        view.resize(width, 300)
        assert view.columnWidth(COL_NOTE) == 300
    assert {e["name"]: e["width"] for e in column_layout(view)}["note"] == 300
    # a layout with the default width fits the column again; one with another keeps it
    apply_column_layout(view, [{"name": "note", "shown": True, "width": NOTE_WIDTH}])
    assert view.note_width is None
    assert view.columnWidth(COL_NOTE) == fitted
    apply_column_layout(view, [{"name": "note", "shown": True, "width": 280}])
    view.resize(1700, 300)
    assert view.columnWidth(COL_NOTE) == 280
    assert {e["name"]: e["width"] for e in column_layout(view)}["note"] == 280


def test_a_double_click_on_the_note_edge_fits_it_and_it_follows_the_table(qtbot, engine):
    # Qt's fit on a double click came as a drag does: the column stopped following the
    # table.  A double click fits it and it goes on following; a drag still sets it.
    from PySide6.QtCore import QPoint

    from gui.column_chooser import column_layout
    from gui.song_view import NOTE_WIDTH

    model, view = _four_doubts_view(qtbot, engine, 1600)
    qtbot.waitUntil(lambda: view.columnWidth(COL_NOTE) > NOTE_WIDTH)
    fitted = view.columnWidth(COL_NOTE)
    hh = view.horizontalHeader()

    def double_click_edge():
        edge = QPoint(hh.sectionViewportPosition(COL_NOTE) + hh.sectionSize(COL_NOTE) - 1,
                      hh.height() // 2)
        qtbot.mouseDClick(hh.viewport(), Qt.MouseButton.LeftButton, pos=edge)

    double_click_edge()
    assert view.note_width is None and view.columnWidth(COL_NOTE) == fitted
    view.resize(1280, 300)
    assert view.columnWidth(COL_NOTE) == NOTE_WIDTH  # it follows the table
    view.resize(1600, 300)
    assert view.columnWidth(COL_NOTE) == fitted
    assert {e["name"]: e["width"] for e in column_layout(view)}["note"] == NOTE_WIDTH
    # a drag sets the width; a double click gives the column back to the table
    _drag_note_edge(qtbot, view, 300)
    assert view.note_width == 300
    double_click_edge()
    assert view.note_width is None and view.columnWidth(COL_NOTE) == fitted
    view.resize(1280, 300)
    assert view.columnWidth(COL_NOTE) == NOTE_WIDTH


def test_a_key_with_a_sharp_gives_its_flat_spelling_in_its_tip_and_stays_sharp(engine):
    model = SongTableModel(engine)
    _add(engine, ["/m/sharp.wav", "/m/plain.wav", "/m/fixed.wav"])
    _set_done(engine, 0, bpm=120.0, key="A# minor", key_confidence=0.9)
    _set_done(engine, 1, bpm=120.0, key="C major", key_confidence=0.9)
    _set_done(engine, 2, bpm=120.0, key="G minor", key_confidence=0.9)
    engine.correct([2], key_user="D# major")
    key = descriptor_column("key")
    tip = Qt.ItemDataRole.ToolTipRole
    assert model.index(0, key).data() == "A# minor"  # the cell keeps the sharp
    assert model.index(0, key).data(tip) == "A# minor (B\u266d minor)"
    assert model.index(1, key).data(tip) is None  # no other spelling to give
    corrected = model.index(2, key).data(tip)
    assert corrected.startswith("your correction D# major (E\u266d major); the analyzer said "
                                "G minor")
    # the correction and the export keep sharps
    job = engine.batch.jobs[2]
    assert job.result.key_user == "D# major" and job.result.to_row()["key_user"] == "D# major"


def test_a_long_note_widens_the_note_column_once_it_scrolls_into_sight(qtbot, engine):
    from gui.song_view import NOTE_WIDTH, SongTableView

    model = SongTableModel(engine)
    view = SongTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    _add(engine, [f"/m/{i:02d}.wav" for i in range(60)])
    for i in range(60):
        doubts = dict(bpm_confidence=0.36, bpm_weak_pulse=True, bpm_varies=True,
                      key_confidence=0.59) if i == 55 else {}
        _set_done(engine, i, bpm=120.0, key="F minor", **doubts)
    view.resize(1600, 300)
    view.show()
    qtbot.waitExposed(view)
    qtbot.wait(400)  # (past the fitting that follows changed notes)
    assert view.columnWidth(COL_NOTE) == NOTE_WIDTH  # no note in sight needs more
    view.scrollToBottom()
    qtbot.waitUntil(lambda: view.columnWidth(COL_NOTE) > NOTE_WIDTH)
    wide = view.columnWidth(COL_NOTE)
    assert wide >= view.fontMetrics().horizontalAdvance(model.index(55, COL_NOTE).data()) + 8
    view.scrollToTop()  # back among short notes: the column keeps its width
    qtbot.wait(400)
    assert view.columnWidth(COL_NOTE) == wide
    # hidden, the table narrowed, then shown again: fitted to the narrower table
    view.setColumnHidden(COL_NOTE, True)
    view.resize(1280, 300)
    view.setColumnHidden(COL_NOTE, False)
    qtbot.waitUntil(lambda: view.columnWidth(COL_NOTE) == NOTE_WIDTH)
