"""Many ECG records into one zarr v3 store of runs and token ids, on one process or a Dask cluster.

``tokenize`` writes a store (``openecg corpus`` on the command line), ``open_store`` reads it, and
when a dataset is built). zarr, dask and torch are imported only by the functions that need them.
"""

from .job import tokenize as tokenize
from .layout import CorpusStore as CorpusStore
from .layout import open_store as open_store
