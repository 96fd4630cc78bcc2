"""Chapter 7: every accelerator of the book on the same tasks, seeds and budgets.

`configs` (the two families' setups, each method at its source's setting, the tuning budget, the
plan), `timing` (each method's measured seconds per step), `measures` (times in steps and
seconds, post-grok stability, the ranking), `figures` and `claims` (the book's own claims).
The notebook is notebooks/07_accelerators.ipynb.
"""
