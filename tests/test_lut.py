"""The lookup table: exact on additive metrics, the protocol's bases, base selection, contract."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest
from sklearn.base import clone

from hwlib.encodings import onehot
from hwlib.errors import InputError
from hwlib.metrics import kendalltau
from hwlib.lookup import evaluate_lut, lut_predictions
from hwlib.predictors.lut import PROTOCOL_LAYOUTS, LookupTable, choose_layout
from hwlib.spaces import get_space


def _macro_archs() -> np.ndarray:
    """The 3256 TransNAS macro networks: 4-6 blocks, 1-3 channel doublings, 1-4 downsamplings."""
    out = []
    for length in (4, 5, 6):
        for blocks in itertools.product((1, 2, 3, 4), repeat=length):
            doubles = sum(b in (2, 4) for b in blocks)
            halves = sum(b in (3, 4) for b in blocks)
            if 1 <= doubles <= 3 and 1 <= halves <= 4:
                out.append(blocks + (0,) * (6 - length))
    return np.array(out, dtype=np.int64)


def _additive(A: np.ndarray, n_codes: int, seed: int = 0) -> np.ndarray:
    w = np.random.default_rng(seed).normal(size=(A.shape[1], n_codes))
    return w[np.arange(A.shape[1]), A].sum(axis=1)


def _fit(A, y, space):
    X = onehot(A, space)
    return LookupTable(space).fit(X, y), X


def test_exact_on_additive_metric_nb201(nb201_cells):
    y = _additive(nb201_cells, 5)
    lut, X = _fit(nb201_cells, y, "nb201")
    assert lut.base_reason_ == "the protocol's base"
    assert lut.n_measured_ == 25 and lut.layout_.base == (0,) * 6
    np.testing.assert_allclose(lut.predict(X), y, atol=1e-9)
    assert kendalltau(y, lut.predict(X)) == pytest.approx(1.0)


def test_exact_on_additive_metric_micro():
    from hwlib.spaces import micro_all
    A = micro_all()
    y = _additive(A, 4)
    lut, X = _fit(A, y, "transnas_micro")
    assert lut.n_measured_ == 19                          # 1 + 6 x 3
    np.testing.assert_allclose(lut.predict(X), y, atol=1e-9)


def test_macro_uses_the_protocols_two_bases():
    A = _macro_archs()
    assert len(A) == 3256
    names = get_space("transnas_macro").array_to_names(A)   # every one is a valid macro network
    assert len(set(names)) == 3256
    y = _additive(A, 5)
    lut, X = _fit(A, y, "transnas_macro")
    assert lut.base_reason_ == "the protocol's base"
    assert lut.layout_ == PROTOCOL_LAYOUTS["transnas_macro"]
    assert lut.n_measured_ == 21
    assert [tuple(b) for b in lut.layout_.bases()] == [(1, 1, 1, 1, 4, 0), (1, 1, 1, 4, 0, 0)]
    np.testing.assert_allclose(lut.predict(X), y, atol=1e-9)


def test_prediction_is_base_plus_deltas_by_hand():
    # a tiny hand-made table: base value 10, position 2 op 3 adds 2, position 5 op 1 subtracts 1
    A = np.array([[0] * 6] + [[0] * i + [o] + [0] * (5 - i) for i in range(6) for o in range(1, 5)])
    y = np.full(len(A), 10.0)
    y[(A[:, 2] == 3) & (A.sum(1) == 3)] = 12.0
    y[(A[:, 5] == 1) & (A.sum(1) == 1)] = 9.0
    lut, _ = _fit(A, y, "nb201")
    query = onehot(np.array([[0, 0, 3, 0, 0, 1], [4, 4, 4, 4, 4, 4]]), "nb201")
    np.testing.assert_allclose(lut.predict(query), [11.0, 10.0])


def test_missing_base_chooses_complete_neighbourhood(nb201_cells):
    keep = nb201_cells.sum(axis=1) > 0                    # drop the all-'none' cell
    A = nb201_cells[keep]
    y = _additive(A, 5)
    lut, X = _fit(A, y, "nb201")
    assert lut.layout_.base != (0,) * 6
    assert "missing" in lut.base_reason_ and "nearest base" in lut.base_reason_
    present = set(map(tuple, A.tolist()))
    assert all(tuple(a) in present for a in lut.measured_)
    assert lut.n_measured_ == 25
    # a base one edge away has the dropped cell in its row; the nearest complete one is two away
    assert sum(np.array(lut.layout_.base) != 0) == 2
    np.testing.assert_allclose(lut.predict(X), y, atol=1e-9)   # additive: any complete base is exact


def test_missing_neighbour_moves_the_base(nb201_cells):
    drop = (nb201_cells == 0).sum(axis=1) == 5
    drop &= nb201_cells[:, 3] == 2                         # one neighbour of the all-'none' base
    layout, reason = choose_layout(nb201_cells[~drop], "nb201")
    assert layout.base != (0,) * 6 and "1 of the protocol's" in reason


def test_no_complete_neighbourhood_is_an_input_error():
    A = np.random.default_rng(0).integers(0, 5, size=(40, 6))
    with pytest.raises(InputError, match="cannot build a lookup table"):
        _fit(A, np.zeros(40), "nb201")


def test_contract_on_valid_data(nb201_cells):
    """The sklearn contract on the data a lookup table is defined for (see the neural/classic
    check exceptions: the generic checks feed random features, which no table can be built from)."""
    y = _additive(nb201_cells, 5)
    X = onehot(nb201_cells, "nb201")
    lut = LookupTable("nb201", random_state=0)
    assert lut.fit(X, y) is lut
    assert lut.n_features_in_ == 30
    again = pickle.loads(pickle.dumps(lut))
    np.testing.assert_array_equal(again.predict(X[:50]), lut.predict(X[:50]))
    np.testing.assert_array_equal(clone(lut).fit(X, y).predict(X[:50]), lut.predict(X[:50]))
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError):
        LookupTable().predict(X)
    with pytest.raises(ValueError):
        lut.predict(X[:, :29])


def test_evaluate_lut_on_real_data(require_data):
    from hwlib.lookup import evaluate_lut
    r = evaluate_lut("cifar10-raspi4_latency")
    assert r["n_measured"] == 25 and r["base_reason"] == "the protocol's base"
    assert r["base"] == ["|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"]
    assert 0.4 < r["kendalltau"] < 0.55                   # published: 0.45 (ImageNet16-120)
    r = evaluate_lut("cifar10-edgegpu_latency")            # 12554 cells: the base's row is incomplete
    assert r["n_measured"] == 25 and "missing" in r["base_reason"]


def test_forced_base(nb201_cells):
    y = _additive(nb201_cells, 5)
    X = onehot(nb201_cells, "nb201")
    lut = LookupTable("nb201", base=(1, 2, 3, 4, 0, 1)).fit(X, y)
    assert lut.layout_.base == (1, 2, 3, 4, 0, 1) and lut.base_reason_ == "the base given"
    np.testing.assert_allclose(lut.predict(X), y, atol=1e-9)
    with pytest.raises(InputError, match="neighbours are not among"):
        LookupTable("nb201", base=(0,) * 6).fit(X[1:], y[1:])


def test_lut_predictions_are_in_measured_units(require_data):
    y, pred = lut_predictions("cifar10-fpga_latency")
    assert y.shape == pred.shape == (15625,)
    # FPGA latency takes 84 distinct values: many predictions tie exactly in theory, and whether their
    # float sums tie too differs between raw and z-scored units, so the two taus differ slightly
    assert kendalltau(y, pred) == pytest.approx(evaluate_lut("cifar10-fpga_latency")["kendalltau"], abs=2e-3)
    assert np.abs(pred - y).mean() < 0.05 * np.abs(y).mean()   # FPGA latency is nearly additive
