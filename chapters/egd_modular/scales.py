"""Chapter 2's scale presets, a reader outside the code fingerprint (grokcore.fingerprint)."""

from __future__ import annotations

from .configs import METHODS, PARITY

_SMOKE_PLAN = {
    "x+y": ["none", "egd", "column_norm", "egd_rsvd128", "egd_noswitch"],
    "x*y": ["none", "egd", "column_norm", "grokfast_ema"],
    "parity(400,2)": ["none", "egd", "column_norm", "egd_noswitch"],
    "parity(400,2)/mse": ["none", "egd"],
}

_PLAN = {  # Fig. 1 (addition: column normalization, both rSVD ranks, the switch-back ablation and
    # an EGD learning-rate sweep around the code's 0.7), Fig. 2 (multiplication), Fig. 3 (parity)
    "x+y": [
        "none", "egd", "column_norm", "egd_rsvd128", "egd_rsvd64", "egd_noswitch",
        "egd@lr=0.35", "egd@lr=1.4",
    ],
    "x*y": ["none", "egd", "column_norm", "grokfast_ema"],
    "x+y mod 79": ["egd"],  # Figs. 1-2's other moduli
    "x+y mod 127": ["egd"],
    "x*y mod 79": ["egd"],
    "x*y mod 127": ["egd"],
    "parity(400,2)": ["none", "egd", "column_norm", "grokfast_ema", "egd_noswitch"],
    "parity(400,2)/mse": ["none", "egd"],
    "parity(100,3)": ["none", "egd"],  # Fig. 3's other two problems (hinge loss)
    "parity(50,4)": ["none", "egd"],
    "parity(100,3)/mse": ["egd"],  # and with the authors' squared loss ("a few epochs")
    "parity(50,4)/mse": ["egd"],
}  # fmt: skip

_PAPER_PLAN = {
    **{
        op if p == 97 else f"{op} mod {p}": list(METHODS)  # EGD Figs. 1-2: p = 79, 97, 127
        for op in ("x+y", "x*y")
        for p in (79, 97, 127)
    },
    **{
        f"parity({n},{k}){loss}": ["none", "egd", "column_norm", "grokfast_ema", "egd_noswitch"]
        for n, k in PARITY
        for loss in ("", "/mse")
    },
}

# The looks the cpu rows have had (Claim.check's; their number, or the seeds at each): every
# cpu build before 9d32085 judged every row at 5 seeds, which left rows undecided (a bound from
# censored runs takes 6 seeds at 95%), and the seeds went to 8 for that reason; the parity tasks'
# rows were judged at 100 epochs before 8a85682 gave them 300 (a longer budget, at the same 5
# seeds: a look too, so a count); Parity(400, 2) with the squared loss then went to 24 seeds
# (task_seeds). A row on a task is judged at Pocock's level for its task's looks
# (claims.looks_of; the two parity rows added with the 300 epochs count the 100-epoch look too,
# which errs on the safe side). A row named here has looks of its own (claims.row_looks).
_CPU_LOOKS = {
    **{task: [5, 8] for task in _PLAN if not task.startswith("parity")},
    **{task: 3 for task in _PLAN if task.startswith("parity")},
    "parity(400,2)": 4,  # its fourth at the authors' 10,100 epochs (task_epochs)
    "parity(400,2)/mse": 4,
    "parity(100,3)": 4,  # their fourth at the authors' budgets (task_epochs)
    "parity(50,4)": 5,  # and a fifth at 11 seeds (task_seeds)
    # x+y's EGD at lr 0.35 went to the authors' budget after the look at 8 seeds (long_methods):
    # the one row that reads it was judged a third time
    "egd-vs-sgd-add-lr0.35": 3,
    # the switch-back ablation's two EGD arms on x+y went to the authors' 15,000 epochs after
    # the look at 8 seeds (ablation_epochs): switch-back-add judged a third time; the two
    # final-accuracy rows, read at x+y's 222 epochs twice and at parity(400, 2)'s 10,100, a fourth
    "switch-back-add": 3,
    "egd-final-accuracy": 4,
    "egd-noswitch-final-accuracy": 4,
}

