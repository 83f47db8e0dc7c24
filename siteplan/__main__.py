"""``python -m siteplan``: the ``siteplan`` command."""

import sys

from .cli import main

sys.exit(main())
