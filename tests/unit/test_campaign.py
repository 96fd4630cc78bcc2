"""Campaigns (grokcore.campaign): the shipped runs missing or stale here are found and retrained
longest first, the plan is printed, bad options are refused, and a spent budget stops cleanly."""

from __future__ import annotations

import json

import pytest

from grokcore import campaign, records, store, sweep
from grokcore.sweep import run_or_load
from grokcore.testing import tiny_run

CFG = tiny_run()


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    """A store 05_x/cpu of 3 runs made elsewhere (their records then leave this cache)."""
    monkeypatch.setattr(store, "STORE_DIR", tmp_path / "store")
    recs = run_or_load([CFG.replace(seed=s, num_steps=5 * (s + 1)) for s in range(3)], workers=1)
    store.pack("05_x", "cpu", [r.key for r in recs])
    for r in recs:
        records.record_path(r.key).unlink()
    return recs


def test_known_runs_missing_here_are_found_and_retrained_longest_first(
    shipped, tmp_path, monkeypatch
):
    todo = campaign._known_todo("cpu", None)
    assert sorted(c.key() for c, _ in todo) == sorted(r.key for r in shipped)
    assert campaign._known_todo("cpu", ["06"]) == [] and campaign._known_todo("paper", None) == []
    order = []

    def spy(cfgs, **kw):
        order.append(cfgs[0].num_steps)
        return run_or_load(cfgs, **kw)

    status = tmp_path / "status.json"
    monkeypatch.setattr(sweep, "run_or_load", spy)  # _train_known imports it when called
    campaign._train_known([(c, float(c.num_steps)) for c, _ in todo], status)
    assert order == [15, 10, 5]  # longest first by recorded wall time
    assert json.loads(status.read_text())["done"] == 3
    assert campaign._known_todo("cpu", None) == []  # all current now
    for r in shipped:  # the same numbers as the shipped records
        assert records.load_record(r.key).history == r.history


def test_plan_lists_the_known_runs(shipped, capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(store, "unpack", lambda scale: store.Unpacked())  # keep them missing
    assert campaign.main(["--scale", "cpu", "--plan", "--status", str(tmp_path / "s.json")]) == 0
    out = capsys.readouterr()
    assert "phase 1: 3 shipped cpu runs missing or stale here" in out.err
    assert len(out.out.strip().splitlines()) == 3


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--hours", "0"], "--hours must be > 0"),
        (["--chapters", "99"], "no notebook starts so"),
        (["--scale", "huge"], "invalid choice"),
    ],
)
def test_bad_options_are_refused(argv, message, capsys):
    with pytest.raises(SystemExit):
        campaign.main(argv)
    assert message in capsys.readouterr().err


def test_a_spent_budget_exits_3_and_trains_nothing_after_it(shipped, tmp_path, monkeypatch):
    monkeypatch.setattr(store, "unpack", lambda scale: store.Unpacked())
    for var in (campaign.DEADLINE, campaign.STATUS):  # main sets them: restored after the test
        monkeypatch.setenv(var, "")
    status = tmp_path / "s.json"
    code = campaign.main(["--scale", "cpu", "--hours", "1e-9", "--status", str(status)])
    assert code == 3  # the deadline passed before the first unit could start
    assert json.loads(status.read_text())["phase"] == "budget spent"
    assert all(records.load_record(r.key) is None for r in shipped)


def test_finished_runs_are_traced_at_once(tmp_path, monkeypatch):
    """A chapter stopped by its budget mid-sweep ships what finished: each unit's keys reach
    the trace when it finishes, before run_or_load returns."""
    trace = tmp_path / "t.keys"
    monkeypatch.setenv("GROKCORE_TRACE", str(trace))
    cfgs = [CFG.replace(seed=s) for s in (30, 31)]
    seen = []
    real = campaign.finished

    def spy(recs):
        real(recs)
        seen.append(store.traced(trace))

    monkeypatch.setattr(campaign, "finished", spy)
    run_or_load(cfgs, workers=1)
    assert seen == [[cfgs[0].key()], [cfgs[0].key(), cfgs[1].key()]]


