"""The template chapter's scale presets: a reader outside the code fingerprint."""

from __future__ import annotations

# REPLACE: one preset per scale; a notebook parameter left as None takes the preset's value
# (the keys are make_configs' arguments). Every value names its source. "smoke" runs in seconds
# (tests, the nbval reference), "cpu" is what the book shows, "paper" the paper's own budget.
SCALES = {
    "smoke": {"p": 23, "width": 64, "seeds": 2, "num_steps": 40},  # seconds: only that it runs
    # EGD App. B; 333 epochs; 5 seeds, the most any claim needs (claims.CLAIMS' min_seeds)
    "cpu": {"p": 97, "width": 512, "seeds": 5, "num_steps": 3000},
    # the EGD code's budget: 15000 epochs of 9 steps; 10 seeds (ours)
    "paper": {"p": 97, "width": 512, "seeds": 10, "num_steps": 135_000},
}
