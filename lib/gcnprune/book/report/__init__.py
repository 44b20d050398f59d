"""What the book's chapters print: their facts (the values glued into the prose) and display tables, computed
from a chapter's runs, so that a chapter's code cells are calls and display only.

``format`` words numbers the same way on every page; ``build`` and ``claim`` hold the facts every method
chapter states; one module per chapter holds the rest of its facts and tables.
"""