def test_the_phase_2_bar_follows_the_units_status_file(tmp_path):
    units = tmp_path / "u.json"
    watch = campaign.Watch(units, "06_x", every=0.01)
    try:
        watch.poll()  # no file yet: nothing shown, no error
        assert watch.bar is None
        units.write_text(json.dumps({"cost_planned": 0, "cost_finished": 0}))
        watch.poll()
        assert watch.bar is None  # nothing to train (all served from records): no bar
        units.write_text(json.dumps({"cost_planned": 1000, "cost_finished": 250}))
        watch.poll()
        assert (watch.bar.n, watch.bar.total) == (250, 1000)
        units.write_text("{")  # a torn read is skipped
        watch.poll()
        assert watch.bar.n == 250
    finally:
        watch.close()


def test_a_chapters_verdicts_replace_its_rows_and_keep_the_others(tmp_path):
    """Phase 2 records a chapter's verdicts at the campaign's scale: its earlier rows go, the
    other chapters' stay, in the book's order, and the file is written whole."""
    import importlib.util
    import types

    from grokcore.fingerprint import REPO

    spec = importlib.util.spec_from_file_location("grokbook_build", REPO / "book" / "build.py")
    real = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(real)
    real.ROOT = tmp_path  # snapshot names the file relative to the repository
    results = tmp_path / "book" / "results"
    results.mkdir(parents=True)
    path = results / "claims-paper.json"
    old = [{"chapter": "02_b", "id": "x", "verdict": "reproduced"}]
    old += [{"chapter": "01_a", "id": "y", "verdict": "inconclusive"}]
    path.write_text(json.dumps(old))
    new = [{"chapter": "01_a", "id": "y", "verdict": "contradicted"}]
    fake = types.SimpleNamespace(
        read_claims=lambda executed: new if executed.name == "01_a.ipynb" else [],
        merge_chapter=real.merge_chapter,
        snapshot=real.snapshot,
        with_params=real.with_params,
    )
    out = campaign.record_verdicts(
        fake, tmp_path / "01_a.ipynb", "01_a", "paper", ["01_a", "02_b"], tmp_path
    )
    assert out == path
    assert json.loads(path.read_text()) == new + old[:1]
    campaign.record_verdicts(fake, tmp_path / "03_c.ipynb", "03_c", "paper", ["01_a"], tmp_path)
    assert json.loads(path.read_text()) == new  # a chapter no longer in the book drops out
    assert not list(results.glob("*.tmp"))
    new[0]["note"] = "x+y"  # part of the plan (--param): each row says so, as build.py's do
    campaign.record_verdicts(
        fake, tmp_path / "01_a.ipynb", "01_a", "paper", ["01_a"], tmp_path, {"seeds": 2}
    )
    (row,) = json.loads(path.read_text())
    assert row["params"] == {"seeds": 2} and row["note"].endswith("plan; x+y")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--param", "transplant_seeds=0"], "--param needs --chapters naming one chapter"),
        (["--chapters", "03,04", "--param", "x=1"], "naming one chapter (it names 2)"),
        (["--chapters", "04", "--param", "transplant_seeds"], "expected NAME=YAML"),
        (["--chapters", "04", "--param", "no_such=1"], "04_adam_dynamics has no such parameter"),
        (["--chapters", "04", "--param", "scale=paper"], "give the scale with --scale"),
    ],
)
def test_bad_params_are_refused_before_anything_trains(argv, message, capsys, monkeypatch):
    monkeypatch.setattr(store, "unpack", lambda scale: pytest.fail("unpacked before the check"))
    with pytest.raises(SystemExit):
        campaign.main(argv)
    assert message in capsys.readouterr().err


