"""Short gaps (a few lost samples, common in wearables' packet loss) are bridged before the model.

The rule: in each lead, a run of NaN/inf samples of at most :func:`max_bridged` samples -
``max(3, floor(0.02 * fs))``, so 3 samples at up to 199 Hz and 20 ms above - with a finite sample on both
sides is filled by linear interpolation between those two samples. Longer runs, and runs at the very start
or end of the recording, stay gaps: the model never sees them and they are labelled noise. Without this, a
single lost sample inside a QRS splits it into two beats.

:class:`GapBridge` applies the rule to a stream chunk by chunk, holding back the last ``max_bridged``
samples when they end in a gap, until it knows how that gap ends, so the output does not depend on the chunk size.

Examples
--------
>>> x = np.array([0.0, 1.0, np.nan, 3.0, np.nan, np.nan, np.nan, np.nan, 8.0])[:, None]
>>> filled, count = bridge_gaps(x, fs=100.0)
>>> filled[:, 0].tolist()[:4], int(np.isnan(filled).sum()), count
([0.0, 1.0, 2.0, 3.0], 4, 1)
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_GAP_S", "MIN_GAP_SAMPLES", "max_bridged", "GapBridge", "bridge_gaps"]

MAX_GAP_S = 0.02
"""Longest gap (s) bridged by interpolation, unless :data:`MIN_GAP_SAMPLES` is longer."""

MIN_GAP_SAMPLES = 3
"""Runs of up to this many samples are bridged at any sample rate."""


def max_bridged(fs: float) -> int:
    """Longest run of missing samples bridged at ``fs`` Hz: ``max(3, floor(0.02 * fs))``."""
    return max(MIN_GAP_SAMPLES, int(MAX_GAP_S * fs))


class GapBridge:
    """Streaming gap bridge: :meth:`feed` chunks ``(samples, leads)``, then :meth:`finish`.

    Each call returns the samples now final (a gap of at most ``max_len`` samples at the end of a chunk is
    held back until the next chunk shows whether it is short); together they are the input with its short
    gaps filled. ``n_gaps`` and ``n_samples`` count what was
    bridged.
    """

    def __init__(self, n_leads: int, *, max_len: int) -> None:
        self.max_len = int(max_len)
        self.prev = np.full(n_leads, np.nan, np.float32)
        self.pending = np.zeros((0, n_leads), np.float32)
        self.n_gaps = 0
        self.n_samples = 0

    def feed(self, chunk: np.ndarray) -> np.ndarray:
        """Add float32 ``(k, leads)`` and return the samples that are final."""
        buf = np.concatenate([self.pending, chunk]) if len(self.pending) else np.asarray(chunk, np.float32)
        if np.isfinite(buf).all():
            return self._emit(buf, len(buf))
        buf = self._fill(buf, ended=False)
        tail = np.isfinite(buf[::-1][: self.max_len + 1])
        trailing = np.where(tail.any(axis=0), tail.argmax(axis=0), len(tail))
        hold = trailing[trailing <= self.max_len]
        return self._emit(buf, len(buf) - (int(hold.max()) if hold.size else 0))

    def finish(self) -> np.ndarray:
        """The held-back samples, gaps that reach the end left as they are."""
        buf = self._fill(self.pending, ended=True) if len(self.pending) else self.pending
        return self._emit(buf, len(buf))

    def _emit(self, buf: np.ndarray, cut: int) -> np.ndarray:
        out, self.pending = buf[:cut], buf[cut:]
        if cut:
            self.prev = out[-1].copy()
        return out

    def _fill(self, buf: np.ndarray, *, ended: bool) -> np.ndarray:
        buf = buf.copy()
        n = len(buf)
        for lead in range(buf.shape[1]):
            col = buf[:, lead]
            bad = ~np.isfinite(col)
            if not bad.any():
                continue
            edges = np.diff(np.concatenate([[0], bad.astype(np.int8), [0]]))
            starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
            left_known = (starts > 0) | np.isfinite(self.prev[lead])
            keep = (stops - starts <= self.max_len) & (stops < n) & left_known
            if not keep.any():
                continue
            good = np.flatnonzero(~bad)
            xp = np.concatenate([[-1], good]) if np.isfinite(self.prev[lead]) else good
            fp = np.concatenate([[self.prev[lead]], col[good]]) if np.isfinite(self.prev[lead]) else col[good]
            idx = np.concatenate([np.arange(a, b) for a, b in zip(starts[keep], stops[keep])])
            col[idx] = np.interp(idx, xp, fp).astype(np.float32)
            self.n_gaps += int(keep.sum())
            self.n_samples += len(idx)
        return buf


def bridge_gaps(x: np.ndarray, *, fs: float) -> tuple[np.ndarray, int]:
    """Bridge the short gaps of a whole ``(samples, leads)`` array; returns the filled copy and the number
    of gaps bridged (the rule is in the module docstring)."""
    bridge = GapBridge(x.shape[1], max_len=max_bridged(fs))
    filled = np.concatenate([bridge.feed(np.asarray(x, np.float32)), bridge.finish()])
    return filled, bridge.n_gaps
