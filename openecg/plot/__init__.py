"""Figures of encoded ECGs (matplotlib, the ``plot`` extra): strips and 12-lead pages on ECG paper, the
Holter overview, and :func:`save_figure` to PNG, SVG or PDF. matplotlib is imported only when a figure is made."""

from .holter import holter_overview as holter_overview
from .paper import strip as strip
from .paper import twelve_lead as twelve_lead
from .style import save_figure as save_figure