def test_params_run_part_of_one_chapter_in_phase_2_only(shipped, tmp_path, monkeypatch):
    """With --param: no phase 1 (the chapter's shipped runs missing here are not that part's),
    the notebook executed with the parameters, its runs added to the store, its rows marked."""
    import types

    from grokcore.fingerprint import REPO

    monkeypatch.setattr(store, "unpack", lambda scale: store.Unpacked())
    for var in (campaign.DEADLINE, campaign.STATUS):
        monkeypatch.setenv(var, "")
    real = campaign.load_build(REPO)
    calls = []
    fake = types.SimpleNamespace(
        BuildError=real.BuildError,
        parse_params=real.parse_params,
        check_param_names=real.check_param_names,
        trace_path=lambda scale, stem: tmp_path / f"{stem}.keys",
        execute=lambda source, executed, scale, trace, params: calls.append(
            ("execute", source.stem, scale, params)
        ),
        pack_chapter=lambda stem, scale, keep=False: calls.append(("pack", stem, keep)) or "",
    )
    monkeypatch.setattr(campaign, "load_build", lambda root: fake)
    monkeypatch.setattr(campaign, "_train_known", lambda todo, st: calls.append(("known", todo)))
    monkeypatch.setattr(campaign, "record_verdicts", lambda *a: calls.append(("verdicts", a[-1])))
    argv = ["--scale", "cpu", "--chapters", "05", "--status", str(tmp_path / "s.json")]
    assert campaign.main(argv + ["--param", "p=7"]) == 0
    assert calls == [
        ("known", []),  # 05_x's 3 shipped runs missing here: not this part's
        ("execute", "05_med", "cpu", {"p": 7}),
        ("pack", "05_med", True),  # added to the store, not replacing it
        ("verdicts", {"p": 7}),
    ]
    calls.clear()  # without --param: phase 1 retrains them, the store is replaced
    assert campaign.main(argv) == 0
    assert [c[0] for c in calls] == ["known", "execute", "pack", "verdicts"]
    assert len(calls[0][1]) == 3 and calls[1][3] is None and calls[2][2] is False


def test_a_failing_chapter_exits_1_naming_it_and_ships_what_finished(tmp_path, monkeypatch, capsys):
    """A chapter that fails (a parameter its notebook refuses, a run that raises) stops the
    campaign with its message, no traceback, and the runs it finished added to its store."""
    import types

    from grokcore.fingerprint import REPO

    monkeypatch.setattr(store, "unpack", lambda scale: store.Unpacked())
    for var in (campaign.DEADLINE, campaign.STATUS):
        monkeypatch.setenv(var, "")
    real = campaign.load_build(REPO)
    added = []

    def execute(source, executed, scale, trace, params):
        trace.write_text("k1\nk2\n")  # two runs finished before the failure
        raise real.BuildError(f"{source.name}: cell In [3] raised ParameterError: p=-1")

    fake = types.SimpleNamespace(
        BuildError=real.BuildError,
        parse_params=real.parse_params,
        check_param_names=real.check_param_names,
        trace_path=lambda scale, stem: tmp_path / f"{stem}.keys",
        execute=execute,
    )
    monkeypatch.setattr(campaign, "load_build", lambda root: fake)
    monkeypatch.setattr(store, "traced", lambda path: path.read_text().split())
    monkeypatch.setattr(
        store, "add", lambda stem, scale, keys: added.append((stem, keys)) or (tmp_path / "s", 1)
    )
    status = tmp_path / "s.json"
    argv = ["--scale", "cpu", "--chapters", "05", "--param", "p=-1", "--status", str(status)]
    assert campaign.main(argv) == 1
    assert added == [("05_med", ["k1", "k2"])]
    err = capsys.readouterr().err
    assert "campaign stopped: 05_med.ipynb: cell In [3] raised ParameterError" in err
    assert "Traceback" not in err and json.loads(status.read_text())["phase"] == "failed"
