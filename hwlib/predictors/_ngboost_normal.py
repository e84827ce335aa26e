"""ngboost's Normal distribution with its log score in numpy: same numbers, about 1.6x faster fits.

ngboost's ``Normal`` builds a frozen ``scipy.stats.norm`` for every candidate of every line-search
step, and that construction dominates small fits. ``FastNormal`` builds the scipy object only
when asked for and computes the log score directly. Imported only by
:class:`hwlib.predictors.classic.NGBoostRegressor` (ngboost is slow to import); module-level classes
so that fitted models pickle.
"""

from __future__ import annotations

import numpy as np
import scipy.stats
from ngboost.distns import Normal
from ngboost.distns.distn import RegressionDistn
from ngboost.distns.normal import NormalLogScore
from ngboost.scores import LogScore

__all__ = ["FastNormal", "FastNormalLogScore"]


class FastNormalLogScore(NormalLogScore, LogScore):
    """Negative log density of the Normal; ``LogScore`` as the last base is ngboost's lookup key."""

    def score(self, Y):
        return 0.5 * np.log(2 * np.pi * self.var) + 0.5 * (Y - self.loc) ** 2 / self.var


class FastNormal(Normal):
    """``ngboost.distns.Normal`` without the eager scipy object; the point prediction is ``loc``."""

    scores = [FastNormalLogScore]

    def __init__(self, params):
        RegressionDistn.__init__(self, params)
        self.loc = params[0]
        self.scale = np.exp(params[1])
        self.var = self.scale**2

    @property
    def dist(self):
        return scipy.stats.norm(loc=self.loc, scale=self.scale)

    def mean(self):
        return self.loc
