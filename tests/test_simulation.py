"""hwlib.simulation: deviations, one selection, the vectorised trials against a slow reference,
reproducibility, the grid and its cache, the CLI summary, and the real-predictor path."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hwlib import _jit, simulation as sim
from hwlib.simulation import deviations, findings, grid, trained, trials
from hwlib.errors import InputError
from hwlib.simulation import SelectionProblem

# ----------------------------------------------------------------------------- fixtures


def make_problem(n: int = 300, seed: int = 0, ties: bool = True, pairing: str = "architecture",
                 name: str = "synthetic") -> SelectionProblem:
    """Accuracy and hardware values with the structure of NB201 (accuracy rises with cost) and,
    with ``ties``, many equal values in both objectives."""
    rng = np.random.default_rng(seed)
    cost = rng.gamma(2.0, 1.0, n)
    acc = 60 + 30 * (1 - np.exp(-cost)) + rng.normal(0, 2, n)
    hw = cost + rng.normal(0, 0.3, n)
    if ties:
        acc, hw = np.round(acc, 0), np.round(hw, 1)
    hw = (hw - hw.mean()) / hw.std()
    A = rng.integers(0, 5, (n, 6))
    return SelectionProblem.from_arrays(acc, hw, A, name=name, pairing=pairing)


def brute_front(F: np.ndarray) -> np.ndarray:
    le = (F[None, :, :] <= F[:, None, :]).all(-1)
    lt = (F[None, :, :] < F[:, None, :]).any(-1)
    return ~(le & lt).any(axis=1)


def brute_hv(F: np.ndarray, ref) -> float:
    F = F[(F < ref).all(axis=1)]
    xs, ys = np.unique(np.r_[F[:, 0], ref[0]]), np.unique(np.r_[F[:, 1], ref[1]])
    return sum((x1 - x0) * (y1 - y0) for x0, x1 in zip(xs[:-1], xs[1:]) for y0, y1 in zip(ys[:-1], ys[1:])
               if ((F[:, 0] <= x0) & (F[:, 1] <= y0)).any())


def brute_selection(acc, hw, pred, ref1: float | None = None) -> dict:
    """The protocol's definitions, spelled out point by point (reference ``(0, ref1)``, by
    default 1.1 x the largest ``hw``)."""
    F, P = np.column_stack([-acc / 100, hw]), np.column_stack([-acc / 100, pred])
    true, sel = brute_front(F), brute_front(P)
    ver = sel.copy()
    ver[sel] = brute_front(F[sel])

    def gap(t):      # most accurate true-front point weakly dominating t
        dom = true & (acc >= acc[t]) & (hw <= hw[t])
        return acc[dom].max() - acc[t]

    ref = np.array([0.0, 1.1 * hw.max() if ref1 is None else ref1])
    return {"mra_all": np.mean([gap(t) for t in np.flatnonzero(sel)]),
            "mra_pareto": np.mean([gap(t) for t in np.flatnonzero(ver)]),
            "hv_true": brute_hv(F, ref), "hv_selected": brute_hv(F[sel], ref),
            "hv_verified": brute_hv(F[ver], ref), "hv_predicted": brute_hv(P[sel], ref),
            "n_true": true.sum(), "n_selected": sel.sum(), "n_verified": ver.sum(),
            "kendalltau": stats.kendalltau(hw, pred).statistic if (pred != hw).any() else 1.0}


# ----------------------------------------------------------------------------- deviations


@pytest.mark.parametrize("size", [30, 100, 101, 1000, 15625])
@pytest.mark.parametrize("std", [0.1, 0.5, 1.0])
def test_deviations_have_exact_std_and_blocks_of_15(size, std):
    eps = sim.simulate_deviations(std, size, np.random.default_rng(size))
    assert eps.shape == (size,)
    assert eps.std() == pytest.approx(std, rel=1e-12)
    m = size // 15
    blocks = eps[:15 * m].reshape(m, 15)
    assert (blocks == blocks[:, :1]).all()                      # 15 in a row share one value
    np.testing.assert_array_equal(eps[15 * m:], eps[:size - 15 * m])   # padding repeats the start


def test_deviations_zero_std_and_tiny_sizes():
    rng = np.random.default_rng(0)
    assert (sim.simulate_deviations(0.0, 200, rng) == 0).all()
    assert (sim.simulate_deviations(0.5, 20, rng) == 0).all()   # one repeated value: std 0, no effect
    with pytest.raises(InputError):
        sim.simulate_deviations(-0.1, 10, rng)
    with pytest.raises(InputError):
        sim.simulate_deviations(0.1, 0, rng)


def test_deviation_mixture_shape():
    """Mean 0.46 c > 0 with c ~ U(0, 2s) before scaling; heavy tails from the 3-sigma and uniform parts."""
    rng = np.random.default_rng(1)
    eps = np.concatenate([sim.simulate_deviations(1.0, 15 * 2000, rng)[::15] for _ in range(20)])
    assert eps.mean() > 0.05
    assert stats.kurtosis(eps) > 1.0


# ----------------------------------------------------------------------------- one selection


def test_select_matches_brute_force():
    rng = np.random.default_rng(4)
    for i in range(25):
        n = int(rng.integers(5, 80))
        acc = np.round(rng.uniform(50, 95, n), 0 if i % 2 else 3)
        hw = np.round(rng.standard_normal(n), 1 if i % 2 else 6)
        pred = hw + (0 if i == 0 else np.round(rng.standard_normal(n) * 0.5, 1))
        got, want = sim.select(acc, hw, pred), brute_selection(acc, hw, pred)
        for key, value in want.items():
            assert got.metrics[key] == pytest.approx(value, abs=1e-10), key
        np.testing.assert_array_equal(got.selected, brute_front(np.column_stack([-acc / 100, pred])))


def test_select_with_perfect_predictions():
    p = make_problem(200)
    s = sim.select(p.acc, p.hw, p.hw.copy())
    m = s.metrics
    assert m["mra_all"] == m["mra_pareto"] == 0.0 and m["kendalltau"] == 1.0
    assert m["hv_selected"] == pytest.approx(m["hv_true"]) and (s.selected == s.true_front).all()


def test_select_rejects_bad_shapes():
    with pytest.raises(InputError):
        sim.select(np.ones(5), np.ones(5), np.ones(4))
    for pairing in ("sorted", "architecture"):   # op codes for 2 of 3 architectures
        with pytest.raises(InputError, match="one row of op codes per architecture"):
            SelectionProblem.from_arrays([70.0, 80, 90], [0.0, 1, 2], np.zeros((2, 6), int), pairing=pairing)


def test_full_subsets_with_their_own_references():
    """All points in every trial, one reference each: the true hypervolume is each trial's."""
    from hwlib.simulation.selection import evaluate_blocks

    p = make_problem(40)
    pos, block = np.tile(np.arange(40), (2, 1)), np.zeros((2, 40), dtype=np.intp)
    values = np.random.default_rng(0).normal(0, 0.3, (2, 1, 1))
    ref1 = np.array([3.0, 5.0])
    both = evaluate_blocks(p, pos, block, values, kendall=False, ref1=ref1)
    for t in range(2):
        alone = evaluate_blocks(p, pos[t:t + 1], block[t:t + 1], values[t:t + 1], kendall=False, ref1=ref1[t:t + 1])
        for name, got in alone.items():
            np.testing.assert_array_equal(both[name][t], got[0], err_msg=name)
    assert both["hv_true"][0, 0] < both["hv_true"][1, 0]


