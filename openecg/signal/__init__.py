"""Signals: the ``Recording`` type, readers, resampling, filtering and the models' normalisation."""

from .recording import Recording as Recording
from .recording import as_signal as as_signal
from .recording import check_fs as check_fs
