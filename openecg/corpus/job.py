"""``tokenize``: many ECG records into one zarr v3 corpus store, resumable, on one process or a Dask cluster.

The job: check that the store is writable and was written (if at all) with the same options and model;
list the inputs; skip every record already committed in a part file; run the rest in batches (each batch
encodes its records and commits one part file, see :mod:`openecg.corpus.store`); then build a new
generation of the zarr store from all parts and switch ``CURRENT`` to it. A killed job loses at most the
batches in flight; rerunning it finishes the rest and builds the same store.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

from ..errors import InputError
from .._version import __version__
from ..tokenizer.ids import IDS_VERSION
from ..tokenizer.vocab import VOCAB_VERSION, tables
from . import engines
from .inputs import DEFAULT_FOLDER_SUFFIXES, Item, collect
from .store import CHUNK, LAYOUT_VERSION, SHARD, TABLE_CHUNK, ZSTD_LEVEL, CorpusStore, current_generation, part_ids
from .store import read_part, write_generation, write_part
from .worker import JobOptions, model_identity, process

__all__ = ["tokenize", "run_batch", "store_attrs", "plan_batches", "BATCH_BYTES"]


def run_batch(items: Sequence[Item], *, options: dict[str, object], parts: str, threads: int) -> dict[str, object]:
    """Encode ``items`` and commit them as one part file; return a summary (records, errors, seconds of ECG)."""
    job = JobOptions.from_config(options)
    results = [process(item, job, threads=threads) for item in items]
    write_part(Path(parts), results)
    return {"records": len(results), "errors": sum(r.status == "error" for r in results),
            "seconds": sum(r.duration_s for r in results)}


BATCH_BYTES = 1 << 21
"""A batch stops growing at this many bytes of source files (2 MiB: about 30 min of 2-lead 360-Hz WFDB)."""


def _source_bytes(item: Item) -> int:
    path = Path(item.path)
    signal = path.with_suffix(".dat") if path.suffix.lower() == ".hea" else path
    return signal.stat().st_size if signal.is_file() else 0


def plan_batches(items: Sequence[Item], *, batch_size: int) -> list[list[Item]]:
    """Group ``items`` into tasks, largest source files first: at most ``batch_size`` records and about
    :data:`BATCH_BYTES` of source each, so long recordings get a task of their own and the last tasks of a
    job are short ones (no worker waits on a long tail). The store's order does not depend on this."""
    batches: list[list[Item]] = []
    size = 0
    for item in sorted(items, key=_source_bytes, reverse=True):
        item_bytes = _source_bytes(item)
        if not batches or len(batches[-1]) >= batch_size or size + item_bytes > BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += item_bytes
    return batches


def store_attrs(options: JobOptions) -> dict[str, object]:
    """The store-level attributes: versions, model identity, job options, layout and chunking."""
    return {
        "format": "openecg-corpus",
        "layout_version": LAYOUT_VERSION,
        "openecg_version": __version__,
        "vocab_version": VOCAB_VERSION,
        "ids_version": IDS_VERSION,
        **model_identity(options.model),
        "options": options.get_config(),
        "chunking": {"chunk": CHUNK, "shard": SHARD, "table_chunk": TABLE_CHUNK, "codec": f"zstd level {ZSTD_LEVEL}"},
        "tables": tables(),
    }


_CHECKED = ("format", "layout_version", "vocab_version", "ids_version", "model", "model_sha256", "options")


def _check_writable(store: Path) -> None:
    try:
        store.mkdir(parents=True, exist_ok=True)
        probe = store / f".probe-{uuid.uuid4().hex}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise InputError(
            f"store={str(store)!r} is not writable ({error.strerror or error}); choose a folder you can write to"
        ) from None


def _open_root(store: Path, attrs: dict[str, object]) -> None:
    import zarr

    if (store / "zarr.json").is_file():
        found = dict(zarr.open_group(store, mode="r").attrs).get("openecg")
        if not isinstance(found, dict):
            raise InputError(f"store={str(store)!r} is a zarr group but not an openecg corpus store; choose another folder")
        differ = [key for key in _CHECKED if found.get(key) != attrs[key]]
        if differ:
            detail = "; ".join(f"{key}: store has {found.get(key)!r}, this job {attrs[key]!r}" for key in differ)
            raise InputError(f"store={str(store)!r} was written with other settings ({detail}); rerun with the "
                             "store's settings or write to a new store: one store never mixes them")
        return
    if any(p for p in store.iterdir() if not p.name.startswith(".")):
        raise InputError(f"store={str(store)!r} is a folder with other files in it; give a new or empty folder")
    group = zarr.open_group(store, mode="w", zarr_format=3)
    group.attrs["openecg"] = attrs


