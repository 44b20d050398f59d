"""``python -m gcnprune.book``: the book's runner (:func:`gcnprune.book.build.cli.main`)."""

import sys

from .build.cli import main

sys.exit(main())
