"""Recursive scanning: audio only, no loops, no dangling links, no resource forks."""

import os

from core.batch.scan import scan_paths


def test_scan_finds_audio_recursively_and_skips_the_rest(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in ["a/one.WAV", "a/b/two.flac", "a/b/three.Mp3", "a/notes.txt", "a/._one.wav",
                 "a/cover.jpg", "four.m4a"]:
        (tmp_path / name).write_bytes(b"x")
    found = [os.path.relpath(p, tmp_path) for p in scan_paths([tmp_path])]
    assert sorted(found) == sorted(["a/one.WAV", os.path.join("a", "b", "two.flac"),
                                    os.path.join("a", "b", "three.Mp3"), "four.m4a"])


def test_symlink_loops_and_dangling_links_are_not_followed(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "song.ogg").write_bytes(b"x")
    os.symlink(tmp_path, tmp_path / "d" / "loop")
    os.symlink(tmp_path / "nowhere.wav", tmp_path / "d" / "dangling.wav")
    os.symlink(tmp_path / "d" / "song.ogg", tmp_path / "d" / "again.ogg")
    found = scan_paths([tmp_path])
    assert len(found) == 1 and found[0].endswith(".ogg")


def test_missing_path_named_explicitly_is_kept_for_a_failed_row(tmp_path):
    missing = tmp_path / "gone.wav"
    assert scan_paths([missing]) == [str(missing)]


def test_a_file_named_explicitly_that_is_not_audio_is_skipped_with_its_reason(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not audio")
    (tmp_path / "song.wv").write_bytes(b"x")
    skipped = []
    found = scan_paths([notes, tmp_path / "song.wv"],
                       on_skip=lambda path, why: skipped.append((path, why)))
    assert found == [str(tmp_path / "song.wv")]
    assert skipped == [(str(notes), "not an audio file")]


def test_a_loop_of_links_is_skipped_as_a_loop_not_as_a_dangling_link(tmp_path):
    os.symlink(tmp_path / "b.wav", tmp_path / "a.wav")
    os.symlink(tmp_path / "a.wav", tmp_path / "b.wav")
    os.symlink(tmp_path / "nowhere.wav", tmp_path / "c.wav")
    skipped = {}
    assert scan_paths([tmp_path], on_skip=lambda p, why: skipped.update({p: why})) == []
    assert skipped[str(tmp_path / "a.wav")].startswith("link loop")
    assert skipped[str(tmp_path / "b.wav")].startswith("link loop")
    assert skipped[str(tmp_path / "c.wav")] == "dangling link (its target is missing)"


def test_a_song_removed_between_its_folder_listing_and_its_look_is_not_called_a_link(
        tmp_path, monkeypatch):
    """A song deleted (or moved) after its folder was listed and before it was looked at
    was skipped as a "dangling link (its target is missing)": it was no link."""
    import core.batch.scan as scan

    (tmp_path / "kept.wav").write_bytes(b"x")
    (tmp_path / "going.wav").write_bytes(b"x")
    walk = os.walk

    def walk_then_remove(*args, **kw):
        for root, dirs, files in walk(*args, **kw):
            if "going.wav" in files:
                os.remove(os.path.join(root, "going.wav"))
            yield root, dirs, files

    monkeypatch.setattr(scan.os, "walk", walk_then_remove)
    skipped = {}
    found = scan_paths([tmp_path], on_skip=lambda p, why: skipped.update({p: why}))
    assert found == [str(tmp_path / "kept.wav")]
    assert skipped == {str(tmp_path / "going.wav"): "file removed while it was scanned"}


def test_quicktime_and_mpeg4_video_files_are_taken_like_mp4(tmp_path):
    """A film's sound is audio too: .mov and .m4v were left out where .mp4 was taken."""
    for name in ["clip.mp4", "clip.MOV", "clip.m4v"]:
        (tmp_path / name).write_bytes(b"x")
    found = sorted(os.path.basename(p) for p in scan_paths([tmp_path]))
    assert found == ["clip.MOV", "clip.m4v", "clip.mp4"]