def test_bad_deviation_parameters_are_named():
    with pytest.raises(InputError, match="rng must be a numpy.random.Generator"):
        sim.simulate_deviations(0.5, 100, 0)
    with pytest.raises(InputError, match="std must be a number"):
        sim.simulate_trials(make_problem(300), 50, [[0.1, 0.2]], trials=1)


# ----------------------------------------------------------------------------- vectorised trials


@pytest.mark.parametrize("ties", [True, False])
def test_trials_match_point_by_point_reference(ties):
    p = make_problem(400, ties=ties)
    stds = (0.0, 0.3, 1.0)
    got = sim.simulate_trials(p, 120, stds, trials=4, seed=3)
    for t in range(4):
        pos, eps = sim.draw_trial(p, 120, stds, 3, t)
        for k in range(len(stds)):
            want = brute_selection(p.acc[pos], p.hw[pos], p.hw[pos] + eps[k])
            for key, value in want.items():
                assert got[key][t, k] == pytest.approx(value, abs=1e-10), (key, t, k)


def test_fixed_reference_matches_point_by_point_reference():
    p = make_problem(400)
    stds = (0.0, 0.5)
    got = sim.simulate_trials(p, 60, stds, trials=3, seed=2, reference="dataset")
    moving = sim.simulate_trials(p, 60, stds, trials=3, seed=2)
    for t in range(3):
        pos, eps = sim.draw_trial(p, 60, stds, 2, t)
        for k in range(len(stds)):
            want = brute_selection(p.acc[pos], p.hw[pos], p.hw[pos] + eps[k], ref1=1.1 * p.hw.max())
            for key, value in want.items():
                assert got[key][t, k] == pytest.approx(value, abs=1e-10), (key, t, k)
    for key in ("mra_all", "kendalltau", "n_selected"):                  # only the hypervolumes change
        np.testing.assert_array_equal(got[key], moving[key])
    assert (got["hv_true"] >= moving["hv_true"]).all() and (got["hv_true"] > moving["hv_true"]).any()
    with pytest.raises(InputError, match="reference"):
        sim.simulate_trials(p, 60, stds, trials=1, reference="front")


def _numpy_path(monkeypatch, *args, **kwargs):
    with monkeypatch.context() as m:
        m.setattr(_jit, "AVAILABLE", False)
        return sim.simulate_trials(*args, **kwargs)


