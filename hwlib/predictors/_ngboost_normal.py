"""NGBoost's hot spots in lean form: same numbers, faster fits.

ngboost's ``Normal`` builds a frozen ``scipy.stats.norm`` for every candidate of every line-search
step, and that construction dominates small fits. ``FastNormal`` builds the scipy object only
when asked for and computes the log score directly (about 1.6x faster fits).

Each of the 505 stages clones, fits and predicts two regression trees, and sklearn checks its
parameters and inputs on every such call (``inspect.signature`` for each clone, parameter
validation for each fit, finite-value checks for each prediction): at small training sizes that
is most of a fit. ``QuickTree`` is sklearn's tree with those repeated checks left out; the trees
and their predictions are sklearn's, bit for bit.

Imported only by :class:`hwlib.predictors.classic.NGBoostRegressor` (ngboost is slow to import);
module-level classes so that fitted models pickle.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.stats
from ngboost.distns import Normal
from ngboost.distns.distn import RegressionDistn
from ngboost.distns.normal import NormalLogScore
from ngboost.scores import LogScore
from sklearn.tree import DecisionTreeRegressor

__all__ = ["FastNormal", "FastNormalLogScore", "QuickTree"]


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


class QuickTree(DecisionTreeRegressor):
    """sklearn's regression tree as NGBoost's base learner, without the checks it repeats.

    Its parameter names are read once per class, not from ``__init__``'s signature at every clone;
    ``fit`` does not validate the parameters again (they are set once, by the regressor) but
    checks its inputs as sklearn does; ``predict`` converts ``X`` to float32 as sklearn does and
    skips only the input checks (NGBoost predicts on the rows it was fitted on, already checked).
    """

    @classmethod
    @functools.cache
    def _get_param_names(cls):
        return DecisionTreeRegressor._get_param_names.__func__(cls)

    def fit(self, X, y, sample_weight=None, check_input=True):
        return self._fit(X, y, sample_weight=sample_weight, check_input=check_input)

    def predict(self, X, check_input=True):
        if check_input:
            X = np.asarray(X, dtype=np.float32)
        return super().predict(X, check_input=False)
