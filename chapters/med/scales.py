"""Chapter 5's scale presets, a reader outside the code fingerprint (grokcore.fingerprint)."""

from __future__ import annotations

SCALES = {  # a notebook parameter left as None takes these
    "smoke": {
        "p": 23,
        "d_model": 32,
        "lr": 3e-3,
        "frac_train": 0.5,
        "seeds": 2,
        "op_seeds": {"x+y": 3},  # unequal to seeds, so that the smoke test runs the extension
        "wd_seeds": 3,  # unequal to seeds, so that the smoke test extends the weight-decay runs
        "hole_seeds": {"strip-67": 3},  # unequal to seeds, so that the smoke test extends a hole
        "fourier_seeds": 2,
        "looks": {},  # operation, "weight_decay" or a hole -> the seeds at each look its rows had
        "num_steps": 60,
        # unequal to num_steps, so that the smoke test runs both budgets; short, so that the
        # rows that read U-Acc (a maximum over evaluations) are settled before the chaotic phase:
        # at 80 steps float rounding that differs between CPUs (MKL takes another path on an
        # AMD EPYC than on an Intel Xeon, AVX2 pinned on both) flipped one test pair of one
        # seed, and with it the smoke row wider-embedding-raises-accuracy (10.6 against 10.8
        # points); three other float paths here (MKL_CBWR=COMPATIBLE, GROKCORE_CPU_ISA=native)
        # moved train losses by at most 5e-5 (relative) at step 40, 1e-2 at step 80
        "layout_steps": 40,
        "op_steps": 70,  # unequal to both, so that the smoke test runs all three budgets
        "eval_every": 20,
        "square_holes": [60],
        "strip_holes": [67],
        "d_models": [16, 32],
        "layers": [1, 2],
        "mc_trials": 10,
        "fast": False,
    },
    "cpu": {
        "p": 41,
        "d_model": 64,
        "lr": 3e-3,
        "frac_train": 0.5,
        # the most any row declares (strip-67-disappears); a run costs ~45 s here. Earlier cpu
        # builds ran 3 (e14a5d7 raised it to meet that declared minimum, whatever the values:
        # not a look: README, "What is reproduced")
        "seeds": 6,
        # x+y's MED runs at 12 seeds: at 6, 2 of them did not grok within 1500 epochs and the
        # med-tracks x+y rows (and med-beats-weight-norm, pooled where runs grok: x+y alone)
        # were undecided on the 4 that did; seeds 6-11 were added for that reason alone, after
        # that look, so those rows are judged at Pocock's level for looks at 6 and 12 seeds.
        # At 12, 9 grokked and three rows still crossed their edges (med-tracks-loss-x+y, its rank
        # form and med-beats-weight-norm: about 21, 17 and 22 seeds with a value would decide
        # them if the estimates and spreads held, grokcore.claims.seeds_to_decide); seeds 12-31
        # were added for that reason alone, a third look: Pocock's level for 6, 12 and 32.
        # At 32, 24 grokked and three rows still crossed their edges (med-tracks-loss-x+y 0.72
        # [0.50, 0.95] against 0.9, med-beats-weight-norm -0.16 [-0.40, 0.08] against 0, about 45
        # and 62 seeds with a value deciding them if the estimates and spreads held, at 3 of 4
        # grokking about 60 and 83 seeds); seeds 32-83 were added for that reason alone, a fourth
        # look: Pocock's level for 6, 12, 32 and 84
        # x-y's at op_steps (below): 3 of 6 seeds grokked, so its med-tracks rows were bounds that
        # did not decide (half the seeds without a value); seeds 6-23 were added for that reason
        # alone, a third look for those rows (looks)
        "op_seeds": {"x+y": 84, "x-y": 24},
        # the weight-decay comparison (wd-uniform-spacing) at 6 seeds crossed its 0.8 edge, about
        # 21 seeds deciding it if the estimate and spread held: seeds 6-23 were added for that
        # reason alone (its weight decay 1 runs are x+y's above), a second look at 6 and 24.
        # At 24 it read 0.71x [0.56, 0.86], still across 0.8, about 83 seeds deciding it if the
        # estimate and spread held: seeds 24-83 were added for that reason alone, a third look
        "wd_seeds": 84,
        # the STRIP hole k = 67 at 6 seeds: u-acc-strip-67 had 3 censored seeds (a bound only,
        # about 8 seeds deciding it in half of 64 resamples of its seeds, grokcore.claims.
        # seeds_by_resampling) and strip-67-disappears read 4 of 6 [0.22, 0.96] against one
        # half; seeds 6-35 of that hole were added for that reason alone, a second look at 6 and
        # 36 (the rows that pool the holes, u-acc-rest-full and u-acc-paper-test-set, look twice)
        "hole_seeds": {"strip-67": 36},
        # the x+y runs that also log the token embedding's Fourier power (probe
        # "embedding_fourier"), for med-beats-fourier: 48 seeds set before their runs, from the
        # spread of med-beats-weight-norm's per-seed differences (sd about 0.42 over 64 seeds
        # that grokked): about 36 of 48 grokking would give a 95% interval of about +-0.14
        "fourier_seeds": 48,
        # "layouts": the runs that measure a layout's U-Acc (parameters.LAYOUT_GROUPS: every SQUARE
        # and STRIP hole of both vocabularies, the embedding widths' hole, the random layout at
        # random_fracs) judged twice, at num_steps and again at layout_steps (below): one more
        # look for every row on them, the strip-67 rows' third
        "looks": {
            "x+y": [6, 12, 32, 84],
            "weight_decay": [6, 24, 84],
            "strip-67": [6, 36],
            "layouts": 2,
            # the operations but x+y, judged at num_steps and again at op_steps (below); x-y's
            # a third time at 24 seeds (op_seeds)
            **{op: 2 for op in ("x^2+y^2", "x^2", "x^3+xy")},
            "x-y": 3,
        },
        "num_steps": 1500,
        # the layout runs at 1500 epochs (num_steps) left 32 of the 60 runs of Table 1's holes
        # but STRIP k = 67 still rising (no plateau window: a lower bound only), so every U-Acc
        # row but STRIP k = 67's, random-layout-full, u-acc-rest-full, u-acc-paper-test-set,
        # u-acc-strip-67-separate and strip-separate-hole-unlearned were not testable (a longer
        # budget, not more seeds, could decide them; SQUARE k = 30 still climbed about 10
        # points per 375 epochs at the end); their budget was raised for that reason alone,
        # after that look, to 4x (the MED code: 30000 epochs at p = 97): every row on those
        # runs is judged at Pocock's level for one more look (looks)
        "layout_steps": 6000,
        # the MED runs of the operations but x+y at 1500 epochs: none of x-y's 6 seeds grokked
        # (test accuracy still creeping up, 3% to 9%), x^3+xy's stayed at chance, x^2+y^2 and
        # x^2 generalized with memorization (no delay): every med-tracks row of those operations
        # was not testable, a longer budget (not more seeds) deciding x-y's at least; their
        # budget was raised for that reason alone, after that look, to the layout runs' 4x: a
        # second look for their rows (looks). x+y's runs, shared with the other groups, keep
        # num_steps
        "op_steps": 6000,
        "eval_every": 25,
        "square_holes": [30, 35, 40, 45, 50, 55, 60],  # every hole of Table 1
        "strip_holes": [40, 50, 60, 67],
        "d_models": [32, 64],
        "layers": [1, 2],
        "mc_trials": 200,
        "fast": False,  # the shipped records were made without the speed options
    },
    "paper": {
        "p": 97,
        "d_model": 128,
        "lr": 1e-3,
        "frac_train": 0.3,
        "seeds": 6,  # as cpu: the most any row declares
        "op_seeds": {},
        "wd_seeds": 6,
        "hole_seeds": {},
        "fourier_seeds": 6,
        "looks": {},
        "num_steps": 30_000,
        "layout_steps": 30_000,  # the MED code's one budget
        "op_steps": 30_000,
        "eval_every": 100,
        "square_holes": [30, 35, 40, 45, 50, 55, 60],
        "strip_holes": [40, 50, 60, 67],
        "d_models": [128, 512],
        "layers": [1, 2, 3],
        "mc_trials": 2000,
        "fast": True,  # the same function, faster (issue 25): see `config`
    },  # MED code: 30000 epochs, full batch, p = 97, 30% train
}


# chapter 5's resnet_* parameters left as None take these (image_sum.ImageSumConfig's field names)
IMAGE_SUM_SCALES = {
    "smoke": {
        "tile": 6,
        "channels": 1,
        "widths": [4, 8],
        "blocks": [1, 1],
        "stem": "cifar",
        "num_epochs": 2,
        "eval_every": 1,
        "bn_recalibrate": True,
    },
    "cpu": {
        "tile": 8,
        "channels": 1,
        "widths": [8, 16, 32, 64],
        "blocks": [1, 1, 1, 1],
        "stem": "cifar",
        "num_epochs": 50,
        "eval_every": 5,
        "bn_recalibrate": True,
    },  # ~70 CPU-s per seed (idle core)
    "paper": {
        "tile": 112,
        "channels": 3,
        "widths": [64, 128, 256, 512],
        "blocks": [2, 2, 2, 2],
        "stem": "imagenet",
        "num_epochs": 20_000,
        "eval_every": 100,
        "bn_recalibrate": False,
    },  # the code
}