@pytest.mark.skipif(not _jit.AVAILABLE, reason="numba is not installed")
@pytest.mark.parametrize("ties, n, reference", [(True, 120, "subset"), (False, 120, "subset"), (True, 400, "subset"),
                                                (False, 400, "subset"), (True, 29, "subset"), (True, 2, "subset"),
                                                (True, 120, "dataset"), (False, 400, "dataset")])
def test_compiled_path_equals_numpy_path_bit_for_bit(monkeypatch, ties, n, reference):
    p = make_problem(400, ties=ties)
    fast = sim.simulate_trials(p, n, sim.STDS, trials=6, seed=4, reference=reference)
    slow = _numpy_path(monkeypatch, p, n, sim.STDS, trials=6, seed=4, reference=reference)
    for key in sim.METRICS:
        np.testing.assert_array_equal(fast[key], slow[key], err_msg=key)


def _tau_problem(hw: np.ndarray, seed: int = 0) -> SelectionProblem:
    rng = np.random.default_rng(seed)
    return SelectionProblem.from_arrays(rng.uniform(50, 90, hw.size), hw, name=f"tau-{hw.size}-{seed}")


@pytest.mark.skipif(not _jit.AVAILABLE, reason="numba is not installed")
@pytest.mark.parametrize("kind", ["few values", "one far outlier", "distinct"])
def test_compiled_kendall_equals_scipy(kind):
    """Ties in the true values (eyeriss-like), a range so wide that most noisy values share a
    quantised key (long runs put right exactly), and plain distinct values."""
    rng = np.random.default_rng(7)
    n = 3000
    hw = {"few values": rng.integers(0, 40, n) / 7.0,
          "one far outlier": np.r_[1e9, rng.normal(0, 1e-3, n - 1)],
          "distinct": rng.normal(size=n)}[kind]
    p = _tau_problem(hw)
    stds = (0.0, 0.05, 1.0)
    got = sim.simulate_trials(p, n, stds, trials=2, seed=1)["kendalltau"]
    for t in range(2):
        pos, eps = sim.draw_trial(p, n, stds, 1, t)
        for k in (1, 2):
            want = stats.kendalltau(p.hw[pos], p.hw[pos] + eps[k]).statistic
            assert got[t, k] == pytest.approx(want, abs=1e-12), (kind, t, k)


@pytest.mark.skipif(not _jit.AVAILABLE, reason="numba is not installed")
def test_compiled_kendall_beyond_16_bit_sizes():
    """From 2^16 points the keys are 64-bit and the pair counter uses wide counters."""
    hw = np.random.default_rng(3).normal(size=70_000)
    p = _tau_problem(hw)
    got = sim.simulate_trials(p, p.n_archs, (0.5,), trials=1, seed=0)["kendalltau"][0, 0]
    pos, eps = sim.draw_trial(p, p.n_archs, (0.5,), 0, 0)
    assert got == pytest.approx(stats.kendalltau(p.hw[pos], p.hw[pos] + eps[0]).statistic, abs=1e-12)


@pytest.mark.skipif(not _jit.AVAILABLE, reason="numba is not installed")
def test_pairwise_sum_is_numpys_sum():
    rng = np.random.default_rng(0)
    for size in [*range(1, 300), 1041, 4097, 100_003]:
        x = rng.standard_normal(size) * rng.random(size) * 1e3
        assert deviations._pairwise_sum(x, 0, size) == x.sum(), size


def test_trial_invariants():
    p = make_problem(500)
    res = sim.simulate_trials(p, 200, sim.STDS, trials=20, seed=0)
    assert set(res) == set(sim.METRICS) and all(v.shape == (20, 11) for v in res.values())
    assert (res["mra_all"][:, 0] == 0).all() and (res["kendalltau"][:, 0] == 1).all()
    np.testing.assert_array_equal(res["hv_selected"], res["hv_verified"])   # dominated points add no area
    assert (res["hv_selected"] <= res["hv_true"] + 1e-12).all()
    assert (res["mra_pareto"] >= 0).all() and (res["n_verified"] <= res["n_selected"]).all()
    kt = res["kendalltau"].mean(0)
    assert (np.diff(kt) < 0).all()                                          # more noise, lower tau


def test_reproducible_and_independent_of_batching_and_std_list(monkeypatch):
    p = make_problem(300)
    a = sim.simulate_trials(p, 100, (0.2, 0.5), trials=8, seed=5)
    monkeypatch.setattr(trials, "_ELEMENTS_PER_BATCH", 250)                  # one trial per batch
    b = sim.simulate_trials(p, 100, (0.5,), trials=3, seed=5)
    for key in sim.METRICS:
        np.testing.assert_array_equal(a[key][:3, 1], b[key][:, 0])
    c = sim.simulate_trials(p, 100, (0.2, 0.5), trials=8, seed=6)
    assert not np.array_equal(a["mra_all"], c["mra_all"])


