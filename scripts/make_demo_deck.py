"""Build the bundled demo deck: a few short generated songs and a matching reference sheet.

    python scripts/make_demo_deck.py [--out resources/demo]

The songs are rendered with fixed seeds (benchmarks/synth.py) and written as OGG Vorbis and MP3,
named in the ``NNN_Artist_Title`` shape.  The reference sheet looks like a streaming-metrics
playlist export (``Song, Artist, BPM, Key, Camelot, Energy, Dance, Happy, Acoustic,
Loud (Db)``, percentages 0-100): BPM and key are the true values the songs were rendered
with (one BPM written at half tempo, as such sheets often do), the other columns are a noisy
linear function of SongCal's own values, so a calibration has something real to find.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys

import numpy as np
import soundfile as sf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.synth import render_song  # noqa: E402
from core.analysis.analyze import analyze_file  # noqa: E402
from core.io.keynotation import Key  # noqa: E402

SONGS = [  # artist, title, bpm, key, style
    ("Nova Lights", "Midnight Drive", 124.0, Key(9, "minor"), "electronic"),
    ("The Harbor", "Low Tide", 96.0, Key(7, "major"), "rock"),
    ("Kesta", "Slow Burn", 72.0, Key(4, "minor"), "ballad"),
    ("Lumen Trio", "Waltz for June", 138.0, Key(5, "major"), "waltz"),
    ("Juno Park", "Glass City", 88.0, Key(2, "minor"), "hiphop"),
    ("Static Bloom", "Overdrive", 150.0, Key(11, "minor"), "busy"),
    ("Ada Reyes", "Quiet Rooms", 64.0, Key(3, "major"), "classical"),
    ("Ola Brandt", "Paper Boats", 110.0, Key(0, "major"), "halftime"),
    ("Mira Sol", "Northern Line", 128.0, Key(1, "minor"), "electronic"),
    ("Copper Hill", "Dust Road", 104.0, Key(10, "major"), "rock"),
    ("Tessa Vale", "Small Hours", 80.0, Key(6, "minor"), "ballad"),
    ("Kite Theory", "Open Window", 118.0, Key(8, "major"), "hiphop"),
]
SECONDS = 30.0
SR = 44100


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join("resources", "demo"))
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(7)
    rows = []
    for i, (artist, title, bpm, key, style) in enumerate(SONGS, start=1):
        y = render_song(bpm=bpm, key=key, seconds=SECONDS, sr=SR, seed=100 + i, style=style)
        ext = "mp3" if i % 2 else "ogg"
        path = os.path.join(args.out, f"{i:03d}_{artist}_{title}.{ext}")
        kw = {"format": "MP3", "subtype": "MPEG_LAYER_III"} if ext == "mp3" else {}
        sf.write(path, y, SR, compression_level=0.6, **kw)  # keep the deck small
        r = analyze_file(path)
        ref_bpm = bpm / 2 if i == 6 else bpm  # a sheet that lists a fast song at half tempo

        def pct(x, a, b, noise=3.0):
            return int(np.clip(round(100 * (a * x + b) + rng.normal(0, noise)), 0, 100))

        rows.append({
            "#": i, "Song": title, "Artist": artist, "BPM": round(ref_bpm),
            "Key": key.name.replace(" major", " Major").replace(" minor", " Minor"),
            "Camelot": key.camelot,
            "Energy": pct(r.energy, 1.1, -0.05), "Dance": pct(r.danceability, 0.9, 0.05),
            "Happy": pct(r.valence, 1.2, -0.1), "Acoustic": pct(r.acousticness, 0.8, 0.1),
            "Loud (Db)": round(r.loudness_lufs + 1.5 + rng.normal(0, 0.4), 1),
            "Time": f"0:{int(SECONDS):02d}",
        })
        print(f"{path}: {r.bpm} BPM, {r.key}")
    ref = os.path.join(args.out, "reference.csv")
    with open(ref, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {ref}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
