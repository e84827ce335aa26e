"""Encodings: integer architectures ``A`` (n, 6) -> feature matrices ``X``.

Each encoding is a small pure function plus a scikit-learn transformer wrapping it, so that a
predictor is ``Pipeline([encoder, regressor])`` (see :mod:`hwlib.predictors`). The protocol's
encodings (PROTOCOL.md, "Encodings"):

``onehot``
    one bit per (position, code): 6 x 5 = 30 inputs on NB201, 6 x 6 = 36 on the TransNAS macro
    space (the protocol's width: codes 0-5, of which 0-4 occur), 6 x 4 = 24 on the micro space.
``path``
    BANANAS' path encoding on a cell: one bit per input-to-output path with its op sequence,
    'none' counted as an op as in the released code: 5 + 25 + 125 = 155 inputs on NB201
    (4 + 16 + 64 = 84 on the micro space).
``graph``
    op-as-node DAG of 8 nodes (input, the 6 edge ops, output) with one-hot node types
    (input, output, and one per op: 7 types on NB201), flattened as
    ``[adjacency (8*8), node types (8*T)]``. The adjacency is built from the TRUE edge order
    :data:`hwlib.spaces.NB201_EDGES` (the released code swapped two positions).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .errors import InputError
from .spaces import NB201_EDGES, get_space

__all__ = ["ENCODINGS", "encode", "onehot", "path", "graph", "graph_shape", "Encoder"]

_ONEHOT_WIDTH = {"nb201": 5, "transnas_macro": 6, "transnas_micro": 4}


def onehot(A: np.ndarray, search_space: str) -> np.ndarray:
    """One-hot encoding, shape (n, 6 * codes), float32; position-major order."""
    space = get_space(search_space)
    A = space.validate(A)
    width = _ONEHOT_WIDTH[space.name]
    X = np.zeros((A.shape[0], A.shape[1] * width), dtype=np.float32)
    cols = np.arange(A.shape[1]) * width + A
    X[np.arange(A.shape[0])[:, None], cols] = 1.0
    return X


@lru_cache(maxsize=None)
def _cell_paths() -> tuple[tuple[int, ...], ...]:
    """Input-to-output paths of the cell as tuples of edge positions, shortest first."""
    paths = []
    def walk(node: int, edges: tuple[int, ...]) -> None:
        if node == 3:
            paths.append(edges)
            return
        for pos, (src, dst) in enumerate(NB201_EDGES):
            if src == node:
                walk(dst, edges + (pos,))
    walk(0, ())
    return tuple(sorted(paths, key=len))


def path(A: np.ndarray, search_space: str) -> np.ndarray:
    """BANANAS path encoding, shape (n, m + m^2 + m^3) with m = codes (5 + 25 + 125 = 155 on NB201).

    The cell has four input-to-output paths (edges ``[3]``, ``[0, 4]``, ``[1, 5]``, ``[0, 2, 5]``);
    each sets the one bit of its op sequence (o_1..o_k): column ``offset_k + sum_j o_j m^(k-j)``
    with ``offset_k = m + ... + m^(k-1)``, op codes as digits. As in the released code
    (NASLib's ``encode_paths``), 'none' counts as an op: a path through a 'none' edge still sets
    its bit. So every cell sets four bits, or three when both length-2 paths carry the same ops.
    (The released code ordered the digits avg_pool, 1x1, 3x3, skip, none; a fixed permutation
    of the columns, which no model here can tell apart.)
    """
    space = get_space(search_space)
    if not space.is_cell:
        raise ValueError(f"the path encoding needs a cell search space, not {search_space!r}")
    A = space.validate(A)
    m = space.n_codes
    offsets = np.cumsum([0] + [m**k for k in (1, 2, 3)])
    X = np.zeros((A.shape[0], offsets[-1]), dtype=np.float32)
    rows = np.arange(A.shape[0])
    for edges in _cell_paths():
        ops = A[:, edges]                       # (n, k) op codes along the path
        k = len(edges)
        col = offsets[k - 1] + (ops * (m ** np.arange(k - 1, -1, -1))).sum(axis=1)
        X[rows, col] = 1.0
    return X


def graph_shape(search_space: str) -> tuple[int, int]:
    """(nodes, node types) of the graph encoding for ``search_space``."""
    space = get_space(search_space)
    return len(NB201_EDGES) + 2, space.n_codes + 2


@lru_cache(maxsize=None)
def _op_adjacency() -> np.ndarray:
    """8x8 adjacency of the op-as-node DAG: node 0 input, 1..6 edge ops, 7 output."""
    adj = np.zeros((8, 8), dtype=np.float32)
    for i, (src_i, dst_i) in enumerate(NB201_EDGES):
        if src_i == 0:
            adj[0, 1 + i] = 1.0
        if dst_i == 3:
            adj[1 + i, 7] = 1.0
        for j, (src_j, _) in enumerate(NB201_EDGES):
            if src_j == dst_i:
                adj[1 + i, 1 + j] = 1.0
    return adj


def graph(A: np.ndarray, search_space: str) -> np.ndarray:
    """Op-as-node graph encoding, flattened ``[adjacency (N*N), node types (N*T)]``, float32.

    Node types: 0 input, 1..codes op types (code + 1), codes+1 output. The adjacency is the
    same for every cell; an op 'none' is kept as a node of its own type, as in the released code.
    """
    space = get_space(search_space)
    if not space.is_cell:
        raise ValueError(f"the graph encoding needs a cell search space, not {search_space!r}")
    A = space.validate(A)
    n_nodes, n_types = graph_shape(search_space)
    types = np.zeros((A.shape[0], n_nodes, n_types), dtype=np.float32)
    types[:, 0, 0] = 1.0
    types[np.arange(A.shape[0])[:, None], np.arange(1, 7), A + 1] = 1.0
    types[:, 7, n_types - 1] = 1.0
    adj = np.broadcast_to(_op_adjacency().ravel(), (A.shape[0], n_nodes * n_nodes))
    return np.concatenate([adj, types.reshape(A.shape[0], -1)], axis=1)


ENCODINGS = {"onehot": onehot, "path": path, "graph": graph}


def encode(A: np.ndarray, encoding: str, search_space: str) -> np.ndarray:
    """Encode ``A`` with the encoding called ``encoding`` (a key of :data:`ENCODINGS`)."""
    try:
        fn = ENCODINGS[encoding]
    except KeyError:
        raise InputError(f"unknown encoding {encoding!r}; known: {', '.join(ENCODINGS)}") from None
    return fn(A, search_space)


class Encoder(TransformerMixin, BaseEstimator):
    """scikit-learn transformer: integer architectures -> features of one encoding.

    Parameters
    ----------
    encoding : {'onehot', 'path', 'graph'}
    search_space : {'nb201', 'transnas_macro', 'transnas_micro'}
    """

    def __init__(self, encoding: str = "onehot", search_space: str = "nb201"):
        self.encoding = encoding
        self.search_space = search_space

    def fit(self, A, y=None):
        A = get_space(self.search_space).validate(A)
        if self.encoding not in ENCODINGS:
            raise InputError(f"unknown encoding {self.encoding!r}; known: {', '.join(ENCODINGS)}")
        self.n_features_in_ = A.shape[1]
        return self

    def transform(self, A):
        check_is_fitted(self, "n_features_in_")
        return encode(np.asarray(A), self.encoding, self.search_space)
