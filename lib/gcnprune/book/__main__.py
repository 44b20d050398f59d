"""``python -m gcnprune.book``: the book's runner (:func:`gcnprune.book.cli.main`)."""

import sys

from .cli import main

sys.exit(main())
