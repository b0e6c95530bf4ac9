"""How the window's cluster engine uses workers that join or leave in the middle of a batch.

Starts a LocalCluster of worker processes of one thread, runs ``--songs`` songs in the
window's engine (:class:`gui.engine.BatchEngine`, offscreen) with an analyzer that sleeps a
second a song, and once the first song is done changes the cluster: ``join`` adds a second
worker to one, ``leave`` takes one of two away.  Prints how long the batch took, how many
songs each worker ran, what ended how, the longest time a song waited between being handed
to the cluster and starting on a worker, and the panel's rows at the end.  ``--limit`` sets
every song's hard limit (s; budget = limit / 2.5); the default leaves the usual limits.

    python -m benchmarks.cluster_workers [join|leave ...] [--songs 12] [--limit 1.5]

Needs the optional extra: ``pip install -e '.[cluster]'``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from benchmarks.cluster_outage import sleepy


def run(scenario: str, songs: int, limit: float | None) -> None:
    import distributed
    from PySide6.QtCore import QEventLoop, QTimer

    from core.batch.cluster import ClusterSpec
    from core.batch.rules import SongState
    from core.settings import AnalysisSettings
    from gui.engine import BatchEngine
    from gui.worker_panel import WorkerTableModel

    cluster = distributed.LocalCluster(n_workers=1 if scenario == "join" else 2,
                                       threads_per_worker=1, processes=True,
                                       dashboard_address=None,
                                       scheduler_kwargs={"dashboard": False})
    client = distributed.Client(cluster, timeout=30)
    try:
        folder = tempfile.mkdtemp(prefix=f"songcal-{scenario}-")
        paths = []
        for i in range(songs):
            path = os.path.join(folder, f"song{i:03d}.wav")
            with open(path, "wb") as f:
                f.write(b"RIFF" + bytes(200))
            paths.append(path)
        options = {"workers": 2}
        if limit is not None:
            options.update(budget_base_s=limit / 2.5, budget_factor=0.0,
                           hard_limit_factor=2.5)
        engine = BatchEngine(AnalysisSettings(**options))
        engine.set_cluster(ClusterSpec(), client=client, analyze=sleepy)
        engine.batch.add(paths)
        engine.jobsAdded.emit(0, len(paths))
        handed: dict[int, float] = {}
        waited: list[float] = []
        engine.jobsChanged.connect(lambda rows: handed.update(
            {j.id: time.monotonic() for j in engine.batch.jobs
             if j.id not in handed and j.state is not SongState.QUEUED}))
        engine.signals.started.connect(lambda rec: waited.append(
            rec.started_at - handed.get(rec.job_id, rec.started_at)))
        changed = []

        def change(_rows):
            if not changed and any(j.state is SongState.DONE for j in engine.batch.jobs):
                changed.append(True)
                cluster.scale(2 if scenario == "join" else 1)

        engine.jobsChanged.connect(change)
        loop = QEventLoop()
        engine.batchFinished.connect(loop.quit)
        QTimer.singleShot(300_000, loop.quit)
        start = time.monotonic()
        engine.start()
        loop.exec()
        took = time.monotonic() - start
        per_worker: dict[str, int] = {}
        for job in engine.batch.jobs:
            where = job.worker.rsplit(" #", 1)[0]
            per_worker[where] = per_worker.get(where, 0) + 1
        c = engine.batch.counts()
        panel = WorkerTableModel(engine)
        panel.refresh()
        rows = [panel.index(r, 0).data() for r in range(panel.rowCount())]
        print(f"{scenario}: {took:.1f} s; {c[SongState.DONE]} done, "
              f"{c[SongState.TIMED_OUT]} timed out, {c[SongState.FAILED]} failed")
        print(f"  songs per worker: {per_worker}")
        print(f"  workers at the end: {[a.split('://')[-1] for a in sorted(client.nthreads())]}"
              f"; panel rows: {rows}")
        print(f"  longest wait from hand-over to start: {max(waited, default=0.0):.2f} s "
              f"({sum(w > 0.5 for w in waited)} songs waited over 0.5 s)")
        engine.shutdown(timeout_ms=5000)
    finally:
        client.close()
        cluster.close()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenarios", nargs="*", choices=("join", "leave"),
                    default=["join", "leave"])
    ap.add_argument("--songs", type=int, default=12)
    ap.add_argument("--limit", type=float, default=None)
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    _app = QApplication.instance() or QApplication([])
    for scenario in args.scenarios:
        run(scenario, args.songs, args.limit)


if __name__ == "__main__":
    main()
