"""grokcore: models, datasets, gradient transforms, one training loop and run records for
grokbook."""

__version__ = "0.1.0"

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
