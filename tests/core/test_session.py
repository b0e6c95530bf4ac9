"""CalibrationSession: pairs with manual overrides, summaries, apply, exports and names."""

import datetime
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from core.calibration.agreement import acc1
from core.calibration.applying import apply_profile
from core.calibration.descriptor_fit import mae, r_squared
from core.calibration.exports import (
    EXPORT_KINDS,
    export_names,
    export_paths,
    new_export_folder,
)
from core.calibration.profile import load_profile
from core.calibration.reference import parse_reference_text
from core.calibration.session import (
    CalibrationOptions,
    CalibrationSession,
    calibrate_results_csv,
)
from core.io.csvio import read_csv_rows, write_csv
from core.io.keynotation import Key
from core.io.results import RESULT_COLUMNS
from core.settings import AnalysisSettings

N = 24
GARBLED = 5  # this song's title matches no row; its row is SHEET_ROW
SHEET_ROW = 5


def make_deck(n=N, seed=3):
    """Results rows and a sheet (energy in percent, one spare row) with known errors:
    analyzer energy = 0.8 ref + 0.15, tempo at double the reference on songs 0-3."""
    rng = np.random.default_rng(seed)
    ref_bpm = np.round(rng.uniform(80, 160, n), 1)
    ref_energy = np.round(rng.uniform(0.1, 0.9, n), 2)
    keys = [Key(int(rng.integers(12)), ("major", "minor")[i % 2]) for i in range(n)]
    lines = ["Song,Artist,BPM,Key,Energy"]
    rows = []
    for i in range(n):
        lines.append(f"Song Number {i},Artist {i % 5},{ref_bpm[i]:g},{keys[i].name},"
                     f"{100 * ref_energy[i]:.0f}")
        bpm = ref_bpm[i] * (2.0 if i < 4 else 1.0 + rng.normal(0, 0.005))
        title = "zzz unknown qqq" if i == GARBLED else f"Song Number {i}"
        rows.append({"path": f"/deck/{i:02d}.wav", "title": title, "artist": f"Artist {i % 5}",
                     "status": "done", "bpm": float(bpm), "key": keys[i].name,
                     "energy": float(0.8 * ref_energy[i] + 0.15 + rng.normal(0, 0.01))})
    lines.append("Spare Row,Nobody,100,C major,50")
    return rows, parse_reference_text("\n".join(lines) + "\n", name="sheet.csv")


def _key_of(row):
    from core.io.keynotation import parse_key

    return parse_key(row["key"])


@pytest.fixture
def session():
    rows, sheet = make_deck()
    s = CalibrationSession(options=CalibrationOptions(learned=False))
    s.set_results(rows)
    s.set_reference(sheet)
    s.rematch()
    return s


def test_results_are_paired_and_summarized_before_the_fit(session):
    assert session.match_is_current
    assert session.match_method(GARBLED) == "unmatched"
    assert len(session.match.matches) == N - 1 and not session.all_songs_paired
    by = {s.descriptor: s for s in session.summary()}
    assert list(by) == ["bpm", "energy", "key"]
    x, y, idx = session.pairs("energy")
    assert x.size == N - 1 and GARBLED not in idx
    assert by["energy"].correction == "not fitted" and by["energy"].kept is None
    assert by["energy"].mae_before == pytest.approx(mae(x, y))
    assert by["energy"].r2 == pytest.approx(r_squared(x, y))
    bx, by_ = session.pairs("bpm")[:2]
    assert acc1(bx, by_) == pytest.approx(19 / 23)  # the four double tempi miss
    assert by["bpm"].acc1_before == pytest.approx(19 / 23)
    assert by["key"].accuracy_before == 1.0 and by["key"].n == N - 1
    assert session.key_errors().relations["same"] == N - 1


def test_a_summary_before_the_fit_counts_paired_songs_without_an_analyzer_value():
    rows, sheet = make_deck()
    rows[0]["energy"] = None  # paired, with an energy in the sheet, but none measured
    s = CalibrationSession(options=CalibrationOptions(learned=False))
    s.set_results(rows)
    s.set_reference(sheet)
    s.rematch()
    assert s.pairs("energy")[0].size == N - 2
    by = {x.descriptor: x for x in s.summary()}
    assert by["energy"].n == N - 1  # every paired song with a reference energy
    x, y, _ = s.pairs("energy")
    assert by["energy"].mae_before == pytest.approx(mae(x, y))  # over those with both


def test_a_tempo_range_is_suggested_but_never_the_one_analyzed_in(session):
    tip = session.tempo_range_suggestion()
    # four songs read at double: moved into 78-155 two of them agree (the other two are
    # charted above 155), which no other range beats
    assert (tip.floor, tip.n, tip.agree_as_read, tip.agree_in_range) == (78.0, N - 1, 19, 21)
    session.settings = AnalysisSettings(workers=1, tempo_floor_bpm=78.0)
    assert session.tempo_range_suggestion() is None  # the same rows, another range analyzed in
    session.set_results([dict(r) for r in session.rows])  # a new state: no memo
    assert session.pairs("bpm")[0].size == N - 1  # still paired
    assert session.tempo_range_suggestion() is None
    session.settings = None  # a results file: its settings column says the range
    session.set_results([dict(r, settings="sample_rate=22050;tempo_floor_bpm=78.0")
                         for r in session.rows])
    assert session.pairs("bpm")[0].size == N - 1
    assert session.tempo_range_suggestion() is None


def test_summary_after_the_fit_comes_from_the_calibration(session):
    cal = session.fit()
    assert session.calibration_is_current
    by = {s.descriptor: s for s in session.summary()}
    e = cal.descriptors["energy"]
    assert by["energy"].kept and by["energy"].mae_after == e.mae_after < e.mae_before
    assert by["energy"].correction == e.correction.describe()
    assert by["bpm"].acc1_after == cal.tempo.acc1_after
    assert by["key"].weighted_after == cal.key.weighted_after


