"""The selection problem: accuracy and z-scored hardware value of every architecture of a dataset,
sorted by accuracy, paired by architecture or as the released code paired them.

Pairing: ``"architecture"`` (default) pairs each architecture's accuracy with its own hardware
value. ``"sorted"`` reproduces the released code, which sorted the hardware values before pairing
them with accuracies listed in lexicographic op-tuple order (PROTOCOL.md, QUIRK).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["PAIRINGS", "PAIRING_LABELS", "SelectionProblem", "selection_problem", "accuracy_dataset", "accuracy_matched_datasets",
           "problem_overview"]

PAIRINGS = ("architecture", "sorted")
#: How tables and figures name each pairing.
PAIRING_LABELS = {"architecture": "by architecture", "sorted": "sorted (released code)"}


@dataclass(frozen=True, eq=False)
class SelectionProblem:
    """Accuracy and z-scored hardware value of every point, sorted by accuracy (best first).

    Attributes
    ----------
    name : str
        Dataset name; with ``seed``, ``n`` and the trial it fixes every random draw, so both
        pairings of one dataset see the same subsets and deviations.
    acc : ndarray, shape (N,)
        Test accuracy in %, non-increasing.
    hw : ndarray, shape (N,)
        Z-scored hardware value paired with ``acc``.
    A : ndarray of int64, shape (N, 6)
        Op codes of the architecture whose accuracy each point carries.
    pairing : str
        ``'architecture'`` or ``'sorted'``.
    checksum : str
        Digest of the source data (part of the cache key).
    """

    name: str
    acc: np.ndarray
    hw: np.ndarray
    A: np.ndarray
    pairing: str = "architecture"
    checksum: str = ""

    @property
    def n_archs(self) -> int:
        return int(self.acc.shape[0])

    @cached_property
    def value_ranks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The points by increasing hardware value (ties by position), every point's rank in
        that order, and its dense hardware-value rank."""
        order = np.argsort(self.hw, kind="stable")
        rank = np.empty(self.n_archs, dtype=np.intp)
        rank[order] = np.arange(self.n_archs)
        new = np.r_[True, self.hw[order][1:] != self.hw[order][:-1]]
        dense = np.empty(self.n_archs, dtype=np.intp)
        dense[order] = np.cumsum(new) - 1
        return order, rank, dense

    @property
    def f0(self) -> np.ndarray:
        """First objective, ``-acc / 100``, non-decreasing."""
        return -self.acc / 100.0

    @classmethod
    def from_arrays(cls, acc, hw, A=None, name: str = "custom", pairing: str = "architecture",
                    checksum: str | None = None) -> "SelectionProblem":
        """Build a problem from paired arrays (any order); ``pairing='sorted'`` applies the quirk.

        Parameters
        ----------
        acc, hw : array_like, shape (N,)
            Accuracy in % and z-scored hardware value, paired by architecture.
        A : array_like of int, shape (N, positions), optional
            Op codes; the quirk lists accuracies in their lexicographic order.
        """
        acc, hw = np.asarray(acc, dtype=np.float64), np.asarray(hw, dtype=np.float64)
        if acc.ndim != 1 or acc.shape != hw.shape or acc.size < 2:
            raise InputError(f"acc and hw must be 1-D of one length >= 2, got {acc.shape}, {hw.shape}")
        if not (np.isfinite(acc).all() and np.isfinite(hw).all()):
            raise InputError("acc and hw must be finite")
        A = np.zeros((acc.size, 0), np.int64) if A is None else np.asarray(A, dtype=np.int64)
        if A.ndim != 2 or len(A) != acc.size:
            raise InputError(f"A must hold one row of op codes per architecture ({acc.size}), got shape {A.shape}")
        if pairing == "sorted":
            lex = np.lexsort(A.T[::-1]) if A.shape[1] else np.arange(acc.size)
            acc, A, hw = acc[lex], A[lex], np.sort(hw)
        elif pairing != "architecture":
            raise InputError(f"unknown pairing {pairing!r}; one of {', '.join(PAIRINGS)}")
        order = np.argsort(-acc / 100.0, kind="stable")
        if checksum is None:
            checksum = hashlib.sha256(acc.tobytes() + hw.tobytes()).hexdigest()[:16]
        arrays = (acc[order], hw[order], A[order])
        for a in arrays:
            a.setflags(write=False)
        return cls(name, *arrays, pairing=pairing, checksum=checksum)


