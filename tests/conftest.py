"""Shared fixtures. Tests that need the benchmark files use ``require_data``; it skips them, with
the reason, where the files cannot be had (no data directory, no mirror)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from hwlib.errors import DataError


@pytest.fixture(scope="session")
def require_data() -> None:
    """Make sure the mirrored benchmark files are in the data directory, or skip."""
    from hwlib import files, paths

    missing = [k for k, f in files.FILES.items() if f.required and not files.is_present(k)]
    if missing and paths.mirror_dir() is not None:
        try:
            files.fetch(download=False)
            missing = []
        except DataError as exc:
            pytest.skip(f"benchmark files unavailable: {exc}")
    if missing:
        pytest.skip(f"benchmark files unavailable ({missing[0]} and {len(missing) - 1} more); "
                    "set HWLIB_DATA_MIRROR or run `hwlib data fetch`")


@pytest.fixture(scope="session")
def nb201_cells() -> np.ndarray:
    """All 15625 NB201 cells as op codes, in itertools order (not the NB201 index order)."""
    return np.array(list(itertools.product(range(5), repeat=6)), dtype=np.int64)


def _study_records(tau) -> pd.DataFrame:
    """Records of every trained predictor on two datasets per benchmark, 3 seeds; tau(bench, p, size)."""
    from hwlib.protocol import HWNAS_TRAIN_SIZES, TRANSNAS_TRAIN_SIZES
    from hwlib.study import study_predictors

    rows = []
    for bench, sizes in [("hwnas", HWNAS_TRAIN_SIZES), ("transnas", TRANSNAS_TRAIN_SIZES)]:
        for p in study_predictors():
            for s in sizes:
                for seed in range(3):
                    for d in range(2):
                        rows.append({"benchmark": bench, "dataset": f"{bench}{d}", "predictor": p,
                                     "nominal_train_size": s, "seed": seed, "fit_time": 0.1,
                                     "kendalltau": tau(bench, p, s) + 0.01 * (seed - 1) + 0.02 * (d - 0.5)})
    return pd.DataFrame(rows)


@pytest.fixture
def study_records():
    """Synthetic study records: ``study_records(tau)``, every trained predictor on two datasets per
    benchmark, 3 seeds, with Kendall tau ``tau(benchmark, predictor, size)`` plus a little noise."""
    return _study_records


@pytest.fixture
def registry(monkeypatch):
    """The dataset registry as it is; what a test registers is forgotten after it."""
    from hwlib import data

    monkeypatch.setattr(data, "_REGISTRY", dict(data._REGISTRY))
    monkeypatch.setattr(data, "_REGISTERED", {})
    yield
    data.load_dataset.cache_clear()