def test_manual_match_survives_rematching_with_reordered_rows(session):
    session.manual_match(GARBLED, SHEET_ROW)
    assert session.match_method(GARBLED) == "manual" and session.all_songs_paired
    assert session.match_is_current  # a manual pair needs no new match
    rows = list(reversed(session.rows))
    session.set_results(rows)  # keys are the paths: the pair follows its song
    moved = session.song_index("/deck/05.wav")
    assert moved == N - 1 - GARBLED
    assert not session.match_is_current
    assert session.reference_row(moved).title == f"Song Number {SHEET_ROW}"  # shown meanwhile
    session.rematch()
    assert session.match_method(moved) == "manual"
    assert session.reference_row(moved).title == f"Song Number {SHEET_ROW}"
    assert session.reference_row(session.song_index("/deck/00.wav")).title == "Song Number 0"


def test_manual_match_takes_the_row_from_another_song(session):
    session.manual_match(GARBLED, 7)  # row 7 belonged to song 7
    assert session.reference_row(GARBLED).title == "Song Number 7"
    assert session.reference_row(7) is None
    session.rematch()  # the manual pair wins over the automatic one
    assert session.reference_row(GARBLED).title == "Song Number 7"
    assert session.match_method(7) == "unmatched"


def test_unpair_keeps_the_song_unpaired_until_paired_by_hand(session):
    session.unmatch(3)
    assert session.reference_row(3) is None
    session.set_results(session.rows[::-1])
    session.rematch()
    pos = session.song_index("/deck/03.wav")
    assert session.match_method(pos) == "unmatched"
    session.manual_match(pos, 3)
    session.rematch()
    assert session.match_method(pos) == "manual"


def test_a_new_sheet_drops_the_manual_pairs_and_the_fit(session):
    session.manual_match(GARBLED, SHEET_ROW)
    session.fit()
    session.set_reference(make_deck()[1])
    assert session.match is None and session.calibration is None and not session.manual


def test_a_match_computed_on_a_stale_copy_is_not_adopted(session):
    copy = session.copy()
    match = copy.compute_match()
    session.unmatch(0)  # the session changes meanwhile
    assert not session.adopt_match(match, copy.version)
    assert session.reference_row(0) is None
    assert copy.manual == {} and session.unpaired == {"/deck/00.wav"}
    assert session.adopt_match(session.compute_match(), session.version)


def test_calibrated_values_computed_on_the_fitting_copy_are_adopted(session, monkeypatch):
    import core.calibration.session as session_module

    copy = session.copy()
    cal = copy.fit()
    rows = copy.calibrated_rows()
    calls = []
    monkeypatch.setattr(session_module, "apply_profile",
                        lambda *a, **k: calls.append(1) or apply_profile(*a, **k))
    session.adopt_calibration(cal, copy.version, source=copy)
    assert session.calibrated_rows() is rows and calls == []  # not computed again
    stale = session.copy()
    stale.fit()
    stale.calibrated_rows()
    session.unmatch(0)  # the session changed: the copy's values are not its values
    session.adopt_calibration(cal, stale.version, source=stale)
    assert not session.calibration_is_current and session.calibrated_rows() is not rows


def test_require_pairs_says_why_nothing_can_be_fitted():
    rows, sheet = make_deck()
    s = CalibrationSession()
    with pytest.raises(ValueError, match="reference sheet"):
        s.require_pairs()
    s.set_reference(sheet)
    with pytest.raises(ValueError, match="no results"):
        s.require_pairs()
    s.set_results([dict(r, title=f"qqq {i}", path=f"/x/{i}") for i, r in enumerate(rows)])
    with pytest.raises(ValueError, match="no song is matched"):
        s.require_pairs()


def test_bad_indices_and_keys_are_refused(session):
    with pytest.raises(ValueError, match="song index"):
        session.manual_match(N + 3, 0)
    with pytest.raises(ValueError, match="row index"):
        session.manual_match(0, 999)
    with pytest.raises(ValueError, match="unique"):
        session.set_results(session.rows[:2], keys=["a", "a"])
    with pytest.raises(ValueError, match="k must be"):
        CalibrationOptions(k=1)
    assert CalibrationOptions(threshold=100).threshold == 100
    # the descriptors whose inverted correction is kept form a set, whatever was given
    a = CalibrationOptions(keep_inverted=["valence", "energy"])
    b = CalibrationOptions(keep_inverted=("energy", "valence", "energy"))
    assert a == b and hash(a) == hash(b) and a.keep_inverted == {"energy", "valence"}
    with pytest.raises(ValueError, match="threshold must be 0-100"):
        CalibrationOptions(threshold=100.5)


def test_a_sheet_with_camelot_codes_only_gets_a_key_calibration():
    rows, _ = make_deck()
    lines = ["Song,Artist,BPM,Camelot"]
    for r in rows:
        lines.append(f"{r['title']},{r['artist']},{r['bpm']:.1f},{_key_of(r).camelot}")
    s = CalibrationSession(options=CalibrationOptions(learned=False))
    s.set_results(rows)
    s.set_reference(parse_reference_text("\n".join(lines) + "\n", name="cam.csv"))
    cal = s.fit()
    assert cal.key is not None and cal.key.n == N
    assert cal.key.accuracy_before == 1.0 and cal.key.verdict == "tracks"


