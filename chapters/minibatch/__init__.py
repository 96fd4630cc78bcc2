"""Chapter 6: small-batch SGD makes transformers grok in tens of passes (Hanson 2026).

`configs` (scale presets, the batch-size, weight-decay and training-fraction sweeps, the quadratic
MLP runs), `topology` (§2's quadratic MLP and its topological penalty as a loss hook),
`measures`, `figures`, and `claims` (the claims as data and the rows of the claims table).
"""
