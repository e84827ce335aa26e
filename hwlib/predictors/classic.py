"""The classic (non-neural) regressors of the zoo, with the protocol's defaults.

Each is a thin scikit-learn estimator around the field's library (scikit-learn, xgboost, lightgbm,
ngboost; the sparse GP in torch): ``__init__`` only stores parameters, ``fit`` validates, z-scores
``y`` on the training set (PROTOCOL.md: "most predictors z-score again on their training set and
undo it when predicting"), fits the wrapped model as ``model_`` and returns ``self``; ``predict``
undoes the scaling. Every class takes ``random_state`` and is deterministic for a given one on CPU;
libraries that can run threads are held to ``n_jobs`` (default 1: the study parallelises over
cells, not inside a fit).

The two tuned ones (Ridge, SVR) declare their search space as the class attribute ``hpo_space``
(see :mod:`hwlib.hpo`).

Defaults (PROTOCOL.md, "Predictors and their defaults"):

================  =====================================================================
``lr``            ordinary least squares (minimum-norm solution: one-hot columns are collinear)
``ridge``         alpha 1.0; searched alpha in {0.25, ..., 2.5}
``blr``           Bayesian linear regression, precisions by evidence maximisation (BayesianRidge)
``svr``           RBF kernel, C 1; searched kernel and C in 0.5..1.5
``gp``            RBF kernel, variance 5, lengthscale 10, noise variance 1, all fixed
``sparse_gp``     10 inducing points, Titsias' collapsed variational bound (ELBO), 200 Adam steps
``rf``            116 trees, max_features 0.17, min_samples_leaf 2, no bootstrap
``xgb``           500 rounds, max_depth 6, eta 0.3
``ngb``           505 estimators, lr 0.081, tree depth 6, max_features 0.79, Normal, minibatch 0.5
``lgb``           500 rounds, 31 leaves, lr 0.05, feature_fraction 0.9, bagging 0.8 every 5,
                  min_data_in_leaf 5
================  =====================================================================
"""

from __future__ import annotations

import contextlib

import numpy as np
import scipy.linalg
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ..encodings import _ONEHOT_WIDTH  # the one-hot layout the GP's structured solver reads

__all__ = ["LinearRegressor", "RidgeRegressor", "BayesianLinearRegressor", "SVMRegressor",
           "GPRegressor", "SparseGPRegressor", "RFRegressor", "XGBoostRegressor",
           "NGBoostRegressor", "LightGBMRegressor"]


def _seed(random_state) -> int:
    """An int seed for libraries that want one (None -> 0, so fits stay reproducible)."""
    if random_state is None:
        return 0
    if isinstance(random_state, (int, np.integer)):
        return int(random_state)
    return int(check_random_state(random_state).randint(2**31 - 1))


