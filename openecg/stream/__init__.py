"""The Holter engine: from a signal of any length to the three label channels, in bounded memory.

Modules, in the order data flows through them:

- :mod:`.sources`: arrays, memory maps, files and chunk iterators as float32 mV chunks;
- :mod:`.geometry`: 10-s windows, 2-s edge guard, 6-s stride, and resampling windows to the model's rate;
- :mod:`.engine`: schedule -> predict -> stitch -> decode -> map back, with explicit state
  (``start`` / ``feed`` / ``finish``);
- :mod:`.decoder`: stitched probabilities -> wave, beat and rhythm channels.

The public entry points are :func:`openecg.encode` and :func:`openecg.encode_stream`.
"""
