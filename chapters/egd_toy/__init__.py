"""Chapter 1: EGD's toy model (EGD §3), the GD plateau of length ~1/eps and EGD's
preconditioned update."""
