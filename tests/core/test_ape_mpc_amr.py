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

from core.analysis import amrframes
from core.analysis.analyze import analyze_file
from core.analysis.apeframes import ape_frames_end
from core.analysis.decode import probe, stream
from core.analysis.mpcpackets import sv8_packets
from core.batch.scan import scan_paths
from core.errors import CorruptFileError
from core.io.id3 import MANY_FRAMES, id3_tag
from tests.core.data.make_formats import APE_SECONDS, PAUSES, pcm

DATA = Path(__file__).parent / "data"

#: File, (format, codec), rate (Hz) and channels.
FILES = [
    ("rock_120_a_minor.ape", ("APE", "APE"), 8000, 2),
    ("rock_120_a_minor.mpc", ("MPC", "MPC8"), 44100, 1),
    ("rock_120_a_minor_nb.amr", ("AMR", "AMRNB"), 8000, 1),
    ("rock_120_a_minor.awb", ("AMR", "AMRWB"), 16000, 1),
]
#: The song's length (s) in each file.
SECONDS = {"ape": APE_SECONDS, "mpc": 8.0, "amr": 8.0, "awb": 8.0}
#: How far (LU) each file's loudness may be from its source's: Monkey's Audio is lossless,
#: the speech codecs of AMR change music the most (1.5 LU for AMR-NB, 0.5 for AMR-WB).
LOUDNESS_LU = {"ape": 0.01, "mpc": 0.3, "amr": 2.0, "awb": 1.0}


def _ext(name: str) -> str:
    return name.rsplit(".", 1)[1]


def _wav_loudness(tmp_path, rate: int, channels: int, seconds: float) -> float:
    """Integrated loudness (LUFS) of the song the file was encoded from, as a WAV."""
    y = pcm(rate, seconds)
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
    seconds = SECONDS[_ext(name)]
    assert result.duration_s == pytest.approx(seconds, abs=0.05)
    assert result.bpm == pytest.approx(120.0, rel=0.01)
    assert result.key == "A minor"
    assert result.loudness_lufs == pytest.approx(
        _wav_loudness(tmp_path, rate, channels, seconds), abs=LOUDNESS_LU[_ext(name)])


def test_monkeys_audio_decodes_to_the_samples_it_was_made_from():
    decoded = np.concatenate(list(stream(DATA / "rock_120_a_minor.ape", block_seconds=0.7)))
    source = pcm(8000, APE_SECONDS).astype(np.float32) / 32768
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


def _damaged(tmp_path, name: str, *, keep: float | None = None, junk_at: float | None = None,
             junk: bytes = b"") -> Path:
    """A copy of a shipped file cut to ``keep`` of its bytes, or with ``junk`` written at
    ``junk_at`` of its length."""
    data = bytearray((DATA / name).read_bytes())
    if keep is not None:
        data = data[:round(len(data) * keep)]
    if junk_at is not None:
        at = round(len(data) * junk_at)
        data[at:at + len(junk)] = junk
    out = tmp_path / name
    out.write_bytes(bytes(data))
    return out


def _noise(n: int) -> bytes:
    return np.random.default_rng(1).integers(0, 256, n, dtype=np.uint8).tobytes()


def test_a_cut_monkeys_audio_file_says_it_is_cut(tmp_path):
    # FFmpeg's decoder reads what is left and stops without a word (4.6 s of 9.5 s read as
    # the song): the header's length tells.
    cut = _damaged(tmp_path, "rock_120_a_minor.ape", keep=0.5)
    with pytest.raises(CorruptFileError, match=r"the file is cut short: the audio ends at "
                                               r"0:04\.6 \(4\.6 s\) but its header announces "
                                               r"0:09\.5 \(9\.5 s\)"):
        analyze_file(cut)


