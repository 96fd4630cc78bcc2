"""Chapter 1's scale presets, a reader outside the code fingerprint (grokcore.fingerprint)."""

from __future__ import annotations

SCALES = {  # sizes per scale; a notebook parameter left as None takes these
    "smoke": {
        "n": 20_000,
        "n_test": 2_000,
        "seeds": 2,
        "eps_sweep": [0.1, 0.01, 0.001],
        "init_scales": [0.01, 10.0],
        "num_steps": 20_000,
        "methods": ["gd", "egd", "egd11", "sgd"],
    },
    "cpu": {
        "n": 1_000_000,
        "n_test": 20_000,
        "seeds": 5,
        "eps_sweep": [0.1, 0.03, 0.01, 0.003, 0.001, 0.0003],
        "init_scales": [0.01, 0.1, 1.0, 10.0, 100.0],
        "num_steps": 100_000,
        "methods": ["gd", "egd", "egd11", "sgd"],
    },
    "paper": {
        "n": 10_000_000,
        "n_test": 100_000,
        "seeds": 20,
        "eps_sweep": [0.1, 0.03, 0.01, 0.003, 0.001, 0.0003, 0.0001],
        "init_scales": [0.01, 0.1, 1.0, 10.0, 100.0],
        "num_steps": 300_000,
        "methods": ["gd", "egd", "egd11", "sgd"],
    },
}
