"""1-bit DSD audio (DSF and DSDIFF files, as hi-res stores sell them), written here bit by bit."""

import struct

import numpy as np
import pytest
import soundfile as sf

from core.analysis.analyze import analyze_file
from core.analysis.decode import probe
from core.analysis.sniff import dsd_stated_rate
from core.batch.scan import is_audio_name
from core.errors import CorruptFileError
from core.io.csvio import read_csv_rows
from core.io.results import write_results_csv

DSD64 = 2_822_400  # bits a second per channel


def click_bits(seconds: float, bpm: float, rate: int = DSD64) -> np.ndarray:
    """A click track as 1-bit samples: silence is ones and zeros in turn (no DC), each click
    2 ms of ones."""
    n = int(seconds * rate)
    bits = np.tile(np.array([0, 1], np.uint8), n // 2 + 1)[:n]
    period, width = int(round(60.0 / bpm * rate)), int(0.002 * rate)
    for start in range(0, n - width, period):
        bits[start:start + width] = 1
    return bits


def write_dsf(path, channels: list[np.ndarray], rate: int = DSD64) -> None:
    """A DSF file: its 'DSD ', 'fmt ' and 'data' chunks, the channels in blocks of 4,096 bytes,
    least significant bit first."""
    n, block = len(channels[0]), 4096
    packed = [np.packbits(c, bitorder="little") for c in channels]
    blocks = (len(packed[0]) + block - 1) // block
    packed = [np.pad(p, (0, blocks * block - len(p))) for p in packed]
    data = b"".join(p[k * block:(k + 1) * block].tobytes() for k in range(blocks) for p in packed)
    kind = {1: 1, 2: 2}[len(channels)]  # mono, stereo
    fmt = struct.pack("<4sQIIIIIIQII", b"fmt ", 52, 1, 0, kind, len(channels), rate, 1, n, block, 0)
    body = fmt + struct.pack("<4sQ", b"data", 12 + len(data)) + data
    path.write_bytes(struct.pack("<4sQQQ", b"DSD ", 28, 28 + len(body), 0) + body)


def write_dff(path, channels: list[np.ndarray], rate: int = DSD64) -> None:
    """A DSDIFF file: a FRM8 form of FVER, PROP (rate, channels, no compression) and the DSD
    chunk, its channels interleaved byte by byte, most significant bit first."""
    def chunk(kind, body):
        return kind + struct.pack(">Q", len(body)) + body + (b"\0" if len(body) % 2 else b"")

    data = np.stack([np.packbits(c, bitorder="big") for c in channels], axis=1).tobytes()
    names = [b"SLFT", b"SRGT"][:len(channels)]
    prop = (b"SND " + chunk(b"FS  ", struct.pack(">I", rate))
            + chunk(b"CHNL", struct.pack(">H", len(channels)) + b"".join(names))
            + chunk(b"CMPR", b"DSD " + bytes([14]) + b"not compressed" + b"\0"))
    body = (b"DSD " + chunk(b"FVER", struct.pack(">I", 0x01050000)) + chunk(b"PROP", prop)
            + chunk(b"DSD ", data))
    path.write_bytes(b"FRM8" + struct.pack(">Q", len(body)) + body)


@pytest.mark.parametrize("write, name", [(write_dsf, "song.dsf"), (write_dff, "song.dff")])
def test_dsd_files_are_analyzed(tmp_path, write, name):
    bits = click_bits(8.0, 120.0)
    write(tmp_path / name, [bits, bits])
    result = analyze_file(str(tmp_path / name))
    assert result.status == "done" and result.error == ""
    assert result.sample_rate == DSD64 and result.channels == 2  # the file's own rate
    assert dsd_stated_rate(str(tmp_path / name)) == result.sample_rate  # as its header says
    assert probe(str(tmp_path / name)).sample_rate == 88_200  # read as 88.2 kHz PCM
    assert result.duration_s == pytest.approx(8.0, abs=0.01)
    assert result.bpm == pytest.approx(120.0, rel=0.02)


def test_double_rate_dsd_is_read_at_the_single_rate(tmp_path):
    # DSD128 decodes at 705.6 kHz, above the 384 kHz SongCal takes from PCM files (it was
    # refused as an unsupported sample rate): it is read as 88.2 kHz PCM like DSD64
    write_dsf(tmp_path / "dsd128.dsf", [click_bits(6.0, 100.0, 2 * DSD64)], rate=2 * DSD64)
    result = analyze_file(str(tmp_path / "dsd128.dsf"))
    assert result.status == "done" and result.error == ""
    assert result.sample_rate == 2 * DSD64 and result.channels == 1
    assert dsd_stated_rate(str(tmp_path / "dsd128.dsf")) == result.sample_rate
    assert probe(str(tmp_path / "dsd128.dsf")).sample_rate == 88_200
    assert result.duration_s == pytest.approx(6.0, abs=0.01)
    assert result.bpm == pytest.approx(100.0, rel=0.02)


@pytest.mark.parametrize("write, name", [(write_dsf, "cut.dsf"), (write_dff, "cut.dff")])
def test_a_cut_dsd_file_says_so(tmp_path, write, name):
    bits = click_bits(8.0, 120.0)
    write(tmp_path / "whole", [bits, bits])
    data = (tmp_path / "whole").read_bytes()
    (tmp_path / name).write_bytes(data[:len(data) // 2])
    assert probe(str(tmp_path / name)).duration_s == pytest.approx(8.0, abs=0.01)
    with pytest.raises(CorruptFileError, match=r"the file is cut short: the audio ends at "
                                               r"0:04\.0 \(4\.0 s\) but its header announces "
                                               r"0:08\.0 \(8\.0 s\)"):
        analyze_file(str(tmp_path / name))


def test_dsd_files_are_taken_from_folders():
    assert is_audio_name("Album/01 Track.dsf") and is_audio_name("01 Track.DFF")


def test_the_rate_column_is_the_files_own_rate_for_dsd_as_for_pcm(tmp_path):
    # A 96 kHz FLAC is analyzed at 22.05 kHz and its row says 96000, its own rate; a DSD64
    # file, read as 88.2 kHz PCM, says 2822400 (it said 88200), in the CSV export too.
    t = np.arange(8 * 96_000) / 96_000
    clicks = np.where(t % 0.5 < 0.002, 0.8, 0.0) + 0.1 * np.sin(2 * np.pi * 220 * t)
    sf.write(tmp_path / "song.flac", clicks, 96_000, subtype="PCM_24")
    bits = click_bits(8.0, 120.0)
    write_dsf(tmp_path / "song.dsf", [bits, bits])
    results = [analyze_file(str(tmp_path / name)) for name in ("song.flac", "song.dsf")]
    assert [r.sample_rate for r in results] == [96_000, DSD64]
    write_results_csv(tmp_path / "results.csv", results)
    _, rows = read_csv_rows(tmp_path / "results.csv")
    assert [row["sample_rate"] for row in rows] == ["96000", "2822400"]


def test_a_stored_dsd_result_of_an_earlier_build_gets_the_rate_its_file_states(tmp_path):
    import dataclasses

    from core.batch.file_rates import dsd_file_rates, may_state_read_rate
    from core.batch.rules import Batch
    from core.io.results import SongResult

    write_dsf(tmp_path / "a.dsf", [click_bits(1.0, 120.0, 2 * DSD64)], rate=2 * DSD64)
    write_dff(tmp_path / "b.dff", [click_bits(0.2, 120.0)])
    sf.write(str(tmp_path / "c.wav"), np.zeros(100), 88_200)
    old = SongResult(path="", status="done", sample_rate=88_200, analyzer="0123456789ab")
    results = {0: dataclasses.replace(old, format="DSF/DSD_LSBF_PLANAR"),
               1: dataclasses.replace(old, format="IFF/DSD_MSBF"),
               2: dataclasses.replace(old, format="WAV/PCM_16"),  # PCM at 88.2 kHz: as it is
               3: dataclasses.replace(old, format="DSF/DSD_LSBF_PLANAR"),  # its file is gone
               4: dataclasses.replace(old, format="IFF/DSD_MSBF", sample_rate=DSD64)}
    paths = {0: str(tmp_path / "a.dsf"), 1: str(tmp_path / "b.dff"),
             2: str(tmp_path / "c.wav"), 3: str(tmp_path / "gone.dsf"),
             4: str(tmp_path / "b.dff")}
    assert dsd_file_rates(paths, results) == {0: 2 * DSD64, 1: DSD64}
    assert dsd_stated_rate(paths[2]) is None and dsd_stated_rate(paths[3]) is None
    # this build's results give the file's rate already: no file is read for them
    assert not may_state_read_rate(analyze_file(paths[0]))

    batch = Batch()
    batch.add([paths[0]])
    job, attempt = batch.claim("W1")
    batch.finish(job.id, attempt, results[0])
    assert batch.give_file_rate(0, 2 * DSD64, of=old) is None  # no longer that result
    given = batch.give_file_rate(0, 2 * DSD64, of=results[0])
    assert given.sample_rate == 2 * DSD64 and batch.jobs[0].result is given
    assert results[0].sample_rate == 88_200  # a copy, as a correction makes
    with pytest.raises(ValueError, match="positive whole number"):
        batch.give_file_rate(0, 88_200.0, of=given)
