"""Chapter 2: EGD, column normalization and Grokfast on modular arithmetic and sparse parity
(EGD §4-5)."""
