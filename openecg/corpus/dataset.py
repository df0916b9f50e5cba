"""``CorpusDataset``: a ``torch.utils.data.IterableDataset`` of fixed-length id blocks from a corpus store.

Every yielded item is a dict of int64 tensors of shape ``[seq_len]``: ``input_ids``, ``attention_mask`` (1 on
tokens, 0 on padding) and ``labels`` (``input_ids`` with -100 on padding), ready for a ``transformers``
causal language model.

How the stream is cut:

* **sequences**: one per record (``streams="records"``, the consensus stream) or one per lead
  (``streams="leads"``, stores written with ``per_lead=True``); error records have none;
* **splitting**: sequences are taken in groups of ``group`` consecutive ones (one contiguous zarr read per
  group); the groups are permuted with ``(seed, epoch)`` and dealt round-robin to the ``world_size *
  num_workers`` shards (distributed ranks times DataLoader workers), so no sequence reaches two shards;
* **blocks**: ``packed=True`` concatenates a shard's sequences (each from ``<bos>`` to ``<eos>``) and cuts
  the stream into blocks of ``seq_len``; ``packed=False`` starts every sequence in a new block (a sequence
  longer than ``seq_len`` fills several). The last block of a shard, or of a sequence when not packed, is
  padded with ``<pad>``;
* **shuffling**: blocks pass through a buffer of ``shuffle_buffer`` blocks, drawn at random with a generator
  seeded by ``(seed, epoch, shard)``;
* **resuming**: ``start_step`` skips the blocks that a ``DataLoader`` with this ``batch_size`` and
  ``num_workers`` has already delivered in ``epoch`` (the DataLoader takes batches from its workers in turn),
  so a run restarted from a checkpoint at step ``start_step`` sees the same batches as if it had not stopped
  (exact while every worker still has data: near the end of an epoch the DataLoader skips exhausted workers).

torch is imported when this module is.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from ..errors import InputError
from ..tokenizer.ids import PAD_ID
from .store import CorpusStore

__all__ = ["CorpusDataset", "STREAMS"]

STREAMS: tuple[str, ...] = ("records", "leads")


def _positive(value: object, name: str, *, zero: bool = False) -> int:
    low = 0 if zero else 1
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise InputError(f"{name}={value!r} must be an integer >= {low}")
    return int(value)


class CorpusDataset(IterableDataset):
    """Fixed-length blocks of token ids from a corpus store (see the module docstring).

    Parameters
    ----------
    store : path
        A store written by :func:`openecg.corpus.tokenize`.
    seq_len : int
        Tokens per block.
    packed : bool
        Pack sequences back to back (True) or start each in a new block (False).
    streams : str
        ``"records"`` (one consensus stream per record) or ``"leads"`` (one stream per lead).
    shuffle : bool
        Permute the groups and draw blocks through the shuffle buffer; False keeps store order.
    shuffle_buffer : int
        Blocks held for shuffling.
    seed, epoch : int
        The shuffle is a function of ``(seed, epoch)``; call :meth:`set_epoch` between epochs.
    start_step, batch_size : int
        Resume after ``start_step`` DataLoader batches of ``batch_size`` blocks in ``epoch``.
    group : int
        Sequences read together.
    rank, world_size : int, optional
        This process's place among distributed ranks; from ``torch.distributed`` (or the ``RANK`` and
        ``WORLD_SIZE`` environment variables) when not given, else 0 and 1.
    """

    def __init__(self, store: str | os.PathLike[str], *, seq_len: int = 512, packed: bool = True,
                 streams: str = "records", shuffle: bool = True, shuffle_buffer: int = 1024, seed: int = 0,
                 epoch: int = 0, start_step: int = 0, batch_size: int = 1, group: int = 256,
                 rank: int | None = None, world_size: int | None = None) -> None:
        super().__init__()
        if streams not in STREAMS:
            raise InputError(f"streams={streams!r} is not a stream kind; allowed: {', '.join(STREAMS)}")
        self.path = str(store)
        self.seq_len = _positive(seq_len, "seq_len")
        self.packed = bool(packed)
        self.streams = streams
        self.shuffle = bool(shuffle)
        self.shuffle_buffer = _positive(shuffle_buffer, "shuffle_buffer")
        self.seed = _positive(seed, "seed", zero=True)
        self.epoch = _positive(epoch, "epoch", zero=True)
        self.start_step = _positive(start_step, "start_step", zero=True)
        self.batch_size = _positive(batch_size, "batch_size")
        self.group = _positive(group, "group")
        self.rank, self.world_size = self._distributed(rank, world_size)
        store_ = CorpusStore(self.path)
        if streams == "leads" and not store_.attrs.get("options", {}).get("per_lead"):  # type: ignore[union-attr]
            raise InputError(f"streams='leads' needs a store written with per_lead=True; {self.path!r} was not")

    @staticmethod
    def _distributed(rank: int | None, world_size: int | None) -> tuple[int, int]:
        if rank is None or world_size is None:
            if torch.distributed.is_available() and torch.distributed.is_initialized():
                rank, world_size = torch.distributed.get_rank(), torch.distributed.get_world_size()
            else:
                rank, world_size = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
        world = _positive(world_size, "world_size")
        if not 0 <= rank < world:
            raise InputError(f"rank={rank!r} must be in 0..world_size-1 = 0..{world - 1}")
        return int(rank), world

    def set_epoch(self, epoch: int) -> None:
        """Use the shuffle of ``epoch`` (and start it from its beginning)."""
        self.epoch = _positive(epoch, "epoch", zero=True)
        self.start_step = 0

    def _arrays(self, store: CorpusStore) -> tuple[object, np.ndarray]:
        prefix = "ids" if self.streams == "records" else "leads/ids"
        return store.group[f"{prefix}/values"], store.group[f"{prefix}/offsets"][:]

    def _sequences(self, shard: int, n_shards: int) -> Iterator[np.ndarray]:
        values, offsets = self._arrays(CorpusStore(self.path))
        n_groups = -(-(len(offsets) - 1) // self.group)
        order = np.arange(n_groups)
        if self.shuffle:
            order = np.random.default_rng([self.seed, self.epoch]).permutation(n_groups)
        for g in order[shard::n_shards].tolist():
            first, last = g * self.group, min((g + 1) * self.group, len(offsets) - 1)
            chunk = values[int(offsets[first]):int(offsets[last])]  # type: ignore[index]
            cuts = offsets[first:last + 1] - offsets[first]
            for i in range(last - first):
                if cuts[i + 1] > cuts[i]:
                    yield chunk[cuts[i]:cuts[i + 1]]

    def _blocks(self, sequences: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        size = self.seq_len
        pending = np.zeros(0, np.int64)
        for sequence in sequences:
            pending = np.concatenate([pending, sequence.astype(np.int64)])
            while len(pending) >= size:
                yield pending[:size]
                pending = pending[size:]
            if not self.packed and len(pending):
                yield pending
                pending = pending[:0]
        if len(pending):
            yield pending

    def _shuffled(self, blocks: Iterator[np.ndarray], rng: np.random.Generator) -> Iterator[np.ndarray]:
        if not self.shuffle:
            yield from blocks
            return
        buffer: list[np.ndarray] = []
        for block in blocks:
            buffer.append(block)
            if len(buffer) >= self.shuffle_buffer:
                i = int(rng.integers(len(buffer)))
                buffer[i], buffer[-1] = buffer[-1], buffer[i]
                yield buffer.pop()
        while buffer:
            i = int(rng.integers(len(buffer)))
            buffer[i], buffer[-1] = buffer[-1], buffer[i]
            yield buffer.pop()

    def _item(self, block: np.ndarray) -> dict[str, torch.Tensor]:
        ids = np.full(self.seq_len, PAD_ID, np.int64)
        ids[:len(block)] = block
        mask = np.zeros(self.seq_len, np.int64)
        mask[:len(block)] = 1
        labels = np.where(mask == 1, ids, -100)
        return {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask),
                "labels": torch.from_numpy(labels)}

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        info = get_worker_info()
        workers, worker = (1, 0) if info is None else (info.num_workers, info.id)
        # The DataLoader asks its workers in turn starting from worker 0, so after a restart at step s the
        # worker asked first must continue the shard that batch s came from: worker w plays role (w + s) % W.
        role = (worker + self.start_step) % workers
        shard, n_shards = self.rank * workers + role, self.world_size * workers
        rng = np.random.default_rng([self.seed, self.epoch, shard])
        skip = self.batch_size * ((self.start_step - role + workers - 1) // workers)
        for count, block in enumerate(self._shuffled(self._blocks(self._sequences(shard, n_shards)), rng)):
            if count >= skip:
                yield self._item(block)
