"""What a scan of dropped folders did, told once it ends: songs added, files that failed,
paths left out and why (in the Log, one line each, and one summary line for the status bar).
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass, field

from core.batch.scan import NOT_AUDIO

__all__ = ["ScanReport"]

log = logging.getLogger("gui.engine")


@dataclass
class ScanReport:
    """Rows added, failed rows and paths left out by the scans running together."""

    added: int = 0
    #: Paths that became failed rows (a named file that does not exist).
    failed: list = field(default_factory=list)
    #: ``(path, reason)`` of every path left out.
    skipped: list = field(default_factory=list)
    #: Files found that the list holds already (not added again).
    repeated: int = 0

    def summary(self) -> str:
        """``"13 added, 4 skipped: 2 macOS resource fork, 1 dangling link..."``."""
        bits = [f"{self.added} added"]
        if self.failed:
            bits.append(f"{len(self.failed)} failed (file not found)")
        if self.repeated:
            bits.append(f"{self.repeated} already in the list")
        kinds = Counter(why.split(" (")[0].split(",")[0] for _, why in self.skipped
                        if why != NOT_AUDIO)
        left_out = sum(kinds.values())
        if left_out:
            bits.append(f"{left_out} skipped: " + ", ".join(f"{n} \u00d7 {k}" for k, n in
                                                           kinds.most_common()))
        text = ", ".join(bits)
        other = sum(1 for _, why in self.skipped if why == NOT_AUDIO)
        if other:
            text += f"; {other} non-audio file{'s' if other > 1 else ''} ignored"
        return text

    def log(self) -> str:
        """Name every path left out in the log (files that are not audio in one line) and
        log the summary; returns the summary."""
        for path, why in self.skipped:
            if why != NOT_AUDIO:
                log.warning("skipped: %s: %s", path, why)
        other = [p for p, why in self.skipped if why == NOT_AUDIO]
        if other:
            log.info("ignored %s: %s", "1 file that is not audio" if len(other) == 1
                     else f"{len(other)} files that are not audio",
                     ", ".join(os.path.basename(p) for p in other[:10])
                     + (", \u2026" if len(other) > 10 else ""))
        text = self.summary()
        log.info("scan: %s", text)
        return text
