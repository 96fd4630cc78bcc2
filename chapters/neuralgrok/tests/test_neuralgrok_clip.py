"""The clip's reading of Fig. 2 (claims: rescale-clip-equalizes-c), checked on real training:
under the code's clip_grad_norm_(1.0), standard training rescaled to any c with c·√37 > 1 takes
the same steps, up to clip_grad_norm_'s 1e-6 in its divisor."""

import dataclasses

from chapters.neuralgrok import configs
from chapters.neuralgrok.measures import n_tensors
from grokcore.config import MethodConfig
from grokcore.train import train_stack

# the code's decoder and optimizer (configs.base_run) at toy size, float64, past 95%
BASE = configs.base_run(
    "x+y", p=11, d_model=16, num_steps=60, eval_every=10, n_heads=2, batch_size=16
).replace(dtype="float64", stop_at_test_acc=None)


def losses(cfg, c):
    h = train_stack([cfg.replace(method=MethodConfig(name="rescale", c=c))])[0].history
    return h["train_loss"] + h["test_loss"]


def largest_gap(a, b):
    return max(abs(x - y) / abs(x) for x, y in zip(a, b))


def test_the_clip_gives_every_rescaled_c_the_same_update():
    assert n_tensors(BASE, code=False) == 37 and n_tensors(BASE) == 29  # q, k, v apart or not
    ref = losses(BASE, 0.5)
    for c in (1.0, 2.0):  # 0.5·√37 = 3.0 and up: the clip binds in every arm
        assert largest_gap(ref, losses(BASE, c)) < 1e-8
    # without the clip, c reaches the update through Adam's coupled L2 term: the arms part
    free = BASE.replace(optim=dataclasses.replace(BASE.optim, clip_norm=None))
    assert largest_gap(losses(free, 0.5), losses(free, 2.0)) > 1e-6
    # and a c whose total norm stays under the clip's 1 is not clipped to it
    assert largest_gap(ref, losses(BASE, 0.1)) > 1e-6
