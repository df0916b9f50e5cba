"""openecg: any electrocardiogram in, a continuous, clinically grounded token stream out."""

from ._version import __version__ as __version__
from .codec import Codec as Codec
from .codec import load_codec as load_codec
from .encode import encode as encode
from .encode import encode_stream as encode_stream
from .signal.io import read as read
from .signal.recording import Recording as Recording
