"""The 13-symbol wave vocabulary, the run-length codec and the packed container format."""

from .vocab import BEAT_CLASSES as BEAT_CLASSES
from .vocab import LAYERS as LAYERS
from .vocab import RHYTHM_CLASSES as RHYTHM_CLASSES
from .vocab import SYMBOLS as SYMBOLS
from .vocab import VOCAB_VERSION as VOCAB_VERSION
from .vocab import WAVE_CLASSES as WAVE_CLASSES
