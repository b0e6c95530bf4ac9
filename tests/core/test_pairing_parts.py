"""Pairing songs with the rows of a reference sheet: what is answered before a match, what
manual pairs do on re-matching, stale matches after a new sheet, the slowest tempos and the
exact wording of the errors."""

import pytest

from core.calibration.pairing import Pairing
from core.calibration.reference import parse_reference_text

SHEET = ("Song,Artist,BPM,Key\n"
         "One,A,100,C major\n"
         "Two,B,120,A minor\n"
         "Three,C,90,G major\n"
         "Four,D,140,D minor\n")


def _rows():
    return [{"path": "/d/1.wav", "title": "One", "artist": "A", "bpm": 200.0, "key": "C major"},
            {"path": "/d/2.wav", "title": "Two", "artist": "B", "bpm": 60.0, "key": "C major"},
            {"path": "/d/3.wav", "title": "Three", "artist": "C", "bpm": 90.0},
            {"path": "/d/x.wav", "title": "Nobody", "artist": "Z", "bpm": 90.0}]


def _matched():
    p = Pairing()
    p.set_results(_rows())
    p.set_reference(parse_reference_text(SHEET, name="s.csv"))
    p.rematch()
    return p


def _pairs_by_song(p):
    return {m.song: (m.row, m.method) for m in p.match.matches}


def test_a_pairing_without_results_knows_no_song_and_has_no_match_summary():
    """Before any results, asking for a song by its key answers None and there are no
    match counts to show, with or without a sheet."""
    p = Pairing()
    assert p.song_index("/d/1.wav") is None
    assert p.match_summary() is None
    p.set_reference(parse_reference_text(SHEET))
    assert p.song_index("/d/1.wav") is None
    assert p.match_summary() is None


def test_a_sheet_and_results_not_matched_yet_give_no_pairs_keys_or_ratios():
    """With a sheet and results loaded but no match made yet, every query answers with
    nothing paired instead of failing."""
    p = Pairing()
    p.set_reference(parse_reference_text(SHEET))
    p.set_results(_rows())
    x, y, idx = p.pairs("bpm")
    assert x.size == y.size == idx.size == 0
    assert p.key_pairs() == ([], [])
    assert p.tempo_log2_ratios().size == 0
    assert sum(p.key_errors().relations.values()) == 0
    assert p.reference_row(0) is None


def test_the_songs_of_a_column_nobody_paired_select_no_song_values():
    """A column no paired song has a reference value for gives song indices that still
    select from the songs' values: an empty selection, as a learned model is given."""
    p = _matched()
    y, idx = p.reference_values("valence")
    inputs = p.input_matrix()
    picked = inputs[idx]
    assert y.size == 0 and picked.shape == (0, inputs.shape[1])


def test_a_manual_pair_with_the_first_sheet_row_holds_on_rematching():
    """A song paired by hand with the first row of the sheet keeps it when matching again,
    and the song that row would match by itself stays unpaired."""
    p = _matched()
    assert _pairs_by_song(p)[0] == (0, "exact")
    p.manual_match(3, 0)
    p.rematch()
    pairs = _pairs_by_song(p)
    assert pairs[3] == (0, "manual") and 0 not in pairs
    assert p.reference_row(3).title == "One"


def test_a_manual_pair_of_a_song_taken_out_waits_for_the_song_to_come_back():
    """A manual pair whose song left the results is skipped on re-matching (the others are
    matched as usual) and applies again once the song is back."""
    p = _matched()
    p.manual_match(3, 3)
    p.set_results(_rows()[:3])
    p.rematch()
    assert _pairs_by_song(p) == {0: (0, "exact"), 1: (1, "exact"), 2: (2, "exact")}
    assert p.manual == {"/d/x.wav": 3}
    p.set_results(_rows())
    p.rematch()
    assert _pairs_by_song(p)[3] == (3, "manual")
    assert p.reference_row(3).title == "Four"


def test_a_match_computed_before_another_sheet_was_loaded_is_refused():
    """A match computed on a copy is not taken back after a new sheet was loaded and the
    results set again: it pairs the songs with the rows of the old sheet."""
    p = Pairing()
    p.set_reference(parse_reference_text(SHEET, name="old.csv"))
    p.set_results(_rows())
    copy = p.copy()
    stale = copy.compute_match()
    p.set_reference(parse_reference_text("Song,Artist,BPM\nNobody,Z,90\n", name="new.csv"))
    p.set_results(_rows())
    assert not p.adopt_match(stale, copy.version)
    assert p.match is None and not p.match_is_current
    p.rematch()
    assert _pairs_by_song(p) == {3: (0, "exact")}


def test_the_slowest_tempo_results_and_sheets_accept_still_gives_a_ratio():
    """1 BPM is a tempo both a results row and a sheet may hold: a song at 2 BPM against 1
    reads as double, one at 1 BPM against 2 as half."""
    p = Pairing()
    p.set_results([{"path": "/d/a.wav", "title": "Slow", "artist": "A", "bpm": 2.0},
                   {"path": "/d/b.wav", "title": "Slower", "artist": "B", "bpm": 1.0}])
    p.set_reference(parse_reference_text("Song,Artist,BPM\nSlow,A,1\nSlower,B,2\n"))
    p.rematch()
    assert p.tempo_log2_ratios().tolist() == [1.0, -1.0]


def test_the_errors_say_exactly_what_is_missing():
    """Each refusal names the missing step in its own words, nothing more."""
    p = Pairing()
    with pytest.raises(ValueError, match=r"^load a reference sheet first$"):
        p.compute_match()
    with pytest.raises(ValueError, match=r"^load a reference sheet and results before "
                                         r"matching by hand$"):
        p.manual_match(0, 0)
    with pytest.raises(ValueError, match=r"^nothing is matched yet$"):
        p.unmatch(0)
    p.set_reference(parse_reference_text(SHEET))
    p.set_results([{"path": "/d/q.wav", "title": "Unheard Of", "artist": "Q"}])
    with pytest.raises(ValueError, match=r"^no song is matched with a reference row$"):
        p.require_pairs()


def test_the_paired_values_are_worked_out_once_until_the_songs_sheet_or_pairs_change():
    """The window asks for the pairs, key pairs, key errors and each song's row many times
    over a redraw: while nothing changes the same answers are handed back without reading
    the songs again, and any change (the results, a manual pair) reads them afresh."""
    p = _matched()

    def ask():
        return {"bpm": p.pairs("bpm"), "key_pairs": p.key_pairs(),
                "key_errors": p.key_errors(), "row_of": p._row_of()}

    asked = ask()
    again = ask()
    assert all(again[k] is asked[k] for k in asked)
    assert p.pairs("bpm", keep_missing=True) is not asked["bpm"]
    p.unmatch(0)
    changed = ask()
    assert all(changed[k] is not asked[k] for k in asked)
    assert 0 not in changed["bpm"][2] and 0 in asked["bpm"][2]
    assert 0 not in changed["row_of"] and asked["row_of"][0] == 0
