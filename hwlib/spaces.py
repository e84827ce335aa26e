"""Search spaces: conversions between an architecture's name, its index and its op tuple.

Every architecture is represented in ``hwlib`` as a tuple of small integers, one per position
(an edge of a cell, or a block of a macro network). A set of architectures is an integer array
``A`` of shape (architectures, positions). Encodings (:mod:`hwlib.encodings`) turn ``A`` into
features; this module only converts names and indices.

Three spaces are supported:

``nb201``
    NAS-Bench-201 cells: 6 edges in arch-string order (0->1), (0->2), (1->2), (0->3), (1->3),
    (2->3); op codes none=0, skip_connect=1, nor_conv_1x1=2, nor_conv_3x3=3, avg_pool_3x3=4.
    The index of a cell is the NAS-Bench-201 index (index <-> string via the published table).
``transnas_macro``
    TransNAS-Bench-101 macro networks such as ``64-41414-basic``: 4 to 6 blocks with codes 1-4,
    right-padded with 0 to 6 positions.
``transnas_micro``
    TransNAS-Bench-101 micro cells such as ``64-41414-0_00_000``: the same 6 edges as NB201 with
    op codes none=0, skip_connect=1, nor_conv_1x1=2, nor_conv_3x3=3. Micro index j is the
    base-4 number of the six digits (official API index 3256 + j).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .errors import InputError

__all__ = [
    "SearchSpace",
    "SpaceError",
    "NB201_OPS",
    "NB201_EDGES",
    "MICRO_OPS",
    "get_space",
    "SPACES",
    "nb201_str_to_ops",
    "nb201_ops_to_str",
    "macro_name_to_ops",
    "macro_ops_to_name",
    "micro_name_to_ops",
    "micro_ops_to_name",
]


class SpaceError(InputError):
    """A malformed architecture name, an unknown op or an index out of range."""


NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
MICRO_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3")
#: (from node, to node) of the six cell edges, in arch-string order.
NB201_EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
MACRO_CODES = (0, 1, 2, 3, 4)  # 0 pads networks of fewer than 6 blocks

_NB201_RE = re.compile(r"^\|([a-z0-9_]+)~0\|\+\|([a-z0-9_]+)~0\|([a-z0-9_]+)~1\|\+"
                       r"\|([a-z0-9_]+)~0\|([a-z0-9_]+)~1\|([a-z0-9_]+)~2\|$")
_MACRO_RE = re.compile(r"^64-([1-4]{4,6})-basic$")
_MICRO_RE = re.compile(r"^64-41414-([0-3])_([0-3]{2})_([0-3]{3})$")


def nb201_str_to_ops(arch: str) -> tuple[int, ...]:
    """``'|nor_conv_3x3~0|+|...|'`` -> op codes in edge order; raises :class:`SpaceError`."""
    match = _NB201_RE.match(arch) if isinstance(arch, str) else None
    if match is None:
        raise SpaceError(f"malformed NAS-Bench-201 arch string: {arch!r}")
    try:
        return tuple(NB201_OPS.index(op) for op in match.groups())
    except ValueError:
        raise SpaceError(f"unknown op in NAS-Bench-201 arch string {arch!r}; "
                         f"ops are {', '.join(NB201_OPS)}") from None


def nb201_ops_to_str(ops: Sequence[int]) -> str:
    """Op codes in edge order -> NAS-Bench-201 arch string."""
    names = [NB201_OPS[_check_code(o, len(NB201_OPS), ops)] for o in _check_len(ops, 6)]
    return "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|".format(*names)


def macro_name_to_ops(name: str) -> tuple[int, ...]:
    """``'64-41414-basic'`` -> ``(4, 1, 4, 1, 4, 0)``; raises :class:`SpaceError`."""
    match = _MACRO_RE.match(name) if isinstance(name, str) else None
    if match is None:
        raise SpaceError(f"malformed TransNAS-Bench-101 macro name: {name!r} "
                         "(expected e.g. '64-41414-basic': 4 to 6 block digits 1-4)")
    digits = [int(c) for c in match.group(1)]
    return tuple(digits + [0] * (6 - len(digits)))


def macro_ops_to_name(ops: Sequence[int]) -> str:
    """Zero-padded block codes -> ``'64-41414-basic'``."""
    codes = [_check_code(o, 5, ops) for o in _check_len(ops, 6)]
    blocks = codes[: codes.index(0)] if 0 in codes else codes
    if len(blocks) < 4 or any(codes[len(blocks):]) or 0 in blocks:
        raise SpaceError(f"not a TransNAS-Bench-101 macro architecture: {tuple(ops)!r}")
    return "64-" + "".join(map(str, blocks)) + "-basic"


def micro_name_to_ops(name: str) -> tuple[int, ...]:
    """``'64-41414-1_02_333'`` -> ``(1, 0, 2, 3, 3, 3)``; raises :class:`SpaceError`."""
    match = _MICRO_RE.match(name) if isinstance(name, str) else None
    if match is None:
        raise SpaceError(f"malformed TransNAS-Bench-101 micro name: {name!r} "
                         "(expected e.g. '64-41414-0_02_333', digits 0-3)")
    return tuple(int(c) for c in "".join(match.groups()))


def micro_ops_to_name(ops: Sequence[int]) -> str:
    """Op codes in edge order -> ``'64-41414-a_bc_def'``."""
    d = "".join(str(_check_code(o, len(MICRO_OPS), ops)) for o in _check_len(ops, 6))
    return f"64-41414-{d[0]}_{d[1:3]}_{d[3:]}"


def _check_len(ops: Sequence[int], n: int) -> Sequence[int]:
    if len(ops) != n:
        raise SpaceError(f"expected {n} positions, got {len(ops)}: {tuple(ops)!r}")
    return ops


def _check_code(code: int, n_codes: int, ops: Sequence[int]) -> int:
    if not 0 <= int(code) < n_codes:
        raise SpaceError(f"op code {code!r} out of range 0..{n_codes - 1} in {tuple(ops)!r}")
    return int(code)


@dataclass(frozen=True)
class SearchSpace:
    """A search space: its positions, codes per position and name conversions.

    Attributes
    ----------
    name : str
        ``'nb201'``, ``'transnas_macro'`` or ``'transnas_micro'``.
    n_positions : int
        Number of positions (columns of ``A``).
    n_codes : int
        Number of codes per position (op vocabulary size, including 'none'/padding 0).
    is_cell : bool
        True when the positions are the edges :data:`NB201_EDGES` of a DAG cell.
    to_ops, to_name : callable
        Name -> op tuple and op tuple -> name.
    """

    name: str
    n_positions: int
    n_codes: int
    is_cell: bool
    to_ops: Callable[[str], tuple[int, ...]]
    to_name: Callable[[Sequence[int]], str]

    def names_to_array(self, names: Sequence[str]) -> np.ndarray:
        """Names -> integer array ``A`` of shape (len(names), n_positions)."""
        return np.array([self.to_ops(n) for n in names], dtype=np.int64).reshape(-1, self.n_positions)

    def array_to_names(self, A: np.ndarray) -> list[str]:
        """Integer array ``A`` -> names."""
        return [self.to_name(row) for row in np.asarray(A)]

    def validate(self, A: np.ndarray) -> np.ndarray:
        """Return ``A`` as int64 (n, n_positions), or raise :class:`SpaceError` naming the problem."""
        A = np.asarray(A)
        if A.ndim != 2 or A.shape[1] != self.n_positions:
            raise SpaceError(f"{self.name}: architectures must have shape (n, {self.n_positions}), "
                             f"got {A.shape}")
        if not np.issubdtype(A.dtype, np.integer) or A.min(initial=0) < 0 or A.max(initial=0) >= self.n_codes:
            raise SpaceError(f"{self.name}: op codes must be integers in 0..{self.n_codes - 1}")
        return A.astype(np.int64, copy=False)


def _all_cells(n_codes: int) -> np.ndarray:
    return np.array(list(itertools.product(range(n_codes), repeat=6)), dtype=np.int64)


def micro_all() -> np.ndarray:
    """All 4096 micro cells in micro-index order (base-4 digits, last edge fastest)."""
    return _all_cells(len(MICRO_OPS))


SPACES: dict[str, SearchSpace] = {
    "nb201": SearchSpace("nb201", 6, len(NB201_OPS), True, nb201_str_to_ops, nb201_ops_to_str),
    "transnas_macro": SearchSpace("transnas_macro", 6, len(MACRO_CODES), False,
                                  macro_name_to_ops, macro_ops_to_name),
    "transnas_micro": SearchSpace("transnas_micro", 6, len(MICRO_OPS), True,
                                  micro_name_to_ops, micro_ops_to_name),
}


def get_space(name: str) -> SearchSpace:
    """The :class:`SearchSpace` called ``name``; raises :class:`SpaceError` for an unknown name."""
    try:
        return SPACES[name]
    except KeyError:
        raise SpaceError(f"unknown search space {name!r}; known: {', '.join(SPACES)}") from None
