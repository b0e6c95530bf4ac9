"""``songcal analyze`` end to end on generated files, good and bad."""

import csv
import os

import numpy as np
import pytest

from core.batch.cache import content_fingerprint
from core.batch.store import ResultStore
from core.cli.main import main
from core.io.results import RESULT_COLUMNS
from core.settings import AnalysisSettings
from tests.audio_files import write_audio
from tests.databases import write_database


def _click_song(bpm: float, seconds: float, sr: int = 22050, seed: int = 0) -> np.ndarray:
    """Clicks on every beat over a low A-minor drone, stereo."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    y = 0.08 * (np.sin(2 * np.pi * 220 * t) + np.sin(2 * np.pi * 261.63 * t)
                + np.sin(2 * np.pi * 329.63 * t))
    click = np.exp(-np.arange(int(0.03 * sr)) / (0.004 * sr)) * rng.uniform(-1, 1, int(0.03 * sr))
    for b in np.arange(0, seconds, 60.0 / bpm):
        i = int(b * sr)
        seg = click[: max(0, min(click.size, n - i))]
        y[i:i + seg.size] += 0.6 * seg
    return np.stack([y, y], axis=1).astype(np.float32)


def _read(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def deck(tmp_path):
    d = tmp_path / "deck"
    (d / "sub").mkdir(parents=True)
    write_audio(d / "001_Test Artist_Click Song.wav", _click_song(120, 12.0), 22050)
    write_audio(d / "sub" / "Other Artist - Second.FLAC", _click_song(100, 12.0, seed=1), 22050)
    (d / "broken.mp3").write_bytes(b"this is not audio at all" * 10)
    (d / "notes.txt").write_text("skip me")
    (d / "empty.wav").write_bytes(b"")
    return d


def test_analyze_writes_a_row_per_audio_file_and_exits_1_on_failures(deck, tmp_path, capsys):
    out = tmp_path / "results.csv"
    code = main(["analyze", str(deck), "-o", str(out), "--workers", "2", "--no-store"])
    assert code == 1
    rows = _read(out)
    assert list(rows[0].keys())[: len(RESULT_COLUMNS)] == list(RESULT_COLUMNS)
    by_name = {r["path"].rsplit("/", 1)[-1]: r for r in rows}
    assert set(by_name) == {"001_Test Artist_Click Song.wav", "Other Artist - Second.FLAC",
                            "broken.mp3", "empty.wav"}
    song = by_name["001_Test Artist_Click Song.wav"]
    assert song["status"] == "done"
    assert song["title"] == "Click Song" and song["artist"] == "Test Artist"
    assert abs(float(song["bpm"]) - 120) < 120 * 0.04
    assert by_name["Other Artist - Second.FLAC"]["artist"] == "Other Artist"
    assert by_name["broken.mp3"]["status"] == "failed" and by_name["broken.mp3"]["error"]
    assert by_name["empty.wav"]["status"] == "failed" and "empty" in by_name["empty.wav"]["error"]
    captured = capsys.readouterr()
    printed = captured.out
    assert "broken.mp3" in printed and "failed" in printed
    # What the scan left out is said on stderr, as a count per reason.
    assert "skipped   1 in the folders: 1 \u00d7 not an audio file" in captured.err
    # One line per finished song: a done song shows its tempo, key and loudness.
    done = next(ln for ln in printed.splitlines() if "Click Song.wav" in ln)
    assert done.startswith("done ") and " BPM, " in done and " LUFS" in done, done


def test_a_file_name_with_control_characters_is_printed_on_one_line(tmp_path, capsys):
    """A newline would split the song's line, an escape sequence would act on the terminal:
    both are printed escaped; the CSV keeps the name as it is."""
    d = tmp_path / "deck"
    d.mkdir()
    name = "new\nline \x1b[2J.wav"
    write_audio(d / name, _click_song(120, 3.0), 22050)
    (d / "bad\nname.wav").write_bytes(b"\x00" * 100)
    # a right-to-left override reorders the rest of the line: "x\u202egpj.wav" reads as
    # "xvaw.jpg"; the marks that Hebrew and Arabic names use are left alone
    (d / "x\u202egpj.wav").write_bytes(b"\x00" * 100)
    write_audio(d / "\u05e9\u05d9\u05e8\u200f.wav", _click_song(120, 3.0), 22050)
    out = tmp_path / "results.csv"
    assert main(["analyze", str(d), "-o", str(out), "--workers", "1", "--no-store"]) == 1
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and "\u202e" not in printed
    lines = printed.splitlines()
    assert any(ln.startswith("done ") and ln.endswith("s)") and "new\\nline \\x1b[2J.wav" in ln
               for ln in lines), lines
    assert any(ln.startswith("failed ") and "bad\\nname.wav: " in ln for ln in lines), lines
    assert any(ln.startswith("failed ") and "x\\u202egpj.wav: " in ln for ln in lines), lines
    assert any(ln.startswith("done ") and "\u05e9\u05d9\u05e8\u200f.wav" in ln for ln in lines)
    assert {r["path"].rsplit("/", 1)[-1] for r in _read(out)} == {
        name, "bad\nname.wav", "x\u202egpj.wav", "\u05e9\u05d9\u05e8\u200f.wav"}


def _plant_in_the_store(tmp_path, monkeypatch):
    """Analyze one song into a fresh store, then plant a marker (333 BPM) in its stored
    result: whether a later run reads the store shows in its CSV, however fast either run
    was.  Returns the command, the CSV, the analyzed tempo and the store keys."""
    monkeypatch.setenv("SONGCAL_DATA_DIR", str(tmp_path / "data"))
    d = tmp_path / "ok"
    d.mkdir()
    song = d / "a.wav"
    write_audio(song, _click_song(90, 8.0), 22050)
    out = tmp_path / "r.csv"
    args = ["analyze", str(d), "-o", str(out), "--workers", "1", "-q"]
    assert main(args) == 0
    analyzed = float(_read(out)[0]["bpm"])
    fp = AnalysisSettings(workers=1).fingerprint()
    content = content_fingerprint(song)
    store = ResultStore()
    stored = store.lookup(content, fp)
    assert stored is not None and stored.bpm == analyzed  # written as the song finished
    stored.bpm = 333.0
    assert store.save(stored, fp, content).wait(5)
    store.close()
    return args, out, analyzed, fp, content


def test_analyze_reads_and_writes_the_session_store(tmp_path, monkeypatch):
    args, out, analyzed, fp, content = _plant_in_the_store(tmp_path, monkeypatch)
    assert main(args) == 0
    assert float(_read(out)[0]["bpm"]) == 333.0  # served from the store

    assert main(args + ["--no-store"]) == 0
    assert float(_read(out)[0]["bpm"]) == analyzed  # not read...

    assert main(args + ["--fresh"]) == 0
    assert float(_read(out)[0]["bpm"]) == analyzed  # analyzed again...
    store = ResultStore()
    assert store.lookup(content, fp).bpm == analyzed  # ...and the fresh result saved
    assert store.unfinished_session() is None  # every run ended its session
    store.close()


def test_a_result_another_build_of_the_analyzer_stored_is_analyzed_again(tmp_path, monkeypatch):
    import core.analysis.identity as identity

    args, out, analyzed, _, _ = _plant_in_the_store(tmp_path, monkeypatch)
    assert main(args) == 0
    assert float(_read(out)[0]["bpm"]) == 333.0  # the same build: served

    monkeypatch.setattr(identity, "analyzer_id", lambda: "feedfacecafe")
    assert main(args) == 0
    assert float(_read(out)[0]["bpm"]) == analyzed  # another build: analyzed again
    assert _read(out)[0]["analyzer"] == "feedfacecafe"  # and the export names it


def test_no_store_leaves_the_store_untouched(tmp_path, monkeypatch):
    monkeypatch.setenv("SONGCAL_DATA_DIR", str(tmp_path / "data"))
    d = tmp_path / "ok"
    d.mkdir()
    write_audio(d / "b.wav", _click_song(100, 6.0), 22050)
    assert main(["analyze", str(d), "-o", str(tmp_path / "r.csv"), "--workers", "1", "-q",
                 "--no-store"]) == 0
    store = ResultStore()
    assert store.lookup(str(d / "b.wav"), AnalysisSettings(workers=1).fingerprint()) is None
    store.close()


def _one_song(tmp_path):
    d = tmp_path / "ok"
    d.mkdir()
    write_audio(d / "b.wav", _click_song(100, 6.0), 22050)
    return d


def test_analyze_goes_on_without_a_store_whose_folder_cannot_be_made(tmp_path, monkeypatch,
                                                                     capsys):
    # No home folder (HOME unset for a service account gives /nonexistent), a read-only one,
    # or, here, a data folder below a file: the analysis runs, the CSV is written, and the
    # exit code says the store was not written.
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("SONGCAL_DATA_DIR", str(tmp_path / "a-file" / "songcal"))
    out = tmp_path / "r.csv"
    code = main(["analyze", str(_one_song(tmp_path)), "-o", str(out), "--workers", "1", "-q"])
    assert code == 3
    assert [r["status"] for r in _read(out)] == ["done"]
    err = capsys.readouterr()
    assert "Traceback" not in err.out + err.err
    assert "session store" in err.err and "going on without it" in err.err


def test_analyze_goes_on_without_a_default_store_on_a_full_disk(tmp_path, monkeypatch, capsys):
    import shutil
    from collections import namedtuple

    import core.io.outputs as outputs

    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("SONGCAL_DATA_DIR", str(data))
    usage = namedtuple("usage", "total used free")
    real = shutil.disk_usage
    monkeypatch.setattr(outputs.shutil, "disk_usage", lambda folder: usage(1, 1, 0)
                        if os.path.samefile(folder, data) else real(folder))
    out = tmp_path / "r.csv"
    args = ["analyze", str(_one_song(tmp_path)), "-o", str(out), "--workers", "1", "-q"]
    assert main(args) == 3
    assert [r["status"] for r in _read(out)] == ["done"]
    err = capsys.readouterr().err
    assert "not enough free space" in err and "going on without it" in err
    assert not (data / "results.sqlite").exists()
    # a store the user named is refused as before: nothing is analyzed
    assert main(args + ["--session", str(data / "named.sqlite")]) == 2


def test_analyze_says_what_to_do_with_a_read_only_store(tmp_path, monkeypatch, capsys):
    """A read-only store file was "read-only; SongCal will not replace it", as if SongCal
    wrote a new file in its place: the store is written in place, and the way out is to
    make it writable or to name another."""
    from core.batch.store import ResultStore

    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("SONGCAL_DATA_DIR", str(data))
    store = data / "results.sqlite"
    ResultStore(store).close()
    store.chmod(0o444)
    out = tmp_path / "r.csv"
    args = ["analyze", str(_one_song(tmp_path)), "-o", str(out), "--workers", "1", "-q"]
    try:
        assert main(args) == 3  # the default store: the batch goes on without it
        default = capsys.readouterr().err
        assert main(args + ["--session", str(store)]) == 2  # a named one: refused
        named = capsys.readouterr().err
    finally:
        store.chmod(0o644)
    why = ("the file is read-only, so nothing can be kept in it; make it writable (or choose "
           "another store file)")
    assert (f"warning: the session store {store} cannot be written: {why}; --session PATH "
            "names another; going on without it") in default
    assert f"error: refusing to write --session {store}: {why}" in named
    assert "will not replace" not in default + named


def _newer_songcal_store(path) -> str:
    from core.batch.store import SCHEMA_VERSION

    write_database(path, SCHEMA_VERSION + 3, row=None)
    return (f"the file was written by a newer SongCal (store layout {SCHEMA_VERSION + 3}; "
            f"this one reads layouts up to {SCHEMA_VERSION})")


def _no_database(path) -> str:
    path.write_bytes(bytes(range(7, 207)))
    return ("the file is not an SQLite database (damaged, or another file put in its "
            "place); it is left as it is")


@pytest.mark.parametrize("make", [_newer_songcal_store, _no_database])
def test_analyze_goes_on_without_a_default_store_it_cannot_use(tmp_path, monkeypatch, capsys,
                                                                make):
    """A default store written by a newer SongCal, or overwritten by other bytes, refused
    the whole run (exit 2) as 'refusing to write --session PATH', an option the user never
    gave; it is the user's data folder, so the run goes on without it, as for a full disk,
    and leaves it as it is."""
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("SONGCAL_DATA_DIR", str(data))
    store = data / "results.sqlite"
    why = make(store)
    before = store.read_bytes()
    out = tmp_path / "r.csv"
    args = ["analyze", str(_one_song(tmp_path)), "-o", str(out), "--workers", "1", "-q"]
    assert main(args) == 3
    assert [r["status"] for r in _read(out)] == ["done"]
    err = capsys.readouterr().err
    assert (f"warning: the session store {store} cannot be used: {why}; going on without "
            f"it") in err
    assert "--session" not in err and "Traceback" not in err
    assert store.read_bytes() == before
    assert set(os.listdir(data)) - {"logs"} == {"results.sqlite"}
    # named with --session, the same file still refuses the run before any song
    assert main(args + ["--session", str(store)]) == 2


def test_a_named_file_that_is_not_audio_is_said_with_its_reason(tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("not audio")
    assert main(["analyze", str(notes), "-o", str(tmp_path / "x.csv"), "--no-store"]) == 2
    err = capsys.readouterr().err
    assert f"skipped   {notes}: not an audio file" in err
    assert "no audio files found" in err and not (tmp_path / "x.csv").exists()


def test_an_unexpected_error_is_one_line_with_its_traceback_in_the_log(tmp_path, monkeypatch,
                                                                        capsys):
    """An error no check foresaw (a bug) printed a Python traceback and exit code 1, the code
    of failed songs: it is one line naming the log, exit code 4, the traceback in the log."""
    import core.calibration.session

    data = tmp_path / "data"
    monkeypatch.setenv("SONGCAL_DATA_DIR", str(data))

    def broken(*args, **kwargs):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(core.calibration.session, "CalibrationOptions", broken)
    results = tmp_path / "results.csv"
    results.write_text("path,title,bpm\n/a.wav,a,120\n", encoding="utf-8")
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("title,tempo\na,120\n", encoding="utf-8")
    code = main(["calibrate", str(results), "--reference", str(sheet),
                 "-o", str(tmp_path / "cal.csv")])
    err = capsys.readouterr().err
    assert code == 4
    log = data / "songcal.log"
    assert err.strip().splitlines() == [
        "songcal calibrate: error: an unexpected error stopped it (ZeroDivisionError: float "
        f"division by zero); the details are in {log}"]
    text = log.read_text(encoding="utf-8")
    assert "songcal calibrate stopped on an unexpected error" in text
    assert "Traceback" in text and "in broken" in text


def test_bad_usage_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["analyze", str(tmp_path)])  # no -o
    assert exc.value.code == 2
    assert main(["analyze", str(tmp_path), "-o", str(tmp_path / "x.csv")]) == 2  # no audio
    assert main(["analyze", str(tmp_path), "-o", "x.csv", "--workers", "0"]) == 2


def _window(args):
    _window.seen.append(args)
    return 0


_window.seen = []


@pytest.mark.parametrize(("argv", "paths"), [([], []), (["a.wav", "deck"], ["a.wav", "deck"]),
                                              (["gui", "b.flac"], ["b.flac"])])
def test_songcal_alone_or_with_paths_opens_the_window(monkeypatch, argv, paths):
    import core.cli.gui as gui_command

    monkeypatch.setattr(gui_command, "WINDOW_ENTRY", (__name__, "_window"))
    _window.seen.clear()
    assert main([*argv, "--start"]) == 0
    (args,) = _window.seen
    assert args.paths == paths and args.start is True


def test_every_option_says_what_it_takes():
    # ``songcal COMMAND --help`` says what each option is for, and names the kind of file or
    # text an option takes (CSV, JSON, PATH, DIR...) rather than its internal name.
    import argparse

    from core.cli.main import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name, parser in sub.choices.items():
        for action in parser._actions:
            if action.help == argparse.SUPPRESS or isinstance(action, argparse._HelpAction):
                continue
            assert action.help, (name, action.option_strings or action.dest)
            takes_text = action.nargs != 0 and action.type in (None, str) and not action.choices
            if action.option_strings and takes_text:
                assert action.metavar, (name, action.option_strings)


@pytest.mark.parametrize(("bad", "named"), [
    (["--folds", "1"], "--folds"), (["--min-gain", "1"], "--min-gain"),
    (["--match-threshold", "101"], "--match-threshold"),
    (["--match-threshold", "-1"], "--match-threshold"),
    (["--keep-inverted", "bpm"], "bpm"), (["--keep-inverted", "energy,loudness"], "loudness"),
])
def test_calibrate_refuses_a_bad_option_with_exit_2(tmp_path, capsys, bad, named):
    results, reference = tmp_path / "results.csv", tmp_path / "reference.csv"
    results.write_text("path,title,bpm\na.wav,A,120\n", encoding="utf-8")
    reference.write_text("title,bpm\nA,120\n", encoding="utf-8")
    out = tmp_path / "calibration.csv"
    assert main(["calibrate", str(results), "--reference", str(reference), "-o", str(out),
                 *bad]) == 2
    err = capsys.readouterr().err
    assert err.startswith("songcal calibrate: error: ") and named in err and not out.exists()


def test_calibrate_and_apply_never_write_over_an_input(tmp_path, capsys):
    results, reference = tmp_path / "results.csv", tmp_path / "reference.csv"
    results.write_text("path,title,bpm\na.wav,A,120\n", encoding="utf-8")
    reference.write_text("title,bpm\nA,120\n", encoding="utf-8")
    before = results.read_bytes()
    assert main(["calibrate", str(results), "--reference", str(reference),
                 "-o", str(reference)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("songcal calibrate: error: refusing to write -o ")
    assert "the reference sheet" in err
    profile = tmp_path / "profile.json"
    profile.write_text("{not json", encoding="utf-8")
    assert main(["apply", str(results), "--profile", str(profile), "-o", str(results)]) == 2
    assert "the results CSV" in capsys.readouterr().err and results.read_bytes() == before
    # A profile that cannot be read: exit 2, and the reason names the profile.
    assert main(["apply", str(results), "--profile", str(profile),
                 "-o", str(tmp_path / "out.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("songcal apply: error: ") and "profile.json" in err
    assert not (tmp_path / "out.csv").exists()


def test_analysis_settings_come_from_the_command_line(tmp_path, capsys):
    from core.cli.analyze import settings_from_args
    from core.cli.main import build_parser

    base = ["analyze", str(tmp_path), "-o", str(tmp_path / "r.csv")]
    args = build_parser().parse_args(base + ["--workers", "3"])
    assert settings_from_args(args) == AnalysisSettings(workers=3)  # the defaults
    args = build_parser().parse_args(base + [
        "--workers", "1", "--sample-rate", "16000", "--chunk-seconds", "20",
        "--budget-base", "7.5", "--budget-factor", "0.4", "--hard-limit-factor", "1.5",
        "--tempo-floor", "88"])
    assert settings_from_args(args) == AnalysisSettings(
        workers=1, sample_rate=16000, chunk_seconds=20.0, budget_base_s=7.5,
        budget_factor=0.4, hard_limit_factor=1.5, tempo_floor_bpm=88.0)
    # A bad value is refused before anything runs, naming the setting.
    assert main(base + ["--budget-base", "-1"]) == 2
    assert "budget" in capsys.readouterr().err
    assert main(base + ["--tempo-floor", "20"]) == 2
    assert "tempo_floor_bpm" in capsys.readouterr().err


def test_analyze_writes_every_songs_chunks_when_asked(tmp_path):
    song = tmp_path / "Drummer - Steady.wav"
    write_audio(song, _click_song(120, 25.0), 22050)
    (tmp_path / "broken.wav").write_bytes(b"RIFF not really")
    out, chunks = tmp_path / "results.csv", tmp_path / "chunks.csv"
    code = main(["analyze", str(tmp_path / "Drummer - Steady.wav"), str(tmp_path / "broken.wav"),
                 "-o", str(out), "--chunks-out", str(chunks), "--chunk-seconds", "10",
                 "--workers", "1", "--no-store", "-q"])
    assert code == 1  # the broken file failed; it has no chunks
    rows = _read(chunks)
    assert [r["chunk"] for r in rows] == ["1", "2", "3"]
    assert [(r["start_s"], r["end_s"]) for r in rows] == [("0.0", "10.0"), ("10.0", "20.0"),
                                                          ("20.0", "25.0")]
    assert {r["title"] for r in rows} == {"Steady"} and rows[0]["artist"] == "Drummer"
    song_row = next(r for r in _read(out) if r["status"] == "done")
    assert all(r["song_bpm"] == song_row["bpm"] and r["song_key"] == song_row["key"]
               for r in rows)
    assert all(abs(float(r["bpm"]) - 120) < 4.8 for r in rows[:2])
    assert rows[0]["bpm_varies"] == "false" and rows[0]["loudness_lufs"]
    assert rows[0]["analyzer"] and "chunk_seconds=10.0" in rows[0]["settings"]


@pytest.mark.parametrize("target", ["same", "-", "song"])
def test_a_chunks_file_is_checked_like_the_results(tmp_path, capsys, target):
    song = tmp_path / "a.wav"
    write_audio(song, _click_song(120, 3.0), 22050)
    out = tmp_path / "results.csv"
    given = {"same": str(out), "-": "-", "song": str(song)}[target]
    code = main(["analyze", str(song), "-o", str(out), "--chunks-out", given, "--no-store"])
    assert code == 2 and not out.exists()
    assert "--chunks-out" in capsys.readouterr().err


def test_no_command_writes_over_a_session_store(tmp_path, capsys):
    # calibrate and apply do not open the store, so they cannot know its path: any
    # database (and its write-ahead log) is kept, whatever it is called
    results, reference = tmp_path / "results.csv", tmp_path / "reference.csv"
    results.write_text("path,title,bpm\na.wav,A,120\n", encoding="utf-8")
    reference.write_text("title,bpm\nA,120\n", encoding="utf-8")
    store = ResultStore(tmp_path / "library.csv")
    store.close()
    wal = tmp_path / "library.json"
    wal.write_bytes(b"\x37\x7f\x06\x82" + bytes(28))
    kept = {p: p.read_bytes() for p in (tmp_path / "library.csv", wal)}
    for target in kept:
        assert main(["calibrate", str(results), "--reference", str(reference),
                     "-o", str(tmp_path / "cal.csv"), "--profile", str(target)]) == 2
        assert "database" in capsys.readouterr().err
        assert main(["apply", str(results), "--profile", str(tmp_path / "p.json"),
                     "-o", str(target)]) == 2
        assert "database" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in kept} == kept and not (tmp_path / "cal.csv").exists()


def _fitted_profile(tmp_path):
    """(results CSV, reference sheet, profile fitted on them) of six songs."""
    results, reference = tmp_path / "results.csv", tmp_path / "reference.csv"
    results.write_text("path,title,bpm\n" + "".join(f"{t}.wav,{t},{100 + i}\n"
                       for i, t in enumerate("ABCDEF")), encoding="utf-8")
    reference.write_text("title,bpm\n" + "".join(f"{t},{100 + i}\n"
                         for i, t in enumerate("ABCDEF")), encoding="utf-8")
    profile = tmp_path / "profile.json"
    assert main(["calibrate", str(results), "--reference", str(reference), "-q",
                 "-o", str(tmp_path / "cal.csv"), "--profile", str(profile)]) == 0
    return results, reference, profile


def test_apply_never_writes_over_the_sheet_its_profile_was_fitted_on(tmp_path, capsys):
    results, reference, profile = _fitted_profile(tmp_path)
    sheet = tmp_path / "elsewhere" / "sheet.csv"  # a copy of it, under another name
    sheet.parent.mkdir()
    sheet.write_bytes(reference.read_bytes())
    capsys.readouterr()
    assert main(["apply", str(results), "--profile", str(profile), "-o", str(sheet)]) == 2
    assert "the reference sheet the profile was fitted on" in capsys.readouterr().err
    assert sheet.read_bytes() == reference.read_bytes()
    assert main(["apply", str(results), "--profile", str(profile),
                 "-o", str(tmp_path / "calibrated.csv")]) == 0


def test_analyze_with_a_profile_never_writes_over_the_sheet_it_was_fitted_on(tmp_path, capsys,
                                                                            monkeypatch):
    """``analyze --profile`` is not given the sheet either: an output that is that sheet
    (by content) is refused before any song is analyzed, for -o and for --chunks-out."""
    _, reference, profile = _fitted_profile(tmp_path)
    song = tmp_path / "deck" / "a.wav"
    song.parent.mkdir()
    write_audio(song, _click_song(120.0, 3.0), 22050)

    def never(*args, **kwargs):
        raise AssertionError("analyzed before its outputs were checked")

    monkeypatch.setattr("core.analysis.analyze.analyze_file", never)
    capsys.readouterr()
    for option in ("-o", "--chunks-out"):
        args = ["analyze", str(song.parent), "--profile", str(profile), "--no-store",
                "-o", str(tmp_path / "out.csv"), option, str(reference)]
        assert main(args) == 2
        assert "the reference sheet the profile was fitted on" in capsys.readouterr().err
        assert reference.read_bytes().startswith(b"title,bpm\nA,100")


def test_no_profile_means_no_fitted_sheet_to_recognise(tmp_path):
    """Without a profile there is no sheet it was fitted on: a file, even a reference
    sheet, is not that sheet, and asking says so rather than failing."""
    from core.cli.guard import is_fitted_sheet

    sheet = tmp_path / "reference.csv"
    sheet.write_text("title,bpm\nA,100\n", encoding="utf-8")
    assert is_fitted_sheet(str(sheet), None) is False


def test_calibrate_that_cannot_write_its_output_names_itself_and_exits_3(tmp_path, capsys,
                                                                        monkeypatch):
    """A write that fails once the fit is done (a full disk) is said as calibrate's own
    error, naming the file, and gives exit code 3."""
    import errno

    import core.calibration.session as session

    results, reference = tmp_path / "results.csv", tmp_path / "reference.csv"
    results.write_text("path,title,bpm\n" + "".join(f"{t}.wav,{t},{100 + i}\n"
                       for i, t in enumerate("ABCDEF")), encoding="utf-8")
    reference.write_text("title,bpm\n" + "".join(f"{t},{100 + i}\n"
                         for i, t in enumerate("ABCDEF")), encoding="utf-8")

    def full(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", path)

    monkeypatch.setattr(session, "write_calibration_csv", full)
    out = tmp_path / "cal.csv"
    assert main(["calibrate", str(results), "--reference", str(reference), "-q",
                 "-o", str(out)]) == 3
    err = capsys.readouterr().err
    assert err == f"songcal calibrate: error: could not write {out}: No space left on device\n"
    assert not out.exists()


def test_apply_that_cannot_write_its_output_names_itself_and_exits_3(tmp_path, capsys,
                                                                    monkeypatch):
    import errno

    import core.calibration.exports as exports

    results, _, profile = _fitted_profile(tmp_path)
    capsys.readouterr()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(exports, "write_calibrated_csv", full)
    out = tmp_path / "calibrated.csv"
    assert main(["apply", str(results), "--profile", str(profile), "-o", str(out)]) == 3
    err = capsys.readouterr().err
    assert err == f"songcal apply: error: could not write {out}: No space left on device\n"


def test_calibrating_a_results_file_just_written_reports_where_it_is_told(tmp_path, capsys):
    # (what ``songcal analyze --reference`` runs once its results are written)
    import io

    from core.cli.calibrate import calibrate_results_file

    results, reference = tmp_path / "r.csv", tmp_path / "ref.csv"
    results.write_text("path,title,bpm\na.wav,Alpha,120\nb.wav,Beta,100\nc.wav,Gamma,90\n",
                       encoding="utf-8")
    reference.write_text("title,bpm\nAlpha,121\nBeta,99\nGamma,91\n", encoding="utf-8")
    report = io.StringIO()
    assert calibrate_results_file(str(results), str(reference), stream=report) == 0
    said = report.getvalue()
    assert said.startswith("matched 3 of 3 songs (exact 3); unmatched songs 0")
    for kind in ("calibration", "paired", "mismatches", "calibrated"):
        written = tmp_path / f"r_{kind}.csv"
        assert f"wrote {kind}: {written}\n" in said and written.exists()
    assert f"wrote profile: {tmp_path / 'r_profile.json'}\n" in said
    assert capsys.readouterr().out == ""


def test_the_live_progress_line_on_a_terminal(tmp_path):
    import io

    from core.batch.rules import Batch
    from core.cli.analyze import _Reporter

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    batch = Batch([str(tmp_path / "a.wav"), str(tmp_path / "b.wav")],
                  settings=AnalysisSettings(workers=1))
    term = Terminal()
    _Reporter(term, quiet=False)(batch, [])
    assert term.getvalue() == "[0/2] done 0 failed 0 stalled 0 | 0.0 songs/min | ETA --"