def test_export_writes_every_kind_under_the_shared_names(session, tmp_path):
    written = session.export(tmp_path)
    assert list(written) == list(EXPORT_KINDS)
    assert sorted(os.listdir(tmp_path)) == sorted(export_names().values())
    assert export_names() == {"calibration": "results_calibration.csv",
                              "paired": "results_paired.csv",
                              "mismatches": "results_mismatches.csv",
                              "calibrated": "results_calibrated.csv",
                              "profile": "results_profile.json"}
    _, paired = read_csv_rows(written["paired"])
    assert [r["bpm_agreement"] for r in paired[:4]] == ["double"] * 4
    assert load_profile(written["profile"]).meta["reference_file"] == "sheet.csv"
    assert session.calibration_is_current  # fitted on the way
    # the mismatches are the paired rows that disagree, with the same calibrated columns
    paired_cols, _ = read_csv_rows(written["paired"])
    cols, mismatches = read_csv_rows(written["mismatches"])
    assert cols == ["mismatch"] + paired_cols and "bpm_calibrated" in cols
    doubled = [r for r in mismatches if r["mismatch"].startswith("tempo double")]
    assert len(doubled) == 4 and all(r["bpm_calibrated"] for r in doubled)


def test_export_names_follow_a_stem(tmp_path):
    paths = export_paths(tmp_path, stem="deck")
    assert paths["calibration"] == os.path.join(tmp_path, "deck_calibration.csv")
    for bad in ("", "a/b"):
        with pytest.raises(ValueError, match="stem"):
            export_names(bad)


def test_write_honours_explicit_paths_and_refuses_unknown_kinds(session, tmp_path):
    out = tmp_path / "my calibration.csv"
    assert session.write({"calibration": out, "profile": None}) == {"calibration": str(out)}
    assert os.listdir(tmp_path) == ["my calibration.csv"]
    with pytest.raises(ValueError, match="unknown export kind"):
        session.write({"results": tmp_path / "r.csv"})


def test_export_into_a_missing_folder_fails(session, tmp_path):
    with pytest.raises(NotADirectoryError, match="missing"):
        session.export(tmp_path / "missing")


def test_apply_profile_measures_it_on_the_paired_songs(session, tmp_path):
    session.export(tmp_path)
    applied = session.apply_profile(load_profile(tmp_path / "results_profile.json"),
                                    path="p.json")
    n, before, after = applied.mae["energy"]
    assert n == N - 1 and after < before / 2
    assert len(applied.rows) == N and "energy_calibrated" in applied.rows[GARBLED]
    assert session.applied is applied


def test_a_profile_knows_its_analyzer_build_and_warns_on_another(session, tmp_path):
    from core.analysis.identity import analyzer_id

    session.export(tmp_path)
    profile = load_profile(tmp_path / "results_profile.json")
    assert profile.meta["analyzer"] == analyzer_id()  # results this SongCal made
    _, rows = read_csv_rows(tmp_path / "results_paired.csv")
    assert {r["analyzer"] for r in rows} == {analyzer_id()}
    assert session.apply_profile(profile).warning == ""
    profile.meta["analyzer"] = "0123456789ab"
    warning = session.apply_profile(profile).warning
    assert "0123456789ab" in warning and analyzer_id() in warning
    profile.meta.pop("analyzer")  # a profile from before builds were named: nothing to say
    assert session.apply_profile(profile).warning == ""


def test_results_read_from_a_file_keep_the_build_that_made_them(tmp_path):
    rows, sheet = make_deck()
    results = tmp_path / "deck.csv"
    write_csv(results, RESULT_COLUMNS, [{c: r.get(c) for c in RESULT_COLUMNS} for r in rows],
              meta={"songcal_version": "0.1.0", "analyzer": "a1b2c3d4e5f6"})
    out = tmp_path / "out"
    out.mkdir()
    session, written = calibrate_results_csv(results, sheet, out_dir=out)
    assert session.results_analyzer() == "a1b2c3d4e5f6"
    assert load_profile(written["profile"]).meta["analyzer"] == "a1b2c3d4e5f6"
    _, paired = read_csv_rows(written["paired"])
    assert paired[0]["analyzer"] == "a1b2c3d4e5f6"
    # a results file that does not name its build: the exports do not claim this one's
    plain = tmp_path / "plain.csv"
    write_csv(plain, RESULT_COLUMNS, [{c: r.get(c) for c in RESULT_COLUMNS} for r in rows])
    out2 = tmp_path / "out2"
    out2.mkdir()
    session, written = calibrate_results_csv(plain, sheet, out_dir=out2)
    assert session.results_analyzer() == ""
    assert load_profile(written["profile"]).meta["analyzer"] == ""


def test_calibrate_results_csv_names_the_exports_after_the_results(tmp_path):
    rows, sheet = make_deck()
    results = tmp_path / "deck.csv"
    write_csv(results, RESULT_COLUMNS, [{c: r.get(c) for c in RESULT_COLUMNS} for r in rows])
    out = tmp_path / "out"
    out.mkdir()
    session, written = calibrate_results_csv(results, sheet, out_dir=out)
    assert sorted(os.listdir(out)) == sorted(export_names("deck").values())
    assert set(written) == set(EXPORT_KINDS)
    assert session.keys == list(range(N))  # rows keyed by position


def test_export_into_a_new_folder_each_time_overwrites_nothing(session, tmp_path):
    first = session.export(tmp_path, new_folder=True)
    second = session.export(tmp_path, new_folder=True)
    folders = {os.path.dirname(p) for p in first.values()}
    assert len(folders) == 1 and folders.isdisjoint(os.path.dirname(p) for p in
                                                    second.values())
    assert sorted(os.listdir(tmp_path)) == sorted(
        os.path.basename(os.path.dirname(next(iter(w.values())))) for w in (first, second))
    assert session.replaced == []


