"""Own measurements as datasets, and their comparison with other datasets, on small files built here."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hwlib import data, devices, measure, networks
from hwlib.errors import DataError, InputError
from hwlib.spaces import get_space


def _write(path, names, values, wall=None, ref=None):
    """A measurement file; ``ref``: the reference's lower quartile per record (then the records'
    times are ``values`` slowed down by it, as a drifting machine would)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wall = values if wall is None else wall
    slow = np.ones(len(names)) if ref is None else np.asarray(ref)
    rows = [f"{n},{v * f},{v * 0.9 * f},{v * 1.1 * f},{v * 0.8 * f},{w},5,{1000 + i}"
            + ("" if ref is None else f",{f},{f * 0.95}") + "\n"
            for i, (n, v, w, f) in enumerate(zip(names, values, wall, slow))]
    columns = measure.COLUMNS + (() if ref is None else measure.REFERENCE_COLUMNS)
    path.write_text(",".join(columns) + "\n" + "".join(rows))
    path.with_name(path.name + ".json").write_text(json.dumps(
        {"settings": {"input_size": 32, "clock": "cpu"}, "machine": {"cpu_model": "test"}}))


@pytest.fixture()
def own(tmp_path, monkeypatch, require_data):
    """A devices folder holding 60 measured NB201 cells (latency = an additive op cost) and counts."""
    monkeypatch.setattr(data, "devices_dir", lambda: tmp_path)
    monkeypatch.setattr(devices, "devices_dir", lambda: tmp_path)
    data.clear_caches()
    A = networks.all_archs("nb201")[np.random.default_rng(0).choice(15625, 60, replace=False)]
    cost = np.array([0.0, 0.1, 0.7, 2.3, 1.5])
    y = 2.0 + cost[A].sum(axis=1)
    names = get_space("nb201").array_to_names(A)
    _write(tmp_path / "own_cpu/nb201-cifar10-s32.csv", names, y, wall=y.max() + 1 - y)
    _write(tmp_path / data.OWN_DATASETS["own-cpu_latency"][1], names, y, wall=y.max() + 1 - y,
           ref=np.full(60, 2.0))                          # a machine at half speed throughout
    _write(tmp_path / "own_cpu/nb201-cifar10-s32-retest.csv", names[:30], y[:30] * 1.01)
    _write(tmp_path / "own_cpu/nb201-cifar10-s32-ref-retest.csv", names[29::-1], y[29::-1],
           ref=np.linspace(1, 3, 30))
    (tmp_path / "counts").mkdir()
    networks.counts_table("nb201", 32).to_csv(tmp_path / "counts/nb201-cifar10-s32.csv", index=False)
    yield A, y, cost
    data.clear_caches()


def test_own_dataset_loads_in_index_order(own):
    A, y, _ = own
    ds = data.load_dataset("own-cpu_latency")
    assert ds.n_archs == 60 and ds.search_space == "nb201" and ds.unit == "ms"
    assert np.all(np.diff(ds.index) > 0)
    assert np.array_equal(data.nb201_archs()[ds.index], ds.A)
    lookup = dict(zip(map(tuple, A.tolist()), y))
    # the lower quartile relative to the reference, times the reference's median: here the lower quartile
    assert np.allclose(ds.y, [0.9 * 2 * lookup[tuple(a)] for a in ds.A.tolist()])
    assert "60 of 15625" in ds.description and len(ds.checksum) == 16
    assert "own-cpu_latency" in data.list_datasets()


def test_counts_datasets(own):
    flops = data.load_dataset("nb201-flops")
    assert flops.n_archs == 15625 and flops.unit == "MMAC"
    i = int(np.flatnonzero((flops.A == 3).all(axis=1))[0])
    assert flops.y[i] == pytest.approx(220.11968)


def test_summary_retest_agreement_and_costs(own):
    A, y, cost = own
    summary = devices.measurement_summary("nb201")
    assert summary["measured"] == 60 and summary["total"] == 15625
    assert summary["spread"] == pytest.approx(0.2) and summary["tau_wall_cpu"] == pytest.approx(-1.0, abs=0.01)
    assert devices.available_retests() == ["NB201, one after the other", "NB201, quiet machine, beside a reference"]
    pairs, result = devices.retest_pairs("NB201, one after the other")
    assert len(pairs) == 30 and result["kendalltau"] == pytest.approx(1.0)
    assert result["kendalltau_min"] == pytest.approx(1.0, abs=0.01)      # ties broken by rounding
    assert result["value"] == "min_ms" and "kendalltau_norm" not in result
    pairs, result = devices.retest_pairs("NB201, quiet machine, beside a reference")
    assert result["value"] == "norm_q25_ms" and result["kendalltau_value"] == result["kendalltau_norm"]
    # the retest ran on a machine slowing down from full to a third of its speed: the ratio takes it out ...
    assert result["kendalltau_norm"] > 0.97                              # (ties broken by rounding)
    assert result["kendalltau_min"] < 0.9                               # ... of the raw times it is not
    assert np.array_equal(pairs["first_value_ms"], pairs["first_norm_ms"])
    drift = devices.retest_drift("NB201, quiet machine, beside a reference", lags=(1, 5))
    assert set(drift) == {1, 5} and drift[1] > 0.5                      # neighbouring errors alike
    with pytest.raises(InputError, match="no column"):
        devices.retest_drift("NB201, one after the other", column="norm_q25_ms")
    table = devices.agreement_table("own-cpu_latency", ["nb201-flops"])
    assert table.loc[0, "n"] == 60 and 0.3 < table.loc[0, "kendalltau"] < 1
    costs, tau = devices.op_costs("own-cpu_latency")
    assert tau > 0.95                                    # exact up to ties broken by rounding
    assert np.allclose(costs["cost"], 1.8 * np.array([2.0, *(cost[1:] - cost[0])]))


