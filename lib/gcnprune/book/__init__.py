"""The book's layer: each chapter's runs (:mod:`.chapters`), what the chapters print (:mod:`.report`), their
figures (:mod:`.plots`), the runner that executes the notebooks and builds the HTML (:mod:`.build`,
``python -m gcnprune.book``) and the browser check of the built book (:mod:`.browser_check`).

It reads runs through :mod:`gcnprune.experiments` and compact models through :mod:`gcnprune.deploy`; nothing
below it imports it.
"""