def test_draw_trial_matches_simulate_deviations():
    p = make_problem(300)
    pos, eps = sim.draw_trial(p, 90, (0.4,), seed=1, trial=2)
    assert (np.diff(pos) > 0).all() and eps.shape == (1, 90)
    direct = sim.simulate_deviations(0.4, 90, trials._rng(1, p.name, 90, 2, 0.4))
    assert sorted(direct) == sorted(eps[0]) and eps[0].std() == pytest.approx(0.4)


@pytest.mark.parametrize("kwargs", [dict(n=1), dict(n=301), dict(n=2.5), dict(stds=(-0.1,)),
                                    dict(trials=0), dict(seed=-1), dict(stds=())])
def test_trials_reject_bad_parameters(kwargs):
    args = dict(n=50, stds=(0.1,), trials=2, seed=0) | kwargs
    with pytest.raises(InputError):
        sim.simulate_trials(make_problem(300), **args)


# ----------------------------------------------------------------------------- pairing


def test_sorted_pairing_reproduces_the_quirk():
    acc = np.array([70.0, 90.0, 80.0, 60.0])
    hw = np.array([0.5, -1.0, 2.0, 0.1])
    A = np.array([[1, 0], [0, 2], [0, 1], [2, 0]])            # lexicographic order: rows 2, 1, 0, 3
    p = SelectionProblem.from_arrays(acc, hw, A, pairing="sorted")
    pairs = dict(zip(p.acc, p.hw))
    assert pairs == {80.0: -1.0, 90.0: 0.1, 70.0: 0.5, 60.0: 2.0}
    assert (np.diff(p.acc) <= 0).all()
    with pytest.raises(InputError, match="pairing"):
        SelectionProblem.from_arrays(acc, hw, A, pairing="shuffled")


def test_pairings_share_subsets_and_deviations():
    arch, srt = make_problem(300), make_problem(300, pairing="sorted")
    a = sim.simulate_trials(arch, 100, (0.0, 0.5), trials=4, seed=0)
    b = sim.simulate_trials(srt, 100, (0.0, 0.5), trials=4, seed=0)
    assert not np.array_equal(a["hv_true"], b["hv_true"])
    _, ea = sim.draw_trial(arch, 100, (0.5,), 0, 1)
    _, eb = sim.draw_trial(srt, 100, (0.5,), 0, 1)
    np.testing.assert_array_equal(ea, eb)


# ----------------------------------------------------------------------------- grid and cache


def test_grid_aggregates_and_caches(tmp_path, monkeypatch):
    problems = [make_problem(300, name="a"), make_problem(200, seed=1, name="b")]
    df = sim.run_grid(problems, sizes=(50, 250), stds=(0.0, 0.5), trials=4, progress=False, cache=tmp_path)
    assert len(df) == 2 * 2 * 2 and set(df["n_used"]) == {50, 200, 250}
    assert df.loc[df["dataset"] == "b", "n_used"].max() == 200                # clipped
    assert {"kendalltau", "mra_all_sd", "hv_verified"} <= set(df.columns)
    stored = sorted(tmp_path.rglob("*.npz"))
    assert len(stored) == 4 and not list(tmp_path.rglob("*.tmp"))
    assert {p.parent.name for p in stored} == {"a", "b"} and stored[0].parent.parent.name == "simulation"
    beside = json.loads(stored[0].with_suffix(".json").read_text())["params"]       # parameters beside the cell
    assert beside["trials"] == 4 and beside["stds"] == [0.0, 0.5] and beside["reference"] == "subset"
    assert (df["reference"] == "subset").all()
    fixed = sim.run_grid(problems, sizes=(50, 250), stds=(0.0, 0.5), trials=4, progress=False, cache=tmp_path,
                         reference="dataset")
    assert len(list(tmp_path.rglob("*.npz"))) == 8                         # the reference is part of the key
    assert (fixed["hv_true"] >= df["hv_true"]).all() and (fixed["reference"] == "dataset").all()
    monkeypatch.setattr(grid, "simulate_trials", lambda *a, **k: pytest.fail("cache not used"))
    again = sim.run_grid(problems, sizes=(50, 250), stds=(0.0, 0.5), trials=4, progress=False, cache=tmp_path)
    pd.testing.assert_frame_equal(df, again)


def test_grid_per_trial_rows_and_mean_agree():
    p = make_problem(300)
    long = sim.run_grid([p], sizes=(80,), stds=(0.2, 0.6), trials=5, progress=False, cache=False,
                        aggregate=False)
    short = sim.run_grid([p], sizes=(80,), stds=(0.2, 0.6), trials=5, progress=False, cache=False)
    assert len(long) == 10 and list(long.columns[:6]) == ["dataset", "pairing", "n", "n_used", "trial", "std"]
    means = long.groupby("std")["mra_all"].mean().to_numpy()
    np.testing.assert_allclose(means, short["mra_all"].to_numpy())