SCALES = {  # a notebook parameter left as None takes these
    "smoke": {
        "p": 23,
        "seeds": 2,
        "task_seeds": {"parity(400,2)/mse": 3},  # unequal to seeds: the smoke test extends a task
        "looks": {},  # a task -> the seeds at each look its rows had
        # short, so that the rows read runs before their chaotic phase: at 300 steps float
        # rounding that differs between CPUs (MKL's path on an AMD EPYC against an Intel Xeon,
        # AVX2 pinned on both; grokcore.cpu_isa) moved SGD's smallest gradient condition number
        # by 1% and the smoke row sgd-ill-conditioned's interval with it ([8, 23] on the Xeon,
        # [6, 25] on the EPYC); up to step 30 three float paths here agree to 1e-5 and give the
        # same table (default, MKL_CBWR=COMPATIBLE, GROKCORE_CPU_ISA=native)
        "num_steps": 30,
        "parity_epochs": 3,
        "task_epochs": {"parity(400,2)/mse": 4},  # unequal to parity_epochs: smoke tests it
        "plan": _SMOKE_PLAN,
        "cost_steps": 0,
        "long_methods": [],
        "long_epochs": None,
        "ablation_epochs": 400,  # unequal to num_steps' 300 epochs: smoke tests it
    },  # no timing: nbval compares the smoke claims table (cost_rows has a unit test)
    "cpu": {
        "p": 97,
        # 8 seeds (every row declares 5): a bound from censored runs, SGD's on parity, takes 6
        # at 95% (grokcore.estimates.signed_rank_lower), a Kaplan-Meier median's upper limit 7
        "seeds": 8,
        # parity(400,2)/mse at 8 seeds: egd-vs-sgd-parity-mse was a bound (>= 2.67x, SGD's 8
        # seeds censored at 300 epochs), about 10 seeds deciding it in half of 64 resamples of
        # its seeds (grokcore.claims.seeds_by_resampling); seeds 8-23 of that task were added for
        # that reason alone, a second look at 8 and 24 (Pocock's level)
        # parity(50,4) at 11 seeds: at the authors' 6,000 epochs (task_epochs) egd-vs-sgd-
        # parity(50,4) was a bound (<= 4.81x against 3x, 4 of EGD's 8 seeds censored), about 11
        # seeds deciding it at one more look in half of 64 resamples of its seeds; seeds 8-10 of
        # that task were added for that reason alone, a fifth look
        "task_seeds": {"parity(400,2)/mse": 24, "parity(50,4)": 11},
        "looks": _CPU_LOOKS,
        "num_steps": 2000,
        # parity: 300 epochs (the authors' 2,000-10,100 cost 30-40 minutes a cell), 6x EGD's
        # slowest Parity(400, 2) seed at 100 epochs: room for SGD's plateau to show against it
        "parity_epochs": 300,
        # the hinge-loss Parity(100, 3) and (50, 4) at their authors' 2,000 and 6,000 epochs
        # (parity.py): at 300, (100, 3) had no seed of SGD or EGD off 50% test accuracy (EGD's
        # train accuracy 89-93%), and (50, 4) 10 of its 16 runs short of 95% (SGD's 4 others
        # ahead of EGD's 2), which left egd-vs-sgd-parity(100,3) and -(50,4) without a bound
        # (not testable); both tasks' budgets were raised for that reason alone, after that look,
        # to the authors' (a fourth look for their rows: looks). (50, 4)'s runs came second,
        # after (100, 3)'s had been read, its budget set before they ran
        # Parity(400, 2) with the hinge loss at its authors' 10,100 epochs (parity.py): at 300,
        # SGD and Grokfast-EMA had all 8 seeds at chance (their rows bounds), and the two final-
        # accuracy rows, which read a task where EGD runs the authors' whole budget, had none
        # (x+y's ablation stops at 222 epochs); raised for that reason alone, after its third
        # look, to the authors' budget (a fourth look: looks)
        "task_epochs": {"parity(100,3)": 2000, "parity(50,4)": 6000, "parity(400,2)": 10100},
        "plan": _PLAN,
        "cost_steps": 100,
        # SGD and column normalization at the authors' 15,000 epochs (stopping at 95%): the
        # plateau of Figs. 1-2 observed, not censored at 222 epochs (parity keeps parity_epochs).
        # EGD at lr 0.35 too: at 222 epochs all 8 of its seeds were still rising (84-87% test
        # accuracy), which left egd-vs-sgd-add-lr0.35 a bound (<= 27.7x, not testable); its
        # budget was raised for that reason alone, after that look, to the authors' (a third
        # look for that row alone: looks)
        "long_methods": ["none", "column_norm", "egd@lr=0.35"],
        "long_epochs": None,
        # the switch-back ablation's two EGD arms on x+y at the authors' 15,000 epochs: at
        # num_steps' 222, 9 of its 16 runs were short of 99% test accuracy, which left
        # switch-back-add without a bound and the final accuracies not the final ones; raised
        # for that reason alone, after the look at 8 seeds (a third look for its rows: looks).
        # 7.4 CPU-hours here: 25 minutes per run without the switch (86-90 steps/s, an EGD step
        # at each of its 135,000 steps), 25-40 with it
        "ablation_epochs": 15000,
    },
    # 15000 epochs as the EGD code; parity: the code's budgets (PARITY_EPOCHS)
    "paper": {
        "p": 97,
        "seeds": 10,
        "task_seeds": {},
        "looks": {},
        "num_steps": 135_000,
        "parity_epochs": None,
        "task_epochs": {},  # every parity task at its authors' budget already
        "plan": _PAPER_PLAN,
        "cost_steps": 300,
        "long_methods": [],  # num_steps is already the authors' budget
        "long_epochs": None,
        "ablation_epochs": None,  # num_steps is already the authors' budget
    },
}
