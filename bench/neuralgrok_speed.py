"""Chapter 3 at its cpu preset: steps/s of standard training and NeuralGrok, and the meta signal.

    .venv/bin/python bench/neuralgrok_speed.py                 # ~1-2 min, one thread
    .venv/bin/python bench/neuralgrok_speed.py --steps 200 --diagnose

Times `--steps` steps of each method (1 seed, 1 thread, evaluation every 50 steps as the
chapter) at the chapter's cpu preset (x+y mod 97, 50% train, the NeuralGrok code's decoder at
width 128, amplifier 8, 8; `--amp-hidden 128 128` is the code's amplifier).
With --diagnose it also prints, for the NeuralGrok run, what the amplifier's Adam receives at
each meta step: the norm of the meta gradient dL_outer/dphi against the norm of the coupled L2
term weight_decay * phi that torch.optim.Adam adds to it, how far phi moved, and how far the
softmax over each tensor's entries is from uniform (max over tensors of N * max_i p_i - 1).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

from grokcore import neuralgrok  # noqa: E402
from chapters.neuralgrok import configs as ng  # noqa: E402
from chapters.neuralgrok import scales as ng_scales  # noqa: E402
from grokcore.amplifier import meta_loss  # noqa: E402
from grokcore.train import train_stack  # noqa: E402


def cpu_configs(steps: int, amp_hidden: tuple[int, ...] | None = None):
    P = ng_scales.SCALES["cpu"]
    run = ng.base_run(
        "x+y",
        p=P["p"],
        d_model=P["d_model"],
        num_steps=steps,
        eval_every=P["eval_every"],
        frac_train=P["frac_train"],
        stop_at_test_acc=None,
    )
    amp = neuralgrok.AmplifierConfig(hidden=tuple(amp_hidden or P["amp_hidden"]))
    frozen = neuralgrok.AmplifierConfig(hidden=amp.hidden, meta=False)
    return {
        **{m: ng.method_config(m, run, amp=amp) for m in ("standard", "grokfast_ma", "neuralgrok")},
        "frozen amplifier": ng.method_config("neuralgrok", run, amp=frozen),
    }


class Trace:
    """Replaces neuralgrok.meta_step: the same step, recording the meta gradient and phi."""

    def __init__(self):
        self.rows, self.phi0 = [], None

    def __call__(
        self, model, amp, meta_opt, params, grads, c, lr, outer_loss, norms=None, groups=None
    ):
        if self.phi0 is None:
            self.phi0 = {n: p.detach().clone() for n, p in amp.named_parameters()}
        meta_opt.zero_grad(set_to_none=True)
        loss = meta_loss(model, amp, params, grads, c, lr, outer_loss, groups)
        loss.sum().backward()
        wd = meta_opt.param_groups[0]["weight_decay"]
        g = torch.sqrt(sum(p.grad.pow(2).sum() for p in amp.parameters())).item()
        l2 = wd * torch.sqrt(sum(p.detach().pow(2).sum() for p in amp.parameters())).item()
        with torch.no_grad():
            groups = groups or [[n] for n in grads]
            flat = [torch.cat([grads[n].flatten(1) for n in g], 1) for g in groups]
            scores = amp(torch.cat(flat, 1)).split([f.shape[1] for f in flat], 1)
            spread = max((s.softmax(1).max(1).values * s.shape[1] - 1).max().item() for s in scores)
        meta_opt.step()
        drift = torch.sqrt(
            sum((p.detach() - self.phi0[n]).pow(2).sum() for n, p in amp.named_parameters())
        ).item()
        self.rows.append((g, l2, drift, spread))
        return loss.tolist()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--diagnose", action="store_true")
    ap.add_argument(
        "--amp-hidden",
        type=int,
        nargs="+",
        help="amplifier hidden widths (default: the cpu preset's)",
    )
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfgs = cpu_configs(args.steps, args.amp_hidden)
    trace = Trace()
    if args.diagnose:
        neuralgrok.meta_step = trace
    for name, cfg in cfgs.items():
        t0 = time.perf_counter()
        rec = (train_stack if name in ("standard", "grokfast_ma") else neuralgrok.train_neuralgrok)(
            [cfg]
        )[0]
        dt = time.perf_counter() - t0
        print(
            f"{name:16s} {args.steps / dt:6.1f} steps/s  final train {rec.final['train_acc']:.3f} "
            f"test {rec.final['test_acc']:.3f}"
        )
    if args.diagnose:
        print("meta step | |dL/dphi| | |wd*phi| (coupled L2) | |phi - phi0| | N max p - 1")
        for i in sorted({0, 1, len(trace.rows) // 2, len(trace.rows) - 1}):
            g, l2, drift, spread = trace.rows[i]
            print(f"{i:9d} | {g:.2e} | {l2:.2e} | {drift:.2e} | {spread:.2e}")


if __name__ == "__main__":
    main()
