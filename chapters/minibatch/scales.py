"""Chapter 6's scale presets, a reader outside the code fingerprint (grokcore.fingerprint)."""

from __future__ import annotations

SCALES = {  # a notebook parameter left as None takes these; batch size 0 = full batch
    "smoke": {
        "p": 23,
        "seeds": 2,
        "batch_sizes": [8, 32, 0],
        "num_epochs": 20,
        "full_epochs": 60,
        "conditions_batch_size": 16,
        "conditions_epochs": 20,
        "frac_p": 23,
        "fracs": [0.5, 0.8],
        "frac_batch_size": 16,
        "frac_epochs": 30,
        "progress_epochs": 20,
        "mlp_p": 23,
        "mlp_epochs": 60,
        "fast": False,
        "batch_seeds": 3,  # unequal to seeds, so that the smoke test runs the extension
        "looks": {},  # "batch" -> the seeds at each look of the rows on the grown cells
    },
    # fastgrok.py's batch sizes 2 to 1024 (batch 1: its 8 seeds had not all reached 100% after
    # 22 min on this CPU, where 250 epochs are 522,000 steps; the paper scale runs it), full
    # batch given 2000 epochs (the code: 250) so that its own time is measured
    "cpu": {
        "p": 59,
        "seeds": 8,
        "batch_sizes": [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 0],
        "num_epochs": 250,
        "full_epochs": 2000,
        "conditions_batch_size": 64,
        # fastgrok.py run_experiment: 250; there 7 of 8 seeds without LayerNorm and 2 without
        # weight decay had not reached 99%, and one seed with LayerNorm neither: a pair censored
        # on both sides bounds nothing, so the conditions get 4x the code's budget
        "conditions_epochs": 1000,
        "frac_p": 113,
        "fracs": [0.3, 0.5, 0.7],
        "frac_batch_size": 8,
        "frac_epochs": 60,
        "progress_epochs": 150,
        "mlp_p": 59,
        # topogrok.py runs 2500 epochs; the plain MLP (penalty "none") reached 3-12% test
        # accuracy by epoch 1500 here, and 95% at epochs 8580-10,990 in all 8 seeds given
        # 12,000: "albeit slowly" needs the longer budget
        "mlp_epochs": 12000,
        "fast": False,  # the shipped records were made without the speed options
        # the sweep's minibatch sizes at 16 seeds (the full batch keeps seeds): at 8,
        # minibatch-linear was 0.58 [0.44, 0.72] against the band's 0.7, with about 13 seeds
        # deciding it if the estimate and spread held (claims.seeds_to_decide); 16 (one more
        # stack of 8) leaves a margin. Seeds 8-15 were added for that reason alone; the rows
        # that read them (minibatch-linear and thirty-passes, both undecided at 8) are judged at
        # Pocock's level for looks at 8 and 16 seeds; the rows decided at 8 keep those 8
        "batch_seeds": 16,
        "looks": {"batch": [8, 16]},
    },
    # fastgrok.py run_experiment_batch_size: 1, 2, ..., 1024 and full batch, 250 effective
    # epochs; run_experiment_train_frac: p 113, batch 8, fractions 0.3-0.7, 250 epochs
    "paper": {
        "p": 59,
        "seeds": 8,
        "batch_sizes": [2**k for k in range(11)] + [0],
        "num_epochs": 250,
        "full_epochs": 5000,
        "conditions_batch_size": 64,
        "conditions_epochs": 1000,  # fastgrok.py: 250, too few to decide (see cpu)
        "frac_p": 113,
        "fracs": [0.3, 0.4, 0.5, 0.7],
        "frac_batch_size": 8,
        "frac_epochs": 250,
        "progress_epochs": 250,
        "mlp_p": 59,
        "mlp_epochs": 12000,  # topogrok.py: 2500, too few for the plain MLP (see cpu)
        "fast": True,  # the same function, faster (issue 25): see `config`
        "batch_seeds": 8,
        "looks": {},
    },
}
