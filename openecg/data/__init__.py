"""Dataset loaders (LUDB, QTDB, MIT-BIH, NSTDB, CPSC 2021, any WFDB folder) with per-layer labels and masks."""

from .labeled import LabeledRecord as LabeledRecord
from .noise import nstdb_noise as nstdb_noise
from .records import DATASETS as DATASETS
from .records import dataset_root as dataset_root
from .records import iter_records as iter_records
from .records import list_records as list_records
from .records import load_record as load_record
from .splits import load_split as load_split