def test_new_export_folder_names_and_claims(tmp_path):
    when = datetime.datetime(2026, 3, 4, 5, 6, 7)
    a = new_export_folder(tmp_path, now=when)
    b = new_export_folder(tmp_path, now=when)
    assert os.path.basename(a) == "songcal-export-20260304-050607"
    assert os.path.basename(b) == "songcal-export-20260304-050607-2"
    assert os.listdir(a) == [] and os.path.isdir(b)
    with pytest.raises(NotADirectoryError):
        new_export_folder(tmp_path / "missing")


def test_write_lists_the_files_it_replaced(session, tmp_path):
    out = tmp_path / "c.csv"
    session.write({"calibration": out})
    assert session.replaced == []
    session.write({"calibration": out, "profile": tmp_path / "p.json"})
    assert session.replaced == [str(out)]


def test_every_song_gets_calibrated_values_paired_or_not(session, tmp_path):
    session.fit()
    rows = session.calibrated_rows()
    assert len(rows) == N and session.match_method(GARBLED) == "unmatched"
    energy = session.calibration.descriptors["energy"]
    assert rows[GARBLED]["energy_calibrated"] == pytest.approx(
        energy.correction.apply(session.rows[GARBLED]["energy"]))
    lo, hi = rows[GARBLED]["energy_calibrated_low"], rows[GARBLED]["energy_calibrated_high"]
    assert lo < rows[GARBLED]["energy_calibrated"] < hi
    written = session.export(tmp_path)
    _, paired = read_csv_rows(written["paired"])
    assert paired[GARBLED]["match_method"] == "unmatched"
    assert paired[GARBLED]["energy_calibrated"] != ""
    _, calibrated = read_csv_rows(written["calibrated"])
    assert [r["energy_calibrated"] for r in calibrated] == [r["energy_calibrated"]
                                                            for r in paired]
    assert session.calibrated_rows() is rows  # computed once per change


def test_a_saved_profile_reproduces_the_calibrated_values_exactly(tmp_path):
    rows, sheet = make_deck(60, seed=4)
    s = CalibrationSession()
    s.set_results(rows)
    s.set_reference(sheet)
    written = s.export(tmp_path)
    loaded = load_profile(written["profile"])
    again = apply_profile(loaded, rows)
    for a, b in zip(s.calibrated_rows(), again, strict=True):
        for c in ("energy_calibrated", "energy_calibrated_low", "bpm_calibrated"):
            assert a[c] == b[c]
    assert json.loads(Path(written["profile"]).read_text(encoding="utf-8"))["version"] == 2


def test_summary_and_plots_drop_a_fit_made_on_other_results(session):
    session.fit()
    assert {s.descriptor: s for s in session.summary()}["energy"].fitted
    session.set_results(session.rows[:-1])
    session.rematch()
    by = {s.descriptor: s for s in session.summary()}
    assert not by["energy"].fitted and by["energy"].correction == "not fitted"
    assert by["energy"].n == N - 2
    assert session.current_profile() is None and not session.has_calibrated_values


def test_songs_without_a_tempo_are_counted_and_listed_with_the_reason(tmp_path):
    rows, sheet = make_deck()
    rows[10]["bpm"] = None
    rows[10]["error"] = "no beat and no pitched content found"
    rows[11]["bpm"] = None
    s = CalibrationSession(options=CalibrationOptions(learned=False))
    s.set_results(rows)
    s.set_reference(sheet)
    s.rematch()
    by = {x.descriptor: x for x in s.summary()}
    assert by["bpm"].n == N - 1 and by["bpm"].n_missing == 2  # before the fit too
    assert by["bpm"].acc1_before == pytest.approx(17 / 23)
    t = s.fit().tempo
    assert t.n == N - 1 and t.n_missing == 2
    written = s.write({"mismatches": tmp_path / "m.csv", "calibration": tmp_path / "c.csv"})
    _, table = read_csv_rows(written["calibration"])
    note = next(r["note"] for r in table if r["descriptor"] == "bpm")
    assert note.endswith(f"; 2 of {N - 1} paired songs have no analyzer tempo (misses in "
                         "Acc1/Acc2, left out of MAE and r\u00b2)")
    _, mm = read_csv_rows(written["mismatches"])
    why = {r["path"]: r["mismatch"] for r in mm}
    assert why["/deck/10.wav"] == "no tempo: no beat and no pitched content found"
    assert why["/deck/11.wav"] == "no tempo: the analyzer found none"


def test_inverted_descriptor_kept_only_when_ticked(tmp_path):
    rows, sheet = make_deck()
    rng = np.random.default_rng(0)
    for r, ref in zip(rows, sheet.rows, strict=False):
        r["energy"] = float(np.clip(1.0 - ref.values["energy"] + rng.normal(0, 0.02), 0, 1))
    s = CalibrationSession(options=CalibrationOptions(learned=False))
    s.set_results(rows)
    s.set_reference(sheet)
    d = s.fit().descriptors["energy"]
    assert d.verdict == "inverted" and not d.kept
    by = {x.descriptor: x for x in s.summary()}
    assert by["energy"].inverted_keepable and by["energy"].kept is False
    s.set_keep_inverted("energy", True)
    assert s.options.keep_inverted == {"energy"} and s.calibration.descriptors["energy"].kept
    assert "keep_inverted" in s.options.as_dict()
    s.set_keep_inverted("energy", False)
    assert not s.calibration.descriptors["energy"].kept
    with pytest.raises(ValueError, match="numeric descriptor"):
        s.set_keep_inverted("key", True)


