"""``python -m openecg.corpus``: the ``openecg corpus`` command on its own."""

import sys

from .command import main

sys.exit(main())
