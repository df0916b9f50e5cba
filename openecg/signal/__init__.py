"""Signals: the ``Recording`` type, readers, resampling, filtering and the models' normalisation."""

from .filters import remove_baseline as remove_baseline
from .io import iter_chunks as iter_chunks
from .io import read as read
from .io import read_window as read_window
from .normalize import normalize as normalize
from .recording import Recording as Recording
from .recording import as_signal as as_signal
from .recording import check_fs as check_fs
from .resample import map_index as map_index
from .resample import resample as resample
from .resample import resample_labels as resample_labels
