"""Keeps pytest (nbval) from collecting the template notebook: it is copied to notebooks/ first.

A chapter made from the template has no chapter.ipynb here and can delete this file."""

collect_ignore = ["chapter.ipynb"]
