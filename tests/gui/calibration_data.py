"""A synthetic deck for the calibration tests: a reference sheet and results rows with
known, planted errors (fixed seed)."""

from __future__ import annotations

import csv

import numpy as np

from core.io.keynotation import Key, parse_key
from core.io.results import SongResult

#: Songs whose analyzer tempo is planted at twice / half the reference.
DOUBLE_TEMPO = (0, 1, 2, 3, 4, 5)
HALF_TEMPO = (6, 7, 8)
#: Songs whose analyzer key is planted a fifth up, relative, parallel, or unrelated.
FIFTH_KEY = (10, 11, 12, 13, 14)
RELATIVE_KEY = (15, 16, 17)
PARALLEL_KEY = (18, 19)
OTHER_KEY = (20,)
#: The last song's title is garbled so that no row matches it; the sheet's last row
#: ("Lonely Row") belongs to no song.
N_SONGS = 60

#: The relative key of every key, written out (not computed by the code under test).
RELATIVE = {
    "C major": "A minor", "C# major": "A# minor", "D major": "B minor",
    "D# major": "C minor", "E major": "C# minor", "F major": "D minor",
    "F# major": "D# minor", "G major": "E minor", "G# major": "F minor",
    "A major": "F# minor", "A# major": "G minor", "B major": "G# minor",
}
RELATIVE.update({minor: major for major, minor in list(RELATIVE.items())})
#: The parallel key of every key, written out.
PARALLEL = {f"{t} {m}": f"{t} {o}" for t in ("C", "C#", "D", "D#", "E", "F", "F#", "G",
                                              "G#", "A", "A#", "B")
            for m, o in (("major", "minor"), ("minor", "major"))}


def make_deck(tmp_path, *, n: int = N_SONGS, seed: int = 0):
    """Write ``reference.csv`` and return ``(sheet_path, result_rows, truth)``.

    ``truth`` holds the reference values per song index (``bpm``, ``key``, ``energy``,
    ``loudness``).  The sheet is a streaming-style export (``Song, Artist, BPM, Key,
    Energy, Loud (Db)``) with energy in percent.  The analyzer's energy is
    ``0.8 ref + 0.15`` (plus noise) and its loudness 1.5 LU above the reference, so both
    have a correction worth keeping.
    """
    rng = np.random.default_rng(seed)
    ref_bpm = np.round(rng.uniform(85, 165, n), 1)
    tonic = rng.integers(0, 12, n)
    mode = rng.integers(0, 2, n)
    ref_key = [Key(int(t), "major" if m else "minor") for t, m in zip(tonic, mode, strict=True)]
    ref_energy = np.round(rng.uniform(0.15, 0.95, n), 2)
    ref_loud = np.round(rng.normal(-10.0, 2.5, n), 1)

    sheet = tmp_path / "reference.csv"
    with open(sheet, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Song", "Artist", "BPM", "Key", "Energy", "Loud (Db)"])
        for i in range(n):
            w.writerow([f"Song Number {i}", f"Artist {i % 7}", f"{ref_bpm[i]:g}",
                        ref_key[i].name, f"{100 * ref_energy[i]:.0f}", f"{ref_loud[i]:g}"])
        w.writerow(["Lonely Row", "Nobody", "100", "C major", "50", "-9"])

    rows = []
    for i in range(n):
        bpm = ref_bpm[i] * (1.0 + rng.normal(0, 0.01))
        if i in DOUBLE_TEMPO:
            bpm = 2.0 * ref_bpm[i]
        elif i in HALF_TEMPO:
            bpm = 0.5 * ref_bpm[i]
        k = ref_key[i]
        if i in FIFTH_KEY:
            k = Key((k.tonic + 7) % 12, k.mode)
        elif i in RELATIVE_KEY:
            k = parse_key(RELATIVE[k.name])
        elif i in PARALLEL_KEY:
            k = parse_key(PARALLEL[k.name])
        elif i in OTHER_KEY:
            k = Key((k.tonic + 1) % 12, k.mode)
        energy = float(np.clip(0.8 * ref_energy[i] + 0.15 + rng.normal(0, 0.01), 0, 1))
        loud = float(ref_loud[i] + 1.5 + rng.normal(0, 0.2))
        title = f"Song Number {i}" if i < n - 1 else "zzqx garbled"
        rows.append(SongResult(
            path=f"/deck/{i:03d}_Artist {i % 7}_{title}.wav", title=title,
            artist=f"Artist {i % 7}", status="done", bpm=round(float(bpm), 2), key=k.name,
            key_camelot=k.camelot, energy=round(energy, 3), loudness_lufs=round(loud, 2),
        ).to_row())
    truth = {"bpm": ref_bpm, "key": ref_key, "energy": ref_energy, "loudness": ref_loud}
    return sheet, rows, truth