def test_gpu_passes_retest_describe_and_agree(own, monkeypatch):
    monkeypatch.setattr(data, "_REGISTRY", dict(data._REGISTRY))     # the GPU dataset is forgotten after
    monkeypatch.setattr(data, "_REGISTERED", {})
    A, y, cost = own
    names = get_space("nb201").array_to_names(A)
    gpu = [f for pair in devices.GPU_RETESTS.values() for f in pair]
    assert devices.available_retests(gpu=True) == [] and devices.gpu_dataset() is None   # no GPU files yet
    for path in gpu[:3]:
        _write(data.devices_dir() / path, names, y)
    _write(data.devices_dir() / gpu[3], names[:20], y[:20] * 1.1, ref=np.full(20, 1.5))
    assert devices.available_retests(gpu=True) == list(devices.GPU_RETESTS)[:2]   # the third pass is missing
    assert gpu[5] == gpu[2]                               # the third pass's retest: the second, on another machine
    _write(data.devices_dir() / gpu[4], names[10:50], y[10:50], ref=np.full(40, 2.0))
    assert devices.available_retests(gpu=True) == list(devices.GPU_RETESTS)
    _, across = devices.retest_pairs("H200, beside a reference, another machine")
    assert across["n"] == 40 and across["kendalltau"] > 0.99              # the same values (up to ties)
    assert devices.available_retests() == ["NB201, one after the other", "NB201, quiet machine, beside a reference"]
    described = devices.pass_description(gpu[0])
    assert (described["measured"], described["input_size"], described["cpu_model"]) == (60, 32, "test")
    assert described["median_ms"] == pytest.approx(np.median(y))
    _, result = devices.retest_pairs("H200, one after the other")
    assert result["n"] == 60 and result["kendalltau"] == pytest.approx(1.0)
    name, table = devices.gpu_agreement(["nb201-flops", "own-cpu_latency", "not-a-dataset"])
    assert name == devices.GPU_DATASET and data.load_dataset(name).n_archs == 40   # the third pass, when at hand
    assert table["dataset"].tolist()[0] == "own-cpu_latency" and len(table) == 2   # unknown names left out
    assert table["kendalltau"].is_monotonic_decreasing
    assert devices.gpu_picked() is None                                   # the picked cells: not yet measured
    _write(data.devices_dir() / devices.GPU_PICKED, names[50:60], y[50:60], ref=np.full(10, 2.0))
    assert data.load_dataset(devices.gpu_picked()).n_archs == 10


def test_bad_input(own, tmp_path):
    with pytest.raises(InputError, match="search space"):
        devices.measurement_summary("transnas_micro")
    with pytest.raises(InputError, match="unknown retest"):
        devices.retest_pairs("nb201")
    with pytest.raises(InputError, match="different search spaces"):
        devices.paired_values("own-cpu_latency", "transnas_micro-jigsaw")
    path = tmp_path / data.OWN_DATASETS["own-cpu_latency"][1]
    path.write_text(path.read_text() + "|bad~0|,1,1,1,1,1,5,0\n")
    data.clear_caches()
    with pytest.raises(DataError, match="malformed"):
        data.load_dataset("own-cpu_latency")


def test_missing_own_file_is_not_listed(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "devices_dir", lambda: tmp_path)
    data.clear_caches()
    try:
        assert "own-cpu_latency" not in data.list_datasets()
        with pytest.raises(DataError, match="needs"):
            data.load_dataset("own-cpu_latency")
    finally:
        data.clear_caches()


def test_edge_op_counts():
    counts = devices.edge_op_counts(np.array([[0, 0, 1, 4, 4, 4], [3] * 6]))
    assert counts.tolist() == [[2, 1, 0, 0, 3], [0, 0, 0, 6, 0]]
    assert pd.Series(counts.sum(axis=1)).eq(6).all()


def test_checksum_follows_file_and_column(own, monkeypatch):
    before = data.load_dataset("own-cpu_latency").checksum
    space, rel, _, *rest = data.OWN_DATASETS["own-cpu_latency"]
    monkeypatch.setitem(data.OWN_DATASETS, "own-cpu_latency", (space, rel, "median_ms", *rest))
    data.clear_caches()
    assert data.load_dataset("own-cpu_latency").checksum != before
