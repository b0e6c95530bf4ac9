"""The in-app guide (Help > SongCal Guide) and the keyboard shortcuts (Help > Keyboard
Shortcuts).

The guide is short and made from the same texts as the column tips
(:mod:`gui.column_help`): what every column and descriptor means and its scale, how time
budgets and stalls work, and how to read the calibration table.  The shortcuts list is made
from the window's own actions, so it can never disagree with the menus.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
)

from gui.column_help import COLUMN_HELP, MAE_HELP, R2_HELP, VERDICT_HELP
from gui.formatting import DESCRIPTOR_HEADERS
from gui.song_columns import COLUMN_NAMES, HEADERS

__all__ = ["GuideDialog", "ShortcutsDialog", "guide_html", "shortcut_rows"]

_DESCRIPTOR_ORDER = ("bpm", "bpm_confidence", "bpm_alternatives", "bpm_weak_pulse", "bpm_varies",
                     "key", "key_camelot",
                     "key_confidence", "key_modulating", "loudness_lufs",
                     "loudness_range_lu", "peak_dbfs", "energy", "danceability", "valence",
                     "acousticness", "dynamic_range_db", "brightness_hz", "silence_ratio",
                     "time_signature", "duration_s", "sample_rate", "channels")


def _row(name: str, header: str) -> str:
    scale, meaning = COLUMN_HELP[name]
    return (f"<tr><td><b>{html.escape(header)}</b></td><td>{html.escape(scale)}</td>"
            f"<td>{html.escape(meaning)}</td></tr>")


def guide_html() -> str:
    """The guide as HTML."""
    fixed = "".join(_row(n, HEADERS[i]) for i, n in enumerate(COLUMN_NAMES)
                    if n in COLUMN_HELP and n not in DESCRIPTOR_HEADERS)
    descriptors = "".join(_row(n, DESCRIPTOR_HEADERS.get(n, n)) for n in _DESCRIPTOR_ORDER
                          if n in COLUMN_HELP)
    table = "<table cellspacing=0 cellpadding=3 border=0>{}</table>"
    return f"""
<h2>SongCal in five steps</h2>
<ol>
<li>Drop folders of songs on the window (or File &#9656; Add Folder, Ctrl+Shift+O).</li>
<li>Press Start (F5). Each song is analyzed on a worker; the table fills in live.</li>
<li>Drop your reference sheet (a CSV) on the window, or Calibration &#9656; Load Reference
(Ctrl+R). Its values and the agreement appear next to each descriptor.</li>
<li>Open the Calibration tab (Ctrl+3) and press Fit: every descriptor gets a correction,
judged on songs it was not fitted on.</li>
<li>Export the results (Ctrl+E) and the calibration (Ctrl+Shift+E).</li>
</ol>
<p>Help &#9656; Open Demo Deck runs all of it on eight bundled songs in about a minute.
Your list, its results, the reference sheet and the fit come back at the next start;
File &#9656; New Session starts an empty list, and File &#9656; Open Earlier List
(Ctrl+Shift+L) brings back one you had before.</p>

<h2>Descriptors</h2>
<p>Each column's header has the same text as a tip. 0-1 scales: 0 is the least, 1 the most.</p>
{table.format(descriptors)}
<p><b>Tempo range.</b> Half or double a beat is often as good a tempo: a half-time groove at
170 is 85 to a rock drummer, a chorale at 66 is 132 to a DJ program. By default each song is
stated at the beat the analyzer finds most likely. To state every tempo the way your
reference sheet does, choose a range in Settings (88&ndash;175 BPM, as dance charts state
tempos, for example): each tempo is then moved by octaves into it, never to another
reading. Changes apply to the next batch.</p>

<h2>The other columns</h2>
{table.format(fixed)}
<p>Failed, timed-out and skipped songs say why in the <b>Note</b> column; the Log tab names
every file that failed and every path a scan left out (resource forks, dangling links, links
to folders). Right-click the table header, or View &#9656; Columns, to show, hide and order
columns; # and Title stay at the left edge.</p>
<p>The <b>Chunks</b> tab (Ctrl+5) shows the selected song chunk by chunk: each chunk's tempo,
key and loudness in a table, and its tempo plotted against time across the song's tempo and
the 4 % band around it. A song whose tempo varies has chunks outside that band.</p>

<h2>Time budgets and stalls</h2>
<p>Each song gets a <b>time budget</b>: the base plus a factor times its length (Settings).
A song past its budget is <b>stalled</b>: its row turns amber and a banner names it, the
worker and how long it has run. That is a warning, not an end: the song goes on until its
<b>hard limit</b> (a multiple of the budget), where it is <b>timed out</b> and the batch moves
on. On the banner, <b>Give It More Time</b> moves that song's hard limit one budget later
(as often as you like; Ctrl+T on a selected row), <b>Skip Song</b> gives up on it at once, and
&#10005; hides the warning without changing the limit. The Workers tab tells a slow song
(still computing) from a stuck decoder (no CPU). The ETA counts what is left of every song
by its length.</p>

<h2>Your corrections</h2>
<p>Select a song and use BPM &#215;2 / &#247;2 (Ctrl+Shift+Up / Down), BPM&#8230; (Ctrl+B:
type a tempo, or press Play and tap it along with the song; its arrow lists the tempi the
analyzer weighed for the song and the &#215;3/2, &#215;2/3, &#215;4/3, &#215;3/4, &#215;5/4 and &#215;4/5
levels)
or Key (Ctrl+K): your value is shown with a pencil and exported as <code>bpm_user</code> /
<code>key_user</code> next to the analyzer's <code>bpm</code> / <code>key</code>, which never
change. Ctrl+P plays 20 seconds of the selected song.</p>
<p>Show: <b>Tempo or key to check</b> lists the songs whose tempo or key the analyzer doubts:
a weak pulse, a tempo that varies, or a confidence under 0.6 (on songs by other people about
four tempi in ten under it are wrong, one in seven above it); its Note says what is in doubt.
A song leaves the list once you set the value in doubt, or once you mark it <b>Checked by
Ear</b> (Ctrl+Shift+C: you heard it and take its tempo and key as shown; exported as
<code>user_checked</code>). File &#9656; Export Your Values as Reference writes what you set or
checked as a truth sheet that Load Reference reads back: a reference made by ear.</p>

