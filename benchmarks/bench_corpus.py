"""Corpus tokenization: 1 worker against a 2-worker Dask LocalCluster, store size, tokens per 10 s.

Usage::

    OPENECG_DATA=<folder of databases> python benchmarks/bench_corpus.py [--subset dev|large|all] [--workers 2]

``--subset dev`` (default) tokenizes all of LUDB (159 x 10 s, 12 leads), 4 QTDB records (15 min, 2 leads)
and 2 MIT-BIH records (30 min, 2 leads): about 2.4 h of ECG, a few minutes per engine on 2 cores.
``--subset large`` adds 10 records of each of QTDB, MIT-BIH and SVDB to LUDB (about 13 h of ECG), which
spreads the workers' start-up (imports, model session) over more work. ``--subset all`` takes every WFDB
record under the data folder (about 95 h; an hour or more per engine on 2 shared cores).

In one run: records/s and hours of ECG per second with the local engine (one process, one inference
thread) and with a Dask LocalCluster of ``--workers`` single-threaded processes (the cluster is started
before the clock runs and its start-up printed apart; the workers load the model on the clock), the
speed-up, CPU seconds used (this process and the worker processes), the load average around each run (the
machine may be shared), a check that both stores hold the same arrays, store bytes per hour of ECG and the ratio to the raw int16 signal, and tokens
per 10 s of 12-lead (LUDB consensus) and of single-lead ECG (LUDB per-lead streams) and of the 2-lead
Holter consensus stream.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from openecg.corpus import CorpusStore, tokenize  # noqa: E402


def data_root(given: str | None) -> Path:
    root = Path(given or os.environ.get("OPENECG_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
    if not (root / "ludb").is_dir():
        sys.exit(f"no databases at {root}: pass --data or set OPENECG_DATA")
    return root


def inputs(root: Path, subset: str) -> list[str]:
    if subset == "all":
        return [str(root)]
    ludb = sorted((root / "ludb" / "data").glob("*.hea"))
    if subset == "dev":
        holters = [*sorted((root / "qtdb").glob("sel1*.hea"))[:4], *sorted((root / "mitdb").glob("1*.hea"))[:2]]
    else:
        holters = [p for db in ("qtdb", "mitdb", "svdb") for p in sorted((root / db).glob("*.hea"))[:10]]
    return [str(p) for p in (*ludb, *holters)]


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def timed(label: str, records: list[str], store: Path, *, workers: int = 0, **options: object) -> dict[str, float]:
    """Tokenize ``records`` in this process (``workers=0``) or on a LocalCluster started beforehand."""
    from distributed import LocalCluster

    load = os.getloadavg()[0]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    began, cpu = time.perf_counter(), time.process_time()
    cluster = None
    if workers:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
        options = {**options, "engine": "dask", "scheduler": cluster.scheduler_address}
    start_up = time.perf_counter() - began
    began = time.perf_counter()
    log = io.StringIO()
    tokenize(records, store, progress=False, log=log, threads=1, **options)
    wall = time.perf_counter() - began
    if cluster is not None:
        cluster.close()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    table = CorpusStore(store).records()
    hours = float(table["duration_s"].sum()) / 3600
    row = {"engine": label, "records": len(table["id"]), "wall_s": wall, "records_per_s": len(table["id"]) / wall,
           "ecg_h_per_s": hours / wall, "ecg_h": hours, "load_before": load, "load_after": os.getloadavg()[0],
           "main_cpu_s": time.process_time() - cpu, "worker_cpu_s": worker_cpu,
           "cluster_start_s": start_up}
    row["ecg_s_per_cpu_s"] = hours * 3600 / (row["main_cpu_s"] + worker_cpu)
    print(f"{label:>18}: {row['records']} records, {hours:.2f} h of ECG in {wall:.1f} s -> "
          f"{row['records_per_s']:.2f} records/s, {row['ecg_h_per_s'] * 3600:.0f} s of ECG per s, "
          f"CPU {row['main_cpu_s']:.0f} s here + {worker_cpu:.0f} s in worker processes = "
          f"{row['ecg_s_per_cpu_s']:.0f} s of ECG per CPU second "
          f"(load average {load:.1f} -> {row['load_after']:.1f}; cluster start-up {start_up:.1f} s not included)",
          flush=True)
    return row


def same_arrays(a: Path, b: Path) -> bool:
    left = {k: v for k, v in CorpusStore(a).group.members(max_depth=None) if hasattr(v, "shape")}
    right = {k: v for k, v in CorpusStore(b).group.members(max_depth=None) if hasattr(v, "shape")}
    return sorted(left) == sorted(right) and all(np.array_equal(left[k][:], right[k][:]) for k in left)


def per_10s(tokens: np.ndarray, seconds: np.ndarray) -> str:
    rate = tokens / seconds * 10
    return f"{rate.mean():.1f} (median {np.median(rate):.0f}, 5-95 % {np.percentile(rate, 5):.0f}-{np.percentile(rate, 95):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data")
    parser.add_argument("--subset", choices=("dev", "large", "all"), default="dev")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=4)
    args = parser.parse_args()
    root = data_root(args.data)
    records = inputs(root, args.subset)
    print(f"{len(records)} inputs ({args.subset}); {os.cpu_count()} CPUs; onnxruntime 1 thread per worker", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        local = timed("local, 1 process", records, work / "local", batch_size=args.batch_size)
        dask = timed(f"dask, {args.workers} workers", records, work / "dask", workers=args.workers,
                     batch_size=args.batch_size)
        print(f"speed-up: {local['wall_s'] / dask['wall_s']:.2f}x; stores identical: "
              f"{same_arrays(work / 'local', work / 'dask')}")
        store = CorpusStore(work / "local")
        table = store.records()
        ok = table["status"] == "ok"
        leads = np.array([len(str(n).split(",")) for n in table["lead_names"]])
        raw = float((table["n_samples"] * leads * 2)[ok].sum())
        generation = folder_bytes(work / "local" / str((work / "local" / "CURRENT").read_text()))
        parts = folder_bytes(work / "local" / "parts")
        hours = float(table["duration_s"][ok].sum()) / 3600
        print(f"errors: {int((~ok).sum())} {dict(zip(table['id'][~ok].tolist(), table['reason'][~ok].tolist()))}")
        print(f"store: {generation / 1e6:.3f} MB for {hours:.2f} h = {generation / hours / 1e3:.1f} kB per hour of ECG; "
              f"raw int16 signal {raw / 1e6:.1f} MB -> ratio {raw / generation:.0f}:1 "
              f"(parts, the job log kept for resuming: {parts / 1e6:.3f} MB)")
        twelve = ok & (leads == 12)
        two = ok & (leads == 2)
        print(f"tokens per 10 s, 12-lead consensus (LUDB): {per_10s(table['n_tokens'][twelve], table['duration_s'][twelve])}")
        print(f"tokens per 10 s, 2-lead consensus (Holter): {per_10s(table['n_tokens'][two], table['duration_s'][two])}")
        single = [str(p) for p in sorted((root / "ludb" / "data").glob("*.hea"))[:20]]
        tokenize(single, work / "leads", per_lead=True, progress=False, threads=1)
        lead_store = CorpusStore(work / "leads")
        lengths = np.diff(lead_store.group["leads/ids/offsets"][:])
        durations = lead_store.records()["duration_s"][lead_store.group["leads/record"][:]]
        print(f"tokens per 10 s, single lead (LUDB per-lead, {len(single)} records): {per_10s(lengths, durations)}")
        print(json.dumps({"local": local, "dask": dask, "store_bytes_per_hour": generation / hours,
                          "ratio_int16": raw / generation}))


if __name__ == "__main__":
    main()
