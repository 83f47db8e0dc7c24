"""``python -m siteplan.cli``: the ``siteplan`` command."""

import sys

from . import main

sys.exit(main())
