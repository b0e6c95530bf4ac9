"""Calibration against a reference sheet: songs paired at the edges of the fuzzy scores,
the encoding a sheet is read in, key cells that disagree, total rows, Mixed In Key exports
with a subtotal, saved and malformed profiles, the session's options and tempo fits that
try no linear correction."""

import json

import numpy as np
import pytest

from core.calibration.matching import SongIdentity, match_songs
from core.calibration.pairing import Pairing
from core.calibration.profile import (
    CalibrationProfile,
    ProfileError,
    load_profile,
    save_profile,
)
from core.calibration.reference import ReferenceRow, load_reference, parse_reference_text
from core.calibration.session import CalibrationOptions
from core.calibration.tempo_fit import fit_tempo

# --- matching -------------------------------------------------------------------------

def test_a_title_and_artist_swapped_that_still_score_95_are_paired_despite_other_artists():
    # tagged "Title - Artist" the wrong way round: the artists disagree, but "artist title"
    # reads the same as a whole at a score of exactly 95, so no points are taken off
    song = SongIdentity("Blondie", "Heart of Glass")
    row = ReferenceRow(2, "Heart of Glass (Remastered)", "Blondie")
    result = match_songs([song], [row])
    assert result.row_of == {0: 0}
    assert result.matches[0].method == "fuzzy" and result.matches[0].score == 95.0


def _pairing_of(title, sheet_text, **kwargs):
    p = Pairing(**kwargs)
    p.set_results([{"path": f"/m/{title}.mp3", "title": title, "artist": ""}])
    p.set_reference(parse_reference_text(sheet_text, name="s.csv"))
    p.rematch()
    return p


def test_a_pairing_by_default_accepts_a_title_scoring_just_above_86():
    sheet = "Title,Artist,BPM\nHotel California Pt 2,Eagles,75\n"
    p = _pairing_of("Hotel California", sheet)
    assert [(m.song, m.row, m.method, m.score) for m in p.match.matches] == \
        [(0, 0, "fuzzy", 86.5)]
    # a stricter threshold leaves the same song unpaired
    assert _pairing_of("Hotel California", sheet, threshold=87.0).match.matches == []


# --- reading a sheet ------------------------------------------------------------------

def test_a_sheet_that_is_neither_utf8_nor_cp1252_is_read_as_latin_1(tmp_path):
    # 0x81 is no character in cp1252: only latin-1 reads every byte
    path = tmp_path / "old.csv"
    path.write_bytes(b"Title,Artist,BPM\nCaf\xe9 \x81,X,120\nB,Y,100\n")
    sheet = load_reference(path)
    assert sheet.encoding == "latin-1"
    assert [r.title for r in sheet.rows] == ["Caf\xe9 \x81", "B"]


def test_a_key_that_disagrees_with_its_camelot_code_names_the_key_cell_as_written():
    sheet = parse_reference_text(
        "Title,Key,Camelot,BPM\nA,A minor,8A,120\nB,C major,9B,100\nC,A minor,8A,110\n")
    (bad,) = sheet.bad_cells
    assert (bad.row, bad.column, bad.value) == (3, "Key", "C major")
    assert str(bad) == ("row 3, column 'Key': C major here, G major in column 'Camelot' "
                        "(9B): which is right? ('C major')")
    assert [r.key is None for r in sheet.rows] == [False, True, False]


def test_a_mean_row_whose_value_is_no_mean_of_all_songs_above_is_kept_as_a_song():
    # 180 is neither the sum (360) nor the mean (120) of the three tempi above: a song
    # called Mean
    sheet = parse_reference_text("Title,BPM\nA,100\nB,120\nC,140\nMean,180\n")
    assert [r.title for r in sheet.rows] == ["A", "B", "C", "Mean"]
    assert sheet.summary_rows == []
    assert sheet.rows[3].values == {"bpm": 180.0}


def test_a_subtotal_between_the_songs_of_a_mixed_in_key_export_hides_no_song_after_it():
    # two songs, their subtotal, then four more: the export is known from all six songs
    lines = ["Crate,Filename,Initial Key,Tempo,Energy Level"]
    levels = [3, 5, 7, 4, 6, 8]
    for i, level in enumerate(levels):
        lines.append(f"Set,/music/Band - Tune {i}.mp3,8A,{120 + i},{level}")
        if i == 1:
            lines.append(",Subtotal,,241,8")
    sheet = parse_reference_text("\n".join(lines) + "\n", name="mik.csv")
    assert sheet.value_scales["energy"] == (1.0, 10.0, "Mixed In Key 1\u201310")
    assert sheet.summary_rows == [4]
    assert [r.values["energy"] for r in sheet.rows] == levels
    assert any("6 of 6 keys in Camelot notation, 6 energies all whole numbers" in w
               for w in sheet.warnings)


# --- profiles -------------------------------------------------------------------------

def test_a_saved_profile_lists_its_format_and_version_first(tmp_path):
    path = tmp_path / "p.json"
    save_profile(CalibrationProfile(meta={"reference_file": "s.csv"}), path)
    keys = list(json.loads(path.read_text(encoding="utf-8")))
    assert keys[:2] == ["format", "version"]
    assert keys == ["format", "version", "descriptors", "tempo", "key", "learned",
                    "intervals", "verdicts", "fitted_ranges", "meta"]


def test_a_profile_with_an_unknown_tempo_rule_names_the_kind_it_holds(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({
        "format": "songcal-calibration-profile", "version": 2, "descriptors": {},
        "tempo": {"rule": {"kind": "double"}, "correction": {}}, "key": None, "meta": {}}),
        encoding="utf-8")
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert err.value.reason == ("malformed profile: tempo.rule.kind: must be one of none, "
                                "factor, range, got 'double'")


# --- options and fits -----------------------------------------------------------------

def test_a_minimum_gain_of_zero_is_accepted_and_one_is_not():
    assert CalibrationOptions(min_gain=0).min_gain == 0
    assert CalibrationOptions(min_gain=0.0).as_dict()["min_gain"] == 0.0
    with pytest.raises(ValueError, match=r"min_gain must be in \[0, 1\), got 1"):
        CalibrationOptions(min_gain=1)
    with pytest.raises(ValueError, match=r"min_gain must be in \[0, 1\), got -0.1"):
        CalibrationOptions(min_gain=-0.1)


def test_a_tempo_fit_offered_no_linear_method_keeps_the_octave_rule_alone():
    rng = np.random.default_rng(0)
    true = np.exp(rng.uniform(np.log(80), np.log(170), 60))
    est = true * (1 + rng.normal(0, 0.005, 60))
    est[true > 120] /= 2  # the analyzer halves every fast song
    cal = fit_tempo(est, true, methods=("none",))
    assert cal.rule.kind == "range"
    assert cal.correction.method == "none" and cal.best_method == "none"
    assert list(cal.cv_mae) == ["none"]
    assert cal.acc1_after > cal.acc1_before