<h2>Reading the calibration table</h2>
<p><b>n</b>: songs paired with the reference that have both values. <b>Correction</b>: the
fitted rule from analyzer to reference; <b>Kept</b>: whether it is used.</p>
<p>{html.escape(R2_HELP)}</p>
<p>{html.escape(MAE_HELP)}</p>
<p>{html.escape(VERDICT_HELP)}</p>
<p>Tempo: <b>Acc1</b> is the share of songs within 4 % of the reference tempo, <b>Acc2</b>
also counts double, half, triple and third tempo. Key: the <b>MIREX</b> score credits the same
key 1, a fifth 0.5, the relative key 0.3 and the parallel key 0.2; <b>exact</b> counts the same
key only. Hover a scatter point to see its song.</p>
<p>Under the tempo ratios, the Calibration tab names the tempo range of the settings whose
octave agrees with the reference clearly more often than the tempos as read (a chart that
writes every tempo from 88 to 175 BPM, say); <b>Analyze in</b> that range sets it and
analyzes every song again.</p>
"""


class GuideDialog(QDialog):
    """The guide, in a window of its own (non-modal)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("SongCal Guide")
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setHtml(guide_html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.browser, 1)
        lay.addWidget(buttons)
        self.resize(760, 640)


def shortcut_rows(actions) -> list[tuple[str, str]]:
    """``(command, keys)`` of every action that has keys, sorted by command."""
    rows = {}
    for a in actions:
        keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                         for k in a.shortcuts() if not k.isEmpty())
        text = a.text().replace("&", "").replace("\u2026", "").strip()
        if keys and text:
            rows[text] = keys
    return sorted(rows.items(), key=lambda kv: kv[0].casefold())


class ShortcutsDialog(QDialog):
    """The keyboard shortcuts of ``actions`` in a two-column table."""

    def __init__(self, actions, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        rows = shortcut_rows(actions)
        self.table = QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels(["Command", "Keys"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        for i, (text, keys) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(text))
            item = QTableWidgetItem(keys)
            item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(i, 1, item)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.resizeColumnToContents(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table, 1)
        lay.addWidget(buttons)
        self.resize(460, 560)
