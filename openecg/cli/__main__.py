"""``python -m openecg.cli``: the same as the ``openecg`` command."""

from . import main

raise SystemExit(main())
