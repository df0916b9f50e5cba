"""openecg: any electrocardiogram in, a continuous, clinically grounded token stream out."""

from ._version import __version__ as __version__
