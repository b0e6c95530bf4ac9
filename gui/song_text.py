"""Texts of the song table that say what happened to a song: its note, and the mark of a
value the user corrected."""

from __future__ import annotations

from core.analysis.identity import made_by_another_build
from core.batch.rules import TERMINAL_STATES, SongState
from gui.formatting import fmt_duration

__all__ = ["note_text", "short_note", "short_notes", "USER_MARK", "CORRECTED", "OTHER_BUILD_NOTE", "WAITING_NOTE"]


_CHECK = "check by ear: "

#: Note of a song handed to a cluster's scheduler that waits there for a worker thread.
WAITING_NOTE = ("handed to the cluster, waiting in its queue for a worker thread (its time "
                "counts from its start there)")
#: Mark after a value the user corrected (a tempo or key the user set).
USER_MARK = " \u270e"
#: Note of a result another build of the analyzer made (a list restored after an update).
OTHER_BUILD_NOTE = "made by another analyzer build: analyze it again"
#: Descriptor column -> the column of the user's correction of it.
CORRECTED = {"bpm": "bpm_user", "key": "key_user"}


def note_text(job, budget_s: float | None = None) -> str:
    """The Note column of ``job``: why it has no result, a remark on its result, or what
    is happening to it now (``budget_s``: its budget, for a stalled song)."""
    state = job.state
    if state is SongState.DONE:
        if job.result is None:
            return ""
        if made_by_another_build(job.result):
            return "; ".join(n for n in (OTHER_BUILD_NOTE, job.result.note) if n)
        note = job.result.note
        if job.result.user_checked:
            return "; ".join(n for n in (note, "checked by ear by you") if n)
        doubts = [d for d in job.result.doubts() if d not in note]
        return "; ".join(n for n in (note, _CHECK + ", ".join(doubts) if doubts
                                     else "") if n)
    if state in TERMINAL_STATES:
        return job.error
    if state is SongState.STALLED and budget_s is not None:
        return f"past its budget of {fmt_duration(budget_s)} on {job.worker}"
    if job.status is not state:  # (in a cluster's queue, not started there yet)
        return WAITING_NOTE + ("; the earlier result is shown until the new one arrives"
                               if job.previous is not None else "")
    if job.changed_on_disk:
        return ("the file changed since it was analyzed: Start analyzes it again"
                + ("; its earlier values are shown until then" if job.previous else ""))
    if job.previous is not None:
        return "analyzing it again; the earlier result is shown until the new one arrives"
    return ""


def short_note(note: str) -> str:
    """``note`` in fewer words for a Note cell too narrow for it: the doubts to check by ear
    keep their subject and figure, ``"check by ear: tempo confidence 0.36, key confidence
    0.59"`` -> ``"check by ear: tempo 0.36, key 0.59"`` (the cell's tooltip has the whole
    note)."""
    head, check, doubts = note.partition(_CHECK)
    if not check:
        return note
    return head + check + doubts.replace(" confidence ", " ")


def short_notes(note: str) -> list[str]:
    """``note`` and its ever shorter forms, for a Note cell to paint the first that fits:
    the whole note, then :func:`short_note`, then (three or four doubts) the tempo's doubts
    named by their subject alone, ``"check by ear: tempo, key 0.59"``, then only what to
    check, ``"check by ear: tempo, key"``.  A note without doubts has no shorter form."""
    head, check, doubts = note.partition(_CHECK)
    if not check:
        return [note]
    items = doubts.replace(" confidence ", " ").split(", ")
    tempo = [d for d in items if not d.startswith("key ")]
    key = [d for d in items if d.startswith("key ")]
    forms = [note, short_note(note)]
    if len(tempo) > 1:
        forms.append(head + check + ", ".join(["tempo"] + key))
    forms.append(head + check + ", ".join((["tempo"] if tempo else [])
                                          + (["key"] if key else [])))
    return list(dict.fromkeys(forms))  # (in order, each form once)