def _progress(total: int, enabled: bool, stream: TextIO) -> object:
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="rec", disable=not enabled, file=stream, dynamic_ncols=True)


def tokenize(
    inputs: Iterable[str | os.PathLike[str]],
    store: str | os.PathLike[str],
    *,
    manifest: str | os.PathLike[str] | None = None,
    suffixes: Sequence[str] = DEFAULT_FOLDER_SUFFIXES,
    model: str = "default",
    per_lead: bool = False,
    leads: Sequence[str] | None = None,
    fs: float | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    n_workers: int = 2,
    batch_size: int = 8,
    threads: int = 1,
    progress: bool = True,
    log: TextIO | None = None,
) -> CorpusStore:
    """Tokenize ECG records into a zarr v3 corpus store; rerunning skips the records already done.

    Parameters
    ----------
    inputs : iterable of path
        Folders (searched recursively for ``suffixes``) and record files (see :func:`openecg.corpus.inputs.collect`).
    store : path
        The store folder: new, empty, or written before by a job with the same options and model.
    manifest : path, optional
        CSV or Parquet table of records (``path``; optional ``id``, ``fs``, ``leads``).
    suffixes : sequence of str
        Suffixes picked up in folders (add ``".png"`` etc. to digitize paper ECGs).
    model : str
        Model name (a bundled model runs with ``threads`` intra-op threads per worker).
    per_lead : bool
        Also store every lead's own symbol runs and ids, with the lead name.
    leads : sequence of str, optional
        Keep these leads, in this order, from every record (a record without one of them is an error).
    fs : float, optional
        Sample rate in Hz for ``.npy``/``.csv`` records whose manifest row gives none.
    engine : str
        ``"local"`` (this process) or ``"dask"`` (a ``LocalCluster`` of ``n_workers``, or ``scheduler``).
    scheduler : str, optional
        Address of an existing Dask scheduler, for example ``"tcp://10.0.0.5:8786"``.
    n_workers : int
        Worker processes of the ``LocalCluster`` when ``engine="dask"`` and no ``scheduler`` is given.
    batch_size : int
        At most this many records per task and per part file (see :func:`plan_batches`).
    threads : int
        Inference threads per worker process.
    progress : bool
        Show records and hours of ECG done on ``log``.
    log : text stream, optional
        Where progress and the Dask dashboard link go (default stderr).

    Returns
    -------
    CorpusStore
        The finished store (records that failed are in its error table).

    Raises
    ------
    PermissionError
        The store folder cannot be written (before any work).
    ValueError
        The store was written with other settings, an input does not exist, or ids repeat.
    """
    stream = log or sys.stderr
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InputError(f"batch_size={batch_size!r} must be a positive number of records per task")
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    root = Path(store)
    _check_writable(root)
    options = JobOptions(model=model, per_lead=bool(per_lead), leads=None if leads is None else tuple(leads),
                         fs=None if fs is None else float(fs))
    attrs = store_attrs(options)
    _open_root(root, attrs)
    items = collect(inputs, manifest=manifest, suffixes=suffixes)
    parts = root / "parts"
    parts.mkdir(exist_ok=True)
    for stale in parts.glob(".tmp-*"):
        stale.unlink(missing_ok=True)
    committed = sorted(parts.glob("part-*.npz"))
    done = {record for part in committed for record in part_ids(part)}
    pending = [item for item in items if item.id not in done]
    batches = plan_batches(pending, batch_size=batch_size)
    bar = _progress(len(pending), progress, stream)
    seconds = 0.0

    def on_done(summary: dict[str, object]) -> None:
        nonlocal seconds
        seconds += float(summary["seconds"])  # type: ignore[arg-type]
        bar.update(int(summary["records"]))  # type: ignore[attr-defined, call-overload]
        bar.set_postfix_str(f"{seconds / 3600:.2f} h ECG")  # type: ignore[attr-defined]

    began = time.perf_counter()
    work = functools.partial(run_batch, options=options.get_config(), parts=str(parts), threads=threads)
    engines.run(engine, batches, work, on_done, scheduler=scheduler, n_workers=n_workers, log=stream)
    bar.close()  # type: ignore[attr-defined]
    committed = sorted(parts.glob("part-*.npz"))
    built = hashlib.sha256("\n".join(p.name for p in committed).encode()).hexdigest()
    generation = current_generation(root)
    if generation is None or CorpusStore(root).group.attrs.get("built_from") != built:
        results = {}
        for part in committed:
            for result in read_part(part):
                results.setdefault(result.id, result)
        write_generation(root, results.values(), attrs={"built_from": built})
    if progress:
        stream.write(f"{len(pending)} records ({seconds / 3600:.2f} h of ECG) in "
                     f"{time.perf_counter() - began:.1f} s; {len(items) - len(pending)} already done\n")
    return CorpusStore(root)
