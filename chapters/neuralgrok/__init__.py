"""Chapter 3: NeuralGrok (Zhou et al. 2025), a learned gradient amplifier trained by a bilevel loop,
against standard training, Grokfast-MA/EMA and gradient rescaling.

`amplifier` (the amplifier MLP and its meta step), `neuralgrok` (the run config and the bilevel
step as a grokcore hook + transform), `configs` (scale presets, the plan of cells), `measures`
(what is read from a record), `figures` (figures and tables), `claims` (the claims, declared,
and their rows).
"""