def test_a_monkeys_audio_file_missing_its_last_bytes_says_it_is_cut(tmp_path):
    # The last frame fails to decode (FFmpeg's error named it damaged at 9.2 s).
    cut = tmp_path / "cut.ape"
    cut.write_bytes((DATA / "rock_120_a_minor.ape").read_bytes()[:-5])
    with pytest.raises(CorruptFileError, match=r"the file is cut short: the audio ends at "
                                               r"0:09\.2 \(9\.2 s\) but its header announces "
                                               r"0:09\.5 \(9\.5 s\)"):
        analyze_file(cut)


@pytest.mark.parametrize("junk", [_noise(500), bytes(500)], ids=["noise", "zeros"])
def test_damage_in_a_monkeys_audio_frame_is_named_where_it_is(tmp_path, junk):
    # The decoder drops the rest of the damaged first frame (up to 9.2 s) without an error
    # and reads the second: the song was 3.7 s of 9.5, done.
    damaged = _damaged(tmp_path, "rock_120_a_minor.ape", junk_at=1 / 3, junk=junk)
    with pytest.raises(CorruptFileError, match=r"the audio data is damaged at 0:03\.5 "
                                               r"\(3\.5 s\) \(part of a packet could not be "
                                               r"decoded\)"):
        analyze_file(damaged)


@pytest.mark.parametrize("junk", [_noise(500), bytes(500)], ids=["noise", "zeros"])
def test_damage_in_a_whole_monkeys_audio_files_last_frame_is_not_a_cut(tmp_path, junk):
    # Its last frame (9.2-9.5 s) decodes short, as a cut one does, and the song failed as
    # "cut short": the file has every byte its descriptor states, so it is damaged there.
    damaged = _damaged(tmp_path, "rock_120_a_minor.ape", junk_at=0.98, junk=junk)
    assert ape_frames_end(str(damaged)) == damaged.stat().st_size
    with pytest.raises(CorruptFileError, match=r"the audio data is damaged at 0:09\.2 "
                                               r"\(9\.2 s\) \(part of a packet could not be "
                                               r"decoded\)"):
        analyze_file(damaged)


def test_a_monkeys_audio_frames_end_is_the_one_its_descriptor_states(tmp_path):
    data = (DATA / "rock_120_a_minor.ape").read_bytes()
    assert ape_frames_end(str(DATA / "rock_120_a_minor.ape")) == len(data) == 94912
    tagged = tmp_path / "tagged.ape"
    tagged.write_bytes(bytes(100) + data)
    assert ape_frames_end(str(tagged), start=100) == 100 + len(data)
    assert ape_frames_end(str(tagged)) is None  # no Monkey's Audio stream there
    old = tmp_path / "old.ape"  # version 3.97, whose header states no sizes
    old.write_bytes(data[:4] + (3970).to_bytes(2, "little") + data[6:])
    assert ape_frames_end(str(old)) is None
    # Frames stated to end before the last one starts (at 92,345): sizes that lie.
    short = tmp_path / "short.ape"
    short.write_bytes(data[:24] + (92345 - 128).to_bytes(4, "little") + data[28:])
    assert ape_frames_end(str(short)) is None
    assert ape_frames_end(str(DATA / "rock_120_a_minor.mpc")) is None


def test_musepack_states_its_length_exactly():
    # FFmpeg states it in whole packets of 73,728 samples: 6.69 s of 8 s.
    info = probe(DATA / "rock_120_a_minor.mpc")
    assert info.frames == 8 * 44100 and info.duration_s == 8.0 and info.length_stated


def test_musepack_decodes_to_the_samples_its_header_states_in_time_with_its_source():
    # FFmpeg's decoder gave 353,664 samples of 352,800: its synthesis filter's delay, 481
    # samples, before the song, and the rest of the last frame of 1,152 samples after it.
    path = DATA / "rock_120_a_minor.mpc"
    decoded = np.concatenate(list(stream(path, block_seconds=0.7)))[:, 0]
    assert len(decoded) == sv8_packets(str(path)).samples == 8 * 44100
    source = pcm(44100, 8.0).astype(np.float32) / 32768
    assert np.corrcoef(decoded, source)[0, 1] > 0.98


