import matplotlib

matplotlib.use("Agg")

from chapters.minibatch import configs, measures  # noqa: E402
from chapters.minibatch import figures as figs  # noqa: E402
from chapters.minibatch import topology as tp  # noqa: E402
from grokcore.train import train_stack  # noqa: E402


def test_every_figure_renders_from_tiny_runs():
    cells = {}
    for bs in (4, 0):
        recs = train_stack([configs.config(7, bs, 3, d_model=8, seed=s) for s in (0, 1)])
        cells[measures.batch_of(recs[0])] = recs
    cfg = configs.config(
        7, 0, 4, d_model=8, stop_at_test_acc=None, probes=(configs.FOURIER, configs.NANDA)
    )
    progress = train_stack([cfg.replace(seed=s) for s in (0, 1)])
    n_train = configs.config(7, 0, 1).task.n_train
    mlp = {
        pen: tp.train_topo([tp.TopoConfig(p=7, d=8, num_epochs=5, eval_every=1, penalty=pen)])
        for pen in ("none", "agop")
    }
    figures = [
        figs.batch_figure(cells, n_train),
        figs.frac_figure({0.6: cells[4]}),
        figs.topo_figure(mlp),
        figs.recovery_figure(tp.recover_order(7, 1.0, seed=0), 7),
        figs.fourier_figure(cells[4][0], 7),
        figs.explorer_view(cells, 4, 2, n_train, 7),
        figs.conditions_figure({"LayerNorm": cells[4], "no LayerNorm": cells[n_train]}),
        figs.progress_figure(progress),
    ]
    for fig in figures:
        assert fig.axes and fig.get_size_inches()[0] > 3


def test_explorer_epochs_double_up_to_the_budget():
    assert figs.explorer_epochs(100) == [0, 20, 50, 100]
    assert figs.explorer_epochs(20) == [0, 20]