def test_an_extra_column_gets_a_learned_model_and_calibrated_values(tmp_path):
    rng = np.random.default_rng(1)
    n = 80
    energy = rng.uniform(0.1, 0.9, n)
    loud = rng.uniform(-16, -6, n)
    speech = 40 * energy * (loud + 16) / 10 + rng.normal(0, 1.0, n)  # 0-40 %
    lines = ["Song,Artist,Energy,Speech,Popularity"]
    rows = []
    for i in range(n):
        lines.append(f"Song Number {i},Artist {i % 5},{100 * energy[i]:.0f},"
                     f"{speech[i]:.1f},{rng.uniform(0, 100):.0f}")
        rows.append({"path": f"/deck/{i:02d}.wav", "title": f"Song Number {i}",
                     "artist": f"Artist {i % 5}", "status": "done",
                     "energy": float(energy[i] + rng.normal(0, 0.02)),
                     "loudness_lufs": float(loud[i]), "bpm": float(rng.uniform(80, 160))})
    rows.append({"path": "/deck/new.wav", "title": "Not In The Sheet", "status": "done",
                 "energy": 0.5, "loudness_lufs": -10.0, "bpm": 120.0})
    s = CalibrationSession()
    s.set_results(rows)
    s.set_reference(parse_reference_text("\n".join(lines) + "\n", name="sheet.csv"))
    assert s.numeric_columns == ["energy", "speech", "popularity"]
    cal = s.fit()
    assert cal.extra == ["speech", "popularity"]
    assert cal.learned["speech"].kept and cal.learned["speech"].r2_cv > 0.5
    assert cal.learned["popularity"].verdict == "no relation"
    assert not cal.learned["popularity"].kept
    by = {x.descriptor: x for x in s.summary()}
    speech = cal.learned["speech"]
    assert by["speech"].verdict == "calibrated" and by["speech"].kept
    assert (by["speech"].n, by["speech"].r2, by["speech"].r2_cv) == (80, speech.r2_cv,
                                                                     speech.r2_cv)
    assert by["speech"].mae_before == speech.mae_median
    assert by["speech"].mae_after == speech.mae_cv and by["speech"].learned is speech
    assert by["speech"].correction == speech.describe() and by["speech"].folds == 5
    assert by["speech"].interval == speech.interval.describe()
    assert by["popularity"].verdict == "no relation" and by["popularity"].kept is False
    assert by["popularity"].correction == "none" and by["popularity"].interval == ""
    assert np.isnan(by["popularity"].mae_after)
    assert by["popularity"].note == cal.learned["popularity"].note
    written = s.export(tmp_path)
    cols, paired = read_csv_rows(written["paired"])
    assert {"ref_speech", "speech_calibrated", "speech_calibrated_high"} <= set(cols)
    assert "popularity_calibrated" not in cols and "speech_error" not in cols
    assert paired[-1]["match_method"] == "unmatched" and paired[-1]["speech_calibrated"]
    # an extra column's intervals are cut to the range its model was fitted on: the values
    # the sheet holds, as it has no range of its own
    bounds = [float(r[f"speech_calibrated_{b}"]) for r in paired for b in ("low", "high")]
    assert min(bounds) == pytest.approx(speech.model.low) and max(bounds) <= speech.model.high
    _, table = read_csv_rows(written["calibration"])
    learned = {r["descriptor"]: r for r in table}
    assert learned["speech_learned"]["kept"] == "true"
    assert learned["popularity_learned"]["verdict"] == "no relation"


def test_calibrate_results_csv_writes_beside_the_results_with_the_options(tmp_path):
    rows, sheet = make_deck()
    results = tmp_path / "deck.csv"
    write_csv(results, RESULT_COLUMNS, [{c: r.get(c) for c in RESULT_COLUMNS} for r in rows],
              meta={"settings": "from the rows"})
    options = CalibrationOptions(learned=False, min_gain=0.2, k=4)
    session, written = calibrate_results_csv(results, sheet, settings={"sample_rate": 8000},
                                             options=options)
    assert set(os.path.dirname(p) for p in written.values()) == {str(tmp_path)}
    assert session.options is options
    _, cal_rows = read_csv_rows(written["calibration"])
    assert cal_rows[0]["settings"] == "sample_rate=8000"
    assert "min_gain=0.2" in cal_rows[0]["calibration_settings"]
    # every column is cross-validated with the folds asked for
    assert {r["descriptor"]: r["folds"] for r in cal_rows} == dict.fromkeys(
        ("bpm", "bpm_acc1", "bpm_acc2", "energy", "key_accuracy", "key_weighted"), "4")


def test_set_keep_inverted_refuses_what_is_not_a_numeric_descriptor(session):
    for name in ("bpm", "key", "speech"):
        with pytest.raises(ValueError, match=f"'{name}' is not a numeric descriptor"):
            session.set_keep_inverted(name, True)
    with pytest.raises(ValueError, match="not a numeric descriptor"):
        CalibrationSession().set_keep_inverted("energy", True)
    session.set_keep_inverted("energy", True)  # no fit yet: remembered for the next one
    assert session.options.keep_inverted == {"energy"} and session.calibration is None
    assert session.fit().descriptors["energy"].keep_inverted


def test_new_export_folder_gives_up_after_999_names(tmp_path):
    when = datetime.datetime(2026, 1, 2, 3, 4, 5)
    base = tmp_path / "songcal-export-20260102-030405"
    base.mkdir()
    for i in range(2, 1000):
        (tmp_path / f"{base.name}-{i}").mkdir()
    with pytest.raises(FileExistsError, match="no free export folder name left in .* for "
                                              "20260102-030405"):
        new_export_folder(tmp_path, now=when)
    with pytest.raises(NotADirectoryError, match="is not a folder"):
        new_export_folder(tmp_path / "nope")


