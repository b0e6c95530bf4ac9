"""A song's title and artist: from its tags, else from its file name.

Tags are read with mutagen (ID3 in MP3, WAV and AIFF, and an APEv2 tag at the end of an MP3;
Vorbis comments in FLAC and OGG; MP4 atoms in M4A), and for WAV/AIFF also from the RIFF/AIFF
text chunks libsndfile reads.  Text that is not UTF-8 (in WAV/AIFF text chunks, and in the
Vorbis comments of FLAC, Ogg Vorbis and Opus, where the format asks for UTF-8 but some
programs write their code page) is read as cp1252.  Each
field comes from the tags when present there, else from the file name.  Reading never raises:
a file whose tags cannot be read still gets a title from its name.

File-name shapes understood (the extension is dropped first; ``–`` and ``—`` count as ``-``):

=================================  ===============================  ====================
name                               title                            artist
=================================  ===============================  ====================
``007_Daft Punk_One More Time``    ``One More Time``                ``Daft Punk``
``007_Daft_Punk__One_More_Time``   ``One More Time``                ``Daft Punk``
``007_Daft_Punk_One_More_Time``    ``Daft Punk One More Time``      (empty)
``007_Artist_Title``               ``Title``                        ``Artist``
``Artist - Title``                 ``Title``                        ``Artist``
``01 - Artist - Title``            ``Title``                        ``Artist``
``01 - Title``                     ``Title``                        (empty)
``01. Artist - Title``             ``Title``                        ``Artist``
``01. Title``, ``01) Title``       ``Title``                        (empty)
``[01] Artist - Title``            ``Title``                        ``Artist``
``Artist_-_Title``                 ``Title``                        ``Artist``
``01 Title`` (zero-padded number)  ``Title``                        (empty)
``99 Problems``                    ``99 Problems``                  (empty)
``Title``                          ``Title``                        (empty)
=================================  ===============================  ====================

A leading track number is dropped when followed by ``.``, ``)`` or `` - ``, when it is
in brackets (``[01]``, ``(01)``) or when it is zero-padded (``01 Title``); a bare number
before a space is kept (``99 Problems``).  A name without spaces reads its underscores as
spaces (unless the ``NNN_`` rule below applies).  Then
`` - `` separates artist from title (later dashes stay in the title).

The ``NNN_`` rule: after a leading number and an underscore, the rest is split on ``__`` when
present; else, when the rest holds spaces, the first underscore separates artist from title
(later underscores read as spaces); else a rest of exactly two parts is ``Artist_Title``; with
more parts and no spaces the border between artist and title is unknown, so the whole rest
(underscores read as spaces) is the title and the artist is left empty.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata

from core.io.id3 import MANY_FRAMES, id3_tag

__all__ = ["read_title_artist", "identity_from_name", "identity_from_tags", "MAX_TAG_CHARS"]

_DASHES = re.compile(r"\s+[-\u2013\u2014]\s+")
_NUMBER_UNDERSCORE = re.compile(r"^\d{1,4}_(?P<rest>.+)$")
_NUMBER_PREFIX = re.compile(
    r"^(?:\d{1,3}\s*[.)]\s*|\d{1,3}\s+[-\u2013\u2014]\s+|0\d{1,2}\s+|[\[(]\d{1,3}[\])]\s*)"
    r"(?P<rest>\S.*)$")


def _clean(text) -> str:
    if text is None:
        return ""
    if isinstance(text, list | tuple):
        text = ", ".join(_clean(t) for t in text if _clean(t))
    text = unicodedata.normalize("NFC", str(text))
    # Control characters (an escape sequence, a bell, NUL) are no part of a name: they
    # would show as boxes in the table and act on a terminal that prints the CSV.
    text = "".join(" " if ch in "\t\n\r\x0b\x0c" else ch for ch in text
                   if unicodedata.category(ch) != "Cc" or ch in "\t\n\r\x0b\x0c")
    return " ".join(text.split())


def _name_text(name) -> str:
    """A file name as text for a title: bytes that are not UTF-8 (a name from an old
    Latin-1 or Windows archive, ``caf\\xe9``, which Python holds as lone surrogates and Qt
    would drop) are read as cp1252, as tags are (``café``)."""
    if isinstance(name, bytes):
        return _decode_text(name)
    if not any("\udc80" <= ch <= "\udcff" for ch in name):
        return name
    try:
        return _decode_text(os.fsencode(name))
    except (UnicodeError, ValueError):  # a name the system's encoding cannot give back
        return name


def identity_from_name(path) -> tuple[str, str]:
    """(title, artist) read from a file name, following the shapes in the module docstring.

    Parameters
    ----------
    path : str or os.PathLike
        File path or bare name; the folder and the extension are ignored.

    Returns
    -------
    tuple of str
        ``(title, artist)``; the artist is ``""`` when the name does not hold one.
    """
    stem = _clean(os.path.splitext(_name_text(os.path.basename(os.fspath(path))))[0])
    if not stem:
        return "", ""
    match = _NUMBER_UNDERSCORE.match(stem)
    if match and not _DASHES.search(stem):
        return _split_underscored(match["rest"])
    if " " not in stem and "_" in stem:  # "Artist_-_Title": underscores stand for spaces
        stem = " ".join(stem.replace("_", " ").split())
    numbered = _NUMBER_PREFIX.match(stem)
    if numbered:
        stem = numbered["rest"].strip()
    parts = [p.strip() for p in _DASHES.split(stem) if p.strip()]
    if len(parts) >= 2:
        return " - ".join(parts[1:]), parts[0]
    return (parts[0] if parts else stem), ""


def _split_underscored(rest: str) -> tuple[str, str]:
    def spaced(text: str) -> str:
        return " ".join(text.replace("_", " ").split())

    if "__" in rest:
        artist, _, title = rest.partition("__")
        return spaced(title), spaced(artist)
    parts = [p for p in rest.split("_") if p.strip()]
    if len(parts) == 1:
        return spaced(parts[0]), ""
    if " " in rest or len(parts) == 2:
        return spaced(" ".join(parts[1:])), spaced(parts[0])
    return spaced(rest), ""


#: Longest title or artist kept from tags (characters); the rest is cut, ending in "…".  A
#: tag may hold megabytes of text, which the table would lay out again on every repaint
#: (eliding 2 million characters takes 0.7 s) and every CSV row would repeat.
MAX_TAG_CHARS = 500


def _capped(text: str) -> str:
    return text if len(text) <= MAX_TAG_CHARS else text[:MAX_TAG_CHARS - 1].rstrip() + "\u2026"


def identity_from_tags(path) -> tuple[str, str]:
    """(title, artist) from the file's tags; ``""`` for a field that is missing or unreadable;
    each at most :data:`MAX_TAG_CHARS` characters."""
    path = os.fspath(path)
    title = artist = ""
    if not os.path.isfile(path):  # a FIFO or a device would block or never end
        return title, artist
    try:
        found = _large_id3(path)
    except Exception:  # as below
        found = None
    try:
        import mutagen

        if found is not None:
            title, artist = found
        audio = mutagen.File(path, easy=True) if found is None else None
        tags = getattr(audio, "tags", None)
        if tags is not None:
            title, artist = _clean(_get(tags, "title")), _clean(_get(tags, "artist"))
            if not (title and artist):  # WAV/AIFF carry plain (not "easy") ID3 frames
                title = title or _clean(_get(tags, "TIT2"))
                artist = artist or _clean(_get(tags, "TPE1"))
    except Exception:  # damaged tags must never stop a song
        pass
    if not (title and artist) and found is None and _starts_with_id3(path):
        try:  # an ID3 tag before a FLAC's (or another format's) own header, which mutagen
            from mutagen.id3 import ID3  # reads for MP3 files only

            tags = ID3(path)
            title = title or _clean(_get(tags, "TIT2"))
            artist = artist or _clean(_get(tags, "TPE1"))
        except Exception:  # as above
            pass
    if "\ufffd" in title + artist:  # text that is not UTF-8, as mutagen decoded it
        try:
            raw = _raw_vorbis_comments(path)
            if raw is not None:
                title = _clean(_redecoded(raw, "title")) if "\ufffd" in title else title
                artist = _clean(_redecoded(raw, "artist")) if "\ufffd" in artist else artist
        except Exception:  # as above
            pass
    if not (title and artist) and os.path.splitext(path)[1].lower() in (
            ".wav", ".wave", ".aif", ".aiff", ".aifc"):
        try:
            meta = _text_chunks(path)
            title = title or _clean(meta.get("title"))
            artist = artist or _clean(meta.get("artist"))
        except Exception:  # as above
            pass
    if not (title and artist) and os.path.splitext(path)[1].lower() in (".mp3", ".mp2"):
        try:  # an APEv2 tag at the end (foobar2000, Mp3tag), which mutagen's MP3 leaves out
            from mutagen.apev2 import APEv2

            ape = APEv2(path)
            title = title or _clean(_get(ape, "Title"))
            artist = artist or _clean(_get(ape, "Artist"))
        except Exception:  # none, or damaged: as above
            pass
    return _capped(title), _capped(artist)


def _starts_with_id3(path: str) -> bool:
    with open(path, "rb") as fh:
        return fh.read(3) == b"ID3"


#: The ID3 frames of a title and an artist (ID3v2.3/2.4, then ID3v2.2).
_ID3_NAMES = frozenset({b"TIT2", b"TPE1", b"TT2", b"TP1"})


def _large_id3(path: str) -> tuple[str, str] | None:
    """(title, artist) of an ID3v2 tag at the start of the file that mutagen would fail on
    (its stated size is past the end of the file) or be slow on (more than
    :data:`core.io.id3.MANY_FRAMES` frames): its title and artist frames alone, copied
    into a tag of their own for mutagen to read; None for every other file."""
    tag = id3_tag(path, _ID3_NAMES)
    if tag is None or (tag.stated_end <= os.path.getsize(path)
                       and tag.count <= MANY_FRAMES):
        return None
    from mutagen.id3 import ID3

    body = b"".join(tag.found.values())
    flags = tag.flags & 0x80 if tag.version == 4 else 0  # unsynchronised frames (v2.4)
    size = bytes((len(body) >> s) & 0x7F for s in (21, 14, 7, 0))
    tags = ID3(io.BytesIO(b"ID3" + bytes((tag.version, 0, flags)) + size + body))
    return _clean(_get(tags, "TIT2")), _clean(_get(tags, "TPE1"))


def _raw_vorbis_comments(path: str):
    """The Vorbis comments of a FLAC file, or of an Ogg Vorbis or Opus file, each byte that
    is not UTF-8 kept as a surrogate escape (mutagen turns them into U+FFFD); None for
    another file or when the comments cannot be found."""
    from mutagen._vorbis import VCommentDict

    with open(path, "rb") as fh:
        magic = fh.read(4)
        if magic == b"fLaC":
            for _ in range(1024):
                block = fh.read(4)
                if len(block) < 4:
                    return None
                length = int.from_bytes(block[1:4], "big")
                if block[0] & 0x7F == 4:
                    return VCommentDict(fh.read(length), errors="surrogateescape",
                                        framing=False)
                if block[0] & 0x80:
                    return None
                fh.seek(length, os.SEEK_CUR)
            return None
        if magic != b"OggS":
            return None
        from mutagen.ogg import OggPage

        fh.seek(0)
        first = OggPage(fh)
        pages = [first]
        packets: list[bytes] = []
        for _ in range(4096):  # the comment packet follows the first page's packet
            page = OggPage(fh)
            if page.serial != first.serial:
                continue
            pages.append(page)
            packets = OggPage.to_packets(pages, strict=False)
            if len(packets) > 2 or (len(packets) == 2 and page.complete):
                break
    if len(packets) < 2:
        return None
    comment = packets[1]
    if comment.startswith(b"\x03vorbis"):
        return VCommentDict(comment[7:], errors="surrogateescape")
    if comment.startswith(b"OpusTags"):
        return VCommentDict(comment[8:], errors="surrogateescape", framing=False)
    return None


def _redecoded(comments, key: str) -> list[str]:
    """The values of ``key`` in ``comments`` (read by :func:`_raw_vorbis_comments`), their
    bytes decoded as :func:`_decode_text` does those of a WAV's text."""
    return [_decode_text(value.encode("utf-8", "surrogateescape"))
            for value in comments.get(key, [])]


