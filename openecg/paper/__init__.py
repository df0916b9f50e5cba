"""Paper ECGs: a synthetic printout renderer with annotations, an image-to-signal digitizer, and their scores.

Modules: :mod:`.page` (page, grid, drawing), :mod:`.printout` (layout geometry and the renderer),
:mod:`.degrade` (scan and photo degradations), :mod:`.annotate` (boxes, YOLO labels, trace masks),
:mod:`.grid`, :mod:`.layout`, :mod:`.printed_names`, :mod:`.trace` and :mod:`.digitizer` (image -> signal),
:mod:`.metrics`.
The digitizer is :func:`openecg.digitize` (a plain function); the renderer is :func:`openecg.paper.render`.
opencv is imported inside the functions that draw or read images, never when this package is imported.
"""

from __future__ import annotations

from .digitizer import digitize as digitize
from .printout import render as render
