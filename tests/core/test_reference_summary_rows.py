"""Reference sheets: total, sum and average rows a spreadsheet adds under the songs are left
out as such, and songs whose title holds the same words are kept."""

import pytest

from core.calibration.reference import parse_reference_text


def _titles(sheet):
    return [r.title for r in sheet.rows]


def test_a_total_and_an_average_row_are_left_out_with_a_plain_message():
    sheet = parse_reference_text(
        "Song,Artist,BPM,Energy\nA,X,120,50\nB,Y,100,70\nTotal Eclipse,Z,90,60\n"
        "Total,,310,180\nAverage,,103.3,60\n")
    assert _titles(sheet) == ["A", "B", "Total Eclipse"]
    assert sheet.summary_rows == [5, 6]
    assert sheet.bad_rows == [] and sheet.bad_cells == []  # 180 % was an out-of-range cell
    (warning,) = sheet.warnings
    assert warning == ("rows 5 ('Total'), 6 ('Average'): totals or averages of the rows "
                       "above, not songs: left out")


def test_a_total_row_does_not_change_the_scale_of_a_0_1_column():
    # The sum 2.1 made the energy column read as percentages: every energy 100 times small.
    sheet = parse_reference_text(
        "Track Name,Artist Name(s),Energy,Danceability,Tempo\nA,X,0.8,0.7,120\n"
        "B,Y,0.6,0.5,100\nC,Z,0.7,0.6,110\nTotal,,2.1,1.8,330\n")
    assert sheet.scales["energy"] == 1.0
    assert [r.values["energy"] for r in sheet.rows] == [0.8, 0.6, 0.7]


@pytest.mark.parametrize("label", ["Summe", "Gesamt", "TOTAL:", "Grand Total", "Mean",
                                   "Durchschnitt", "Mittelwert", "Ø", "Σ", "Moyenne",
                                   "Total (3 songs)", "Average BPM", "Promedio", "Totale"])
def test_summary_labels_in_other_words_and_languages(label):
    text = ("Titel;Künstler;BPM;Energie\nA;X;120;0,5\nB;Y;100;0,7\nC;Z;110;0,6\n"
            f"{label};;330;1,8\n")
    sheet = parse_reference_text(text)
    assert _titles(sheet) == ["A", "B", "C"] and sheet.summary_rows == [5]


def test_a_summary_label_in_another_column_under_an_empty_title():
    # "Summe" in the # column was listed as a row with an empty title.
    sheet = parse_reference_text("#,Song,Artist,BPM\n1,A,X,120\n2,B,Y,100\nSumme,,,220\n")
    assert _titles(sheet) == ["A", "B"] and sheet.bad_rows == []
    assert sheet.summary_rows == [4]
    assert sheet.warnings == ["row 4 ('Summe'): a total or average of the rows above, not a "
                              "song: left out"]


def test_a_subtotal_under_each_block_and_the_average_of_a_column_of_rounded_values():
    sheet = parse_reference_text(
        "Title,BPM,Energy\nA,120,0.51\nB,121,0.62\nSubtotal,241,1.13\nC,100,0.3\nD,90,0.4\n"
        "Subtotal,190,0.7\nAverage,107.75,0.4575\n")
    assert _titles(sheet) == ["A", "B", "C", "D"] and sheet.summary_rows == [4, 7, 8]


@pytest.mark.parametrize("artist, key", [("-", ""), ("n/a", ""), ("", "?"), ("Total", "")])
def test_a_total_row_with_a_placeholder_for_its_artist_or_key_is_left_out(artist, key):
    # a dash, "n/a" or the label again says nothing about a song: still a total row
    text = ("Title,Artist,BPM,Energy,Key\nA,X,120,0.8,Am\nB,Y,100,0.6,C\nC,Z,110,0.4,G\n"
            f"Total,{artist},330,1.8,{key}\n")
    sheet = parse_reference_text(text)
    assert _titles(sheet) == ["A", "B", "C"] and sheet.summary_rows == [5]


def test_a_total_row_whose_numbers_are_not_sums_is_a_song_even_beside_an_unreadable_cell():
    # the tempo cell reads as no number; the energy, 0.5, is neither the sum (1.8) nor the
    # mean (0.6) of the songs above: a song called Total
    sheet = parse_reference_text("Title,Artist,BPM,Energy\nA,X,120,0.8\nB,Y,100,0.6\n"
                                 "C,Z,110,0.4\nTotal,,fast,0.5\n")
    assert _titles(sheet) == ["A", "B", "C", "Total"] and sheet.summary_rows == []
    assert sheet.rows[3].values == {"energy": 0.5}
    assert [(b.row, b.column, b.reason) for b in sheet.bad_cells] == [(5, "BPM", "not a number")]
    # with the sum of the energies there, it is a total row
    total = parse_reference_text("Title,Artist,BPM,Energy\nA,X,120,0.8\nB,Y,100,0.6\n"
                                 "C,Z,110,0.4\nTotal,,fast,1.8\n")
    assert _titles(total) == ["A", "B", "C"] and total.summary_rows == [5]


@pytest.mark.parametrize("row", [
    "Total,Mike Oldfield,330,1.8",  # an artist: a song called Total
    "Mean,,128,0.5",  # numbers that are neither the sum nor the mean of the rows above
    "Total Eclipse,,330,1.8",  # a title that holds the word, not a label
    "Total,,330,",  # a key: a song (key column below)
])
def test_songs_named_like_a_summary_are_kept(row):
    title, artist, bpm, energy = row.split(",")
    key = "Am" if energy == "" else ""
    text = (f"Title,Artist,BPM,Energy,Key\nA,X,120,0.8,\nB,Y,100,0.6,\nC,Z,110,0.4,\n"
            f"{title},{artist},{bpm},{energy or 1.8},{key}\n")
    sheet = parse_reference_text(text)
    assert _titles(sheet) == ["A", "B", "C", title] and sheet.summary_rows == []


def test_a_row_of_sums_needs_two_songs_above_it():
    # Below one song, its sum and average are that song's own numbers.
    sheet = parse_reference_text("Title,BPM\nA,120\nTotal,120\n")
    assert _titles(sheet) == ["A", "Total"] and sheet.summary_rows == []
