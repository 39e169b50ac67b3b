"""``python -m perfite_ci``: the same as the ``perfite-ci`` console script."""

import sys

from perfite_ci.cli import main

sys.exit(main())
