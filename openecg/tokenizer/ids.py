"""Token ids for language models: a fixed, versioned id vocabulary over a :class:`~openecg.Codec`.

One record (or one lead of it) becomes one id sequence::

    <bos> <fs> 5 0 0 <n> 5 0 0 0 [<lead:II>]  <rhythm:sinus> iso@96 <beat:N> Q@12 R@32 S@20 iso@80 T@160 ... <eos>

* **header**: the sample rate and the exact sample count as decimal digit tokens, and the lead name when the
  stream is one lead's (``<lead:...>``, the lead separator of per-lead streams; ``<gap>`` stands for the body
  of a lead that holds no readable sample);
* **segments**: the record is cut wherever the wave-symbol run, the wave, beat or rhythm class changes, and
  at every time anchor; each segment is one token ``SYMBOL@LO``: its 13-symbol wave symbol and the duration
  bucket ``[LO, HI)`` milliseconds that it falls in (:data:`BUCKET_EDGES_MS`);
* **state tokens**, placed in time order just before the segment where they take effect:
  ``<rhythm:X>`` where the rhythm changes; ``<beat:X>`` where the beat class differs from the implied one
  (the beat class carries over from segment to segment while the symbol is part of a QRS, and is ``none``
  elsewhere, so a normal beat costs one token at its QRS onset); ``<wave:X>`` for a segment whose wave
  class differs from the one its symbol implies (P -> P, T -> T, QRS symbols -> QRS, or paced QRS under a
  paced beat, anything else -> other), which the bundled model never needs;
* **time anchors**: ``<anchor>`` at every multiple of :data:`ANCHOR_S` seconds (segments are cut there).
  Counting anchors gives absolute time; the decoder snaps to the exact anchor sample, so rounding never
  drifts past an anchor, and no segment is longer than one anchor period.

Durations are quantized with error feedback: each bucket is chosen for the distance from the decoder's
reconstructed position to the true boundary, so errors do not add up from segment to segment. The worst-case
boundary error is half the bucket step at the segment's duration, plus half a sample for rounding to the
sample grid: 2 ms for segments under 200 ms (every QRS part, P and most T waves), 5 ms under 500 ms, 10 ms
under 1 s, 25 ms under 2 s and 50 ms up to the 10-s anchor period (long baselines and noise runs). The sample
count comes back exactly (it is in the header).

The vocabulary is :data:`VOCAB` (token strings, index = id), versioned by :data:`IDS_VERSION`; the Hugging
Face tokenizer files built from it ship in ``openecg/tokenizer/hf/`` (:func:`hf_tokenizer_dir`).

Examples
--------
>>> import numpy as np
>>> from openecg import Codec
>>> wave = np.repeat(np.array([0, 2, 0], np.uint8), [100, 50, 100])
>>> codec = Codec(np.stack([wave, (wave == 2).astype(np.uint8), np.zeros_like(wave)]), 500,
...               tokens=(np.array([2, 6, 2], np.uint8), np.array([100, 50, 100])))
>>> to_text(to_ids(codec))
'<bos> <fs> <5> <0> <0> <n> <2> <5> <0> <rhythm:sinus> iso@200 <beat:N> R@92 iso@200 <eos>'
>>> from_ids(to_ids(codec)).events("wave").tolist()      # boundaries within half a bucket step (5 ms here)
[[0, 102, 0], [102, 150, 2], [150, 250, 0]]
"""

from __future__ import annotations

import numpy as np

from ..signal.recording import check_fs
from .rle import runs_to_labels
from .vocab import BEAT_CLASSES, RHYTHM_CLASSES, SYMBOLS, WAVE_CLASSES, class_id, symbol_id

__all__ = [
    "IDS_VERSION",
    "ANCHOR_S",
    "BUCKET_EDGES_MS",
    "LEAD_NAMES",
    "VOCAB",
    "token_id",
    "to_ids",
    "from_ids",
    "header",
    "to_text",
    "from_text",
    "PAD_ID",
    "BOS_ID",
    "EOS_ID",
    "UNK_ID",
    "GAP_ID",
]

IDS_VERSION = 1
"""Version of :data:`VOCAB`, the bucket edges and the sequence grammar; ids never change within a version."""

ANCHOR_S = 10.0
"""Seconds between time anchors."""

