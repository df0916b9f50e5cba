"""Paper ECGs: a synthetic printout renderer with annotations, an image-to-signal digitizer, and their scores.

Modules: :mod:`.paper` (page, grid, drawing), :mod:`.render` (layout geometry and the renderer),
:mod:`.degrade` (scan and photo degradations), :mod:`.annotate` (boxes, YOLO labels, trace masks),
:mod:`.grid`, :mod:`.layout`, :mod:`.trace` and :mod:`.digitizer` (image -> signal), :mod:`.metrics`.
opencv is imported inside the functions that draw or read images, never when this package is imported.
"""
