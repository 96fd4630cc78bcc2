"""Hanson 2026, §2: an MLP that learns the cyclic order of the integers, with and without help.

The model (topogrok.py / agopgrok.py): separate embeddings E_A, E_B [p, d] ~ N(0, 1),
h = (E_A[a] + E_B[b])^2 (elementwise), logits = h W_out with W_out [d, p] ~ N(0, 1/d) and no
bias; full batch AdamW. Penalties on the embedding E = [E_A; E_B] [2p, d]:

- "laplacian_data": lamb * tr(E^T L E), L = D - W of the "same answer" graph built from the
  training table alone (`data_adjacency`, §2's construction, as cayley.py does it).
- "laplacian_oracle": the same with L from the true order: rings i ~ i+1 for A and for B, plus
  cross links a_i ~ b_i (topogrok.py forces the known group structure).
- "agop": lamb * tr(E M E^T), M = (W_out W_out^T) * Cov(g) with g = 2 (E_A[a] + E_B[b]) over the
  training pairs (agopgrok.py's analytic AGOP of the logits with respect to the embedding).

lamb defaults to 1/(2 p d) as in the source. Records are grokcore RunRecords (one step = one
full-batch epoch), so train.summarize's step_to_test_acc_99 is the epochs to grok.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from grokcore.config import (
    ConfigError,
    Experiment,
    ModelConfig,
    ModularTask,
    OptimConfig,
    RunConfig,
)
from grokcore.data import modular_dataset
from grokcore.hooks import Hook
from grokcore.models import StackedModule, _stack_init
from grokcore.records import RunRecord, new_record
from grokcore.train import train_stack

PENALTIES = ("none", "laplacian_data", "laplacian_oracle", "agop")


@dataclass(frozen=True)
class TopoConfig(Experiment):
    """One quadratic-MLP run on (a + b) mod p; defaults: Hanson 2026 topogrok.py."""

    p: int = 59  # modulus (topogrok.py)
    d: int = 128  # embedding width (topogrok.py)
    frac_train: float = 0.75  # fraction of the p^2 pairs used for training (topogrok.py)
    lr: float = 1e-2  # AdamW (topogrok.py)
    weight_decay: float = 1e-2  # AdamW, decoupled (topogrok.py)
    penalty: str = "none"  # "none" | "laplacian_data" | "laplacian_oracle" | "agop"
    lamb: float | None = None  # penalty weight; None = 1/(2 p d) (topogrok.py, agopgrok.py)
    num_epochs: int = 2500  # full-batch epochs (topogrok.py)
    eval_every: int = 10  # epochs between evaluations (topogrok.py)
    stop_at_test_acc: float | None = 0.99  # end a member's run here (ours: saves the budget)
    seed: int = 0  # init and split

    def __post_init__(self) -> None:
        def bad(name, allowed):
            raise ConfigError(
                f"TopoConfig.{name}={getattr(self, name)!r} is invalid: allowed {allowed}"
            )

        if not (isinstance(self.p, int) and self.p >= 3):
            bad("p", "an integer >= 3")
        for name in ("d", "num_epochs", "eval_every"):
            if not (isinstance(getattr(self, name), int) and getattr(self, name) > 0):
                bad(name, "a positive integer")
        if not 0 < self.frac_train < 1:
            bad("frac_train", "a number in (0, 1)")
        if not self.lr > 0:
            bad("lr", "a positive number")
        if not self.weight_decay >= 0:
            bad("weight_decay", "a number >= 0")
        if self.penalty not in PENALTIES:
            bad("penalty", "one of " + ", ".join(map(repr, PENALTIES)))
        if self.lamb is not None and not self.lamb >= 0:
            bad("lamb", "None or a number >= 0")
        if self.stop_at_test_acc is not None and not 0 < self.stop_at_test_acc <= 1:
            bad("stop_at_test_acc", "None or a number in (0, 1]")

    @property
    def task(self) -> ModularTask:
        return ModularTask(operation="x+y", p=self.p, frac_train=self.frac_train)

    @property
    def run(self) -> RunConfig:
        """The run grokcore's loop trains: full-batch AdamW (torch defaults: betas (0.9, 0.999)),
        no loss L2, one step per epoch."""
        optim = OptimConfig(
            name="adamw",
            lr=self.lr,
            weight_decay=self.weight_decay,
            betas=(0.9, 0.999),
            loss_l2=0.0,
            batch_size=None,
        )
        return RunConfig(
            task=self.task,
            model=QuadraticMLPConfig(d=self.d),
            optim=optim,
            num_steps=self.num_epochs,
            eval_every=self.eval_every,
            stop_at_test_acc=self.stop_at_test_acc,
            seed=self.seed,
        )

    @property
    def penalty_weight(self) -> float:
        return 1 / (2 * self.p * self.d) if self.lamb is None else self.lamb

    @classmethod
    def train(cls, cfgs: list, device: str = "cpu") -> list[RunRecord]:
        return train_topo(cfgs, device)


@dataclass(frozen=True)
class QuadraticMLPConfig(ModelConfig):
    """The quadratic MLP as a grokcore model (reads the operand pairs)."""

    d: int = 128  # embedding width (topogrok.py)

    def build(self, run: RunConfig, ds, seeds, dtype) -> "QuadraticMLP":
        return QuadraticMLP(run.task.p, self.d, seeds, dtype)


class QuadraticMLP(StackedModule):
    """logits = (E_A[a] + E_B[b])^2 W_out, stacked over members: E_A, E_B [M, p, d],
    W_out [M, d, p]."""

    def __init__(self, p: int, d: int, seeds, dtype=torch.float32):
        shapes = {"E_A": (p, d), "E_B": (p, d), "W_out": (d, p)}
        super().__init__(
            _stack_init(seeds, shapes, {"E_A": 1.0, "E_B": 1.0, "W_out": d**-0.5}, dtype)
        )

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """v = E_A[a] + E_B[b]: x [M, B, 2] int64 -> [M, B, d]."""
        rows = torch.arange(x.shape[0], device=x.device)[:, None]
        return self.E_A[rows, x[..., 0]] + self.E_B[rows, x[..., 1]]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.bmm(self.embed(x).square(), self.W_out)  # [M, B, p]

    @property
    def E(self) -> torch.Tensor:
        return torch.cat([self.E_A, self.E_B], dim=1)  # [M, 2p, d]


# ---- graphs and penalties ------------------------------------------------------------------


def laplacian(adj: torch.Tensor) -> torch.Tensor:
    """L = D - W of a symmetric 0/1 adjacency matrix [n, n] (float64)."""
    w = adj.double()
    return torch.diag(w.sum(1)) - w


def oracle_adjacency(p: int) -> torch.Tensor:
    """The true order as a 2p-node graph: rings a ~ a+1 and b ~ b+1, and cross links a_i ~ b_i."""
    i = torch.arange(p)
    adj = torch.zeros(2 * p, 2 * p, dtype=torch.bool)
    for off in (0, p):
        adj[off + i, off + (i + 1) % p] = True
    adj[i, p + i] = True
    return adj | adj.T


def data_adjacency(
    operands: torch.Tensor, labels: torch.Tensor, p: int, a0: int = 0, a1: int = 1, rounds: int = 4
) -> torch.Tensor:
    """The "same answer" graph of a training table (Hanson §2, cayley.py), [2p, 2p] bool.

    Rows a0 and a1 give B-edges b ~ b' wherever a0 + b and a1 + b' have the same answer: then
    b - b' = a1 - a0 =: Delta. Every B-edge (b, b') used as a pair of columns gives A-edges
    a ~ a' (a' - a = Delta), and every A-edge used as a pair of rows gives more B-edges, so the
    gaps of an incomplete table fill in over `rounds`. Both rings step by the same unknown
    Delta, so low frequencies along them match between A and B. Only the answer labels are
    used, never the integers' values; no A-B links (which a is which b is not in the table).
    operands [n, 2] and labels [n] are the training examples."""
    table = torch.full((p, p), -1, dtype=torch.int64)  # [a, b] -> answer, -1 unseen
    table[operands[:, 0], operands[:, 1]] = labels

    def links(t: torch.Tensor, pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
        """Pairs (j, j') of columns with t[r, j] == t[r', j'] (seen) for each row pair (r, r')."""
        out = set()
        for r, r2 in pairs:
            same = (t[r][:, None] == t[r2][None, :]) & (t[r][:, None] >= 0)  # [p, p]
            out |= {tuple(e) for e in same.nonzero().tolist()}
        return out

    b_edges = links(table, [(a0, a1)])
    a_edges: set[tuple[int, int]] = set()
    for _ in range(rounds):
        a_edges |= links(table.T, sorted(b_edges))
        b_edges |= links(table, sorted(a_edges))
    adj = torch.zeros(2 * p, 2 * p, dtype=torch.bool)
    for off, edges in ((0, a_edges), (p, b_edges)):
        for i, j in edges:
            if i != j:
                adj[off + i, off + j] = True
    return adj | adj.T


def agop_penalty(model: QuadraticMLP, x: torch.Tensor) -> torch.Tensor:
    """tr(E M E^T) per member [M], M = (W_out W_out^T) * Cov(g), g = 2 v (agopgrok.py)."""
    g = 2 * model.embed(x)  # [M, B, d]
    mean = g.mean(1, keepdim=True)
    cov = torch.bmm(g.transpose(1, 2), g) / g.shape[1] - torch.bmm(
        mean.transpose(1, 2), mean
    )  # [M, d, d]
    m = torch.bmm(model.W_out, model.W_out.transpose(1, 2)) * cov  # [M, d, d]
    e = model.E  # [M, 2p, d]
    return (torch.bmm(e, m) * e).sum((1, 2))


def ring_order(adj: torch.Tensor) -> torch.Tensor:
    """Laplacian eigenmaps: the angle of each node in the plane of the 2nd and 3rd
    eigenvectors of L (cayley.py). For a ring the angles place the nodes on a circle in order.
    Returns [n] angles in (-pi, pi]."""
    _, vecs = torch.linalg.eigh(laplacian(adj))  # ascending eigenvalues
    return torch.atan2(vecs[:, 2], vecs[:, 1])


def scrambled_table(p: int, frac_train: float, seed: int) -> dict[str, torch.Tensor]:
    """(a + b) mod p written with three secret relabellings of A, B and C (cayley.py), keeping
    a random frac_train of the pairs. Returns operands [n, 2] and labels [n] as symbols, and
    value_a / value_b [p]: the integer each symbol stands for."""
    g = torch.Generator().manual_seed(seed)
    sym_a, sym_b, sym_c = (torch.randperm(p, generator=g) for _ in range(3))  # integer -> symbol
    a, b = torch.cartesian_prod(torch.arange(p), torch.arange(p)).T
    keep = torch.randperm(p * p, generator=g)[: int(frac_train * p * p)]
    operands = torch.stack([sym_a[a], sym_b[b]], dim=1)[keep]
    labels = sym_c[(a + b) % p][keep]
    return {
        "operands": operands,
        "labels": labels,
        "value_a": torch.argsort(sym_a),
        "value_b": torch.argsort(sym_b),
    }


def recover_order(p: int, frac_train: float, seed: int) -> dict:
    """Scramble (a + b) mod p, keep frac_train of it, and recover the order of the A symbols by
    Laplacian eigenmaps. Returns xy [p, 2] (unit circle at the recovered angles), value [p]
    (the integer each symbol stands for), agreement and step (see cyclic_rank_agreement)."""
    table = scrambled_table(p, frac_train, seed)
    adj = data_adjacency(table["operands"], table["labels"], p)
    angles = ring_order(adj[:p, :p])
    xy = torch.stack([angles.cos(), angles.sin()], dim=1)
    agreement, step = cyclic_rank_agreement(angles, table["value_a"], p)
    return {
        "xy": xy.tolist(),
        "value": table["value_a"].tolist(),
        "agreement": agreement,
        "step": step,
    }


def cyclic_rank_agreement(angles: torch.Tensor, truth: torch.Tensor, p: int) -> tuple[float, int]:
    """How well angles order the nodes: the fraction of nodes whose angular successor is
    truth + s or truth - s for the best fixed step s, and that s. The table of a + b cannot
    tell x from u * x (u != 0: an automorphism of Z_p), so the order is recovered up to
    rotation, reflection and such a step."""
    order = torch.argsort(angles)
    steps = (truth[order.roll(-1)] - truth[order]) % p  # [n] steps between neighbours on the circle
    hits = {s: int(((steps == s) | (steps == (p - s) % p)).sum()) for s in range(1, p // 2 + 1)}
    best = max(hits, key=hits.get)
    return hits[best] / len(order), best


# ---- training ------------------------------------------------------------------------------


class Penalty(Hook):
    """The chosen penalty: lamb * penalty per member added to the loss at every step, and the
    penalty logged (without lamb) at every evaluation."""

    resumable = True  # setup computes all it holds

    def __init__(self, cfgs: list[TopoConfig]) -> None:
        super().__init__()
        self.cfg = cfgs[0]

    def setup(self, ctx) -> None:
        cfg, m = self.cfg, len(ctx.seeds)
        rows = torch.arange(m, device=ctx.device)[:, None]
        self.xtr = ctx.data.x[rows, ctx.data.train_idx]  # [M, n_train, 2]
        self.lap = None
        if cfg.penalty == "laplacian_oracle":
            self.lap = laplacian(oracle_adjacency(cfg.p)).float().expand(m, -1, -1)
        elif cfg.penalty == "laplacian_data":
            sets = [modular_dataset(cfg.task, s) for s in ctx.seeds]
            self.lap = torch.stack(
                [
                    laplacian(data_adjacency(d.inputs[d.train_idx], d.labels[d.train_idx], cfg.p))
                    for d in sets
                ]
            ).float()
        self.lap = None if self.lap is None else self.lap.to(ctx.device)
        self.zero = torch.zeros(m, device=ctx.device)

    def penalty(self, model: QuadraticMLP) -> torch.Tensor:  # [M]
        if self.lap is not None:
            e = model.E
            return (torch.bmm(self.lap, e) * e).sum((1, 2))  # tr(E^T L E)
        if self.cfg.penalty == "agop":
            return agop_penalty(model, self.xtr)
        return self.zero

    def at_eval(self, ctx) -> dict[str, torch.Tensor]:
        with torch.inference_mode():
            return {"penalty": self.penalty(ctx.model)}

    def loss(self, ctx) -> torch.Tensor | None:
        if self.cfg.penalty == "none":
            return None
        return self.cfg.penalty_weight * self.penalty(ctx.model)


def train_topo(cfgs: list[TopoConfig], device: str = "cpu") -> list[RunRecord]:
    """Full-batch training of configs that differ only in seed, as one stacked model, through
    grokcore's one loop (one step = one epoch)."""
    recs = train_stack([c.run for c in cfgs], device=device, hooks=[Penalty(cfgs)])
    return [new_record(c, rec.history, rec.summary, rec.meta) for c, rec in zip(cfgs, recs)]