@pytest.mark.parametrize(("keep", "ends"), [(0.5, r"0:03\.3 \(3\.3 s\)"),
                                            (0.97, r"0:06\.7 \(6\.7 s\)")])
def test_a_cut_musepack_file_says_it_is_cut(tmp_path, keep, ends):
    # FFmpeg read none of it (the seek table it looks for is at the end) and said "no
    # audio could be decoded from the file".
    cut = _damaged(tmp_path, "rock_120_a_minor.mpc", keep=keep)
    with pytest.raises(CorruptFileError, match=rf"the file is cut short: the audio ends at "
                                               rf"{ends} but its header announces "
                                               r"0:08\.0 \(8\.0 s\)"):
        probe(cut)


def test_a_musepack_file_missing_only_its_stream_end_is_read_with_a_note(tmp_path):
    cut = tmp_path / "cut.mpc"
    cut.write_bytes((DATA / "rock_120_a_minor.mpc").read_bytes()[:-3])  # the 'SE' packet
    result = analyze_file(cut)
    assert result.status == "done" and result.duration_s == pytest.approx(8.0, abs=0.05)
    assert ("the packets that end its Musepack stream are missing (the file is cut short "
            "after its audio): read up to there") in result.note


def test_bytes_that_are_no_musepack_packet_are_damage(tmp_path):
    # The third audio packet's key overwritten: FFmpeg skipped to the next and read 6.3 s.
    data = bytearray((DATA / "rock_120_a_minor.mpc").read_bytes())
    third = [k for k in range(len(data)) if data[k:k + 2] == b"AP"][2]
    data[third:third + 2] = b"\0\0"
    (tmp_path / "damaged.mpc").write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match=r"the audio data is damaged at 0:03\.3 "
                                               r"\(3\.3 s\) \(bytes that are no packet\)"):
        probe(tmp_path / "damaged.mpc")


@pytest.mark.parametrize("junk", [_noise(2000), bytes(2000)], ids=["noise", "zeros"])
def test_damage_in_a_musepack_packet_is_named_where_it_is(tmp_path, junk):
    # The decoder gave a few frames of each packet after the damage: 4.1 s of 8, done (in
    # D minor, with the noise).
    damaged = _damaged(tmp_path, "rock_120_a_minor.mpc", junk_at=0.5, junk=junk)
    with pytest.raises(CorruptFileError, match=r"the audio data is damaged at 0:04\.0 "
                                               r"\(4\.0 s\) \(part of a packet could not be "
                                               r"decoded\)"):
        analyze_file(damaged)


@pytest.mark.parametrize("name", ["rock_120_a_minor_nb.amr", "rock_120_a_minor.awb"])
@pytest.mark.parametrize(("keep", "ends"), [(0.5, r"0:04\.0 \(4\.0 s\)"),
                                            (0.9, r"0:07\.2 \(7\.2 s\)")])
def test_an_amr_file_cut_within_a_frame_says_it_is_cut(tmp_path, name, keep, ends):
    # AMR states no length; its last frame, cut, fails to decode: it was named damaged.
    # (A file cut where a frame ends cannot be told from a whole one.)
    cut = _damaged(tmp_path, name, keep=keep)
    with pytest.raises(CorruptFileError, match=rf"the file is cut short: its audio ends at "
                                               rf"{ends}, within an audio frame"):
        analyze_file(cut)


@pytest.mark.parametrize(("name", "header", "frame"), [("rock_120_a_minor_nb.amr", 6, 32),
                                                    ("rock_120_a_minor.awb", 9, 61)])