def test_grid_rejects_bad_pairing_jobs_and_reference():
    with pytest.raises(InputError):
        sim.run_grid([make_problem(100)], sizes=(50,), trials=1, pairing="bogus", progress=False, cache=False)
    with pytest.raises(InputError, match="reference"):
        sim.run_grid([make_problem(100)], sizes=(50,), trials=1, reference="bogus", progress=False, cache=False)
    with pytest.raises(InputError):
        sim.run_grid([make_problem(100)], sizes=(50,), trials=1, n_jobs=0, progress=False, cache=False)


# ----------------------------------------------------------------------------- beyond the paper


def test_live_equivalent_interpolates_in_log_n():
    sizes, hv = [100, 1000, 10000], [3.0, 4.0, 5.0]
    np.testing.assert_allclose(sim.live_equivalent(sizes, hv, [3.0, 3.5, 4.5, 5.0]),
                               [100, np.sqrt(1e5), np.sqrt(1e7), 10000])
    assert np.isnan(sim.live_equivalent(sizes, hv, 6.0)).all()


def test_predictor_selection_runs_a_real_predictor(nb201_cells):
    rng = np.random.default_rng(0)
    A = nb201_cells[rng.choice(len(nb201_cells), 600, replace=False)]
    cost = np.array([0.0, 0.1, 1.0, 3.0, 0.5])[A].sum(1)
    hw = (cost - cost.mean()) / cost.std()
    acc = 50 + 40 * (1 - np.exp(-cost / 4)) + rng.normal(0, 1, len(A))
    p = SelectionProblem.from_arrays(acc, hw, A, name="additive")
    df = sim.predictor_selection(p, "ridge", n_train=100, n=300, trials=2)
    assert len(df) == 2 and (df["kendalltau"] > 0.9).all() and (df["mra_all"] >= 0).all()
    with pytest.raises(InputError):
        sim.predictor_selection(p, "ridge", n_train=500, n=300)
    with pytest.raises(InputError):
        sim.predictor_selection(make_problem(300, pairing="sorted"), "ridge", 50, 100)
    with pytest.raises(InputError, match="n_train must be a whole number, got 100.5"):
        sim.predictor_selection(p, "ridge", n_train=100.5, n=300)


# ----------------------------------------------------------------------------- real data


@pytest.mark.data
def test_simulate_means_keys_and_published_tau(require_data):
    out = sim.simulate_means("cifar10-raspi4_latency", n=500, std=0.4, trials=10, seed=0)
    assert {"kendalltau", "mra_all", "mra_pareto", "hv_true", "hv_selected", "hv_verified"} <= set(out)
    assert out["kendalltau"] == pytest.approx(sim.PUBLISHED["kendalltau"][0.4], abs=0.03)
    assert out["hv_selected"] == out["hv_verified"] <= out["hv_true"]
    grid = sim.run_grid(["cifar10-raspi4_latency"], sizes=(500,), stds=(0.1, 0.4), trials=10,
                        progress=False, cache=False)
    assert grid.loc[grid["std"] == 0.4, "mra_all"].item() == pytest.approx(out["mra_all"])


@pytest.mark.data
@pytest.mark.parametrize("kwargs", [dict(n=1), dict(n=12555), dict(std=-1.0), dict(trials=0),
                                    dict(pairing="random")])
def test_simulate_means_rejects_bad_parameters(require_data, kwargs):
    args = dict(dataset="cifar10-edgegpu_latency", n=100, std=0.1, trials=1) | kwargs
    with pytest.raises(InputError):
        sim.simulate_means(**args)


@pytest.mark.data
def test_real_problem_layout(require_data):
    p = sim.selection_problem("cifar10-edgegpu_latency")
    assert p.n_archs == 12554 and (np.diff(p.acc) <= 0).all()
    assert p.hw.mean() == pytest.approx(0, abs=1e-9) and p.hw.std() == pytest.approx(1)
    q = sim.selection_problem("cifar10-edgegpu_latency@ImageNet16-120")
    assert q.acc.max() < 50 < p.acc.max()
    assert sim.accuracy_dataset(q.name) == "ImageNet16-120" and sim.accuracy_dataset(p.name) == "cifar10"
    with pytest.raises(InputError):
        sim.selection_problem("cifar10-edgegpu_latency@mnist")
    with pytest.raises(InputError):
        sim.selection_problem("transnas_micro-jigsaw")


def test_live_equivalent_table_on_grids():
    p = make_problem(400)
    live = sim.run_grid([p], sizes=(50, 100, 200, 400), stds=(0.0,), trials=6, progress=False, cache=False)
    grid = sim.run_grid([p], sizes=(100, 400), stds=(0.0, 0.5, 1.0), trials=6, progress=False, cache=False)
    table = sim.live_equivalent_table(live, grid)
    assert set(table["dataset"]) == {"synthetic", "mean over datasets"} and len(table) == 6
    row0 = table[(table["dataset"] == "synthetic") & (table["std"] == 0)]
    assert row0["n_live"].item() == pytest.approx(400)                 # perfect predictions: all of them
    assert (table["n_all"] == 400).all()


