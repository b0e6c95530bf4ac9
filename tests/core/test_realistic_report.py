"""The realistic benchmark's report: how a wrong tempo relates to the truth, per meter."""

from __future__ import annotations

import pytest

from benchmarks.realistic import _score, meter_rows, tempo_ratio_name


@pytest.mark.parametrize("bpm, truth, name", [
    (120.0, 120.0, ""), (124.0, 120.0, ""), (115.5, 120.0, ""),
    (240.0, 120.0, "x2"), (61.0, 120.0, "x1/2"), (95.0, 63.4, "x3/2"), (80.0, 120.0, "x2/3"),
    (180.0, 60.0, "x3"), (40.5, 120.0, "x1/3"), (160.0, 120.0, "x4/3"), (90.0, 120.0, "x3/4"),
    (100.0, 120.0, "other"), (None, 120.0, "none"), (0.0, 120.0, "none"),
])
def test_a_tempo_is_named_by_its_relation_to_the_truth(bpm, truth, name):
    assert tempo_ratio_name(bpm, truth) == name


def _item(i, meter, bpm, subset="drumless"):
    return {"id": f"t{i}", "meter": meter, "bpm": bpm, "subset": subset, "tonic": 0,
            "mode": "major"}


def test_meter_rows_count_each_meters_songs_and_how_the_wrong_ones_are_wrong():
    items = [_item(0, "6/8", 60.0), _item(1, "6/8", 60.0), _item(2, "6/8", 80.0),
             _item(3, "2/4", 65.0), _item(4, "2/4", 65.0)]
    answers = [{"bpm": 90.0, "key": "C major"}, {"bpm": 60.5, "key": "C major"},
               {"bpm": 120.0, "key": "C major"}, {"bpm": 130.0, "key": "C major"},
               {"bpm": 110.0, "key": None}]
    rows = [_score(a, it) for a, it in zip(answers, items, strict=True)]
    got = meter_rows(rows, items)
    assert [r[:2] for r in got] == [("2/4", 2), ("6/8", 3)]
    meter, n, acc1, acc2, wrong = got[0]
    assert (acc1, acc2) == (0.0, 0.5) and wrong == {"x2": 1, "other": 1}
    meter, n, acc1, acc2, wrong = got[1]
    assert acc1 == pytest.approx(1 / 3) and acc2 == pytest.approx(1 / 3)
    assert wrong == {"x3/2": 2}


def test_the_variation_table_scores_each_accent_strength_apart(capsys):
    from benchmarks.realistic import _variation_table

    items = [dict(_item(i, "3/4", 100.0), accent=a) for i, a in enumerate((0.0, 0.0, 1.5))]
    answers = [{"bpm": 100.0, "key": "C major"}, {"bpm": 200.0, "key": "C major"},
               {"bpm": 100.0, "key": "C major"}]
    rows = {"songcal": [_score(a, it) for a, it in zip(answers, items, strict=True)]}
    _variation_table(rows, items)
    lines = {tuple(line.split()[:3]): line.split()[3:] for line in
             capsys.readouterr().out.splitlines() if line.startswith("accent")}
    assert lines[("accent", "0", "2")][1:3] == ["0.500", "1.000"]
    assert lines[("accent", "1.5", "1")][1:3] == ["1.000", "1.000"]


@pytest.mark.parametrize("edition, flags, rows_shown", [
    ("tenth", [], False), ("tenth", ["--rows"], True), ("eighth", [], True)])
def test_an_edition_kept_for_the_next_choice_prints_its_totals_only(
        monkeypatch, capsys, edition, flags, rows_shown):
    import benchmarks.realistic as realistic

    items = [dict(_item(i, "4/4", 120.0, subset="clear"), style="funk", soundfont="x",
                  file=f"t{i}.flac") for i in range(3)]
    monkeypatch.setattr(realistic, "load", lambda split, cache: items)
    monkeypatch.setattr(realistic, "own_numba_cache", lambda cache: None)
    monkeypatch.setattr(realistic, "songcal_answers",
                        lambda it: {"bpm": 60.0, "key": "G major", "weak": False})
    assert realistic.main(["--edition", edition, "--no-peers", "--cache", "/nowhere"] + flags) == 0
    out = capsys.readouterr().out
    assert ("t1 clear" in out) == rows_shown
    assert "overall" in out and "0.000" in out  # the totals either way
    assert ("totals only" in out) == (edition == "tenth" and not flags)


def test_the_rows_of_a_reserved_edition_read_before_its_choice_are_left_out_of_a_second_total(
        monkeypatch, capsys):
    """The eleventh's t137 was read to fix it: its totals are printed with every file and
    again without it."""
    out = eleventh_report(monkeypatch, capsys)
    first, second = out.split("without the rows read before the choice (t137;")
    overall = [line.split() for line in first.splitlines()
               if line.startswith("overall")][0]
    assert overall[1] == "3" and overall[3] == "0.667" and overall[5] == "1"  # n, Acc1, no bpm
    overall = [line.split() for line in second.splitlines() if line.startswith("overall")][0]
    assert overall[1] == "2" and overall[3] == "1.000" and overall[5] == "0"


def eleventh_report(monkeypatch, capsys, **extra) -> str:
    """What ``benchmarks.realistic --edition eleventh`` prints for three stand-in drumless
    files, t136 to t138 (``extra`` added to each), the analyzer giving t137 no tempo."""
    import benchmarks.realistic as realistic

    items = [dict(_item(i, "4/4", 120.0, subset="drumless"), style="none", soundfont="x",
                  file=f"t{i}.flac", id=f"t13{i}", **extra) for i in range(6, 9)]
    monkeypatch.setattr(realistic, "load", lambda split, cache: items)
    monkeypatch.setattr(realistic, "own_numba_cache", lambda cache: None)
    monkeypatch.setattr(realistic, "songcal_answers", lambda it: {
        "bpm": None if it["id"] == "t137" else 120.0, "key": "C major", "weak": False})
    assert realistic.main(["--edition", "eleventh", "--no-peers", "--cache", "/nowhere"]) == 0
    return capsys.readouterr().out