def _image_dataset(name: str) -> str:
    from ..data import IMAGE_DATASETS
    for image in sorted(IMAGE_DATASETS, key=len, reverse=True):
        if name.startswith(image + "-"):
            return image
    raise InputError(f"dataset {name!r} does not name the image dataset whose NB201 accuracy pairs with it; "
                     f"the selection simulation needs '<cifar10|cifar100|ImageNet16-120>-<metric>', or "
                     f"'{name}@cifar10' (or @cifar100, @ImageNet16-120) for another NB201 dataset")


@lru_cache(maxsize=32)
def selection_problem(dataset: str, pairing: str = "architecture") -> SelectionProblem:
    """The selection problem of an HW-NAS-Bench dataset: NB201 accuracy of its image dataset and
    its hardware values z-scored over all of its architectures.

    ``'<dataset>@<image>'`` takes the accuracy of another image dataset (cifar10, cifar100,
    ImageNet16-120) instead, e.g. ``'cifar10-raspi4_latency@ImageNet16-120'``: with only cifar10
    hardware values at hand, this matches the accuracy scale of the paper's datasets
    (:func:`accuracy_matched_datasets`).

    Raises
    ------
    InputError
        For an unknown pairing or image dataset, or a dataset without NB201 accuracy.
    """
    from ..data import load_accuracy, load_dataset

    if pairing not in PAIRINGS:
        raise InputError(f"unknown pairing {pairing!r}; one of {', '.join(PAIRINGS)}")
    hw_name = str(dataset).partition("@")[0]
    ds = load_dataset(hw_name)
    if ds.search_space != "nb201":
        raise InputError(f"dataset {hw_name!r} is not on NB201 cells; the simulation needs NB201 accuracy")
    acc = load_accuracy(accuracy_dataset(dataset))[ds.index]
    return SelectionProblem.from_arrays(acc, ds.y_z, ds.A, name=dataset, pairing=pairing,
                                        checksum=ds.checksum)


def accuracy_dataset(dataset: str) -> str:
    """The image dataset whose NB201 accuracy :func:`selection_problem` pairs with ``dataset``."""
    hw_name, _, image = str(dataset).partition("@")
    return image or _image_dataset(hw_name)


def accuracy_matched_datasets() -> list[str]:
    """The paper's five datasets, or stand-ins with the paper's accuracy where only cifar10 hardware
    values are at hand (``'cifar10-raspi4_latency@ImageNet16-120'`` for
    ImageNet16-120-raspi4_latency): the hardware metric of the cifar10 network, the accuracy of
    the image dataset the paper used."""
    from ..data import PAPER_HWNAS, hard_datasets

    names = []
    for paper, ours in zip(PAPER_HWNAS, hard_datasets("hwnas")):
        image = _image_dataset(paper)
        names.append(ours if _image_dataset(ours) == image else f"{ours}@{image}")
    return names


def problem_overview(problems: dict[str, SelectionProblem], largest: int = 15625) -> pd.DataFrame:
    """One row per problem: its architectures, best accuracy, and the size a request of ``largest``
    architectures is clipped to."""
    return pd.DataFrame({"dataset": list(problems),
                         "architectures": [p.n_archs for p in problems.values()],
                         "best accuracy [%]": [p.acc.max() for p in problems.values()],
                         f"n used for {largest}": [min(largest, p.n_archs) for p in problems.values()]})