def test_equal_tau_interpolates_the_simulation():
    grid = pd.DataFrame({"dataset": "d", "n_used": 100, "std": [0.0, 0.5, 1.0], "kendalltau": [1.0, 0.8, 0.6],
                         "mra_all": [0.0, 1.0, 2.0], "mra_pareto": [0.0, 0.5, 1.0]})
    real = pd.DataFrame({"dataset": "d", "predictor": "ridge", "n_train": 10, "n": 100, "trial": [0, 1],
                         "kendalltau": [0.9, 0.9], "mra_all": [0.2, 0.4], "mra_pareto": [0.1, 0.1],
                         "hv_selected": 1.0, "hv_true": 1.0})
    row = sim.equal_tau(real, grid).iloc[0]
    assert row["kendalltau"] == pytest.approx(0.9) and row["mra_all"] == pytest.approx(0.3)
    assert row["sim_mra_all"] == pytest.approx(0.5) and row["sim_std"] == pytest.approx(0.25)
    with pytest.raises(InputError, match="no cells at the size the trained predictors select from: d at n = 500"):
        sim.equal_tau(real.assign(n=500), grid)


def test_chapter_figures_and_tables_build():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hwlib import plotting_selection as ps

    problems = {p: [make_problem(300, pairing=p, name="a"), make_problem(300, seed=2, pairing=p, name="b")]
                for p in sim.PAIRINGS}
    grids = {p: sim.run_grid(pr, sizes=(100, 300), stds=sim.STDS, trials=2, progress=False, cache=False)
             for p, pr in problems.items()}
    fixed = {p: sim.run_grid(pr, sizes=(100, 300), stds=sim.STDS, trials=2, progress=False, cache=False,
                             reference="dataset") for p, pr in problems.items()}
    table = findings.published_table(grids)
    assert len(table) == 11 and table.notna().all().all()
    assert list(findings.hv_table(grids).index) == [100, 300, 15625]
    sel = {p: sim.simulate_selection(pr[0], 300, 0.5) for p, pr in problems.items()}
    live = sim.run_grid(problems["architecture"], sizes=(50, 100, 200, 300), stds=(0.0,), trials=2,
                        progress=False, cache=False)
    curves = sim.live_equivalent_table(live, grids["architecture"])
    real = pd.DataFrame({"dataset": "a", "predictor": "ridge", "n_train": [10, 20], "n": 100, "trial": 0,
                         "kendalltau": [0.6, 0.8], "mra_all": [1.0, 0.5], "mra_pareto": [0.5, 0.2],
                         "hv_selected": 1.0, "hv_true": 1.0})
    comparison = sim.DeviationComparison("a", "xgb", 10, np.arange(50.0), np.arange(50.0) + np.sin(np.arange(50)),
                                         sim.simulate_deviations(0.7, 600, np.random.default_rng(0)))
    for fig in (ps.plot_deviations(comparison.truth, comparison.pred, comparison.simulated, "synthetic"),
                ps.plot_selection(sel, "synthetic"), ps.plot_mra_vs_std(grids), ps.plot_mra_by_dataset(grids),
                ps.plot_hv_vs_n(grids), ps.plot_hv_vs_n(fixed, reference="dataset"),
                ps.plot_equal_tau(grids["architecture"], real, 100),
                ps.plot_live_equivalent(curves[curves["std"] > 0], reference="dataset")):
        assert fig.axes
        plt.close(fig)


# ----------------------------------------------------------------------------- findings


def _grid_frame(hv: np.ndarray, gap: float = 0.1) -> pd.DataFrame:
    """An aggregated grid of one dataset whose mean hypervolume is ``hv`` (stds x sizes)."""
    stds, sizes = np.linspace(0, 1, hv.shape[0]), [100, 1000, 15625][:hv.shape[1]]
    rows = [{"dataset": "cifar10-x@cifar100", "pairing": "architecture", "n": n, "n_used": n, "std": s,
             "kendalltau": 1 - s / 2, "mra_all": s + gap, "mra_pareto": s, "hv_true": hv[0, j],
             "hv_selected": hv[i, j], "mra_all_sd": 0.1}
            for i, s in enumerate(stds) for j, n in enumerate(sizes)]
    return pd.DataFrame(rows)