def test_no_value_reasons():
    from core.calibration.exports import no_value_reason

    assert no_value_reason({"error": "'=odd"}, "tempo") == "no tempo: =odd"  # neutralized
    assert no_value_reason({"error": " silent ", "status": "failed"}, "tempo") == \
        "no tempo: silent"
    assert no_value_reason({"status": "failed"}, "key") == "no key: the song failed"
    assert no_value_reason({"status": "timed out"}, "tempo") == "no tempo: the song timed out"
    assert no_value_reason({"status": "odd"}, "tempo") == "no tempo: the song is odd"
    assert no_value_reason({"status": "done"}, "key") == "no key: the analyzer found none"
    assert no_value_reason({"status": ""}, "tempo") == "no tempo: the analyzer found none"
    assert no_value_reason({}, "tempo") == "no tempo: the analyzer found none"


def test_profile_error_carries_path_and_reason(tmp_path):
    from core.calibration.profile import ProfileError

    err = ProfileError(tmp_path / "p.json", "broken")
    assert err.path == str(tmp_path / "p.json") and err.reason == "broken"
    assert str(err) == f"{tmp_path / 'p.json'}: broken"


def test_calibrated_rows_follow_the_fit_and_the_applied_profile(session, tmp_path):
    assert session.calibrated_rows() == session.rows and session.current_profile() is None
    session.fit()
    fitted = session.calibrated_rows()
    assert "energy_calibrated" in fitted[0] and session.current_profile() is not None
    profile = session.profile()
    profile.descriptors["energy"] = profile.descriptors["energy"].__class__(
        "offset", 1.0, 0.5, 0.0, 1.0)
    session.apply_profile(profile)
    applied = session.calibrated_rows()
    assert applied is not fitted and session.current_profile() is profile
    assert applied[0]["energy_calibrated"] == pytest.approx(
        min(session.rows[0]["energy"] + 0.5, 1.0))
    session.applied = None
    assert session.calibrated_rows()[0]["energy_calibrated"] == fitted[0]["energy_calibrated"]
    session.set_results(session.rows[:3])
    assert session.calibrated_rows() == session.rows  # the fit is not current any more


def test_summary_lines_carry_every_figure_of_the_fit(session):
    cal = session.fit()
    by = {x.descriptor: x for x in session.summary()}
    t, s = cal.tempo, by["bpm"]
    assert (s.n, s.correction, s.kept, s.r2, s.mae_before, s.mae_after) == (
        t.n, t.describe(), t.kept, t.r2, t.mae_before, t.mae_after)
    assert (s.acc1_before, s.acc1_after, s.acc2_before, s.acc2_after) == (
        t.acc1_before, t.acc1_after, t.acc2_before, t.acc2_after)
    assert (s.folds, s.note, s.verdict, s.r2_cv, s.interval, s.n_missing) == (
        t.folds, t.note, t.verdict, t.r2_cv, t.interval.describe(), t.n_missing)
    d, s = cal.descriptors["energy"], by["energy"]
    assert (s.n, s.correction, s.kept, s.r2, s.mae_before, s.mae_after, s.folds) == (
        d.n, d.correction.describe(), d.kept, d.r2, d.mae_before, d.mae_after, d.folds)
    assert (s.verdict, s.r2_cv, s.interval, s.correction_kept, s.learned) == (
        d.verdict, d.r2_cv, d.interval.describe(), True, None)
    assert s.note.startswith("cross-validated MAE per method: offset ")
    assert not s.inverted_keepable and not s.learned_kept
    k, s = cal.key, by["key"]
    assert (s.n, s.correction, s.kept, s.verdict, s.folds, s.note) == (
        k.n, k.correction.describe(), k.kept, k.verdict, k.folds, k.note)
    assert (s.accuracy_before, s.accuracy_after, s.weighted_before, s.weighted_after) == (
        k.accuracy_before, k.accuracy_after, k.weighted_before, k.weighted_after)


def test_no_correction_is_kept_from_fewer_than_ten_songs_in_report_tab_or_profile(tmp_path):
    import io

    from core.calibration.verdict import MIN_PAIRS
    from core.cli.calibrate import print_report

    for n_songs in (MIN_PAIRS, MIN_PAIRS + 1):  # one song of each deck stays unpaired
        rows, sheet = make_deck(n=n_songs)
        s = CalibrationSession(options=CalibrationOptions(learned=False))
        s.set_results(rows)
        s.set_reference(sheet)
        cal = s.fit()
        d, by = cal.descriptors["energy"], {x.descriptor: x for x in s.summary()}
        profile = s.profile()
        report = io.StringIO()
        print_report(s, {}, stream=report)
        line = next(x for x in report.getvalue().splitlines() if x.startswith("energy "))
        if n_songs - 1 < MIN_PAIRS:
            # 9 songs with energy planted at 0.8 ref + 0.15: nothing kept anywhere
            assert d.n == 9 and d.verdict == "too few" and not d.kept
            assert by["energy"].verdict == "too few" and not by["energy"].kept
            assert profile.descriptors["energy"].method == "none"
            assert profile.verdicts["energy"] == "too few"
            assert cal.tempo.verdict == cal.key.verdict == "too few"
            assert "[too few]" in line and "no correction" in line
            assert "no correction is kept from fewer than 10 paired songs" in report.getvalue()
        else:
            # 10 songs: kept, with a bounded 90 % interval
            assert d.n == 10 and d.kept and by["energy"].kept
            assert profile.descriptors["energy"].method != "none"
            assert math.isfinite(d.interval.halfwidth)
            assert "too few songs" not in line


