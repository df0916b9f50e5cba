"""``Codec``: the three sample-aligned label channels of an ECG (wave, beat, rhythm) and their views.

A ``Codec`` holds uint8 ``channels`` of shape ``(3, n)`` in the channel order of
:data:`openecg.tokenizer.LAYERS` (wave, beat, rhythm; ids from the tables of
:mod:`openecg.tokenizer.vocab`) at ``fs`` Hz, the position ``start`` of its first sample in the recording,
and optionally the 13-symbol run stream ``tokens`` that the encoder attaches (runs over the same ``n``
samples).

The edge guard: a sample is evaluated only if it lies at least :data:`EDGE_GUARD_S` seconds
(``round(2 * fs)`` samples) from both ends of the *recording*, which runs from sample 0 to
``recording_length`` (by default the end of this codec). Slices keep ``start`` and ``recording_length``,
so a slice from the middle of a recording is fully evaluated.

Files use the container format of :mod:`openecg.tokenizer.container`: one header, one payload per channel
(``"wave"``, ``"beat"``, ``"rhythm"``) and a ``"symbols"`` payload when ``tokens`` is set;
``recording_length`` is stored in ``attrs``.

Examples
--------
>>> wave = np.repeat(np.array([0, 1, 0, 2, 0, 3, 0], dtype=np.uint8), [50, 25, 20, 25, 40, 40, 50])
>>> codec = Codec(np.stack([wave, (wave == 2) * np.uint8(1), np.zeros_like(wave)]), fs=250)
>>> codec
Codec(n_samples=250, fs=250.0, duration=1 s, start=0, tokens=None)
>>> codec.render("wave")
'_p_N_t_'
>>> codec.events("wave", drop_class=0).tolist()
[[50, 75, 1], [95, 120, 2], [160, 200, 3]]
>>> Codec.loads(codec.dumps()) == codec
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from .errors import FileFormatError, FileWarning, warn_caller
from .signal.recording import check_fs
from .stream.geometry import GUARD_S as EDGE_GUARD_S
from .tokenizer.annotations import TABLE_NAMES, beat_table, run_table, table_csv, tables_document, write_wfdb_annotations
from .tokenizer.container import STREAM_MAGIC, Container, dumps, loads
from .tokenizer.files import write_atomic
from .tokenizer.streamfile import read_stream
from .tokenizer.text import render_compact, render_timed
from .tokenizer.rle import Runs, as_runs, as_uint8, concatenate_runs, labels_to_runs, runs_to_labels, slice_runs
from .tokenizer.vocab import LAYERS, check_ids, table_entries

__all__ = ["Codec", "EDGE_GUARD_S", "load_codec"]



def _check_index(value: object, *, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name}={value!r} must be an integer sample index >= 0")
    return int(value)


class Codec:
    """Three uint8 label channels ``(3, n)`` (wave, beat, rhythm) at ``fs`` Hz.

    Parameters
    ----------
    channels : array_like of int
        ``(3, n)`` class ids, row 0 wave, row 1 beat, row 2 rhythm (tables in
        :mod:`openecg.tokenizer.vocab`). Integer arrays of other dtypes are accepted when every id is in its
        table; nothing is clipped. The codec keeps a read-only view, not a copy, of a uint8 array.
    fs : float
        Sample rate in Hz.
    start : int
        Sample of the recording where ``channels`` begins.
    tokens : tuple of (symbols, lengths), optional
        The 13-symbol run stream over the same ``n`` samples.
    recording_length : int, optional
        Samples in the whole recording (``>= start + n``); default ``start + n``. Used by the edge guard.
    """

    def __init__(
        self,
        channels: object,
        fs: float,
        *,
        start: int = 0,
        tokens: tuple[np.ndarray, np.ndarray] | None = None,
        recording_length: int | None = None,
    ) -> None:
        array = np.asarray(channels)
        if array.ndim != 2 or array.shape[0] != len(LAYERS):
            raise ValueError(
                f"channels has shape {array.shape}; required ({len(LAYERS)}, n) with rows {', '.join(LAYERS)}"
            )
        rows = [as_uint8(row, name=f"channels[{i}]") for i, row in enumerate(array)]
        for i, (layer, row) in enumerate(zip(LAYERS, rows, strict=True)):
            check_ids(row, layer, name=f"channels[{i}] ({layer})")
        view = (array if array.dtype == np.uint8 else np.stack(rows)).view()
        view.flags.writeable = False
        self._channels = view
        self._fs = check_fs(fs)
        self._start = _check_index(start, name="start")
        n = view.shape[1]
        if recording_length is None:
            recording_length = self._start + n
        self._recording_length = _check_index(recording_length, name="recording_length")
        if self._recording_length < self._start + n:
            raise ValueError(
                f"recording_length={recording_length} is shorter than start + n_samples = {self._start + n}; "
                "give the length of the whole recording in samples"
            )
        self._tokens: Runs | None = None
        if tokens is not None:
            runs = as_runs(*tokens)
            check_ids(runs.symbols, "symbols", name="tokens symbols")
            if runs.n_samples != n:
                raise ValueError(f"tokens cover {runs.n_samples} samples but channels have {n}; they must cover the same")
            self._tokens = runs

    @property
    def channels(self) -> np.ndarray:
        """Read-only uint8 ``(3, n)``: wave, beat, rhythm."""
        return self._channels

    @property
    def wave(self) -> np.ndarray:
        """Read-only uint8 ``(n,)`` wave classes (:data:`openecg.tokenizer.WAVE_CLASSES`)."""
        return self._channels[0]

    @property
    def beat(self) -> np.ndarray:
        """Read-only uint8 ``(n,)`` beat classes (:data:`openecg.tokenizer.BEAT_CLASSES`)."""
        return self._channels[1]

    @property
    def rhythm(self) -> np.ndarray:
        """Read-only uint8 ``(n,)`` rhythm classes (:data:`openecg.tokenizer.RHYTHM_CLASSES`)."""
        return self._channels[2]

    @property
    def fs(self) -> float:
        """Sample rate in Hz."""
        return self._fs

    @property
    def start(self) -> int:
        """Sample of the recording where this codec begins."""
        return self._start

    @property
    def recording_length(self) -> int:
        """Samples in the whole recording this codec belongs to."""
        return self._recording_length

    def tokens(self) -> Runs | None:
        """The 13-symbol run stream over the same samples (``symbols`` uint8, ``lengths`` int64), or None when the
        codec was built from label channels alone."""
        return self._tokens

    @property
    def n_samples(self) -> int:
        """Number of samples ``n``."""
        return int(self._channels.shape[1])

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.n_samples / self._fs

    def channel(self, layer: str) -> np.ndarray:
        """Read-only uint8 ``(n,)`` channel of ``layer`` (``"wave"``, ``"beat"`` or ``"rhythm"``)."""
        if layer not in LAYERS:
            raise ValueError(f"layer={layer!r} is not a label layer; allowed: {', '.join(LAYERS)}")
        return self._channels[LAYERS.index(layer)]

    def runs(self, layer: str) -> Runs:
        """Maximal runs of ``layer``; ``layer="symbols"`` gives :meth:`tokens` (which must be set)."""
        if layer == "symbols":
            if self._tokens is None:
                raise ValueError("layer='symbols' needs tokens, but this codec has none; encode with tokens")
            return self._tokens
        return labels_to_runs(self.channel(layer))

    def events(
        self, layer: str, drop_class: int | Iterable[int] | None = None, eval_only: bool = False
    ) -> np.ndarray:
        """The runs of ``layer`` as events.

        Parameters
        ----------
        layer : str
            ``"wave"``, ``"beat"`` or ``"rhythm"``.
        drop_class : int or iterable of int, optional
            Class id(s) to leave out (for example 0, the background).
        eval_only : bool
            Keep only events that lie entirely inside :attr:`eval_mask`.

        Returns
        -------
        numpy.ndarray
            int64 ``(k, 3)``: ``start``, ``end`` (exclusive), ``class``; positions index this codec's samples
            (add :attr:`start` for positions in the recording).
        """
        runs = labels_to_runs(self.channel(layer))
        ends = np.cumsum(runs.lengths)
        events = np.stack([ends - runs.lengths, ends, runs.symbols.astype(np.int64)], axis=1)
        keep = np.ones(len(events), dtype=bool)
        if drop_class is not None:
            dropped = [drop_class] if isinstance(drop_class, (int, np.integer)) else list(drop_class)
            size = len(table_entries(layer))
            for value in dropped:
                if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < size:
                    raise ValueError(f"drop_class={drop_class!r} has {value!r}; allowed class ids of {layer}: 0..{size - 1}")
            keep &= ~np.isin(runs.symbols, np.asarray(dropped, dtype=np.int64))
        if eval_only:
            low, high = self._eval_bounds()
            keep &= (events[:, 0] >= low) & (events[:, 1] <= high)
        return events[keep]

    def render(self, layer: str, *, timed: bool = False) -> str:
        """One character per run of ``layer`` (or ``"symbols"``); ``timed=True`` adds milliseconds."""
        runs = self.runs(layer)
        if timed:
            return render_timed(runs.symbols, runs.lengths, fs=self._fs, table=layer)
        return render_compact(runs.symbols, table=layer)

    def _eval_bounds(self) -> tuple[int, int]:
        guard = int(round(EDGE_GUARD_S * self._fs))
        low = min(max(guard - self._start, 0), self.n_samples)
        high = max(min(self._recording_length - guard - self._start, self.n_samples), low)
        return low, high

    @property
    def eval_mask(self) -> np.ndarray:
        """bool ``(n,)``: False within :data:`EDGE_GUARD_S` seconds of either end of the recording."""
        low, high = self._eval_bounds()
        mask = np.zeros(self.n_samples, dtype=bool)
        mask[low:high] = True
        return mask

    def inner(self) -> Codec:
        """The part of this codec where :attr:`eval_mask` is True (possibly empty)."""
        low, high = self._eval_bounds()
        return self[low:high]

    def __getitem__(self, index: slice) -> Codec:
        if not isinstance(index, slice):
            raise ValueError(f"index={index!r} is not a slice; a Codec takes codec[start:stop]")
        low, high, step = index.indices(self.n_samples)
        if step != 1:
            raise ValueError(f"index={index!r} has step {step}; only step 1 is allowed (resample to change fs)")
        high = max(high, low)
        tokens = None if self._tokens is None else slice_runs(self._tokens, low, high)
        return Codec(
            self._channels[:, low:high],
            self._fs,
            start=self._start + low,
            tokens=tokens,
            recording_length=self._recording_length,
        )

    @classmethod
    def concatenate(cls, codecs: Sequence[Codec]) -> Codec:
        """Join contiguous codecs of one ``fs`` (``codecs[i].start == codecs[i-1].start + codecs[i-1].n_samples``).

        ``tokens`` are joined when every codec has them, and dropped otherwise; token runs are never merged
        (a run cut by slicing stays two runs, since neighbouring runs of one symbol may be deliberate). The
        result takes the last codec's ``recording_length``.
        """
        if not codecs:
            raise ValueError("codecs is empty; give at least one Codec")
        first = codecs[0]
        if not isinstance(first, Codec):
            raise ValueError(f"codecs[0] is a {type(first).__name__}; every item must be a Codec")
        for i, (before, after) in enumerate(zip(codecs[:-1], codecs[1:], strict=True), start=1):
            if not isinstance(after, Codec):
                raise ValueError(f"codecs[{i}] is a {type(after).__name__}; every item must be a Codec")
            if after.fs != first.fs:
                raise ValueError(f"codecs[{i}].fs={after.fs} differs from codecs[0].fs={first.fs}; resample first")
            if after.start != before.start + before.n_samples:
                raise ValueError(
                    f"codecs[{i}].start={after.start} but codecs[{i - 1}] ends at {before.start + before.n_samples}; "
                    "codecs must be contiguous"
                )
        tokens = None
        if all(c.tokens() is not None for c in codecs):
            tokens = concatenate_runs([c.tokens() for c in codecs])  # type: ignore[misc]
        return cls(
            np.concatenate([c.channels for c in codecs], axis=1),
            first.fs,
            start=first.start,
            tokens=tokens,
            recording_length=codecs[-1].recording_length,
        )

    def get_config(self) -> dict[str, Any]:
        """JSON-ready metadata: ``fs``, ``start``, ``n_samples``, ``recording_length``, ``has_tokens``."""
        return {
            "fs": self._fs,
            "start": self._start,
            "n_samples": self.n_samples,
            "recording_length": self._recording_length,
            "has_tokens": self._tokens is not None,
        }

    def to_container(self) -> Container:
        """The runs of every channel (and of :attr:`tokens`) as a :class:`~openecg.tokenizer.Container`."""
        layers = {layer: labels_to_runs(self.channel(layer)) for layer in LAYERS}
        if self._tokens is not None:
            layers["symbols"] = self._tokens
        return Container(layers, fs=self._fs, start=self._start, attrs={"recording_length": self._recording_length})

    @classmethod
    def from_container(cls, container: Container) -> Codec:
        """Rebuild a codec from a container that holds the three layers (and optionally ``"symbols"``)."""
        missing = [layer for layer in LAYERS if layer not in container.layers]
        if missing:
            raise ValueError(
                f"container has layers {list(container.layers)}, missing {missing}; a Codec needs "
                f"{', '.join(LAYERS)} (read single layers with openecg.tokenizer.loads)"
            )
        channels = np.stack([runs_to_labels(*container.layers[layer]) for layer in LAYERS])
        return cls(
            channels,
            container.fs,
            start=container.start,
            tokens=container.layers.get("symbols"),
            recording_length=container.attrs.get("recording_length"),
        )

    def dumps(self) -> bytes:
        """Serialize to container bytes."""
        return dumps(self.to_container())

    @classmethod
    def loads(cls, data: bytes | bytearray | memoryview) -> Codec:
        """Read a codec from container bytes."""
        return cls.from_container(loads(data))

    def save(self, path: str | PathLike[str]) -> None:
        """Write to the file ``path`` (conventionally ``*.oecg``), checked first and written through a
        temporary name (:func:`openecg.tokenizer.files.write_atomic`)."""
        write_atomic(path, self.dumps())

    @classmethod
    def load(cls, path: str | PathLike[str]) -> Codec:
        """Read a codec from the file ``path``; any problem is a FileFormatError naming the file."""
        file = Path(path)
        if file.is_dir():
            raise FileFormatError(f"{str(file)!r} is a directory; give a .oecg file saved with Codec.save")
        try:
            data = file.read_bytes()
        except OSError as error:
            raise FileFormatError(f"{str(file)!r} cannot be read: {error.strerror or error}") from None
        try:
            return cls.loads(data)
        except ValueError as error:
            raise FileFormatError(f"{str(file)!r}: {error}") from None

    def table(self, name: str) -> dict[str, np.ndarray]:
        """One of the event tables (:data:`openecg.tokenizer.annotations.TABLE_NAMES`): ``"beats"`` (see
        :meth:`beats`), ``"episodes"`` (see :meth:`episodes`), ``"waves"`` (P, QRS, T and paced QRS runs) or
        ``"tokens"`` (the runs of :meth:`tokens`); a dict of ``(rows,)`` numpy arrays, positions in recording
        samples."""
        if name == "beats":
            return beat_table(labels_to_runs(self.beat), fs=self._fs, start=self._start)
        layer = {"episodes": "rhythm", "waves": "wave", "tokens": "symbols"}.get(name)
        if layer is None:
            raise ValueError(f"table={name!r} is not a table; allowed: {', '.join(TABLE_NAMES)}")
        return run_table(self.runs(layer), fs=self._fs, table=layer, start=self._start,
                         drop_class=0 if layer == "wave" else None)

    def beats(self) -> dict[str, np.ndarray]:
        """The beats: ``sample`` (middle of the QRS), ``time`` s, ``class_id``, ``class_name``, ``rr`` s (NaN for
        the first), ``qrs_start``, ``qrs_end``; see :func:`openecg.tokenizer.annotations.beat_table`."""
        return self.table("beats")

    def episodes(self) -> dict[str, np.ndarray]:
        """The rhythm episodes: ``start``, ``end``, ``duration`` s, ``class_id``, ``class_name``, samples."""
        return self.table("episodes")

    def to_csv(self, path: str | PathLike[str] | None = None, *, table: str = "beats") -> str:
        """One :meth:`table` as CSV text (NaN as an empty cell), also written to ``path`` when given."""
        return _written(table_csv(self.table(table)), path)

    def to_json(self, path: str | PathLike[str] | None = None, *, tables: Sequence[str] = ("beats", "episodes")) -> str:
        """:meth:`get_config` and the named tables as JSON text (NaN as null), also written to ``path``."""
        return _written(tables_document(self.get_config(), {name: self.table(name) for name in tables}), path)

    def write_annotations(self, record_name: str, *, write_dir: str | PathLike[str] = ".", extension: str = "atr",
                          rhythm: bool = True) -> Path:
        """Write the beats (symbols of :data:`~openecg.tokenizer.annotations.WFDB_BEAT_SYMBOLS`) and, with
        ``rhythm``, a ``+`` rhythm change per episode as the WFDB annotation file
        ``<write_dir>/<record_name>.<extension>``; ``wfdb.rdann`` reads it back. Needs the ``data`` extra."""
        return write_wfdb_annotations(self.beats(), self.episodes() if rhythm else None, fs=self._fs,
                                      record_name=record_name, write_dir=write_dir, extension=extension)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Codec):
            return NotImplemented
        if self.get_config() != other.get_config() or not np.array_equal(self._channels, other._channels):
            return False
        if self._tokens is None or other._tokens is None:
            return True
        return np.array_equal(self._tokens.symbols, other._tokens.symbols) and np.array_equal(
            self._tokens.lengths, other._tokens.lengths
        )

    __hash__ = None  # type: ignore[assignment]

    def __len__(self) -> int:
        return self.n_samples

    def __repr__(self) -> str:
        tokens = "None" if self._tokens is None else f"{self._tokens.symbols.size} runs"
        return (
            f"Codec(n_samples={self.n_samples}, fs={self._fs}, duration={self.duration:g} s, "
            f"start={self._start}, tokens={tokens})"
        )


def _written(text: str, path: str | PathLike[str] | None) -> str:
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def load_codec(path: str | PathLike[str]) -> Codec:
    """Read a codec file (``.oecg``, :meth:`Codec.save`) or a stream file (``.oecgs``, ``encode_stream(sink=)``),
    told apart by their first bytes (also ``openecg.load``).

    A stream file that its writer did not finish (a crash, Ctrl-C) gives the samples written before it
    stopped, with a warning.
    """
    head = b""
    if Path(path).is_file():
        with open(path, "rb") as handle:
            head = handle.read(len(STREAM_MAGIC))
    if head != STREAM_MAGIC:
        return Codec.load(path)
    contents = read_stream(path)
    if not contents.complete:
        warn_caller(f"{path} is an unfinished stream file: read the first {contents.channels.shape[1]} samples "
                    "written before the writer stopped", FileWarning)
    return Codec(contents.channels, contents.fs, tokens=(contents.symbols, contents.lengths))
