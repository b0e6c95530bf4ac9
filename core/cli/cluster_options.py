"""The cluster options of ``songcal analyze`` and ``songcal gui``.

``--cluster local[:N]`` (a Dask LocalCluster of N worker processes here), ``--scheduler
ADDRESS`` (an existing Dask cluster) and ``--send-files`` (files sent by bytes).  Parsing
them imports nothing of Dask.
"""

from __future__ import annotations

import argparse

__all__ = ["add_cluster_options", "cluster_from_args"]


def add_cluster_options(p: argparse.ArgumentParser) -> None:
    """Add the cluster options to ``p``."""
    g = p.add_argument_group("cluster engine (optional extra: pip install 'songcal[cluster]')")
    where = g.add_mutually_exclusive_group()
    where.add_argument("--cluster", metavar="local[:N]",
                       help="run on a Dask LocalCluster of N worker processes on this "
                            "machine (default N: --workers)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on the Dask cluster whose scheduler is at ADDRESS "
                            "(tcp://HOST:8786)")
    g.add_argument("--send-files", action="store_true",
                   help="send each file's bytes to the cluster instead of a path every "
                        "worker can read (small decks)")


def cluster_from_args(args, *, workers: int):
    """The :class:`core.batch.cluster.ClusterSpec` the options ask for, or None.

    Raises
    ------
    ValueError
        When ``--cluster``/``--scheduler`` is malformed, or ``--send-files`` comes alone.
    """
    text = args.cluster or args.scheduler
    if not text and not args.send_files:
        return None
    if not text:
        raise ValueError("--send-files needs --cluster or --scheduler")
    from core.batch.cluster import FILES_SEND, FILES_SHARED, parse_cluster

    files = FILES_SEND if args.send_files else FILES_SHARED
    if args.scheduler and not args.scheduler.startswith(("tcp://", "tls://")):
        text = args.scheduler if ":" in args.scheduler else f"{args.scheduler}:8786"
    return parse_cluster(text, files=files, default_workers=workers)
