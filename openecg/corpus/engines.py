"""Where batches run: in this process (``"local"``) or on a Dask cluster (``"dask"``).

An engine calls ``work(batch)`` for every batch and ``on_done(summary)`` in this process as each finishes, in
any order. Batches write disjoint part files themselves, so workers share no lock and send back only a
small summary. ``dask.distributed`` is imported only by the Dask engine.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from ..errors import InputError

__all__ = ["ENGINES", "run"]

ENGINES: tuple[str, ...] = ("local", "dask")

Work = Callable[[Sequence[object]], dict[str, object]]
Done = Callable[[dict[str, object]], None]


def _local(batches: Sequence[Sequence[object]], work: Work, on_done: Done, **_: object) -> None:
    for batch in batches:
        on_done(work(batch))


def _dask(batches: Sequence[Sequence[object]], work: Work, on_done: Done, *, scheduler: str | None,
          n_workers: int, log: TextIO) -> None:
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.ERROR)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        log.write(f"dask: {len(client.scheduler_info()['workers'])} workers, dashboard {client.dashboard_link}\n")
        log.flush()
        futures = client.map(work, batches, pure=False)
        for future in as_completed(futures):
            on_done(future.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run(engine: str, batches: Sequence[Sequence[object]], work: Work, on_done: Done, *,
        scheduler: str | None = None, n_workers: int = 2, log: TextIO | None = None) -> None:
    """Run ``work`` over ``batches`` on ``engine`` (one of :data:`ENGINES`).

    Parameters
    ----------
    engine : str
        ``"local"`` (this process) or ``"dask"``.
    scheduler : str, optional
        Address of a running Dask scheduler (``"tcp://host:8786"``); a ``LocalCluster`` of ``n_workers``
        single-threaded processes when None.
    n_workers : int
        Workers of the ``LocalCluster``.
    log : text stream, optional
        Where the Dask engine prints its worker count and dashboard link (default stderr).
    """
    if engine not in ENGINES:
        raise InputError(f"engine={engine!r} is not an engine; allowed: {', '.join(ENGINES)}")
    if scheduler is not None and engine != "dask":
        raise InputError(f"scheduler={scheduler!r} needs engine='dask' (engine={engine!r} runs in this process)")
    runner = _local if engine == "local" else _dask
    runner(batches, work, on_done, scheduler=scheduler, n_workers=n_workers, log=log or sys.stderr)
