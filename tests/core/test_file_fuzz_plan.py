"""The damaged-file benchmark (:mod:`benchmarks.file_fuzz`): its files are repeatable by seed,
every mutation is drawn, and its runner tells a result and a refusal from the three faults
(an exception of another kind, a child that dies, an analysis that hangs)."""

from __future__ import annotations

import os
import random

from benchmarks import file_fuzz


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


_OWN_IDS = (".ogg", ".opus", ".mka")


def test_a_seed_makes_the_same_files(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for folder in (a, b, c):
        folder.mkdir()
    how_a = file_fuzz.damaged(str(a), 12, seed=7)
    how_b = file_fuzz.damaged(str(b), 12, seed=7)
    file_fuzz.damaged(str(c), 12, seed=8)
    assert list(how_a.values()) == list(how_b.values())
    # the Ogg and Matroska writers draw a serial number or an id of their own: those files
    # differ in it, at the same length; the others are the same byte for byte
    fa, fb, fc = _files(a), _files(b), _files(c)
    assert {n: len(d) for n, d in fa.items()} == {n: len(d) for n, d in fb.items()}
    assert all(fa[n] == fb[n] for n in fa if not n.endswith(_OWN_IDS))
    assert sum(not n.endswith(_OWN_IDS) for n in fa) >= 15
    assert fa != fc
    originals = {f"original{ext}" for ext in file_fuzz.FORMATS}
    assert originals <= set(fa)
    damaged = [name for name in fa if name not in originals]
    assert len(damaged) == 12
    assert all(fa[name] != fa[f"original{os.path.splitext(name)[1]}"]
               or "word written" in how_a[str(a / name)] or "zeroed" in how_a[str(a / name)]
               for name in damaged)


def test_every_mutation_is_drawn_and_does_what_it_says():
    data = bytes(range(256)) * 40
    rng = random.Random(3)
    seen = set()
    for _ in range(400):
        out, how = file_fuzz.mutate(data, rng)
        kind = next(k for k in file_fuzz.MUTATIONS if how.startswith(k))
        seen.add(kind)
        if kind == "cut short":
            assert len(out) < len(data) and data.startswith(out)
        elif kind in ("bits flipped", "header bits flipped", "word written", "run zeroed"):
            assert len(out) == len(data)
            if kind == "header bits flipped":
                assert out[512:] == data[512:] and out != data
            if kind == "word written":
                assert out[4096:] == data[4096:]
        elif kind in ("bytes inserted", "run repeated"):
            assert len(out) > len(data)
        else:
            assert len(out) < len(data)
    assert seen == set(file_fuzz.MUTATIONS)


#: A stand-in for the analysis: the outcome is named in the file's name.
_CHILD = r"""
import os, signal, sys, time
for line in open(sys.argv[2], encoding="utf-8"):
    path = line.rstrip("\n")
    print("start\t" + path, flush=True)
    name = os.path.basename(path)
    if name.startswith("crash"):
        os.kill(os.getpid(), signal.SIGSEGV)
    if name.startswith("hang"):
        time.sleep(60)
    if name.startswith("raise"):
        print("exception\t" + path + "\tTraceback | ValueError: no", flush=True)
        continue
    if name.startswith("refuse"):
        print("refused\t" + path + "\tthe file is cut short", flush=True)
        continue
    print("done\t" + path + "\t", flush=True)
"""


def test_the_runner_tells_results_refusals_and_faults_apart():
    paths = ["/x/ok1.wav", "/x/crash.wav", "/x/refuse.mp3", "/x/hang.flac", "/x/raise.ogg",
             "/x/ok2.wav"]
    got = file_fuzz.run(paths, timeout=1.0, child=_CHILD)
    assert {p: o for p, (o, _) in got.items()} == {
        "/x/ok1.wav": file_fuzz.DONE, "/x/crash.wav": file_fuzz.CRASH,
        "/x/refuse.mp3": file_fuzz.REFUSED, "/x/hang.flac": file_fuzz.HANG,
        "/x/raise.ogg": file_fuzz.EXCEPTION, "/x/ok2.wav": file_fuzz.DONE}
    assert got["/x/refuse.mp3"][1] == "the file is cut short"
    assert "ValueError" in got["/x/raise.ogg"][1]
    lines = file_fuzz.summary(got)
    assert lines[-1].split() == ["all", "6", "2", "1", "3"]


def test_damaged_files_get_a_row_each_from_the_command_line(tmp_path):
    made = file_fuzz.damaged(str(tmp_path), 6, seed=11)
    results = file_fuzz.run(sorted(made), timeout=120.0)
    assert all(outcome in (file_fuzz.DONE, file_fuzz.REFUSED)
               for outcome, _ in results.values()), results
    assert any(outcome == file_fuzz.REFUSED for outcome, _ in results.values())
    assert file_fuzz.batch(str(tmp_path), len(made) + len(file_fuzz.FORMATS)) == []
