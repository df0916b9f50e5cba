"""openecg: any electrocardiogram in, a continuous, clinically grounded token stream out."""

from __future__ import annotations

from ._version import __version__ as __version__
from .codec import Codec as Codec
from .codec import load_codec as load_codec
from .encode import encode as encode
from .encode import encode_stream as encode_stream
from .signal.io import read as read
from .signal.recording import Recording as Recording


def digitize(image_or_path: object, *, layout: str = "auto", fs: float = 500.0, **options: object) -> Recording:
    """Digitize a paper ECG image into a Recording; see :func:`openecg.paper.digitizer.digitize`.

    opencv is imported only when this is called.
    """
    from .paper.digitizer import digitize as _digitize

    return _digitize(image_or_path, layout=layout, fs=fs, **options)  # type: ignore[arg-type]