class _ZScored(RegressorMixin, BaseEstimator):
    """Base: validate, z-score ``y`` on the training set, fit ``_build()``, undo at predict.

    Subclasses implement ``_build(self) -> model`` (an object with ``fit``/``predict``), or
    override ``_fit_scaled``/``_predict_scaled`` for models that are not such objects.
    """

    def fit(self, X, y):
        """Fit on features ``X`` (n, d) and targets ``y`` (n,); returns ``self``."""
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        self.y_mean_ = float(np.mean(y))
        std = float(np.std(y))
        self.y_std_ = std if std > 0 else 1.0  # a constant target: predict it
        self._fit_scaled(X, (y - self.y_mean_) / self.y_std_)
        return self

    def predict(self, X) -> np.ndarray:
        """Predictions for ``X`` (m, d), shape (m,), in the units of the training ``y``."""
        check_is_fitted(self, "y_std_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        z = np.asarray(self._predict_scaled(X), dtype=np.float64).reshape(-1)
        return z * self.y_std_ + self.y_mean_

    def _fit_scaled(self, X: np.ndarray, z: np.ndarray) -> None:
        self.model_ = self._build().fit(X, z)

    def _predict_scaled(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict(X)


class LinearRegressor(_ZScored):
    """Ordinary least squares (``lr``); ``random_state`` is accepted and unused."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def _build(self):
        from sklearn.linear_model import LinearRegression
        return LinearRegression()


class RidgeRegressor(_ZScored):
    """Ridge regression (``ridge``), L2 penalty ``alpha``; tuned over :attr:`hpo_space`."""

    hpo_space = {"alpha": [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5]}

    def __init__(self, alpha: float = 1.0, random_state=None):
        self.alpha = alpha
        self.random_state = random_state

    def _build(self):
        from sklearn.linear_model import Ridge
        return Ridge(alpha=self.alpha)


class BayesianLinearRegressor(_ZScored):
    """Bayesian linear regression (``blr``): linear basis, Gaussian prior on the weights.

    The weight and noise precisions are set by maximising the evidence (marginal likelihood),
    Bishop (2006) Section 3.5, via :class:`sklearn.linear_model.BayesianRidge`.
    """

    def __init__(self, max_iter: int = 300, tol: float = 1e-3, random_state=None):
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _build(self):
        from sklearn.linear_model import BayesianRidge
        return BayesianRidge(max_iter=self.max_iter, tol=self.tol)

    def _fit_scaled(self, X, z):
        super()._fit_scaled(X, z)
        self.n_iter_ = self.model_.n_iter_


class SVMRegressor(_ZScored):
    """Epsilon support vector regression (``svr``); tuned over :attr:`hpo_space`.

    ``random_state`` is accepted and unused (libsvm's regression is deterministic).
    """

    hpo_space = {"kernel": ["linear", "poly", "rbf", "sigmoid"],
                 "C": [round(0.5 + 0.1 * i, 1) for i in range(11)]}

    def __init__(self, kernel: str = "rbf", C: float = 1.0, epsilon: float = 0.1,
                 cache_size: float = 2000.0, random_state=None):
        self.kernel = kernel
        self.C = C
        self.epsilon = epsilon
        self.cache_size = cache_size
        self.random_state = random_state

    def _build(self):
        from sklearn.svm import SVR
        # a kernel cache (MB, allocated as needed) that holds 15000 rows: 1.5x faster fits there
        return SVR(kernel=self.kernel, C=self.C, epsilon=self.epsilon, cache_size=self.cache_size)


def _rbf(X1: np.ndarray, X2: np.ndarray, variance: float, lengthscale: float) -> np.ndarray:
    """RBF kernel matrix ``variance * exp(-|x1 - x2|^2 / (2 lengthscale^2))``, (n1, n2)."""
    sq = (X1 * X1).sum(1)[:, None] + (X2 * X2).sum(1)[None, :] - 2.0 * X1 @ X2.T
    np.maximum(sq, 0.0, out=sq)
    sq *= -0.5 / lengthscale**2
    np.exp(sq, out=sq)
    sq *= variance
    return sq


class GPRegressor(_ZScored):
    """Exact Gaussian process regression (``gp``) with fixed hyperparameters; posterior mean.

    RBF kernel with variance 5 and lengthscale 10, Gaussian noise variance 1, none of them
    optimised (PROTOCOL.md). The weights ``alpha_ = (K + noise I)^-1 y`` are found one of two ways:

    - when ``X`` is exactly the one-hot encoding of ``search_space`` (as in the study), by
      conjugate gradients with the kernel applied through its Kronecker structure: on one-hot
      rows ``|x - x'|^2`` is twice the number of differing positions, so the kernel over the
      whole space is ``variance * kron_i ((1 - e) I + e 1 1^T)``, ``e = exp(-1 / lengthscale^2)``,
      and one product with it costs O(space size x positions) (milliseconds, against a minute
      for the Cholesky factorisation at 15000 samples); solved to a relative residual of 1e-10;
    - otherwise by one dense Cholesky factorisation in place (n^2 floats: 1.8 GB at 15000).

    Both give the same predictions (tests hold them against each other and against
    scikit-learn's GaussianProcessRegressor).
    """

    def __init__(self, variance: float = 5.0, lengthscale: float = 10.0, noise: float = 1.0,
                 search_space: str | None = None, random_state=None):
        self.variance = variance
        self.lengthscale = lengthscale
        self.noise = noise
        self.search_space = search_space
        self.random_state = random_state

    def _fit_scaled(self, X, z):
        self.X_train_ = X
        codes = _onehot_codes(X, self.search_space)
        self.grid_ = None
        if codes is not None:
            self.grid_ = _GridKernel(codes.shape[1], _ONEHOT_WIDTH[self.search_space],
                                     self.variance, self.lengthscale)
            self.alpha_, self.grid_weights_ = self.grid_.solve(codes, z, self.noise)
            if self.alpha_ is not None:
                return
            self.grid_ = None  # CG did not converge: fall back to the dense solve
        K = _rbf(X, X, self.variance, self.lengthscale)
        K[np.diag_indices_from(K)] += self.noise
        factor = scipy.linalg.cho_factor(K, lower=True, overwrite_a=True, check_finite=False)
        self.alpha_ = scipy.linalg.cho_solve(factor, z, check_finite=False)

    def _predict_scaled(self, X):
        codes = _onehot_codes(X, self.search_space) if self.grid_ is not None else None
        if codes is not None:
            return self.grid_weights_[self.grid_.index(codes)]
        return _rbf(X, self.X_train_, self.variance, self.lengthscale) @ self.alpha_


def _onehot_codes(X: np.ndarray, search_space: str | None) -> np.ndarray | None:
    """Op codes (n, positions) if ``X`` is exactly ``search_space``'s one-hot encoding, else None."""
    width = _ONEHOT_WIDTH.get(search_space) if search_space else None
    if width is None or X.shape[1] % width or X.shape[1] == 0:
        return None
    blocks = X.reshape(len(X), -1, width)
    if not (np.isin(X, (0.0, 1.0)).all() and (blocks.sum(axis=2) == 1).all()):
        return None
    return blocks.argmax(axis=2)


class _GridKernel:
    """The RBF kernel on one-hot architectures, applied through its Kronecker structure.

    Over the full grid of ``width ** positions`` architectures the kernel matrix is
    ``variance * kron_i ((1 - e) I + e 1 1^T)`` with ``e = exp(-1 / lengthscale^2)``.
    """

    def __init__(self, positions: int, width: int, variance: float, lengthscale: float):
        self.positions, self.width, self.variance = positions, width, variance
        self.e = float(np.exp(-1.0 / lengthscale**2))
        self.size = width**positions

    def index(self, codes: np.ndarray) -> np.ndarray:
        """Grid index of each architecture, (n,)."""
        return codes @ (self.width ** np.arange(self.positions - 1, -1, -1))

    def on_grid(self, idx: np.ndarray, v: np.ndarray) -> np.ndarray:
        """``K[grid, idx] @ v`` for every grid point, (size,)."""
        u = np.bincount(idx, weights=v, minlength=self.size).reshape((self.width,) * self.positions)
        for axis in range(self.positions):
            u = (1.0 - self.e) * u + self.e * u.sum(axis=axis, keepdims=True)
        return self.variance * u.reshape(-1)

    def solve(self, codes: np.ndarray, z: np.ndarray, noise: float):
        """``alpha = (K + noise I)^-1 z`` by CG, and ``K[grid, train] @ alpha``; (None, None) if CG fails."""
        from scipy.sparse.linalg import LinearOperator, cg
        idx = self.index(codes)
        op = LinearOperator((len(z), len(z)), dtype=np.float64,
                            matvec=lambda v: self.on_grid(idx, np.ravel(v))[idx] + noise * np.ravel(v))
        alpha, info = cg(op, z, rtol=1e-10, atol=0.0, maxiter=20 * len(z) + 100)
        if info != 0:
            return None, None
        return alpha, self.on_grid(idx, alpha)


class SparseGPRegressor(_ZScored):
    """Sparse variational GP regression (``sparse_gp``), Titsias (2009), in torch.

    ``n_inducing`` inducing inputs (initialised at a seeded random subset of the training rows),
    the RBF kernel's variance and lengthscale and the noise variance are fitted by ``n_steps``
    full-batch Adam steps on the collapsed evidence lower bound; the optimal variational
    distribution of the inducing outputs gives the predictive mean.
    """

    def __init__(self, n_inducing: int = 10, n_steps: int = 200, lr: float = 0.05,
                 random_state=None):
        self.n_inducing = n_inducing
        self.n_steps = n_steps
        self.lr = lr
        self.random_state = random_state

    def _fit_scaled(self, X, z):
        rng = np.random.default_rng(_seed(self.random_state))
        idx = rng.choice(len(X), size=min(self.n_inducing, len(X)), replace=False)
        Z0 = X[idx] + 1e-3 * rng.standard_normal((len(idx), X.shape[1]))  # distinct even for duplicate rows
        with _torch_threads(1):  # tiny matrices: extra threads only contend (10x slower on 2 busy cores)
            self.params_ = _fit_sgpr(X, z, Z0, n_steps=self.n_steps, lr=self.lr)
            self.inducing_, self.q_mean_ = _sgpr_posterior(self.params_, X, z)

    def _predict_scaled(self, X):
        p = self.params_
        Ksu = _rbf(X, self.inducing_, p["variance"], p["lengthscale"])
        return Ksu @ self.q_mean_


@contextlib.contextmanager
def _torch_threads(n: int):
    """Run torch with ``n`` intra-op threads inside the block, restoring the setting after."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _sgpr_terms(X, y, Z, log_var, log_ls, log_noise):
    """Torch pieces of the collapsed bound: (bound, L, LB, c) for inputs (n, d), y (n,), Z (M, d)."""
    import torch
    var, ls, noise = log_var.exp(), log_ls.exp(), log_noise.exp()
    def k(a, b):
        a, b = a / ls, b / ls
        sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
        return var * torch.exp(-0.5 * sq.clamp_min(0.0))
    M, n = Z.shape[0], X.shape[0]
    eye = torch.eye(M, dtype=X.dtype)
    L = torch.linalg.cholesky(k(Z, Z) + 1e-6 * var * eye)
    A = torch.linalg.solve_triangular(L, k(Z, X), upper=False) / noise.sqrt()
    LB = torch.linalg.cholesky(eye + A @ A.T)
    c = torch.linalg.solve_triangular(LB, (A @ y)[:, None], upper=False)[:, 0] / noise.sqrt()
    bound = (-0.5 * n * np.log(2 * np.pi) - LB.diagonal().log().sum() - 0.5 * n * log_noise
             - 0.5 * (y @ y) / noise + 0.5 * (c @ c) - 0.5 * n * var / noise + 0.5 * A.square().sum())
    return bound, L, LB, c


def _fit_sgpr(X: np.ndarray, y: np.ndarray, Z0: np.ndarray, n_steps: int, lr: float) -> dict:
    """Maximise Titsias' collapsed ELBO over Z, kernel variance, lengthscale and noise (Adam)."""
    import torch
    Xt, yt = torch.tensor(X), torch.tensor(y)  # copies: inputs may be read-only
    dist = torch.cdist(Xt[:256], Xt[:256])
    ls0 = float(dist[dist > 0].median()) if bool((dist > 0).any()) else 1.0
    params = {"Z": torch.tensor(Z0, requires_grad=True),
              "log_var": torch.zeros((), dtype=torch.float64, requires_grad=True),
              "log_ls": torch.tensor(np.log(ls0), dtype=torch.float64, requires_grad=True),
              "log_noise": torch.tensor(np.log(0.1), dtype=torch.float64, requires_grad=True)}
    opt = torch.optim.Adam(params.values(), lr=lr)
    for _ in range(n_steps):
        opt.zero_grad()
        bound = _sgpr_terms(Xt, yt, params["Z"], params["log_var"], params["log_ls"], params["log_noise"])[0]
        (-bound / len(y)).backward()
        opt.step()
    return {"Z": params["Z"].detach().numpy().copy(), "variance": float(params["log_var"].detach().exp()),
            "lengthscale": float(params["log_ls"].detach().exp()), "noise": float(params["log_noise"].detach().exp())}


def _sgpr_posterior(p: dict, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Z, w) such that the predictive mean at X* is ``k(X*, Z) @ w`` (optimal q(u), whitened out)."""
    import torch
    with torch.no_grad():
        Xt, yt, Z = torch.tensor(X), torch.tensor(y), torch.tensor(p["Z"])
        logs = [torch.tensor(np.log(p[k]), dtype=torch.float64) for k in ("variance", "lengthscale", "noise")]
        _, L, LB, c = _sgpr_terms(Xt, yt, Z, *logs)
        # mean(X*) = Ksu L^-T LB^-T c
        v = torch.linalg.solve_triangular(LB.T, c[:, None], upper=True)
        w = torch.linalg.solve_triangular(L.T, v, upper=True)[:, 0]
    return p["Z"], w.numpy().copy()


class RFRegressor(_ZScored):
    """Random forest (``rf``): 116 trees, max_features 0.17, min_samples_leaf 2, no bootstrap."""

    def __init__(self, n_estimators: int = 116, max_features: float = 0.17, min_samples_leaf: int = 2,
                 bootstrap: bool = False, n_jobs: int = 1, random_state=None):
        self.n_estimators = n_estimators
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.bootstrap = bootstrap
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _build(self):
        from sklearn.ensemble import RandomForestRegressor
        return RandomForestRegressor(n_estimators=self.n_estimators, max_features=self.max_features,
                                     min_samples_leaf=self.min_samples_leaf, bootstrap=self.bootstrap,
                                     n_jobs=self.n_jobs, random_state=_seed(self.random_state))


class XGBoostRegressor(_ZScored):
    """XGBoost (``xgb``): 500 rounds, max_depth 6, eta 0.3, squared error, histogram trees."""

    def __init__(self, n_estimators: int = 500, max_depth: int = 6, learning_rate: float = 0.3,
                 n_jobs: int = 1, random_state=None):
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _build(self):
        import xgboost
        return xgboost.XGBRegressor(n_estimators=self.n_estimators, max_depth=self.max_depth,
                                    learning_rate=self.learning_rate, objective="reg:squarederror",
                                    tree_method="hist", n_jobs=self.n_jobs,
                                    random_state=_seed(self.random_state), verbosity=0)


class NGBoostRegressor(_ZScored):
    """NGBoost (``ngb``) with a Normal distribution; the prediction is its mean.

    505 boosting stages, learning rate 0.081, base learner a depth-6 regression tree with
    max_features 0.79, each stage on a random half of the data (minibatch_frac 0.5).
    """

    def __init__(self, n_estimators: int = 505, learning_rate: float = 0.081, max_depth: int = 6,
                 max_features: float = 0.79, minibatch_frac: float = 0.5, random_state=None):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.max_features = max_features
        self.minibatch_frac = minibatch_frac
        self.random_state = random_state

    def _fit_scaled(self, X, z):
        if len(z) < 2:  # ngboost would fail obscurely on an empty minibatch
            raise ValueError(f"NGBoost needs at least 2 training samples, got {len(z)} sample")
        super()._fit_scaled(X, z)

    def _build(self):
        from ngboost import NGBRegressor

        from ._ngboost_normal import FastNormal, QuickTree
        # random_state=None: ngboost then seeds each stage's tree from its own seeded stream
        base = QuickTree(criterion="friedman_mse", max_depth=self.max_depth,
                         max_features=self.max_features, random_state=None)
        return NGBRegressor(Dist=FastNormal, Base=base, n_estimators=self.n_estimators,
                   learning_rate=self.learning_rate, minibatch_frac=self.minibatch_frac,
                   verbose=False, random_state=_seed(self.random_state))


class LightGBMRegressor(_ZScored):
    """LightGBM (``lgb``): 500 rounds, 31 leaves, lr 0.05, feature_fraction 0.9,
    bagging_fraction 0.8 every 5 iterations, min_data_in_leaf 5."""

    def __init__(self, n_estimators: int = 500, num_leaves: int = 31, learning_rate: float = 0.05,
                 feature_fraction: float = 0.9, bagging_fraction: float = 0.8, bagging_freq: int = 5,
                 min_data_in_leaf: int = 5, n_jobs: int = 1, random_state=None):
        self.n_estimators = n_estimators
        self.num_leaves = num_leaves
        self.learning_rate = learning_rate
        self.feature_fraction = feature_fraction
        self.bagging_fraction = bagging_fraction
        self.bagging_freq = bagging_freq
        self.min_data_in_leaf = min_data_in_leaf
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _build(self):
        import lightgbm
        return lightgbm.LGBMRegressor(
            n_estimators=self.n_estimators, num_leaves=self.num_leaves,
            learning_rate=self.learning_rate, colsample_bytree=self.feature_fraction,
            subsample=self.bagging_fraction, subsample_freq=self.bagging_freq,
            min_child_samples=self.min_data_in_leaf, n_jobs=self.n_jobs,
            random_state=_seed(self.random_state), deterministic=True, verbose=-1)
