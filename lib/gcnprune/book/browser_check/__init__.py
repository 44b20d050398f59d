"""Open every page of a built book in headless Chromium and report what a reader would trip over.

``check_book(html_dir, screenshots_dir)`` returns the problems it finds, and saves one screenshot per page
(``screenshots_dir/<page path>.png``) for a person to look at. A problem is one of:

* ``console error``: anything the page logs at error level: ``console.error``, an uncaught exception (a
  syntax error included) or a resource that fails to load;
* ``raw TeX``: a formula that MathJax left as TeX (a ``.math`` element with no ``mjx-container``) or
  typeset as an error (``mjx-merror``);
* ``broken link`` / ``broken anchor``: a local ``href``/``src`` whose file, or whose ``#anchor`` in an HTML
  page, does not exist (read from the HTML itself; http(s), mailto and data URLs are not followed);
* ``missing image``: an ``<img>`` whose file does not exist, or that the browser could not load (a file
  that is not an image);
* ``rate explorer``: a rate explorer (:mod:`gcnprune.book.report.rate_explorer`) whose readout does not change,
  or does not show its data's value, when the check moves its slider to the last rate;
* ``machine path``, ``zero spread``, ``internal label``, ``empty table``: what a reader should never see, read
  from the HTML outside code (:mod:`~gcnprune.book.browser_check.content`): a path of the build machine,
  "± 0.0", a method's internal label where its readable name belongs, a table without values.

The browser is Debian's Chromium, driven by Playwright (the book extra) in one headless session.

Command line: ``python -m gcnprune.book.browser_check book/_build/html`` prints one line per problem and exits 1
if there is any (2 if Chromium is not installed).
"""

from .browser import CHROMIUM_NAMES, INSTALL_HINT, browser_problems, find_chromium
from .check import check_book
from .cli import main
from .content import content_problems
from .links import link_problems
from .pages import Problem, book_pages

__all__ = [
    "CHROMIUM_NAMES", "INSTALL_HINT", "Problem", "book_pages", "browser_problems", "check_book", "content_problems",
    "find_chromium", "link_problems", "main",
]  # fmt: skip