BUCKET_EDGES_MS: tuple[int, ...] = tuple(
    int(x) for x in np.concatenate([
        np.arange(0, 200, 4),       # 4-ms steps: QRS parts, P waves (2-8 samples at 250-500 Hz)
        np.arange(200, 500, 10),    # T waves, PR and ST baselines
        np.arange(500, 1000, 20),   # RR-scale baselines
        np.arange(1000, 2000, 50),  # pauses
        np.arange(2000, 10001, 100),  # long baselines and noise, up to one anchor period
    ])
)
"""Duration bucket edges in ms: bucket ``j`` is ``[EDGES[j], EDGES[j + 1])``; the last edge is 10 000 ms."""

LEAD_NAMES: tuple[str, ...] = (
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6", "MLII", "MLIII", "other",
)
"""Lead names with a token of their own (matched case-insensitively); any other lead is ``<lead:other>``."""

_SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>", "<gap>", "<anchor>", "<fs>", "<n>", "<.>")
_DIGITS = tuple(f"<{d}>" for d in range(10))
_LO = np.asarray(BUCKET_EDGES_MS[:-1], dtype=np.float64)
_HI = np.asarray(BUCKET_EDGES_MS[1:], dtype=np.float64)
_MID = (_LO + _HI) / 2

VOCAB: tuple[str, ...] = (
    _SPECIALS
    + _DIGITS
    + tuple(f"<lead:{name}>" for name in LEAD_NAMES)
    + tuple(f"<rhythm:{e.name}>" for e in RHYTHM_CLASSES)
    + tuple(f"<beat:{e.name}>" for e in BEAT_CLASSES)
    + tuple(f"<wave:{e.name}>" for e in WAVE_CLASSES)
    + tuple(f"{s.name}@{lo}" for s in SYMBOLS for lo in BUCKET_EDGES_MS[:-1])
)
"""Every token string; its index is its id."""

_INDEX = {token: i for i, token in enumerate(VOCAB)}
PAD_ID, BOS_ID, EOS_ID, UNK_ID, GAP_ID, ANCHOR_ID, FS_ID, N_ID, DOT_ID = range(len(_SPECIALS))
_DIGIT0 = _INDEX["<0>"]
_LEAD0 = _INDEX[f"<lead:{LEAD_NAMES[0]}>"]
_RHYTHM0 = _INDEX[f"<rhythm:{RHYTHM_CLASSES[0].name}>"]
_BEAT0 = _INDEX[f"<beat:{BEAT_CLASSES[0].name}>"]
_WAVE0 = _INDEX[f"<wave:{WAVE_CLASSES[0].name}>"]
_SEG0 = _INDEX[f"{SYMBOLS[0].name}@0"]
_N_BUCKETS = len(_LO)

_QRS_SYMBOLS = frozenset(symbol_id(n) for n in ("pacer", "Q", "R", "S", "wide_qrs", "delta", "J"))
_IMPLIED_WAVE = {symbol_id("P"): class_id("wave", "P"), symbol_id("T"): class_id("wave", "T")}
_PACED_BEAT = class_id("beat", "paced")
_BEAT_NONE = class_id("beat", "none")


def token_id(token: str) -> int:
    """The id of the token string ``token`` (for example ``"R@32"`` or ``"<bos>"``)."""
    if token not in _INDEX:
        raise ValueError(f"token={token!r} is not in the id vocabulary (version {IDS_VERSION}); see openecg.tokenizer.ids.VOCAB")
    return _INDEX[token]


def _implied_wave(symbol: int, beat: int) -> int:
    if symbol in _QRS_SYMBOLS:
        return class_id("wave", "paced_QRS") if beat == _PACED_BEAT else class_id("wave", "QRS")
    return _IMPLIED_WAVE.get(symbol, class_id("wave", "other"))


def _number(text: str) -> list[int]:
    return [DOT_ID if ch == "." else _DIGIT0 + int(ch) for ch in text]


def _lead_id(lead: str) -> int:
    lower = {name.lower(): i for i, name in enumerate(LEAD_NAMES)}
    return _LEAD0 + lower.get(lead.strip().lower(), LEAD_NAMES.index("other"))


def _anchors(n: int, fs: float) -> np.ndarray:
    step = ANCHOR_S * fs
    count = int(np.ceil(n / step)) + 1
    positions = np.round(np.arange(1, count) * step).astype(np.int64)
    return positions[positions < n]


def _header(n: int, fs: float, lead: str | None) -> list[int]:
    text = np.format_float_positional(fs, trim="-")
    if float(text) != fs:
        raise ValueError(f"fs={fs!r} has no exact decimal form; resample to a rate such as 250 or 500 Hz")
    ids = [BOS_ID, FS_ID, *_number(text), N_ID, *_number(str(n))]
    if lead is not None:
        ids.append(_lead_id(lead))
    return ids


