"""Chapter 4: Adam's β1 and weight decay against the grokking delay (Grokking Dynamics blog).

`configs` (scale presets, the β1 and weight-decay sweeps), `diagnostics` (Hessian, gradient
agreement and rank of a stacked model, logged as a probe), `transplant` (the Fourier-neuron
transplant as a grokcore hook), `measures`, `figures` and `claims`.
"""