def _text_chunks(path: str) -> dict[str, str]:
    """Title and artist of a WAV's INFO list or an AIFF's text chunks, as libsndfile reads
    them.  Their bytes are in whatever code page the writing program used (a Windows
    program's: cp1252), not always UTF-8, which soundfile decodes them as, every other
    byte turned into U+FFFD ("Beyonc\ufffd"): bytes that are not UTF-8 are read as cp1252
    (Latin-1 for the five bytes cp1252 leaves out)."""
    import soundfile as sf

    with sf.SoundFile(path) as f:
        snd, ffi, ids = (getattr(sf, name, None) for name in ("_snd", "_ffi", "_str_types"))
        if snd is None or ffi is None or not ids:  # another soundfile: its decoding
            return f.copy_metadata()
        out = {}
        for name in ("title", "artist"):
            data = snd.sf_get_string(f._file, ids[name])
            if data:
                out[name] = _decode_text(ffi.string(data))
        return out


def _decode_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return "".join(raw[i:i + 1].decode("cp1252", errors="ignore") or chr(raw[i])
                       for i in range(len(raw)))


def _get(tags, key):
    try:
        value = tags.get(key)
    except Exception:  # some tag classes raise on unknown keys
        return None
    if value is None:
        return None
    text = getattr(value, "text", value)  # an ID3 frame holds its strings in .text
    return [str(t) for t in text] if isinstance(text, list | tuple) else str(text)


def read_title_artist(path) -> tuple[str, str]:
    """A song's title and artist, from its tags, else from its file name.

    Parameters
    ----------
    path : str or os.PathLike
        The audio file (it need not be readable: then the name alone is used).

    Returns
    -------
    tuple of str
        ``(title, artist)``, whitespace trimmed, Unicode NFC; the artist may be ``""``.
    """
    try:
        path = os.fspath(path)
    except TypeError:
        raise TypeError(f"read_title_artist: path must be a str or os.PathLike, got {path!r}") \
            from None
    tag_title, tag_artist = identity_from_tags(path)
    name_title, name_artist = identity_from_name(path)
    return tag_title or name_title, tag_artist or name_artist