def to_ids(codec: object, *, lead: str | None = None, gap: bool = False) -> np.ndarray:
    """The id sequence of a codec.

    Parameters
    ----------
    codec : Codec
        With its 13-symbol ``tokens`` (as :func:`openecg.encode` gives it).
    lead : str, optional
        The lead this stream belongs to (a per-lead stream); adds a ``<lead:...>`` token after the header.
    gap : bool
        The lead held no readable sample: the body is one ``<gap>`` token (the header keeps ``fs`` and ``n``).

    Returns
    -------
    numpy.ndarray
        uint16 ``(k,)`` ids into :data:`VOCAB`, from ``<bos>`` to ``<eos>``.
    """
    from ..codec import Codec

    if not isinstance(codec, Codec):
        raise ValueError(f"codec is a {type(codec).__name__}; pass an openecg.Codec (for example from openecg.encode)")
    runs = codec.tokens()
    if runs is None:
        raise ValueError("codec has no 13-symbol tokens; encode it with openecg.encode, which attaches them")
    n, fs = codec.n_samples, codec.fs
    ids = _header(n, fs, lead)
    if gap:
        return np.asarray([*ids, GAP_ID, EOS_ID], dtype=np.uint16)
    symbols = runs_to_labels(runs.symbols, runs.lengths)
    planes = np.vstack([symbols, codec.channels])
    anchors = _anchors(n, fs)
    cuts = np.union1d(np.flatnonzero(np.any(np.diff(planes, axis=1) != 0, axis=0)) + 1, anchors)
    cuts = np.concatenate([cuts, np.cumsum(runs.lengths)[:-1]])
    starts = np.unique(np.concatenate([[0], cuts]))
    ends = np.append(starts[1:], n)
    anchor_set = set(anchors.tolist())
    base, pos_ms, rhythm, beat = 0, 0.0, -1, _BEAT_NONE
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        symbol, wave, seg_beat, seg_rhythm = (int(v) for v in planes[:, start])
        if start in anchor_set:
            ids.append(ANCHOR_ID)
            base, pos_ms = start, 0.0
        if seg_rhythm != rhythm:
            ids.append(_RHYTHM0 + seg_rhythm)
            rhythm = seg_rhythm
        implied = beat if symbol in _QRS_SYMBOLS else _BEAT_NONE
        if seg_beat != implied:
            ids.append(_BEAT0 + seg_beat)
        beat = seg_beat
        if wave != _implied_wave(symbol, beat):
            ids.append(_WAVE0 + wave)
        target = (end - base) * 1000.0 / fs - pos_ms
        bucket = min(max(int(np.searchsorted(_LO, target, side="right")) - 1, 0), _N_BUCKETS - 1)
        ids.append(_SEG0 + symbol * _N_BUCKETS + bucket)
        pos_ms += _MID[bucket]
    ids.append(EOS_ID)
    return np.asarray(ids, dtype=np.uint16)


def _as_ids(ids: object) -> np.ndarray:
    array = np.asarray(ids)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"ids has dtype {array.dtype} and shape {array.shape}; a 1-D integer array is required")
    if array.size and (array.min() < 0 or array.max() >= len(VOCAB)):
        bad = int(array[(array < 0) | (array >= len(VOCAB))][0])
        raise ValueError(f"ids holds {bad}, outside the vocabulary 0..{len(VOCAB) - 1} (version {IDS_VERSION})")
    return array.astype(np.int64)


def _read_number(ids: np.ndarray, at: int) -> tuple[str, int]:
    chars = []
    while at < len(ids) and (ids[at] == DOT_ID or _DIGIT0 <= ids[at] < _DIGIT0 + 10):
        chars.append("." if ids[at] == DOT_ID else str(ids[at] - _DIGIT0))
        at += 1
    if not chars:
        raise ValueError(f"ids[{at}] should start a number (digit tokens); the header is <bos> <fs> digits <n> digits")
    return "".join(chars), at


def header(ids: object) -> dict[str, object]:
    """The header of an id sequence: ``fs`` (Hz), ``n_samples``, ``lead`` (str or None) and ``body`` (its index)."""
    array = _as_ids(ids)
    if len(array) < 5 or array[0] != BOS_ID or array[1] != FS_ID:
        raise ValueError("ids does not start with <bos> <fs>; pass a whole sequence from to_ids")
    fs_text, at = _read_number(array, 2)
    if at >= len(array) or array[at] != N_ID:
        raise ValueError(f"ids[{at}] should be <n> after the sample rate; pass a whole sequence from to_ids")
    n_text, at = _read_number(array, at + 1)
    lead = None
    if at < len(array) and _LEAD0 <= array[at] < _LEAD0 + len(LEAD_NAMES):
        lead = LEAD_NAMES[array[at] - _LEAD0]
        at += 1
    return {"fs": check_fs(float(fs_text)), "n_samples": int(n_text), "lead": lead, "body": at}


