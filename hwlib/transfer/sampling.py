"""Which cells to measure on a new device: drawn at random, or spread along what the other devices
say (:func:`spread_cells`); :func:`pick_cells` names them for a measurement."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import InputError

__all__ = ["SAMPLERS", "spread_cells", "pick_cells", "score_picked"]

#: How the target's training cells are chosen: ``'random'`` (HELP's protocol) or ``'spread'``
#: (:func:`spread_cells` along the consensus of the source devices).
SAMPLERS = ("random", "spread")


def spread_cells(consensus: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` positions spread along ``consensus`` (one value per cell): the cells sorted by it, cut
    into ``n`` strata of (nearly) equal size, one cell drawn at random from each (seeded), so the
    sample covers fast and slow networks alike."""
    if not 1 <= n <= len(consensus):
        raise InputError(f"cannot spread {n} cells over {len(consensus)}")
    rng = np.random.default_rng(seed)
    return np.array([rng.choice(s) for s in np.array_split(np.argsort(consensus, kind="stable"), n)])


def pick_cells(sources: str | Sequence[str], n: int = 10, seed: int = 0) -> list[str]:
    """The NAS-Bench-201 cells to measure first on a new device: :func:`spread_cells` along the
    consensus (mean of the denoised values) of ``sources``, fastest first, as architecture strings.

    ``sources``: as :func:`hwlib.transfer.resolve_sources` takes them for a new device
    (``'help-train'``; ``'others'``: every device at hand; or dataset names).
    """
    from ..data import nb201_archs
    from ..spaces import get_space
    from .sources import resolve_sources, source_values

    names = resolve_sources(None, sources)
    consensus = np.column_stack([source_values(s)[1] for s in names]).mean(1)
    cells = spread_cells(consensus, n, seed)
    cells = cells[np.argsort(consensus[cells], kind="stable")]
    return list(get_space("nb201").array_to_names(nb201_archs()[cells]))


def score_picked(picked: str, target: str, method: str | None = None, sources: str | Sequence[str] = "others",
                 seed: int = 0) -> dict:
    """How well a new device's first measurements rank the rest of it: transfer ``method`` fitted
    on every cell of dataset ``picked`` (say the cells :func:`pick_cells` named, measured) predicts
    the cells of dataset ``target`` (a fuller pass of the same device) that ``picked`` does not hold.

    Parameters
    ----------
    picked, target : str
        Dataset names (one's own files: :func:`hwlib.data.register_measurements`), NB201.
    method : str, optional
        A transfer method (default: :data:`hwlib.transfer.STRONGEST`).
    sources : str or sequence of str
        As :func:`hwlib.transfer.resolve_sources` takes them for ``picked``.
    seed : int
        Seeds the method.

    Returns
    -------
    dict
        ``method``, ``n_sources``, ``n_picked``, ``n_scored`` (target cells outside the picked),
        ``kendalltau`` and ``spearman`` of the prediction with the target's values on them.
    """
    from ..data import load_dataset
    from ..deployment import predict_space
    from ..metrics import kendalltau, spearman
    from .methods import STRONGEST
    from .sources import resolve_sources

    method = method or STRONGEST
    first, full = load_dataset(picked), load_dataset(target)
    if first.search_space != full.search_space:
        raise InputError(f"{picked!r} holds {first.search_space} architectures and {target!r} {full.search_space}")
    names = resolve_sources(picked, sources)
    if target in names:
        raise InputError(f"the target {target!r} is among the sources; leave it out")
    pred = predict_space(picked, method, seed=seed, sources=names)["predicted"].to_numpy()
    scored = ~np.isin(full.index, first.index)
    if scored.sum() < 2:
        raise InputError(f"{target!r} holds fewer than two cells outside {picked!r}")
    y, p = full.y[scored], pred[full.index[scored]]
    return {"method": method, "n_sources": len(names), "n_picked": int(first.n_archs), "n_scored": int(scored.sum()),
            "kendalltau": float(kendalltau(y, p)), "spearman": float(spearman(y, p))}
