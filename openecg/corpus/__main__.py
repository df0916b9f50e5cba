"""``python -m openecg.corpus``: the ``openecg corpus`` command on its own."""

import sys

from .cli import main

sys.exit(main())
