"""``python -m gcnprune.book.browser_check DIR``: check a built book (:func:`gcnprune.book.browser_check.cli.main`)."""

import sys

from .cli import main

sys.exit(main())
