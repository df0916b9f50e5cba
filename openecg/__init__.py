"""openecg: any electrocardiogram in, a continuous, clinically grounded token stream out."""

from ._version import __version__ as __version__
from .signal.io import read as read
from .signal.recording import Recording as Recording
