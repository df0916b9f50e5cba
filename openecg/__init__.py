"""openecg: any electrocardiogram in, a continuous, clinically grounded token stream out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._version import __version__ as __version__

if TYPE_CHECKING:
    from .signal.recording import Recording


def digitize(image_or_path: object, *, layout: str = "auto", fs: float = 500.0, **options: object) -> Recording:
    """Digitize a paper ECG image into a Recording; see :func:`openecg.digitize.digitizer.digitize`.

    opencv is imported only when this is called.
    """
    from .digitize.digitizer import digitize as _digitize

    return _digitize(image_or_path, layout=layout, fs=fs, **options)  # type: ignore[arg-type]
