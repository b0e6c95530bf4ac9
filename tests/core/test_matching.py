"""Matching songs to reference rows: normalization rules, file names, decoys, manual pairs."""

import pytest

from core.calibration.matching import (
    SongIdentity,
    artist_names,
    identity_from_filename,
    identity_from_row,
    loose_title,
    manual_match,
    match_songs,
    normalize_artist,
    normalize_title,
    unmatch,
)
from core.calibration.reference import ReferenceRow


def rows(*pairs):
    return [ReferenceRow(i + 2, t, a) for i, (t, a) in enumerate(pairs)]


@pytest.mark.parametrize("raw, expected", [
    ("Don't Stop Me Now", "dont stop me now"),
    ("Café Del Mar", "cafe del mar"),
    ("ROCK & ROLL", "rock and roll"),
    ("Rock and Roll", "rock and roll"),
    ("Song (feat. Someone)", "song"),
    ("Song ft. Someone Else", "song"),
    ("Song featuring X & Y", "song"),
    ("Dancing with Myself", "dancing with myself"),
    ("Hello, World!", "hello world"),
    ("Die Straße", "die strasse"),
    ("Søren Ærø Cœur", "soren aero coeur"),
    ("A+B", "a and b"),
])
def test_normalize_title(raw, expected):
    assert normalize_title(raw) == expected


@pytest.mark.parametrize("raw", [
    "Yesterday - Remastered 2009",
    "Yesterday - Remastered",
    "Yesterday (Remastered 2011)",
    "Yesterday [2011 Remaster]",
    "Yesterday - Radio Edit",
    "Yesterday - Live at Wembley",
    "Yesterday (Live)",
    "Yesterday - Mono Version",
])
def test_loose_title_drops_version_suffixes(raw):
    assert loose_title(raw) == "yesterday"


def test_loose_title_keeps_dashes_that_are_part_of_the_title():
    assert loose_title("Ob-La-Di, Ob-La-Da") == "ob la di ob la da"
    assert loose_title("Part 1 - The Beginning") == "part 1 the beginning"


def test_artist_normalization():
    assert normalize_artist("The Beatles") == "beatles"
    assert normalize_artist("Beyoncé feat. Jay-Z") == "beyonce"
    assert {"simon", "garfunkel"} <= artist_names("Simon & Garfunkel")
    assert {"daft punk", "pharrell williams"} <= artist_names("Daft Punk, Pharrell Williams")


@pytest.mark.parametrize("name, title, artist", [
    ("/m/Daft Punk - Get Lucky.mp3", "Get Lucky", "Daft Punk"),
    ("/m/03 - Daft Punk - Get Lucky.flac", "Get Lucky", "Daft Punk"),
    ("/m/007_Adele_Hello.wav", "Hello", "Adele"),
    ("/m/001_Test Artist_Click Song.wav", "Click Song", "Test Artist"),
    ("/m/12. Hello.wav", "Hello", ""),
    ("/m/Hello.wav", "Hello", ""),
])
def test_identity_from_filename(name, title, artist):
    ident = identity_from_filename(name)
    assert (ident.title, ident.artist) == (title, artist)


def test_identity_from_row_prefers_tags_then_file_name():
    ident = identity_from_row({"title": "T", "artist": "A", "path": "/x/B - C.wav"})
    assert (ident.title, ident.artist, ident.path) == ("T", "A", "/x/B - C.wav")
    ident = identity_from_row({"title": "", "artist": "", "path": "/x/B - C.wav"})
    assert (ident.title, ident.artist) == ("C", "B")


def test_exact_and_normalized_matches_with_decoys():
    sheet = rows(("Yesterday", "The Beatles"),
                 ("Yesterday", "Boyz II Men"),          # decoy: same title, other artist
                 ("Yesterday - Live", "The Beatles"),   # decoy: other version
                 ("Get Lucky - Radio Edit", "Daft Punk feat. Pharrell Williams"),
                 ("Hey Jude", "The Beatles"))
    songs = [SongIdentity("Yesterday", "Beatles"),
             SongIdentity("Get Lucky", "Daft Punk"),
             SongIdentity("Yesterday (Live)", "The Beatles"),
             SongIdentity("Yesterday", "Boyz II Men")]
    res = match_songs(songs, sheet)
    assert res.row_of == {0: 0, 1: 3, 2: 2, 3: 1}
    methods = {m.song: m.method for m in res.matches}
    assert methods[0] == "exact" and methods[1] == "normalized"
    assert res.unmatched_rows == [4] and res.unmatched_songs == []


