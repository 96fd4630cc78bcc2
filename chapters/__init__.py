"""The book's chapters: one package per notebook, each with the code only that chapter uses.

Every chapter package has the same few modules where it has such code: `configs` (scale presets
and the runs a chapter makes), `measures` (what it reads from a run record, per seed), `figures`
and `claims`; `chapters/template` is the package a new chapter copies. A chapter imports
grokcore and itself, never another chapter; grokcore never imports a chapter.
"""
