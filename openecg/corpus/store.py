"""The corpus store on disk: committed parts, the zarr v3 generations built from them, and the reader.

::

    STORE/
      zarr.json            root group; attribute "openecg": versions, model and sha256, job options, layout
      parts/part-*.npz     committed batches (the job log): one file per batch, written under a temporary
                           name and renamed, so a part is either complete or absent
      gen-000002/          the current generation: one zarr group with flat arrays (below); the one before
                           it is kept until the next build, for readers that opened it
      CURRENT              the name of the current generation, replaced atomically

A generation holds, for ``R`` records sorted by id (ragged data as flat arrays plus ``offsets`` ``(R + 1,)``)::

    records/{id, path, sha256, lead_names, status, reason}  str (R,)    lead_names comma-separated
    records/{fs, duration_s}  float64 (R,)   records/{n_samples, n_tokens}  int64 (R,)
    errors/{id, path, reason}  str (E,)      the records with status "error"
    wave|beat|rhythm|symbols/{symbols uint8, lengths int64, offsets int64}   runs per record
    ids/{values uint16, offsets int64}       token ids per record (openecg.tokenizer.ids)
    leads/{record int64, name str, offsets int64 (R + 1,)}   per-lead streams (per_lead=True), per record
    leads/runs/{symbols, lengths, offsets (S + 1,)}, leads/ids/{values, offsets (S + 1,)}   per stream

Chunking: flat value arrays in chunks of :data:`CHUNK` elements (256 Ki ids, 512 KiB before compression:
the unit a reader decompresses) inside shards of :data:`SHARD` elements (one file per 16 Mi elements, so a
million 10-s records make a few files per array, not a million); per-record columns in chunks of
:data:`TABLE_CHUNK`. Every array is compressed with Zstd level :data:`ZSTD_LEVEL`.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..tokenizer.vocab import LAYERS
from .worker import RAGGED, Result

__all__ = ["CorpusStore", "open_store", "write_part", "read_part", "part_ids", "write_generation",
           "current_generation", "LAYOUT_VERSION", "CHUNK", "SHARD", "TABLE_CHUNK", "ZSTD_LEVEL"]

LAYOUT_VERSION = 1
CHUNK = 1 << 18
SHARD = 1 << 24
TABLE_CHUNK = 1 << 14
ZSTD_LEVEL = 5
_TEXT = ("id", "path", "sha256", "lead_names", "status", "reason")


def _atomic_write(path: Path, write: object) -> None:
    temporary = path.with_name(f".tmp-{uuid.uuid4().hex}-{path.name}")
    with open(temporary, "wb") as handle:
        write(handle)  # type: ignore[operator]
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _ragged(arrays: Sequence[np.ndarray], dtype: object) -> tuple[np.ndarray, np.ndarray]:
    counts = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
    values = np.concatenate(arrays).astype(dtype) if arrays else np.zeros(0, dtype)  # type: ignore[call-overload]
    return values, np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


def _columns(results: Sequence[Result]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {
        "id": np.array([r.id for r in results], dtype=str),
        "path": np.array([r.path for r in results], dtype=str),
        "sha256": np.array([r.sha256 for r in results], dtype=str),
        "lead_names": np.array([",".join(r.lead_names) for r in results], dtype=str),
        "status": np.array([r.status for r in results], dtype=str),
        "reason": np.array([r.reason for r in results], dtype=str),
        "fs": np.array([r.fs for r in results], dtype=np.float64),
        "n_samples": np.array([r.n_samples for r in results], dtype=np.int64),
    }
    for name in RAGGED:
        dtype = np.uint8 if name.endswith("_symbols") else np.int64
        out[name], out[f"{name}.offsets"] = _ragged([r.arrays.get(name, np.zeros(0, dtype)) for r in results], dtype)
    out["ids"], out["ids.offsets"] = _ragged([r.ids for r in results], np.uint16)
    streams = [(i, *s) for i, r in enumerate(results) for s in r.lead_streams]
    out["lead_record"] = np.array([s[0] for s in streams], dtype=np.int64)
    out["lead_name"] = np.array([s[1] for s in streams], dtype=str)
    out["lead_symbols"], out["lead_runs.offsets"] = _ragged([s[2] for s in streams], np.uint8)
    out["lead_lengths"], _ = _ragged([s[3] for s in streams], np.int64)
    out["lead_ids"], out["lead_ids.offsets"] = _ragged([s[4] for s in streams], np.uint16)
    return out


def write_part(parts: Path, results: Sequence[Result]) -> Path:
    """Commit ``results`` as one part file (complete or absent, even if the process is killed)."""
    name = "part-" + uuid.uuid5(uuid.NAMESPACE_URL, "\n".join(r.id for r in results)).hex + ".npz"
    path = parts / name
    columns = _columns(results)
    _atomic_write(path, lambda handle: np.savez_compressed(handle, **columns))
    return path


def _rows(columns: dict[str, np.ndarray]) -> list[Result]:
    def cut(name: str, offsets: np.ndarray, i: int) -> np.ndarray:
        return columns[name][offsets[i]:offsets[i + 1]]

    results = []
    run_offsets, lead_offsets = columns["lead_runs.offsets"], columns["lead_ids.offsets"]
    by_record: dict[int, list[int]] = {}
    for stream, record in enumerate(columns["lead_record"].tolist()):
        by_record.setdefault(record, []).append(stream)
    for i, record_id in enumerate(columns["id"].tolist()):
        names = str(columns["lead_names"][i])
        result = Result(
            record_id, str(columns["path"][i]), str(columns["sha256"][i]), float(columns["fs"][i]),
            tuple(names.split(",")) if names else (), int(columns["n_samples"][i]), str(columns["status"][i]),
            str(columns["reason"][i]),
        )
        result.arrays = {name: cut(name, columns[f"{name}.offsets"], i) for name in RAGGED}
        result.ids = cut("ids", columns["ids.offsets"], i)
        result.lead_streams = [
            (str(columns["lead_name"][s]), cut("lead_symbols", run_offsets, s), cut("lead_lengths", run_offsets, s),
             cut("lead_ids", lead_offsets, s))
            for s in by_record.get(i, [])
        ]
        results.append(result)
    return results


def read_part(path: Path) -> list[Result]:
    """The results committed in one part file."""
    with np.load(path, allow_pickle=False) as data:
        return _rows({key: data[key] for key in data.files})


def part_ids(path: Path) -> list[str]:
    """The record ids of one part file (reads only its ``id`` column)."""
    with np.load(path, allow_pickle=False) as data:
        return data["id"].tolist()


def current_generation(store: Path) -> str | None:
    """The name of the store's current generation, or None before the first one."""
    pointer = store / "CURRENT"
    return pointer.read_text().strip() if pointer.is_file() else None