def test_fuzzy_match_has_a_score_and_rejects_unrelated():
    sheet = rows(("Smells Like Teen Spirit", "Nirvana"), ("Come As You Are", "Nirvana"))
    songs = [SongIdentity("Smells Like Teen Spirt", "Nirvana"),  # typo
             SongIdentity("Bohemian Rhapsody", "Queen")]
    res = match_songs(songs, sheet)
    (m,) = res.matches
    assert m.song == 0 and m.row == 0 and m.method == "fuzzy" and 86 <= m.score < 100
    assert res.unmatched_songs == [1] and res.unmatched_rows == [1]


def test_title_only_file_name_matches_by_fuzzy_score():
    sheet = rows(("Get Lucky", "Daft Punk"), ("Lose Yourself to Dance", "Daft Punk"))
    songs = [identity_from_row({"path": "/deck/007_Daft_Punk_Get_Lucky.wav"})]
    res = match_songs(songs, sheet)
    assert res.row_of == {0: 0}


def test_same_title_without_artist_is_ambiguous():
    sheet = rows(("Intro", "Band A"), ("Intro", "Band B"))
    res = match_songs([SongIdentity("Intro", "")], sheet)
    assert res.matches == []
    assert res.ambiguous[0].song == 0 and res.ambiguous[0].candidates == ((0, 100.0), (1, 100.0))
    assert res.unmatched_songs == [0]


def test_two_songs_claiming_one_row_are_both_ambiguous():
    sheet = rows(("Hello", "Adele"))
    res = match_songs([SongIdentity("Hello", "Adele"), SongIdentity("Hello", "Adele")], sheet)
    assert res.matches == [] and [a.song for a in res.ambiguous] == [0, 1]
    # each names the other, which matches the row as well (the same song given twice)
    assert [a.rivals for a in res.ambiguous] == [(1,), (0,)]
    three = match_songs([SongIdentity("Hello", "Adele")] * 3, sheet)
    assert [a.rivals for a in three.ambiguous] == [(1, 2), (0, 2), (0, 1)]
    alone = match_songs([SongIdentity("Intro", "")], rows(("Intro", "A"), ("Intro", "B")))
    assert alone.ambiguous[0].rivals == ()  # two rows, no rival song


def test_of_two_songs_near_one_row_the_closer_one_gets_it():
    sheet = rows(("Smells Like Teen Spirit", "Nirvana"), ("Come As You Are", "Nirvana"))
    songs = [SongIdentity("Smels Lik Teen Spirt", "Nirvana"),  # three typos
             SongIdentity("Smells Like Teen Spirt", "Nirvana")]  # one
    res = match_songs(songs, sheet)
    assert [(m.song, m.row, m.score) for m in res.matches] == [(1, 0, 98.4)]
    assert [(a.song, a.candidates) for a in res.ambiguous] == [(0, ((0, 94.9),))]


def test_manual_match_replaces_other_pairings():
    sheet = rows(("A", "x"), ("B", "y"))
    res = match_songs([SongIdentity("A", "x"), SongIdentity("Zzz", "q")], sheet)
    assert res.row_of == {0: 0}
    res2 = manual_match(res, 1, 0)
    assert res2.row_of == {1: 0}  # row 0 moved to song 1
    assert [m.method for m in res2.matches] == ["manual"]
    assert res.row_of == {0: 0}  # the original is unchanged
    assert unmatch(res2, 1).matches == []


def test_manual_match_checks_indices():
    res = match_songs([SongIdentity("A")], rows(("A", "")))
    with pytest.raises(ValueError, match="song index"):
        manual_match(res, 5, 0)
    with pytest.raises(ValueError, match="row index"):
        manual_match(res, 0, -1)


def test_bad_threshold_is_rejected():
    with pytest.raises(ValueError, match="threshold"):
        match_songs([], [], threshold=120)


def test_a_song_listed_twice_in_the_sheet_is_not_ambiguous():
    sheet = rows(("Hello", "Adele"), ("Hello", "Adele"), ("Skyfall", "Adele"))
    res = match_songs([SongIdentity("Hello", "Adele")], sheet)
    assert res.row_of == {0: 0} and res.ambiguous == []


def test_the_threshold_decides_a_fuzzy_match():
    # "Nirvana Dancing Queen" against "Nirvana Dancing Queens Tonight" scores about 82 as a
    # whole, but the titles alone 74.3: the match scores 77.3 (the titles plus 3 points).
    sheet = rows(("Dancing Queens Tonight", "Nirvana"))
    songs = [SongIdentity("Dancing Queen", "Nirvana")]
    assert match_songs(songs, sheet).matches == []
    assert match_songs(songs, sheet, threshold=78.0).matches == []
    (m,) = match_songs(songs, sheet, threshold=77.0).matches
    assert m.method == "fuzzy" and m.score == 77.3