def test_a_short_amr_file_cut_within_its_last_frame_is_not_read_as_whole(tmp_path, name,
                                                                          header, frame):
    # FFmpeg guesses an AMR file's length from its bit rate (3 % long here): the first
    # 2.5 s, cut within their last frame, ended within 0.1 s of the guess and were read
    # as a whole song missing its last bytes, done.
    cut = tmp_path / name
    cut.write_bytes((DATA / name).read_bytes()[:header + 125 * frame - frame // 2])
    with pytest.raises(CorruptFileError, match=r"the file is cut short: its audio ends at "
                                               r"0:02\.5 \(2\.5 s\), within an audio frame"):
        analyze_file(cut)


def test_damage_in_the_middle_of_an_amr_file_is_still_damage(tmp_path):
    damaged = _damaged(tmp_path, "rock_120_a_minor.awb", junk_at=1 / 3, junk=_noise(500))
    with pytest.raises(CorruptFileError, match=r"the audio data is damaged at 0:02\.7 "):
        analyze_file(damaged)


def test_a_musepack_file_cut_right_after_its_audio_says_so(tmp_path):
    # Its audio packets are whole but the seek table after them is gone, and FFmpeg reads
    # none of it: "no audio could be decoded from the file".
    data = (DATA / "rock_120_a_minor.mpc").read_bytes()
    cut = tmp_path / "cut.mpc"
    cut.write_bytes(data[:data.rindex(b"ST")])
    with pytest.raises(CorruptFileError, match=r"the file is cut short after its audio: the "
                                               r"packets that end its Musepack stream are "
                                               r"missing \(its seek table among them"):
        probe(cut)


@pytest.mark.parametrize("name", ["paused_dtx_nb.amr", "paused_dtx.awb"])
def test_amr_pauses_coded_with_dtx_are_read_as_silence(name):
    # Recorded with discontinuous transmission, as phones record speech, the pauses are
    # comfort-noise and no-data frames, which FFmpeg's decoders refuse: the song failed as
    # "damaged at 0:00.1 (Not yet implemented in FFmpeg, patches welcome)".
    result = analyze_file(DATA / name)
    assert result.status == "done" and result.error == ""
    assert result.duration_s == pytest.approx(8.0, abs=0.05)
    assert result.bpm == pytest.approx(120.0, rel=0.01)
    rate = probe(DATA / name).sample_rate
    y = np.concatenate(list(stream(DATA / name, block_seconds=0.7)))[:, 0]
    for start, end in PAUSES:  # less the encoder's hangover of a few frames at each start
        assert not np.any(y[round((start + 0.2) * rate):round((end - 0.05) * rate)])
    assert np.std(y[round(1.5 * rate):round(3.5 * rate)]) > 0.05


@pytest.mark.parametrize(("name", "header"), [("paused_dtx_nb.amr", 6),
                                              ("paused_dtx.awb", 9)])
def test_an_amr_recording_that_starts_in_a_pause_is_read(tmp_path, name, header):
    # Its first frame, comfort noise, failed the probe: "the audio data cannot be decoded".
    import av

    sid = 9 if name.endswith(".awb") else 8  # the frame type of comfort noise
    with av.open(str(DATA / name)) as container:
        first = next(p.pos for p in container.demux(audio=0) if bytes(p)[0] >> 3 & 15 == sid)
    data = (DATA / name).read_bytes()
    cut = tmp_path / name
    cut.write_bytes(data[:header] + data[first:])
    result = analyze_file(cut)
    assert result.status == "done" and result.error == ""


def _id3_in_front(data: bytes) -> bytes:
    """``data`` behind an ID3v2.4 tag naming its title, with 100 bytes of padding."""
    frame = b"TIT2" + (12).to_bytes(4, "big") + b"\x00\x00\x03Tagged Song"
    size = len(frame) + 100
    return (b"ID3\x04\x00\x00" + bytes((size >> s) & 0x7F for s in (21, 14, 7, 0)) + frame
            + bytes(100))


@pytest.mark.parametrize(("name", "stream"), [("rock_120_a_minor.ape", "Monkey's Audio"),
                                              ("rock_120_a_minor.mpc", "Musepack")])
def test_a_file_behind_an_id3_tag_is_read_from_after_it(tmp_path, name, stream):
    # A tagger that writes MP3 tags wrote them in front: FFmpeg took the file for MP3 and
    # it failed as "MP3 audio [that] cannot be decoded".  It is read as it is without the
    # tag, its title taken from the tag.
    tagged = tmp_path / name
    data = (DATA / name).read_bytes()
    tagged.write_bytes(_id3_in_front(data) + data)
    plain, result = analyze_file(DATA / name), analyze_file(tagged)
    assert result.status == "done" and result.title == "Tagged Song"
    assert (result.format, result.duration_s, result.bpm, result.key) == (
        plain.format, plain.duration_s, plain.bpm, plain.key)
    assert result.loudness_lufs == plain.loudness_lufs
    assert result.note.endswith(f"an ID3 tag (MP3 tags, 132 bytes) was written in front of "
                                f"its {stream} stream: read from after it")
    np.testing.assert_array_equal(np.concatenate(list(stream_of(tagged))),
                                  np.concatenate(list(stream_of(DATA / name))))


@pytest.mark.parametrize("name", ["rock_120_a_minor.ape", "rock_120_a_minor.mpc"])
def test_a_file_behind_an_id3_tag_of_thousands_of_frames_is_read(tmp_path, name):
    # Behind a tag of more than 1,000 frames (core.io.id3.MANY_FRAMES) the audio was looked
    # for as MP3 alone: "the file looks like MP3 audio but cannot be decoded".
    frames = [b"TXXX" + (12).to_bytes(4, "big") + b"\x00\x00\x03note%04d\x00ab" % k
              for k in range(3000)]
    title = b"TIT2" + (12).to_bytes(4, "big") + b"\x00\x00\x03Tagged Song"
    body = title + b"".join(frames)
    tag = b"ID3\x03\x00\x00" + bytes((len(body) >> s) & 0x7F for s in (21, 14, 7, 0)) + body
    tagged = tmp_path / name
    tagged.write_bytes(tag + (DATA / name).read_bytes())
    assert id3_tag(str(tagged)).count == 3001 > MANY_FRAMES
    plain, result = analyze_file(DATA / name), analyze_file(tagged)
    assert result.status == "done" and result.title == "Tagged Song"
    assert (result.duration_s, result.bpm, result.key) == (plain.duration_s, plain.bpm,
                                                           plain.key)
    np.testing.assert_array_equal(np.concatenate(list(stream_of(tagged))),
                                  np.concatenate(list(stream_of(DATA / name))))


def stream_of(path):
    return stream(path, block_seconds=0.7)


@pytest.mark.parametrize(("name", "keep", "said"), [
    ("rock_120_a_minor.ape", 0.5, r"the file is cut short: the audio ends at 0:04\.6"),
    ("rock_120_a_minor.ape", -5, r"the file is cut short: the audio ends at 0:09\.2"),
    ("rock_120_a_minor.mpc", 0.5, r"the file is cut short: the audio ends at 0:03\.3"),
    ("rock_120_a_minor.mpc", None, r"the audio data is damaged at 0:03\.3 \(3\.3 s\) \(bytes "
                                   r"that are no packet\)")])
def test_a_file_behind_an_id3_tag_cut_or_damaged_says_so(tmp_path, name, keep, said):
    data = (DATA / name).read_bytes()
    if keep is not None:  # a share of the file, or all but its last bytes
        data = data[:keep] if keep < 0 else data[:round(len(data) * keep)]
    else:  # the third audio packet's key overwritten, as without the tag
        third = [k for k in range(len(data)) if data[k:k + 2] == b"AP"][2]
        data = data[:third] + b"\0\0" + data[third + 2:]
    tagged = tmp_path / name
    tagged.write_bytes(_id3_in_front(data) + data)
    with pytest.raises(CorruptFileError, match=said):
        analyze_file(tagged)


def test_damage_in_the_last_frame_of_a_monkeys_audio_file_behind_an_id3_tag_is_named(tmp_path):
    # Its frames' end counts from after the tag: damage, where the same file lacking its
    # last 5 bytes is cut short (above).
    data = bytearray((DATA / "rock_120_a_minor.ape").read_bytes())
    at = round(len(data) * 0.98)
    data[at:at + 500] = _noise(500)
    tagged = tmp_path / "tagged.ape"
    tagged.write_bytes(_id3_in_front(bytes(data)) + data)
    with pytest.raises(CorruptFileError, match=r"the audio data is damaged at 0:09\.2 "):
        analyze_file(tagged)


@pytest.mark.parametrize(("name", "seconds"), [("paused_dtx_nb.amr", 8.02), ("paused_dtx.awb", 8.0),
                                               ("rock_120_a_minor_nb.amr", 8.02),
                                               ("rock_120_a_minor.awb", 8.0)])
def test_an_amr_files_length_is_counted_from_its_frames(name, seconds):
    # FFmpeg guesses it from the bit rate of the first frame (for the progress and the time
    # budget): 14.6 s and 21.1 s for the recordings with pauses (DTX), which start with
    # comfort-noise frames of 6 bytes, and 8.28 s for the others.
    info = probe(DATA / name)
    assert info.duration_s == pytest.approx(seconds, abs=1e-9) and info.frames is None
    decoded = sum(len(block) for block in stream(DATA / name, info=info))
    assert decoded == round(seconds * info.sample_rate)


def _amr_frames(path: Path) -> tuple[bytes, list[bytes]]:
    """The magic and the frames of an AMR file, as FFmpeg's demuxer splits them."""
    import av

    with av.open(str(path)) as container:
        frames = [bytes(p) for p in container.demux(audio=0) if p.size]
    data = path.read_bytes()
    return data[:len(data) - sum(map(len, frames))], frames


def test_an_amr_recording_with_long_pauses_is_not_guessed_short(tmp_path):
    # Speech, then 30 s of pause (a comfort-noise frame, then no data): FFmpeg's guess from
    # the first frame's bit rate made 33 s about 5 s.
    magic, frames = _amr_frames(DATA / "paused_dtx_nb.amr")
    speech = [f for f in frames if f[0] >> 3 & 15 == 7][:150]
    sid, none = (next(f for f in frames if f[0] >> 3 & 15 == t) for t in (8, 15))
    pause = [sid if k % 8 == 0 else none for k in range(1500)]
    path = tmp_path / "pauses.amr"
    path.write_bytes(magic + b"".join(speech + pause))
    info = probe(path)
    assert info.duration_s == pytest.approx(33.0, abs=1e-9)
    assert sum(len(block) for block in stream(path, info=info)) == 33 * 8000


def test_a_long_amr_files_length_past_the_frames_walked_is_estimated(tmp_path, monkeypatch):
    # Past the frames walked, the rest of the file counts at the bytes per frame walked.
    monkeypatch.setattr(amrframes, "_MAX_FRAMES", 100)
    magic, frames = _amr_frames(DATA / "paused_dtx.awb")
    speech = [f for f in frames if len(f) == 61][0]
    path = tmp_path / "long.awb"
    path.write_bytes(magic + speech * 1000)
    assert amrframes.amr_seconds(str(path)) == pytest.approx(20.0)
    path.write_bytes(magic + speech * 100 + b"\x7c" * 900)  # 100 walked, 900 estimated so
    assert amrframes.amr_seconds(str(path)) == pytest.approx(2.0 + 900 / 61 * 0.02)
    assert amrframes.amr_seconds(str(DATA / "rock_120_a_minor.mpc")) is None
