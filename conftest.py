"""Root conftest: before any test computes, pin PyTorch's CPU kernels to one vector ISA
(grokcore.cpu_isa, which importing grokcore applies), as the shipped records, the nbval
references and the tests' tiny configs were made; the notebook kernels and workers the tests
start inherit it."""

import grokcore  # noqa: F401  (importing it pins, before any test computes)
