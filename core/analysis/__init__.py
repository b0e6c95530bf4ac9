"""One song, from file to descriptors, chunk by chunk in the calling thread.

The pipeline in reading order:

- :mod:`core.analysis.sniff` -- look at a path and its first bytes before any decoder
  does (folders, FIFOs, empty files, non-audio content).
- :mod:`core.analysis.decode` -- probe a file and stream its samples in blocks
  (soundfile; PyAV for M4A/AAC/ALAC); decoder errors become :mod:`core.errors`.
- :mod:`core.analysis.joined` -- files made of several encoded files joined end to end
  (MP3 parts, chained OGG links), found from the file's structure.
- :mod:`core.analysis.mp4edits` -- the edit list of an MP4/M4A's audio track (which part
  of it is played), and the note on one that is empty or unusual.
- :mod:`core.analysis.mpcpackets` -- a Musepack SV8 file cut short or damaged, found from
  its packets.
- :mod:`core.analysis.amrframes` -- the length of an AMR file, counted from its frame
  headers.
- :mod:`core.analysis.apeframes` -- where a Monkey's Audio file's frames end by its
  header, which tells a file cut short from one damaged in its last frame.
- :mod:`core.analysis.blocks` -- the block readers :mod:`~core.analysis.decode` streams from.
- :mod:`core.analysis.loudness` -- ITU-R BS.1770 / EBU R128 loudness, range and peak.
- :mod:`core.analysis.features` -- compact frame features (band flux, RMS, centroid,
  flatness, chroma) streamed chunk by chunk.
- :mod:`core.analysis.periodicity` -- autocorrelation, lag histogram and pulse measures
  of onset and harmonic-change envelopes, shared by tempo and time signature.
- :mod:`core.analysis.beatevidence` -- evidence about each candidate beat rate.
- :mod:`core.analysis.trees` -- the gradient-boosted trees of the tempo decision, as plain
  numbers.
- :mod:`core.analysis.tempo` -- tempo (a learned metrical-level decision over that
  evidence), its alternatives and a weak-pulse flag; chunk tempi and tempo changes.
- :mod:`core.analysis.loops` -- a short file read as a loop as well as once.
- :mod:`core.analysis.keyevidence` -- per-key evidence: profiles with harmonics, a
  local-key path, the opening, the final chord and the bass.
- :mod:`core.analysis.key` -- key (tonic, mode): a learned decision over that evidence.
- :mod:`core.analysis.timesig` -- time-signature guess (3 or 4 beats to the bar).
- :mod:`core.analysis.descriptors` -- energy, danceability, valence, acousticness and the
  other heuristic descriptors, each defined in one line.
- :mod:`core.analysis.analyze` -- :func:`~core.analysis.analyze.analyze_file`, the whole
  song: decode, measure, estimate, return a :class:`~core.io.results.SongResult`.
- :mod:`core.analysis.identity` -- which analyzer made a result (a hash of this code, its
  model and its libraries).
"""