def test_outlying_songs_are_named_in_the_report_the_summary_and_calibration_csv(tmp_path):
    import io

    from core.cli.calibrate import print_report

    rng = np.random.default_rng(11)
    ref = rng.normal(-8.0, 1.5, 34)
    lines, rows = ["Song,Artist,Loudness"], []
    for i in range(34):
        lines.append(f"Song Number {i},Artist {i % 5},{ref[i]:.1f}")
        loud = 0.0 if i in (4, 9, 20) else round(ref[i], 1) + 1.5 + rng.normal(0, 0.3)
        rows.append({"path": f"/deck/{i:02d}.wav", "title": f"Song Number {i}",
                     "artist": f"Artist {i % 5}", "status": "done", "loudness_lufs": loud})
    s = CalibrationSession(options=CalibrationOptions(learned=False))
    s.set_results(rows)
    s.set_reference(parse_reference_text("\n".join(lines) + "\n", name="sheet.csv"))
    cal = s.fit()
    d = cal.descriptors["loudness_lufs"]
    assert d.verdict == "calibrated" and d.kept and d.r2_cv < 0
    assert [i for i, _, _ in s.outlying_songs("loudness_lufs")] == [4, 9, 20]
    by = {x.descriptor: x for x in s.summary()}["loudness_lufs"]
    assert by.verdict == "calibrated" and len(by.outliers) == 3
    assert by.outliers[0] == (f"Artist 4 - Song Number 4 (/deck/04.wav): 0 in the results, "
                              f"{ref[4]:.1f} in the sheet")
    assert by.note.startswith(d.outlier_note + ":\n  Artist 4 - Song Number 4")
    report = io.StringIO()
    print_report(s, {}, stream=report)
    text = report.getvalue()
    assert f"  {d.outlier_note}:\n    /deck/04.wav (Artist 4 - Song Number 4): 0 in the " in text
    assert "/deck/09.wav" in text and "/deck/20.wav" in text
    s.write({"calibration": str(tmp_path / "calibration.csv")})
    _, table = read_csv_rows(tmp_path / "calibration.csv")
    line = next(r for r in table if r["descriptor"] == "loudness_lufs")
    assert line["verdict"] == "calibrated" and line["note"].startswith("3 outlying songs")
    # the profile lists them too, with both values
    s.write({"profile": str(tmp_path / "profile.json")})
    scores = json.loads((tmp_path / "profile.json").read_text())["meta"]["scores"]
    listed = scores["loudness_lufs"]["outlying_songs"]
    assert [o["song"] for o in listed] == [
        "Artist 4 - Song Number 4 (/deck/04.wav)", "Artist 4 - Song Number 9 (/deck/09.wav)",
        "Artist 0 - Song Number 20 (/deck/20.wav)"]
    assert listed[0]["analyzer"] == 0 and listed[0]["reference"] == pytest.approx(ref[4], abs=0.05)
    assert scores["loudness_lufs"]["r2_cv_inliers"] == pytest.approx(d.r2_cv_inliers)
    assert s.profile().meta["scores"]["loudness_lufs"]["outlying_songs"] == listed


def test_a_learned_models_outlying_songs_are_named_as_a_corrections_are(tmp_path):
    """An extra column (no analyzer descriptor: only a learned model) with three typing
    slips: its verdict is judged without them, and the report, the summary, the calibration
    table and the profile name them as they name a correction's."""
    import io

    from core.cli.calibrate import print_report

    rng = np.random.default_rng(4)
    n, slips = 80, (5, 17, 40)
    energy, dance = rng.uniform(0, 1, n), rng.uniform(0, 1, n)
    speech = 0.6 * energy + 0.3 * dance + rng.normal(0, 0.05, n)
    speech[list(slips)] += 1.0
    lines, rows = ["Song,Artist,Speech"], []
    for i in range(n):
        lines.append(f"Song Number {i},Artist {i % 5},{speech[i]:.4f}")
        rows.append({"path": f"/deck/{i:02d}.wav", "title": f"Song Number {i}",
                     "artist": f"Artist {i % 5}", "status": "done",
                     "energy": float(energy[i]), "danceability": float(dance[i])})
    s = CalibrationSession()
    s.set_results(rows)
    s.set_reference(parse_reference_text("\n".join(lines) + "\n", name="sheet.csv"))
    cal = s.fit()
    m = cal.learned["speech"]
    assert m.verdict == "calibrated" and m.kept and m.r2_cv < 0.5  # "weak" on every song
    assert [i for i, _, _ in s.outlying_songs("speech")] == list(slips)
    by = {x.descriptor: x for x in s.summary()}["speech"]
    assert len(by.outliers) == 3 and by.note.startswith(m.outlier_note + ":\n  Artist 0 - ")
    assert by.outliers[0].startswith("Artist 0 - Song Number 5 (/deck/05.wav): ")
    assert by.outliers[0].endswith(f" predicted, {speech[5]:.4g} in the sheet")
    report = io.StringIO()
    print_report(s, {}, stream=report)
    text = report.getvalue()
    assert "speech learned model [calibrated] (kept)" in text
    # a learned model has no analyzer value: its held-out prediction is shown, said as such
    (i, predicted, in_sheet), *_ = s.outlying_songs("speech")
    assert i == 5 and in_sheet == pytest.approx(speech[5], abs=1e-4)
    assert (f"  {m.outlier_note}:\n    /deck/05.wav (Artist 0 - Song Number 5): "
            f"{predicted:.4g} predicted, {in_sheet:.4g} in the sheet\n") in text
    s.write({"calibration": str(tmp_path / "calibration.csv"),
             "profile": str(tmp_path / "profile.json")})
    _, table = read_csv_rows(tmp_path / "calibration.csv")
    line = next(r for r in table if r["descriptor"] == "speech_learned")
    assert line["note"].startswith("3 outlying songs")
    scores = json.loads((tmp_path / "profile.json").read_text())["meta"]["scores"]
    listed = scores["speech"]["learned"]["outlying_songs"]
    assert [o["song"] for o in listed][0] == "Artist 0 - Song Number 5 (/deck/05.wav)"
    assert len(listed) == 3 and listed[0]["reference"] == pytest.approx(speech[5], abs=1e-4)



