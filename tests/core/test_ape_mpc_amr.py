"""Monkey's Audio, Musepack and AMR files, read through PyAV.

CI has none of their encoders: the files are the small ones in ``tests/core/data`` (8 s of
a rock song at 120 BPM in A minor), made by ``tests/core/data/make_formats.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.analysis.analyze import analyze_file
from core.analysis.decode import probe, stream
from core.batch.scan import scan_paths
from core.errors import CorruptFileError
from tests.core.data.make_formats import pcm

DATA = Path(__file__).parent / "data"

#: File, (format, codec), rate (Hz) and channels.
FILES = [
    ("rock_120_a_minor.ape", ("APE", "APE"), 8000, 2),
    ("rock_120_a_minor.mpc", ("MPC", "MPC8"), 44100, 1),
    ("rock_120_a_minor_nb.amr", ("AMR", "AMRNB"), 8000, 1),
    ("rock_120_a_minor.awb", ("AMR", "AMRWB"), 16000, 1),
]
#: How far (LU) each file's loudness may be from its source's: Monkey's Audio is lossless,
#: the speech codecs of AMR change music the most (1.5 LU for AMR-NB, 0.5 for AMR-WB).
LOUDNESS_LU = {"ape": 0.01, "mpc": 0.3, "amr": 2.0, "awb": 1.0}


def _wav_loudness(tmp_path, rate: int, channels: int) -> float:
    """Integrated loudness (LUFS) of the song the file was encoded from, as a WAV."""
    y = pcm(rate)
    path = tmp_path / f"source_{rate}.wav"
    sf.write(path, np.stack([y] * channels, axis=1), rate, subtype="PCM_16")
    return analyze_file(path).loudness_lufs


@pytest.mark.parametrize(("name", "kind", "rate", "channels"), FILES, ids=lambda v: str(v))
def test_the_file_is_probed_with_its_codec_named(name, kind, rate, channels):
    info = probe(DATA / name)
    assert (info.format, info.codec, info.backend) == (*kind, "pyav")
    assert (info.sample_rate, info.channels) == (rate, channels)


@pytest.mark.parametrize(("name", "kind", "rate", "channels"), FILES, ids=lambda v: str(v))
def test_the_file_is_analyzed(tmp_path, name, kind, rate, channels):
    result = analyze_file(DATA / name)
    assert result.status == "done" and result.error == ""
    assert result.format == "/".join(kind)
    assert (result.sample_rate, result.channels) == (rate, channels)
    assert result.duration_s == pytest.approx(8.0, abs=0.05)
    assert result.bpm == pytest.approx(120.0, rel=0.01)
    assert result.key == "A minor"
    assert result.loudness_lufs == pytest.approx(_wav_loudness(tmp_path, rate, channels),
                                                 abs=LOUDNESS_LU[name.rsplit(".", 1)[1]])


def test_monkeys_audio_decodes_to_the_samples_it_was_made_from():
    decoded = np.concatenate(list(stream(DATA / "rock_120_a_minor.ape", block_seconds=0.7)))
    source = pcm(8000).astype(np.float32) / 32768
    np.testing.assert_array_equal(decoded, np.stack([source, source], axis=1))


def test_a_folder_scan_takes_the_four_files(tmp_path):
    for name, *_ in FILES:
        shutil.copy(DATA / name, tmp_path / name.upper())  # extensions in any case
    (tmp_path / "notes.txt").write_text("not audio")
    skipped = []
    found = scan_paths([tmp_path], on_skip=lambda path, why: skipped.append(why))
    assert sorted(Path(p).name for p in found) == sorted(n.upper() for n, *_ in FILES)
    assert skipped == ["not an audio file"]


@pytest.mark.parametrize(("name", "kind", "rate", "channels"), FILES, ids=lambda v: str(v))
def test_a_renamed_file_is_read_by_its_content(tmp_path, name, kind, rate, channels):
    # Named .wav, the file is not shown to libsndfile, which reads none of these formats.
    shutil.copy(DATA / name, tmp_path / "song.wav")
    info = probe(tmp_path / "song.wav")
    assert (info.format, info.codec, info.sample_rate) == (*kind, rate)


@pytest.mark.parametrize(("name", "kind"), [("rock_120_a_minor.ape", "APE"),
                                            ("rock_120_a_minor.mpc", "MPC"),
                                            ("rock_120_a_minor_nb.amr", "AMR"),
                                            ("rock_120_a_minor.awb", "AMR")])
def test_a_file_cut_within_its_first_bytes_names_its_kind(tmp_path, name, kind):
    cut = tmp_path / name
    cut.write_bytes((DATA / name).read_bytes()[:9])
    with pytest.raises(CorruptFileError, match=rf"the file is cut short within its {kind} "
                                               r"header \(9 bytes\), with no audio"):
        probe(cut)
