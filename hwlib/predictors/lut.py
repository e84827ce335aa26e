"""The lookup table (``lut``): a base architecture's value plus one measured delta per position.

PROTOCOL.md, "Lookup Table"::

    prediction(a) = metric(base) + sum_i delta[i][a_i],
    delta[i][op]  = metric(base with position i set to op) - metric(base)

On NAS-Bench-201 the base is the all-'none' cell and its 6 x 4 one-edge neighbours are measured
(25 architectures); on the TransNAS micro space the same with 6 x 3 neighbours (19). On the
TransNAS macro space a network cannot lose its only channel-doubling block, so position 4 is read
in a second context: base ``(1,1,1,1,4,0)`` for positions 0-3 and 5, and ``(1,1,1,4,0,0)`` for
position 4 (21 distinct measured architectures). In general each position ``i`` has a *context*
architecture ``c_i`` whose row ``{c_i with position i set to op}`` is measured, and

    delta[i][op] = metric(c_i with i := op) - metric(c_i with i := base_i),

which is the protocol's formula when ``c_i`` is the base (and, on the macro space, differs from
the protocol's reading only by a constant, which leaves every ranking unchanged).

The table is built from whatever architectures it is given (their values are its
"measurements"). Where the protocol's base or one of its neighbours is missing (HW-NAS-Bench's
12554-row table lacks some cells), it takes the base nearest to the protocol's (fewest differing
positions, then the smallest op tuple) whose neighbourhood is complete, and says so in
``base_reason_``; failing that, it reads each position in its nearest complete context.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ..encodings import _ONEHOT_WIDTH
from ..errors import InputError
from ..spaces import get_space

__all__ = ["Layout", "PROTOCOL_LAYOUTS", "choose_layout", "LookupTable"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Layout:
    """Which architectures a lookup table measures.

    Attributes
    ----------
    base : tuple of int
        The base architecture (its value is the intercept).
    contexts : tuple of tuple of int
        One context architecture per position (usually the base itself).
    """

    base: tuple[int, ...]
    contexts: tuple[tuple[int, ...], ...]

    def row(self, i: int, codes) -> list[tuple[int, ...]]:
        """Architectures measured for position ``i``: its context with ``i`` set to each code."""
        return [self.contexts[i][:i] + (int(o),) + self.contexts[i][i + 1:] for o in codes]

    def measured(self, codes: list[np.ndarray]) -> list[tuple[int, ...]]:
        """All distinct measured architectures, the base first; ``codes[i]``: codes at position i."""
        out = [self.base]
        for i in range(len(self.base)):
            out += [a for a in self.row(i, list(codes[i]) + [self.base[i]]) if a not in out]
        return out

    def bases(self) -> list[tuple[int, ...]]:
        """The base, then every other context, distinct, in position order."""
        out = [self.base]
        for c in self.contexts:
            if c not in out:
                out.append(c)
        return out


def _single(base: tuple[int, ...]) -> Layout:
    return Layout(base, (base,) * len(base))


#: The protocol's layouts per search space.
PROTOCOL_LAYOUTS: dict[str, Layout] = {
    "nb201": _single((0,) * 6),
    "transnas_micro": _single((0,) * 6),
    "transnas_macro": Layout((1, 1, 1, 1, 4, 0), ((1, 1, 1, 1, 4, 0),) * 4 + ((1, 1, 1, 4, 0, 0),)
                             + ((1, 1, 1, 1, 4, 0),)),
}


def _keys(A: np.ndarray, n_codes: int) -> np.ndarray:
    """Integer key per architecture; key order is the lexicographic order of op tuples."""
    return A @ (n_codes ** np.arange(A.shape[1] - 1, -1, -1))


def _row_complete(A: np.ndarray, keys: np.ndarray, i: int, codes: np.ndarray, n_codes: int) -> np.ndarray:
    """For every architecture: is its row at position ``i`` (every code of ``codes``) in ``A``? (n,)"""
    place = n_codes ** (A.shape[1] - 1 - i)
    stripped = keys - A[:, i] * place
    sorted_keys = np.sort(keys)
    ok = np.ones(len(A), dtype=bool)
    for o in codes:
        probe = stripped + int(o) * place
        pos = np.searchsorted(sorted_keys, probe).clip(max=len(sorted_keys) - 1)
        ok &= sorted_keys[pos] == probe
    return ok


def _nearest(A: np.ndarray, keys: np.ndarray, mask: np.ndarray, target: tuple[int, ...]) -> tuple | None:
    """The architecture of ``A[mask]`` nearest to ``target`` (Hamming, then smallest op tuple)."""
    if not mask.any():
        return None
    cand, ckeys = A[mask], keys[mask]
    order = np.lexsort((ckeys, (cand != np.asarray(target)).sum(axis=1)))
    return tuple(int(v) for v in cand[order[0]])


def choose_layout(A: np.ndarray, search_space: str) -> tuple[Layout, str]:
    """Pick the lookup table's measured architectures among those of ``A``.

    Parameters
    ----------
    A : ndarray of int, shape (n, positions)
        The architectures whose values are known.
    search_space : str

    Returns
    -------
    (Layout, str)
        The layout and a sentence saying why it was chosen.

    Raises
    ------
    InputError
        When no architecture of ``A`` has a complete row at some position.
    """
    space = get_space(search_space)
    A = space.validate(A)
    codes = [np.unique(A[:, i]) for i in range(A.shape[1])]
    keys = _keys(A, space.n_codes)
    present = set(keys.tolist())
    proto = PROTOCOL_LAYOUTS[space.name]
    missing = [a for a in proto.measured(codes) if _keys(np.array([a]), space.n_codes)[0] not in present]
    if not missing:
        return proto, "the protocol's base"
    why = (f"{len(missing)} of the protocol's measured architectures are missing from the data "
           f"(e.g. {space.to_name(missing[0]) if _valid(space, missing[0]) else missing[0]})")
    complete = np.stack([_row_complete(A, keys, i, codes[i], space.n_codes) for i in range(A.shape[1])], 1)
    single = _nearest(A, keys, complete.all(axis=1), proto.base)
    if single is not None:
        return _single(single), why + "; chose the nearest base whose neighbourhood is complete"
    base = proto.base if proto.base in map(tuple, A.tolist()) else _nearest(A, keys, np.ones(len(A), bool), proto.base)
    contexts = tuple(_nearest(A, keys, complete[:, i], base) for i in range(A.shape[1]))
    if any(c is None for c in contexts):
        i = [c is None for c in contexts].index(True)
        raise InputError(f"cannot build a lookup table: no architecture among the {len(A)} given has "
                         f"all its neighbours at position {i} ({len(codes[i])} ops)")
    return Layout(base, contexts), why + "; no single base has a complete neighbourhood, " \
        "so each position is read in its nearest complete context"


def _forced_layout(A: np.ndarray, search_space: str, base) -> tuple[Layout, str]:
    """The single-base layout around ``base``; raises :class:`InputError` if its row is incomplete."""
    space = get_space(search_space)
    base = tuple(int(v) for v in base)
    space.validate(np.array([base]))
    layout = _single(base)
    present = set(map(tuple, A.tolist()))
    missing = [a for a in layout.measured([np.unique(A[:, i]) for i in range(A.shape[1])])
               if a not in present]
    if missing:
        raise InputError(f"lookup table base {base}: {len(missing)} of its neighbours are not among "
                         f"the training architectures (e.g. {missing[0]})")
    return layout, "the base given"


def _valid(space, arch) -> bool:
    try:
        space.to_name(arch)
        return True
    except InputError:
        return False


class LookupTable(RegressorMixin, BaseEstimator):
    """Operation-wise lookup table (``lut``) on one-hot encoded architectures.

    ``fit`` treats the given architectures as everything measured: it picks a base and its
    one-position neighbours among them (:func:`choose_layout`) and ignores the rest.

    Parameters
    ----------
    search_space : str
        Decides how the one-hot columns map to positions and ops.
    base : tuple of int or None
        Force this single base (its whole neighbourhood must be among the training
        architectures); None: the protocol's base, or the nearest complete one.
    random_state : None
        Accepted for the common interface; the table is deterministic.

    Attributes
    ----------
    layout_ : Layout
    base_reason_ : str
    table_ : ndarray of shape (positions, codes)
        ``delta[i][op]``; 0 for ops never seen at a position.
    intercept_ : float
        The base's value.
    measured_ : ndarray of shape (n_measured, positions)
    n_measured_ : int
    """

    def __init__(self, search_space: str = "nb201", base=None, random_state=None):
        self.search_space = search_space
        self.base = base
        self.random_state = random_state

    def _decode(self, X: np.ndarray) -> np.ndarray:
        """One-hot features (n, positions * width) -> op codes (n, positions)."""
        space = get_space(self.search_space)
        width = _ONEHOT_WIDTH[space.name]
        if X.shape[1] != space.n_positions * width:
            raise InputError(f"lookup table on {space.name} expects one-hot features of width "
                             f"{space.n_positions * width}, got {X.shape[1]}")
        return X.reshape(len(X), space.n_positions, width).argmax(axis=2)

    def fit(self, X, y):
        """Build the table from one-hot ``X`` (n, d) and values ``y`` (n,); returns ``self``."""
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        A = self._decode(X)
        space = get_space(self.search_space)
        if self.base is None:
            self.layout_, self.base_reason_ = choose_layout(A, space.name)
        else:
            self.layout_, self.base_reason_ = _forced_layout(A, space.name, self.base)
        codes = [np.unique(A[:, i]) for i in range(A.shape[1])]
        value = dict(zip(map(tuple, A.tolist()), y.tolist()))  # duplicates: the last one counts
        L = self.layout_
        self.table_ = np.zeros((A.shape[1], space.n_codes))
        for i in range(A.shape[1]):
            ref = value[L.row(i, [L.base[i]])[0]]
            for o, arch in zip(codes[i], L.row(i, codes[i])):
                self.table_[i, o] = value[arch] - ref
        self.intercept_ = float(value[L.base])
        self.measured_ = np.array(L.measured(codes), dtype=np.int64)
        self.n_measured_ = len(self.measured_)
        return self

    def predict(self, X) -> np.ndarray:
        """Predictions for one-hot ``X`` (m, d), shape (m,)."""
        check_is_fitted(self, "table_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        A = self._decode(X)
        return self.intercept_ + self.table_[np.arange(A.shape[1]), A].sum(axis=1)