def _energy_with_loudness_session(*, no_energy=0):
    """60 songs whose reference energy is read better with loudness too (a learned model
    of energy is kept); the first ``no_energy`` have no analyzer energy."""
    rows, sheet = make_deck(60, seed=5)
    rng = np.random.default_rng(2)
    for r in rows:
        r["loudness_lufs"] = float(rng.uniform(-16, -6))
    lines = ["Song,Artist,Energy"]
    for r, ref in zip(rows, sheet.rows, strict=False):
        e = ref.values["energy"] * (r["loudness_lufs"] + 16) / 10
        lines.append(f"{ref.title},{ref.artist},{100 * e:.1f}")
    for r in rows[:no_energy]:
        r["energy"] = None
    s = CalibrationSession()
    s.set_results(rows)
    s.set_reference(parse_reference_text("\n".join(lines) + "\n"))
    return s


def test_a_kept_learned_model_replaces_the_correction_in_the_summary(tmp_path):
    s = _energy_with_loudness_session()
    cal = s.fit()
    m, d = cal.learned["energy"], cal.descriptors["energy"]
    assert m.kept
    line = {x.descriptor: x for x in s.summary()}["energy"]
    assert line.correction == f"learned: {m.describe()}" and line.kept and line.learned_kept
    assert (line.mae_after, line.interval, line.r2) == (m.mae_cv, m.interval.describe(),
                                                        m.r2_cv)
    assert line.correction_kept is d.kept and line.verdict == d.verdict


def test_songs_without_an_analyzer_value_count_only_where_a_raw_error_exists():
    # Five paired songs have no analyzer energy (the sixth, GARBLED, is not paired): the
    # learned model still predicts them, but the raw values cannot be scored on them.
    s = _energy_with_loudness_session(no_energy=6)
    cal = s.fit()
    m, d = cal.learned["energy"], cal.descriptors["energy"]
    assert m.kept and m.n == 59 and d.n == 54
    # the model is judged against the raw error on the songs that error is measured on
    compare = s.learned_inputs("energy").compare
    assert compare.sum() == 54 and not compare[:5].any()
    assert m.mae_compared == mae(m.cv_pred[compare], s.learned_inputs("energy").y[compare])
    assert m.mae_compared != m.mae_cv
    # so is an applied profile: its "before" and "after" on the same 54 songs
    applied = s.apply_profile(s.profile())
    n, before, after = applied.mae["energy"]
    assert n == 54 and before == pytest.approx(d.mae_before) and after < before / 2
    assert applied.rows[0]["energy_calibrated"] is not None  # predicted all the same


def test_key_errors_by_mode_and_distance():
    from core.calibration.summary import key_errors

    est = [Key(0, "major"), Key(7, "major"), Key(9, "minor"), Key(0, "minor"),
           Key(1, "major")]
    ref = [Key(0, "major")] * 5
    ke = key_errors(est, ref)
    assert ke.same_mode.tolist() == [1, 1, 0, 0, 0, 1, 0]  # same, fifth, C# (5 steps)
    assert ke.other_mode.tolist() == [1, 0, 0, 1, 0, 0, 0]  # parallel 0, relative 3
    assert ke.same_mode.dtype.kind == ke.other_mode.dtype.kind == "i"  # counts, not floats
    assert ke.relations == {"same": 1, "fifth": 1, "relative": 1, "parallel": 1, "other": 1}
    assert ke.n == 5 and ke.accuracy == 0.2
    assert ke.weighted == pytest.approx((1 + 0.5 + 0.3 + 0.2) / 5)
    with pytest.raises(ValueError):
        key_errors(est, ref[:4])
    empty = key_errors([], [])
    assert empty.n == 0 and np.isnan(empty.accuracy) and np.isnan(empty.weighted)


def test_descriptor_summaries_before_a_fit():
    from core.calibration.summary import descriptor_summaries

    def pairs(d):
        if d == "bpm":
            return np.array([100.0, 200.0, np.nan]), np.array([100.0, 100.0, 90.0])
        return np.array([0.5, 0.7]), np.array([0.6, 0.6])

    out = descriptor_summaries(["bpm", "energy"], calibration=None, pairs=pairs)
    bpm, energy = out
    assert (bpm.n, bpm.n_missing, bpm.acc1_before, bpm.acc2_before) == (
        3, 1, pytest.approx(1 / 3), pytest.approx(2 / 3))
    assert bpm.mae_before == 50.0 and not bpm.fitted and bpm.correction == "not fitted"
    assert (energy.n, energy.mae_before) == (2, pytest.approx(0.1))
    assert np.isnan(energy.acc1_before)
    counted = descriptor_summaries(["energy"], calibration=None, pairs=pairs,
                                   counts=lambda d: 7)
    assert counted[0].n == 7
    with pytest.raises(ValueError, match="^key_errors is needed to summarize the key$"):
        descriptor_summaries(["key"], calibration=None, pairs=pairs)


def test_summary_lists_key_only_for_a_sheet_with_keys_and_profile_needs_a_fit():
    rows, _ = make_deck()
    s = CalibrationSession(options=CalibrationOptions(learned=False))
    s.set_results(rows)
    s.set_reference(parse_reference_text("Song,Artist,Energy\nSong Number 0,Artist 0,50\n"
                                         "Song Number 1,Artist 1,60\n"))
    s.rematch()
    assert [x.descriptor for x in s.summary()] == ["energy"]
    with pytest.raises(ValueError, match="^fit a calibration before making its profile$"):
        s.profile()
    assert CalibrationSession().summary() == []