def test_hv_trends_and_reference_share():
    rising = np.array([[3.0, 3.5, 4.0], [2.9, 3.4, 3.9], [2.0, 3.45, 3.8]])
    t = findings.hv_trends(_grid_frame(rising))
    assert t["more_candidates"] and t["better_predictors"]
    assert t["candidate_steps"] == 1.0 and t["predictor_steps"] == pytest.approx(5 / 6)
    flat = findings.hv_trends(_grid_frame(np.array([[3.0, 3.0, 2.9], [3.0, 3.1, 3.2]])))
    assert not flat["more_candidates"] and not flat["better_predictors"]
    fixed = rising[:, :] + np.array([1.0, 0.6, 0.0])                  # the larger reference lifts small n most
    share = findings.reference_share({"architecture": _grid_frame(rising)}, {"architecture": _grid_frame(fixed)})
    np.testing.assert_allclose(share["share_from_reference"], [1.0 / 1.0, 1.0 / 1.0, 1.0 / 1.8])
    table = findings.conclusions({"architecture": _grid_frame(rising)}, {"architecture": _grid_frame(fixed)})
    assert table["architecture"].to_dict() == {"verify": True, "more candidates": False, "better predictors": True}
    both = pd.DataFrame({"architecture": [True, True, False], "sorted": [True, False, False]},
                        index=["verify", "more candidates", "better predictors"])
    assert findings.conclusions_in_words(both) == {"verify": "holds under both pairings",
                                                   "more candidates": "holds only with pairing by architecture",
                                                   "better predictors": "holds under neither pairing"}


def test_pairing_effect_and_verification_verdicts():
    table = pd.DataFrame({"quantity": ["MRA_all [%]", "MRA_pareto [%]", "Kendall tau"], "std": [0.2, 0.2, 0.2],
                          "published": [1.0, 0.5, 0.9], "ours, by architecture": [0.5, 0.4, 0.9],
                          "ours, sorted (released code)": [1.0, 0.8, 0.9]})
    assert findings.pairing_effect(table) == {"ratio_min": 0.5, "ratio_max": 0.5, "verdict": "inflates"}
    table["ours, by architecture"] = [1.5, 0.4, 0.9]
    assert findings.pairing_effect(table)["verdict"] == "mixed"
    assert findings.compare_published(table)["worst_quantity"] == "MRA_pareto [%]"
    halved = table.assign(**{c: table[c] / 2 for c in table.columns if c.startswith("ours")})
    assert findings.accuracy_scale_effect(table, halved) == {"ratio_min": 0.5, "ratio_max": 0.5}
    grids = {"architecture": _grid_frame(np.ones((3, 2))), "sorted": _grid_frame(np.ones((3, 2)), gap=-0.1)}
    assert findings.verification_helps(grids) == {"architecture": (2, 2), "sorted": (0, 2)}


def test_mra_by_dataset_orders_image_datasets():
    grid = pd.concat([_grid_frame(np.ones((2, 2))).assign(dataset=name, mra_all=v) for name, v in
                      [("cifar10-x", 0.5), ("cifar10-x@cifar100", 1.0), ("cifar10-y@ImageNet16-120", 2.0)]])
    per, image, harder = findings.mra_by_dataset(grid)
    assert list(image.index) == ["cifar10", "cifar100", "ImageNet16-120"] and harder
    _, _, harder = findings.mra_by_dataset(grid.assign(mra_all=lambda g: 3 - g["mra_all"]))
    assert not harder


def test_hv_span_names_sizes_other_than_the_published_ends():
    table = pd.DataFrame({"ours": [2.9, 3.5, np.nan]}, index=pd.Index([100, 300, 15625], name="n"))
    assert findings.hv_span(table, "ours") == "2.90 to 3.50 (n = 100 to 300)"
    assert findings.hv_span(table.assign(ours=[2.9, 3.5, 4.3]), "ours") == "2.90 to 4.30"
    assert findings.hv_span(table.assign(ours=np.nan), "ours") == "not simulated"


def test_pessimism_and_error_smoothness():
    cmp = pd.DataFrame({"mra_all": [1.0, 2.0, 0.0], "sim_mra_all": [2.0, 3.0, 1.0],
                        "mra_pareto": [1.0, 1.0, 1.0], "sim_mra_pareto": [0.5, 0.5, np.nan]})
    out = findings.simulation_pessimism(cmp)
    assert out["ratio_all"] == pytest.approx(1.75) and out["pessimistic"] and out["ratio_pareto"] == 0.5
    assert (out["cells_all"], out["cells_pareto"], out["cells"]) == (2, 2, 3)
    ratios = findings.equal_tau_ratios(cmp.assign(dataset=["d1", "d2", "d2"], predictor="p", n_train=[10, 10, 20]))
    assert ratios.loc[("MRA_all", "d1"), ("p", 10)] == 2.0 and np.isnan(ratios.loc[("MRA_all", "d2"), ("p", 20)])
    assert np.isnan(ratios.loc[("MRA_pareto", "d1"), ("p", 20)])   # a cell that does not exist
    assert np.nanmedian(ratios.loc["MRA_all"]) == pytest.approx(out["ratio_all"])
    outside = findings.simulation_pessimism(cmp.assign(sim_mra_all=np.nan))   # every tau outside the simulated range
    assert outside["pessimistic"] is None and np.isnan(outside["ratio_all"])
    real = pd.DataFrame({"predictor": ["a", "a", "b"], "neighbour_corr": [0.4, 0.6, 0.3]})
    smooth = findings.error_smoothness(real, {"d1": 0.01, "d2": 0.05})
    assert smooth["smoother"] and smooth["real_min"] == 0.3 and smooth["simulated_max"] == 0.05
    assert not findings.error_smoothness(real, {"d1": 0.35})["smoother"]


