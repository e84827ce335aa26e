"""Encodings against hand-worked examples."""

from __future__ import annotations

import numpy as np
import pytest

from hwlib.encodings import Encoder, encode, graph, graph_shape, onehot, path


def test_onehot_nb201_hand_worked():
    X = onehot(np.array([[0, 1, 2, 3, 4, 0]]), "nb201")
    assert X.shape == (1, 30)
    # position p, op o -> column 5p + o
    assert np.flatnonzero(X[0]).tolist() == [0, 6, 12, 18, 24, 25]


def test_onehot_macro_and_micro_widths():
    X = onehot(np.array([[4, 1, 4, 1, 4, 0]]), "transnas_macro")   # 64-41414-basic
    assert X.shape == (1, 36)
    assert np.flatnonzero(X[0]).tolist() == [4, 7, 16, 19, 28, 30]
    X = onehot(np.array([[1, 0, 2, 3, 3, 3]]), "transnas_micro")   # 64-41414-1_02_333
    assert X.shape == (1, 24)
    assert np.flatnonzero(X[0]).tolist() == [1, 4, 10, 15, 19, 23]


def test_onehot_rows_have_one_bit_per_position(nb201_cells):
    X = onehot(nb201_cells, "nb201")
    assert (X.reshape(-1, 6, 5).sum(axis=2) == 1).all()
    assert len(np.unique(X, axis=0)) == len(nb201_cells)


def test_path_all_none_cell():
    # 'none' counts as an op (digit 0), as in the released code: [3] -> 0; [0,4], [1,5] -> 5 + 0
    # (one shared bit); [0,2,5] -> 5 + 25 + 0 = 30
    X = path(np.zeros((1, 6), dtype=int), "nb201")
    assert X.shape == (1, 155)
    assert np.flatnonzero(X[0]).tolist() == [0, 5, 30]


def test_path_hand_worked():
    # ops (positions 0..5) = skip 1, 1x1 2, 3x3 3, pool 4, skip 1, 1x1 2; op code = digit, m = 5.
    # [3] = (4) -> 4;  [0,4] = (1,1) -> 5 + 1*5 + 1 = 11;  [1,5] = (2,2) -> 5 + 2*5 + 2 = 17;
    # [0,2,5] = (1,3,2) -> 30 + 1*25 + 3*5 + 2 = 72
    X = path(np.array([[1, 2, 3, 4, 1, 2]]), "nb201")
    assert np.flatnonzero(X[0]).tolist() == [4, 11, 17, 72]


def test_path_every_cell_sets_three_or_four_bits(nb201_cells):
    X = path(nb201_cells, "nb201")
    bits = X.sum(axis=1)
    shared = (nb201_cells[:, 0] == nb201_cells[:, 1]) & (nb201_cells[:, 4] == nb201_cells[:, 5])
    np.testing.assert_array_equal(bits, np.where(shared, 3, 4))


def test_path_distinguishes_every_cell(nb201_cells):
    # the length-3 path and the two length-2 paths together fix all six ops except when the two
    # length-2 paths coincide, where the pair (0,4) vs (1,5) is ambiguous
    X = path(nb201_cells, "nb201")
    assert len(np.unique(X, axis=0)) > 0.9 * len(nb201_cells)


def test_path_micro_width_and_macro_refused():
    assert path(np.ones((2, 6), dtype=int), "transnas_micro").shape == (2, 84)
    with pytest.raises(ValueError, match="cell search space"):
        path(np.ones((1, 6), dtype=int), "transnas_macro")


def test_graph_hand_worked():
    n_nodes, n_types = graph_shape("nb201")
    assert (n_nodes, n_types) == (8, 7)
    X = graph(np.array([[0, 1, 2, 3, 4, 0]]), "nb201")
    assert X.shape == (1, 64 + 56)
    adj = X[0, :64].reshape(8, 8)
    # node 0 input, node 1+p = edge p in (0->1),(0->2),(1->2),(0->3),(1->3),(2->3), node 7 output
    expected = {(0, 1), (0, 2), (0, 4),          # edges leaving cell node 0
                (1, 3), (1, 5), (2, 6), (3, 6),  # edge into cell node k -> edges out of k
                (4, 7), (5, 7), (6, 7)}          # edges into cell node 3 -> output
    assert {tuple(map(int, e)) for e in np.argwhere(adj)} == expected
    types = X[0, 64:].reshape(8, 7).argmax(axis=1)
    assert types.tolist() == [0, 1, 2, 3, 4, 5, 1, 6]   # input, op code + 1, output
    assert (X[0, 64:].reshape(8, 7).sum(axis=1) == 1).all()


def test_graph_micro_types_and_macro_refused():
    assert graph_shape("transnas_micro") == (8, 6)
    assert graph(np.zeros((3, 6), dtype=int), "transnas_micro").shape == (3, 64 + 48)
    with pytest.raises(ValueError, match="cell search space"):
        graph(np.ones((1, 6), dtype=int), "transnas_macro")


@pytest.mark.parametrize("encoding", ["onehot", "path", "graph"])
def test_encoder_transformer_matches_function(encoding):
    A = np.random.default_rng(0).integers(0, 5, size=(20, 6))
    enc = Encoder(encoding, "nb201").fit(A)
    np.testing.assert_array_equal(enc.transform(A), encode(A, encoding, "nb201"))
    assert enc.get_params() == {"encoding": encoding, "search_space": "nb201"}


def test_invalid_codes_refused():
    from hwlib.errors import InputError
    with pytest.raises(InputError):
        onehot(np.array([[0, 1, 2, 3, 4, 5]]), "nb201")


def test_encoder_fit_names_a_bad_shape():
    from hwlib.errors import InputError
    from hwlib.spaces import SpaceError

    with pytest.raises(SpaceError, match=r"must have shape \(n, 6\), got \(6,\)"):
        Encoder("onehot", "nb201").fit(np.zeros(6, dtype=int))
    with pytest.raises(InputError, match="unknown encoding 'bits'"):
        Encoder("bits", "nb201").fit(np.zeros((2, 6), dtype=int))
