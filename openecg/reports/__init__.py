"""Clinical summaries of encoded ECGs: :func:`report` gives a :class:`Report` (JSON, text summary);
:mod:`openecg.reports.html` writes the self-contained HTML Holter report."""

from .summary import Report as Report
from .summary import report as report
