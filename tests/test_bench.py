"""The predictor benchmark's bounds on stacking: what they count, on products of known size."""

import importlib.util
from pathlib import Path

import pytest
import torch

_PATH = Path(__file__).resolve().parents[1] / "bench" / "bench_predictors.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_predictors", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_count_flops_counts_matrix_products_exactly(bench):
    a, b = torch.randn(3, 5, 7), torch.randn(3, 7, 11)
    x, w = torch.randn(4, 6), torch.randn(6, 2)
    assert bench.count_flops(lambda: torch.bmm(a, b)) == 2 * 3 * 5 * 7 * 11
    assert bench.count_flops(lambda: (x @ w, x.relu())) == 2 * 4 * 6 * 2


def test_count_flops_sees_the_products_inside_an_lstm(bench):
    # oneDNN's fused LSTM is switched off while counting, so its products are counted
    lstm, seq = torch.nn.LSTM(8, 16, batch_first=True), torch.randn(2, 5, 8)
    with torch.no_grad():
        flops = bench.count_flops(lambda: lstm(seq))
    assert flops >= 2 * 2 * 5 * 4 * 16 * (8 + 16)   # 4 gates, input and hidden products, each step


def test_product_seconds_counts_only_product_kernels(bench):
    a = torch.randn(50, 64, 64)
    assert bench.product_seconds(lambda: [torch.bmm(a, a) for _ in range(20)]) > 0
    assert bench.product_seconds(lambda: [a.relu() for _ in range(20)]) == 0


def test_gemm_peak_is_a_rate(bench):
    assert 1e8 < bench.gemm_peak(size=128, repeats=2) < 1e13


def test_ratio_seeds_parses_names_and_a_default(bench):
    assert bench._ratio_seeds("gcn=10,bonas=12,50") == {"gcn": 10, "bonas": 12, "*": 50}


def test_the_mlps_numpy_products_are_counted_and_timed(bench):
    from hwlib.predictors import _mlp

    a, b = torch.randn(4, 32, 21).numpy(), torch.randn(4, 21, 20).numpy()
    assert bench.count_flops(lambda: _mlp._matmul(a, b)) == 2 * 4 * 32 * 21 * 20
    assert bench.product_seconds(lambda: [_mlp._matmul(a, b) for _ in range(200)]) > 0
    assert _mlp._matmul.__name__ == "_matmul"      # the counting wrapper is taken off again


def test_store_benchmark_finds_both_readers_equal_on_mixed_columns(tmp_path, monkeypatch, capsys):
    from hwlib.store import Store

    spec = importlib.util.spec_from_file_location("bench_store", _PATH.with_name("bench_store.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    records = [{"key": f"k{i}", "train_size": 10 * (i % 3), "hpo_budget": None, "seed": i, "kendalltau": i / 7,
                "pearson": float("nan") if i % 2 else 0.5, "params": {"epochs": i}, "flag": i % 2 == 0,
                "note": None if i % 3 else "x"} for i in range(12)]
    Store(tmp_path).put("predictors/d/p", records, sort_by=["train_size", "seed"])
    monkeypatch.setenv("HWLIB_RESULTS_DIR", str(tmp_path))
    assert module.main([]) == 0
    assert "same records: yes" in capsys.readouterr().out


def test_stack_sweep_times_each_stack_size(bench, require_data):
    from hwlib.data import load_dataset
    from hwlib.encodings import encode

    ds = load_dataset("cifar10-raspi4_latency")
    X = encode(ds.A, "graph", ds.search_space)
    sweep = bench.stack_sweep("bonas", ds, X, 11, seeds=3, stacks=[1, 0, 3], epochs=1)
    assert list(sweep) == [1, 0, 3] and all(0 < t < 60 for t in sweep.values())
