"""``python -m gcnprune.browser_check DIR``: check a built book (:func:`gcnprune.browser_check.cli.main`)."""

import sys

from .cli import main

sys.exit(main())