def test_a_shared_artist_does_not_pair_two_different_titles():
    sheet = rows(("Heart of Gold", "Blondie"), ("Call Me", "Blondie"))
    res = match_songs([SongIdentity("Heart of Glass", "Blondie")], sheet)
    assert res.matches == [] and res.ambiguous == [] and res.unmatched_songs == [0]
    # A typo in the title still matches on the title's own score.
    (m,) = match_songs([SongIdentity("Heart of Gld", "Blondie")], sheet).matches
    assert m.row == 0 and m.method == "fuzzy" and m.score >= 86.0


def test_a_file_named_title_dash_artist_still_matches_its_row():
    # "Heart of Glass - Blondie.mp3" reads as title "Blondie" by "Heart of Glass"; the words
    # of the whole name are those of the row, so it pairs, and with that row only.
    sheet = rows(("Heart of Gold", "Blondie"), ("Heart of Glass", "Blondie"))
    (m,) = match_songs([identity_from_filename("Heart of Glass - Blondie.mp3")], sheet).matches
    assert m.row == 1 and m.method == "fuzzy" and m.score == 100.0
    # A name sharing only the artist with a row stays unmatched.
    res = match_songs([identity_from_filename("Call Me - Blondie.mp3")], sheet)
    assert res.matches == [] and res.unmatched_songs == [0]


@pytest.mark.parametrize("artist, other", [("Adele", "Adela"), ("The Cure", "The Core")])
def test_the_same_title_by_an_artist_a_letter_away_is_not_a_match(artist, other):
    sheet = rows(("Song 2", other))
    res = match_songs([SongIdentity("Song 2", artist)], sheet)
    assert res.matches == [] and res.unmatched_rows == [0]


def test_an_artist_name_with_a_small_typo_still_matches_exactly():
    sheet = rows(("Blinding Lights", "The Weekend"), ("Maps", "Maroon 5"))
    res = match_songs([SongIdentity("Blinding Lights", "The Weeknd")], sheet)
    (m,) = res.matches
    assert m.row == 0 and m.method == "exact" and m.score == 100.0


def test_a_fuzzy_match_needs_the_threshold_score():
    sheet = rows(("Hotel California", "Eagles"))
    near = match_songs([SongIdentity("Hotl Californa", "The Eagles")], sheet)
    assert [(m.method, m.score) for m in near.matches] == [("fuzzy", 87.5)]  # >= 86
    far = match_songs([SongIdentity("Hotel Califrna", "The Eagls")], sheet)  # 85.1
    assert far.matches == [] and far.unmatched_songs == [0]


def test_two_rows_within_the_margin_make_a_fuzzy_match_ambiguous_with_their_scores():
    sheet = rows(("Smells Like Teen Spirit", "Nirvana"), ("Smells Like Teen Spirits", "Nirvana"))
    res = match_songs([SongIdentity("Smells Like Teen Spirt", "Nirvana")], sheet)
    assert res.matches == []
    assert res.ambiguous[0].candidates == ((0, 98.4), (1, 96.8))  # scores to 0.1


def test_an_exact_title_wins_a_row_over_a_normalized_one():
    sheet = rows(("Yesterday", "The Beatles"))
    songs = [SongIdentity("Yesterday (Remastered 2009)", "The Beatles"),
             SongIdentity("Yesterday", "The Beatles")]
    res = match_songs(songs, sheet)
    assert [(m.song, m.method) for m in res.matches] == [(1, "exact")]
    assert res.ambiguous[0].song == 0 and res.ambiguous[0].candidates == ((0, 100.0),)


def test_the_same_title_by_another_artist_is_not_a_match():
    sheet = rows(("Hello", "Adele"), ("Skyfall", "Adele"))
    res = match_songs([SongIdentity("Hello", "Lionel Richie"), SongIdentity("Skyfall", "Adele")],
                      sheet)
    assert res.row_of == {1: 1} and res.unmatched_songs == [0] and res.unmatched_rows == [0]


def test_a_row_another_song_matches_exactly_is_no_rival_in_a_fuzzy_match():
    # "Spiritt" is nearer to the first row, which the song spelt right has taken: the fuzzy
    # match goes to the next row instead of being ambiguous between the two
    sheet = rows(("Smells Like Teen Spirit", "Nirvana"), ("Smells Like Teen Spirits", "Nirvana"))
    songs = [SongIdentity("Smells Like Teen Spirit", "Nirvana"),
             SongIdentity("Smells Like Teen Spiritt", "Nirvana")]
    res = match_songs(songs, sheet)
    assert [(m.song, m.row, m.method) for m in res.matches] == [(0, 0, "exact"),
                                                                 (1, 1, "fuzzy")]
    assert res.ambiguous == []