def from_ids(ids: object) -> object:
    """Rebuild the codec of an id sequence at bucket resolution (the sample count exactly).

    Parameters
    ----------
    ids : array_like of int
        ``(k,)`` a whole sequence from :func:`to_ids`.

    Returns
    -------
    Codec
        The three channels and the symbol runs (neighbouring segments of one symbol joined), ``n_samples``
        and ``fs`` as in the header. A ``<gap>`` body gives all-``unk`` symbols and rhythm ``noise``.
    """
    from ..codec import Codec

    array = _as_ids(ids)
    head = header(array)
    fs, n = float(head["fs"]), int(head["n_samples"])  # type: ignore[arg-type]
    anchors = _anchors(n, fs).tolist()
    ends: list[int] = []
    values: list[tuple[int, int, int, int]] = []
    base, pos_ms, rhythm, beat = 0, 0.0, class_id("rhythm", "sinus"), _BEAT_NONE
    pending_beat, pending_wave = -1, -1
    at = int(head["body"])  # type: ignore[arg-type]
    if at < len(array) and array[at] == GAP_ID:
        channels = np.zeros((3, n), np.uint8)
        channels[2] = class_id("rhythm", "noise")
        return Codec(channels, fs, tokens=(np.array([symbol_id("unk")], np.uint8), np.array([n])))
    for position in range(at, len(array)):
        token = int(array[position])
        if token == EOS_ID:
            break
        if token == ANCHOR_ID:
            if not ends or len(anchors) == 0:
                raise ValueError(f"ids[{position}] is an <anchor> where none can be (n={n}, fs={fs})")
            base, pos_ms = anchors.pop(0), 0.0
            ends[-1] = base
        elif _RHYTHM0 <= token < _RHYTHM0 + len(RHYTHM_CLASSES):
            rhythm = token - _RHYTHM0
        elif _BEAT0 <= token < _BEAT0 + len(BEAT_CLASSES):
            pending_beat = token - _BEAT0
        elif _WAVE0 <= token < _WAVE0 + len(WAVE_CLASSES):
            pending_wave = token - _WAVE0
        elif token >= _SEG0:
            symbol, bucket = divmod(token - _SEG0, _N_BUCKETS)
            beat = pending_beat if pending_beat >= 0 else (beat if symbol in _QRS_SYMBOLS else _BEAT_NONE)
            wave = pending_wave if pending_wave >= 0 else _implied_wave(symbol, beat)
            pending_beat = pending_wave = -1
            pos_ms += _MID[bucket]
            end = base + int(round(pos_ms * fs / 1000.0))
            ends.append(min(max(end, ends[-1] if ends else 0), n))
            values.append((symbol, wave, beat, rhythm))
        else:
            raise ValueError(f"ids[{position}]={token} ({VOCAB[token]}) cannot appear in a record body")
    else:
        raise ValueError("ids has no <eos>; pass a whole sequence from to_ids")
    if not values:
        raise ValueError("ids has no segment tokens; pass a whole sequence from to_ids")
    ends[-1] = n
    # an anchor is exact: segment ends rounded past a later anchor (or past the end) are pulled back to it
    ends_array = np.minimum.accumulate(np.asarray(ends, np.int64)[::-1])[::-1]
    lengths = np.diff(np.concatenate([[0], ends_array]))
    table = np.asarray(values, dtype=np.uint8)
    planes = np.stack([np.repeat(table[:, k], lengths) for k in range(4)])
    keep = lengths > 0
    symbols, seg_lengths = table[keep, 0], lengths[keep]
    first = np.r_[True, symbols[1:] != symbols[:-1]]
    run_lengths = np.add.reduceat(seg_lengths, np.flatnonzero(first))
    return Codec(planes[1:], fs, tokens=(symbols[first], run_lengths))


def to_text(ids: object) -> str:
    """The token strings of ``ids`` joined by spaces (the text the Hugging Face tokenizer reads)."""
    return " ".join(VOCAB[i] for i in _as_ids(ids))


def from_text(text: str) -> np.ndarray:
    """uint16 ids of a space-separated token string (the inverse of :func:`to_text`)."""
    return np.asarray([token_id(token) for token in text.split()], dtype=np.uint16)

