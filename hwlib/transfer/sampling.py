"""Which cells to measure on a new device: drawn at random, or spread along what the other devices
say (:func:`spread_cells`); :func:`pick_cells` names them for a measurement."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import InputError

__all__ = ["SAMPLERS", "spread_cells", "pick_cells"]

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
