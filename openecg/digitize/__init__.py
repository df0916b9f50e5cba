"""Paper ECGs: a synthetic printout renderer with annotations, an image-to-signal digitizer, and their scores.

Modules: :mod:`.paper` (page, grid, drawing), :mod:`.render` (layout geometry and the renderer),
:mod:`.degrade` (scan and photo degradations), :mod:`.annotate` (boxes, YOLO labels, trace masks),
:mod:`.grid`, :mod:`.layout`, :mod:`.trace` and :mod:`.digitizer` (image -> signal), :mod:`.metrics`.
opencv is imported inside the functions that draw or read images, never when this package is imported.
"""

from __future__ import annotations


import sys
import types


class _CallableModule(types.ModuleType):
    """``openecg.digitize`` is both this package and the digitizer: calling it runs
    :func:`openecg.digitize.digitizer.digitize` (importing a submodule rebinds the attribute of ``openecg``
    to the package, so the package itself must be callable)."""

    def __call__(self, image_or_path: object, **options: object) -> object:
        from .digitizer import digitize

        return digitize(image_or_path, **options)  # type: ignore[arg-type]


sys.modules[__name__].__class__ = _CallableModule
