"""The 13-symbol wave vocabulary, the run-length codec and the packed container format."""

from .container import FORMAT_VERSION as FORMAT_VERSION
from .container import MAGIC as MAGIC
from .container import Container as Container
from .container import dumps as dumps
from .container import load as load
from .container import loads as loads
from .container import save as save
from .packed import MAX_RUN_LENGTH as MAX_RUN_LENGTH
from .packed import pack as pack
from .packed import unpack as unpack
from .text import render_compact as render_compact
from .text import render_timed as render_timed
from .rle import Runs as Runs
from .rle import concatenate_runs as concatenate_runs
from .rle import labels_to_runs as labels_to_runs
from .rle import runs_to_labels as runs_to_labels
from .rle import slice_runs as slice_runs
from .vocab import BEAT_CLASSES as BEAT_CLASSES
from .vocab import LAYERS as LAYERS
from .vocab import RHYTHM_CLASSES as RHYTHM_CLASSES
from .vocab import SYMBOLS as SYMBOLS
from .vocab import VOCAB_VERSION as VOCAB_VERSION
from .vocab import WAVE_CLASSES as WAVE_CLASSES
