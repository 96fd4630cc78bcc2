"""grokcore: models, datasets, gradient transforms, one training loop and run records for
grokbook."""

__version__ = "0.1.0"

from . import cpu_isa as _cpu_isa  # noqa: E402

# before any torch kernel runs: every x86-64 computes as an AVX2 one, as the shipped records were
# made (grokcore.cpu_isa; GROKCORE_CPU_ISA=native opts out); child processes inherit it
_cpu_isa.pin()

from .claims import Claim, ClaimsTable, claims_table  # noqa: E402
from .config import (  # noqa: E402
    ConfigError,
    MethodConfig,
    MLPConfig,
    ModularTask,
    OptimConfig,
    ParityTask,
    RunConfig,
    TransformerConfig,
)
from .decoder import DecoderConfig  # noqa: E402
from .fastgrok import FastgrokConfig  # noqa: E402
from .neuralgrok import AmplifierConfig, NeuralGrokConfig  # noqa: E402
from .presets import PRESETS, preset  # noqa: E402
from .records import RunRecord  # noqa: E402
from .sweep import run_or_load  # noqa: E402
from .train import train_stack  # noqa: E402

_cpu_isa.check()  # warns if a torch kernel ran before this import (its ISA is chosen already)

__all__ = [
    "AmplifierConfig",
    "NeuralGrokConfig",
    "Claim",
    "ClaimsTable",
    "claims_table",
    "ConfigError",
    "DecoderConfig",
    "FastgrokConfig",
    "MethodConfig",
    "MLPConfig",
    "ModularTask",
    "OptimConfig",
    "PRESETS",
    "preset",
    "ParityTask",
    "RunConfig",
    "TransformerConfig",
    "RunRecord",
    "run_or_load",
    "train_stack",
    "__version__",
]
