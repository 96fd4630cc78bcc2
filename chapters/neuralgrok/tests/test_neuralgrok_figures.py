from chapters.neuralgrok import configs, figures


def test_table_markdown_lists_ours_and_paper(rec):
    cells = {f"x+y/{m}": [rec([0, 0.96])] for m in configs.METHODS}
    table = figures.table1_markdown(cells, ["x+y"])
    assert "1650" in table and "900" in table and table.count("\n") == 2


def test_prose_quotes_count_each_cells_seeds_and_fill_expected_cells():
    from types import SimpleNamespace

    from chapters.neuralgrok.figures import prose_quotes

    def cfg_of(budget):  # a NeuralGrok run's budget is its base run's
        return SimpleNamespace(num_steps=budget)

    def runs(*steps, budget=8000):
        cfg = SimpleNamespace(num_steps=budget)
        return [SimpleNamespace(summary={"step_to_test_acc_95": s}, cfg=cfg) for s in steps]

    q = prose_quotes({"x-y/standard": runs(6750, None, 1350, 4500, 1350, 2000)}, ["x+y/standard"])
    assert q["x-y/standard.95range"] == "1,350–6,750" and q["x-y/standard.95max"] == "6,750"
    assert q["x-y/standard.95list"] == "1,350, 1,350, 2,000, 4,500, 6,750, ∞"
    assert q["x-y/standard.95reached"] == "5" and q["x-y/standard.95censored"] == "1"
    assert q["x-y/standard.95censored5"] == "1" and q["x-y/standard.n"] == "6"
    assert q["x-y/standard.over4000"] == "3"  # 6750, never, 4500
    assert q["x-y/standard.budget"] == "8,000" and q["x+y/standard.budget"] == "—"
    ng = SimpleNamespace(
        summary={"step_to_test_acc_95": 900}, cfg=SimpleNamespace(run=cfg_of(2000))
    )
    assert prose_quotes({"x+y/neuralgrok": [ng]}, [])["x+y/neuralgrok.budget"] == "2,000"
    assert q["x+y/standard.95range"] == q["x+y/standard.n"] == "—"  # expected, not run
    # a row's own cell: '/' for the ':' of its name, which a glue key would read as a format
    grown = "table1-vs-standard-sqsub:x^2-y/standard"
    q = prose_quotes({grown: runs(1400, None)}, [grown, "table1-vs-ma-add:x+y/neuralgrok"])
    assert q["table1-vs-standard-sqsub/x^2-y/standard.95censored"] == "1"
    assert q["table1-vs-ma-add/x+y/neuralgrok.n"] == "—" and not any(":" in k for k in q)


def test_seeds_markdown_gives_each_seed_its_time_or_its_bound(rec):
    from grokcore.records import new_record

    def seeded(recs):
        return [
            new_record(r.cfg.replace(seed=i), r.history, r.summary, r.meta)
            for i, r in enumerate(recs)
        ]

    cells = {
        "a": seeded([rec([0, 0.5, 0.96]), rec([0, 0.2, 0.3])]),
        "b": seeded([rec([0, 0.96])]),
    }
    table = figures.seeds_markdown(cells, [("a", "standard"), ("b", "transfer")])
    assert table.splitlines()[0] == "| run | seed 0 | seed 1 |"
    assert "| standard | 20 | > 20 |" in table and "| transfer | 10 | — |" in table
    fig = figures.transfer_figure(cells, [("a", "standard", "k"), ("b", "transfer", "r")], "t")
    assert [ax.get_title() for ax in fig.axes] == ["t", "time to 95% test accuracy"]
    assert len(fig.axes[0].get_legend().get_texts()) >= 2


def test_transfer_lines_name_the_baseline_and_each_transfer(rec):
    cells = {"x-y/standard": [], "x-y/neuralgrok": [], "transfer": [], "transfer_hardest": []}
    lines = figures.transfer_lines(cells, ["x+y", "x-y", "x^2-y"])
    assert [(n, lab) for n, lab, _ in lines] == [
        ("x-y/standard", "standard"),
        ("x-y/neuralgrok", "NeuralGrok"),
        ("transfer", "amplifier from (x+y), frozen"),
        ("transfer_hardest", "amplifier from (x^2-y), frozen"),
    ]
    alone = figures.transfer_lines({"transfer_standard": [], "transfer": []}, ["x+y", "x*y"])
    assert [n for n, _, _ in alone] == ["transfer_standard", "transfer"]


def test_stability_markdown_reads_each_method_s_stability_cell(rec):
    steady, drop = [0.0, 0.96, 0.99, 0.99], [0.0, 0.96, 0.5, 0.99]
    cells = {f"x+y/{m}": [rec(steady, stop=None)] for m in configs.METHODS}
    cells["oscillation-standard:x+y/standard"] = cells["x+y/standard"] + [rec(drop, stop=None)]
    lines = figures.stability_markdown(cells, "x+y").splitlines()
    assert len(lines) == 2 + len(configs.METHODS)
    assert "| standard | 0.000, 0.500 |" in lines[2]  # the grown cell's two seeds
    assert any(line.startswith("| Grokfast-EMA | 0.000 |") for line in lines)
