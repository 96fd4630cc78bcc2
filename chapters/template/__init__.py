"""Template chapter: copy this package to start a new chapter (README.md, "Add a chapter").

Standard training against one gradient transform on (x+y) mod p, with the modules every chapter
has: `configs` (scale presets, the runs), `measures` (what is read from a run record, per seed),
`figures` (house-style matplotlib) and `claims` (the claims the notebook checks). Its notebook,
`chapter.ipynb`, becomes notebooks/NN_<name>.ipynb. Replace the template's experiment by yours;
keep the layout.
"""
