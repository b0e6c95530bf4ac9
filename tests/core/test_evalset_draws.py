"""``python -m benchmarks.evalset --draw SEED``: an edition's plan built again from another
seed, into a folder of its own, and how ``benchmarks.realistic`` reports such a draw."""

from __future__ import annotations

import pytest

import benchmarks.evalset as evalset


@pytest.mark.parametrize(("argv", "says"), [
    (["--edition", "seventh", "--draw", "97", "--cache", "/tmp/x"], "builds one of"),
    (["--edition", "eleventh", "--draw", "97"], "needs a --cache"),
    (["--edition", "eleventh", "--draw", "97", "--cache", evalset.EDITIONS["eleventh"][0]],
     "needs a --cache"),
    (["--edition", "eleventh", "--draw", str(evalset.EDITIONS["eleventh"][1]),
      "--cache", "/tmp/x"], "the edition's own seed"),
])
def test_a_draw_is_refused_where_it_would_stand_for_the_edition(argv, says, capsys):
    with pytest.raises(SystemExit):
        evalset.main(argv)
    assert says in capsys.readouterr().err


def test_a_draw_plans_other_tunes_and_marks_its_items(tmp_path, monkeypatch):
    """The plan, sources and variation take the draw's seed, and every item says so; nothing
    is rendered with --limit 0 of a subset that has no items to render."""
    from benchmarks import evaleleventh

    seen = {}

    def sources(name, known, *, draw=None):
        seen["draw"] = draw
        return {"classical": [], "tunes": []}

    monkeypatch.setattr(evalset, "_edition_sources", sources)
    monkeypatch.setattr(evalset, "_known_melodies", lambda name: set())
    monkeypatch.setattr(evalset, "plan", lambda src, *, seed, **kw: [
        {"id": "t137", "seed_of_plan": seed, "file": "audio/t137.flac", "subset": "drumless",
         "split": "heldout", "source": "gen/x"}])
    monkeypatch.setattr(evaleleventh, "ensure_lmms", lambda: None)
    monkeypatch.setattr("benchmarks.evaleighth.ensure_generaluser", lambda: None)
    varied = {}
    monkeypatch.setattr(evaleleventh, "vary_eleventh",
                        lambda items, *, seed: varied.setdefault("seed", seed))
    (tmp_path / "audio").mkdir()
    (tmp_path / "audio" / "t137.flac").write_bytes(b"")  # already there: nothing to render
    assert evalset.main(["--edition", "eleventh", "--draw", "97", "--cache", str(tmp_path)]) == 0
    import json

    items = json.loads((tmp_path / "manifest.json").read_text())
    assert seen["draw"] == 97 and varied["seed"] == 97
    assert items == [{"id": "t137", "seed_of_plan": 97, "file": "audio/t137.flac",
                      "subset": "drumless", "split": "heldout", "source": "gen/x", "draw": 97}]


def test_a_draw_is_scored_with_its_rows_and_none_left_out(monkeypatch, capsys):
    """A draw of the eleventh shares the edition's ids: its t137 is another file, so it is
    neither hidden as the reserved edition's rows are nor left out as the edition's t137 is."""
    from tests.core.test_realistic_report import eleventh_report

    out = eleventh_report(monkeypatch, capsys, draw=97)
    assert "A DRAW of the eleventh edition's plan (seed 97" in out
    assert "t137 drumless" in out and "totals only" not in out
    assert "without the rows read before the choice" not in out