# ----------------------------------------------------------------------------- errors of trained predictors


def test_neighbour_pairs_match_brute_force():
    A = np.random.default_rng(3).integers(0, 3, (70, 4))
    want = {(i, j) for i in range(70) for j in range(i + 1, 70) if (A[i] != A[j]).sum() == 1}
    assert set(map(tuple, sim.trained.neighbour_pairs(A, chunk=16).tolist())) == want


def test_neighbour_correlation_sees_smooth_errors():
    A = np.array(list(__import__("itertools").product(range(4), repeat=4)))
    rng = np.random.default_rng(0)
    smooth = A @ rng.normal(size=4)                                     # additive in the operations
    assert sim.neighbour_correlation(A, smooth) > 0.5
    assert abs(sim.neighbour_correlation(A, rng.normal(size=len(A)))) < 0.1
    assert np.isnan(sim.neighbour_correlation(A, np.zeros(len(A))))
    p = SelectionProblem.from_arrays(rng.uniform(50, 90, len(A)), rng.normal(size=len(A)), A, name="grid4")
    assert abs(sim.simulated_neighbour_correlation(p, 200, trials=3)) < 0.1   # random groups of 15


@pytest.mark.data
def test_predictor_grid_keeps_each_trial_in_the_store(require_data, tmp_path, monkeypatch):
    args = (["cifar10-raspi4_latency"], ["ridge"], [50], 200)
    first = sim.run_predictor_grid(*args, trials=2, progress=False, cache=tmp_path)
    fresh = sim.run_predictor_grid(*args, trials=2, progress=False, cache=False)
    pd.testing.assert_frame_equal(first, fresh, check_exact=True)
    calls, compute = [], trained.predictor_trial
    monkeypatch.setattr(trained, "predictor_trial", lambda *a, **k: calls.append(a[5]) or compute(*a, **k))
    more = sim.run_predictor_grid(*args, trials=3, progress=False, cache=tmp_path)
    assert calls == [2]                                                  # only the missing trial runs
    pd.testing.assert_frame_equal(more.iloc[:2], first, check_exact=True)
    table = pd.read_csv(tmp_path / "simulation_predictors" / "cifar10-raspi4_latency" / "ridge.csv")
    assert len(table) == 3 and {"key", "run", "checksum", "params", "neighbour_corr"} <= set(table)
    assert (tmp_path / "provenance.json").is_file()


# ----------------------------------------------------------------------------- time budget


def test_live_equivalent_at_and_in_words():
    p = make_problem(400)
    live = sim.run_grid([p], sizes=(50, 100, 200, 400), stds=(0.0,), trials=6, progress=False, cache=False)
    grid = sim.run_grid([p], sizes=(100, 400), stds=(0.0, 0.5, 1.0), trials=6, progress=False, cache=False)
    curves = sim.live_equivalent_table(live, grid)
    mean = sim.mean_live_curve(curves)
    at = sim.live_equivalent_at(curves, 0.7)["architecture"]
    g = mean.loc["architecture"]
    assert np.isfinite(at) and at == np.interp(0.7, g["kendalltau"][::-1], g["n_live"][::-1])
    assert sim.live_equivalent_words(curves, 0.7)["architecture"] == f"about {at:.0f}"
    below = curves.assign(n_live=np.nan, hv_all=curves["hv_live_min"] - 1)
    assert sim.live_equivalent_words(below, 0.7)["architecture"] == "fewer than 50"
    above = curves.assign(n_live=np.nan, hv_all=curves["hv_live_max"] + 1)
    assert sim.live_equivalent_words(above, 0.7)["architecture"] == "more than 400"
    assert sim.live_sizes() == [100, 150, 220, 320, 470, 700, 1030, 1520, 2240, 3300, 4870, 7180, 10590, 15620]


# ----------------------------------------------------------------------------- Figure 2


@pytest.mark.data
def test_compare_deviations_on_real_data(require_data):
    out = sim.compare_deviations("cifar10-raspi4_latency", n_train=200, seed=0, predictor="ridge", size=3000)
    stats_ = out.shape_stats()
    assert out.truth.shape == out.pred.shape == (625,) and out.simulated.shape == (3000,)
    assert out.simulated.std() == pytest.approx(stats_["std"], rel=1e-9)
    assert stats_["kendalltau"] == stats.kendalltau(out.truth, out.pred).statistic
    with pytest.raises(InputError, match="n_train"):
        sim.compare_deviations("cifar10-raspi4_latency", n_train=0)