def _array(group: object, name: str, data: np.ndarray, *, chunk: int) -> None:
    from zarr.codecs import ZstdCodec

    chunks = (max(1, min(chunk, len(data))),)
    shards = (chunks[0] * max(1, min(SHARD, len(data)) // chunks[0]),)
    array = group.create_array(  # type: ignore[attr-defined]
        name, shape=data.shape, dtype=data.dtype if data.dtype.kind != "U" else str, chunks=chunks, shards=shards,
        compressors=ZstdCodec(level=ZSTD_LEVEL),
    )
    if len(data):
        array[:] = data


def write_generation(store: Path, results: Iterable[Result], *, attrs: dict[str, object]) -> str:
    """Write a new generation from ``results`` (sorted by id here), point ``CURRENT`` to it, and remove the
    generations before the previous one (a reader that opened the previous one can finish)."""
    import zarr

    ordered = sorted(results, key=lambda r: r.id)
    old = current_generation(store)
    number = int(old.split("-")[1]) + 1 if old else 1
    name = f"gen-{number:06d}"
    if (store / name).exists():
        shutil.rmtree(store / name)
    group = zarr.open_group(store / name, mode="w", zarr_format=3)
    group.attrs.update(attrs)
    columns = _columns(ordered)
    table = {key: columns[key] for key in ("id", "path", "sha256", "lead_names", "status", "reason", "fs", "n_samples")}
    table["duration_s"] = np.divide(table["n_samples"], table["fs"], out=np.zeros(len(ordered)), where=table["fs"] > 0)
    table["n_tokens"] = np.diff(columns["ids.offsets"])
    for key, values in table.items():
        _array(group, f"records/{key}", values, chunk=TABLE_CHUNK)
    failed = table["status"] == "error"
    for key in ("id", "path", "reason"):
        _array(group, f"errors/{key}", table[key][failed], chunk=TABLE_CHUNK)
    for layer in (*LAYERS, "symbols"):
        _array(group, f"{layer}/symbols", columns[f"{layer}_symbols"], chunk=CHUNK)
        _array(group, f"{layer}/lengths", columns[f"{layer}_lengths"], chunk=CHUNK)
        _array(group, f"{layer}/offsets", columns[f"{layer}_symbols.offsets"], chunk=TABLE_CHUNK)
    _array(group, "ids/values", columns["ids"], chunk=CHUNK)
    _array(group, "ids/offsets", columns["ids.offsets"], chunk=TABLE_CHUNK)
    record = columns["lead_record"]
    _array(group, "leads/record", record, chunk=TABLE_CHUNK)
    _array(group, "leads/name", columns["lead_name"], chunk=TABLE_CHUNK)
    counts = np.bincount(record, minlength=len(ordered)) if len(record) else np.zeros(len(ordered), np.int64)
    _array(group, "leads/offsets", np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), chunk=TABLE_CHUNK)
    _array(group, "leads/runs/symbols", columns["lead_symbols"], chunk=CHUNK)
    _array(group, "leads/runs/lengths", columns["lead_lengths"], chunk=CHUNK)
    _array(group, "leads/runs/offsets", columns["lead_runs.offsets"], chunk=TABLE_CHUNK)
    _array(group, "leads/ids/values", columns["lead_ids"], chunk=CHUNK)
    _array(group, "leads/ids/offsets", columns["lead_ids.offsets"], chunk=TABLE_CHUNK)
    _atomic_write(store / "CURRENT", lambda handle: handle.write(name.encode()))
    for other in store.glob("gen-*"):  # the previous one stays: a reader opened on it keeps working
        if other.name not in (name, old):
            shutil.rmtree(other, ignore_errors=True)
    return name


class CorpusStore:
    """Read access to a corpus store (the current generation).

    Parameters
    ----------
    path : path
        The store folder written by :func:`openecg.corpus.tokenize`.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        import zarr

        self.path = Path(path)
        name = current_generation(self.path)
        if name is None:
            raise InputError(f"store={str(path)!r} holds no finished generation yet; run openecg.corpus.tokenize on it")
        self.attrs: dict[str, object] = dict(zarr.open_group(self.path, mode="r").attrs).get("openecg", {})  # type: ignore[assignment]
        self.group = zarr.open_group(self.path / name, mode="r")

    @property
    def n_records(self) -> int:
        """Records in the store, errors included."""
        return int(self.group["records/id"].shape[0])

    def records(self) -> dict[str, np.ndarray]:
        """The record table: column name -> ``(R,)`` array (see the module docstring)."""
        return {name: array[:] for name, array in self.group["records"].arrays()}

    def errors(self) -> dict[str, np.ndarray]:
        """The error table: ``id``, ``path``, ``reason`` ``(E,)``."""
        return {name: array[:] for name, array in self.group["errors"].arrays()}

    def _slice(self, values: str, offsets: str, index: int) -> np.ndarray:
        bounds = self.group[offsets][index:index + 2]
        return self.group[values][int(bounds[0]):int(bounds[1])]

    def ids(self, index: int) -> np.ndarray:
        """uint16 token ids of record ``index`` (empty for an error)."""
        return self._slice("ids/values", "ids/offsets", index)

    def runs(self, index: int, layer: str) -> tuple[np.ndarray, np.ndarray]:
        """``(symbols, lengths)`` runs of ``layer`` (``wave``, ``beat``, ``rhythm`` or ``symbols``) of a record."""
        return (self._slice(f"{layer}/symbols", f"{layer}/offsets", index),
                self._slice(f"{layer}/lengths", f"{layer}/offsets", index))

    def codec(self, index: int) -> object:
        """The :class:`~openecg.Codec` of record ``index`` (with its 13-symbol tokens)."""
        from ..codec import Codec
        from ..tokenizer.rle import runs_to_labels

        fs = float(self.group["records/fs"][index])
        if not fs:
            raise InputError(f"record {index} is an error ({self.group['records/reason'][index]}); it has no codec")
        channels = np.stack([runs_to_labels(*self.runs(index, layer)) for layer in LAYERS])
        return Codec(channels, fs, tokens=self.runs(index, "symbols"))

    def lead_streams(self, index: int) -> list[tuple[str, np.ndarray]]:
        """``(lead name, ids)`` of every per-lead stream of record ``index`` (empty unless ``per_lead``)."""
        bounds = self.group["leads/offsets"][index:index + 2]
        names = self.group["leads/name"]
        return [(str(names[s]), self._slice("leads/ids/values", "leads/ids/offsets", s))
                for s in range(int(bounds[0]), int(bounds[1]))]


def open_store(path: str | os.PathLike[str]) -> CorpusStore:
    """Open a corpus store for reading."""
    return CorpusStore(path)

