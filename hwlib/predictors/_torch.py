"""Shared machinery of the torch predictors: seeds, stacked training, the sklearn plumbing.

Stacked models
--------------
The study fits each neural predictor once per seed (50 seeds per cell). Fitted one at a time, a
small network spends nearly all of its time in per-operation overhead. Here ``M`` independent
models ("members") keep their parameters stacked along a leading member axis and train together,
one batched matrix product per layer for all of them (:func:`torch.bmm`; for the MLPs, numpy's
``matmul``).

Member ``m`` draws every random number (initial weights, minibatch order, dropout masks, sampler
noise) from its own :class:`torch.Generator`, seeded from its seed alone and consumed in the same
order whatever the stack holds; a single ``fit`` is the stack with one member. Member ``m`` of a
stack is then the model fitted alone with that seed, bit for bit (with one torch thread, the
default here), because every operation rounds a member's numbers the same way whatever the stack
size. That needs care, since the training runs are chaotic (a one-ulp difference grows into a
different network over thousands of steps):

- no batched matrix-*vector* products (torch computes one differently for one matrix than for
  many): output layers get a second, always-zero column;
- the parameters live in one flat buffer padded to a multiple of 64 elements, so the fused Adam
  kernel takes every element through its vectorised loop, none through its scalar tail;
- kernels that are not exactly rounded (tanh, exp) should see a member's numbers at the same
  positions whatever the stack size: the MLPs' activations write into strided buffers, so they
  run row by row, and BOHAMIANN takes its exp after broadcasting; hand-written gradients use no
  fused multiply-adds;
- predictions run in chunks of rows whose size does not depend on the stack.

The tests hold stacked and single fits equal with ``assert_array_equal``, also at odd sizes.

Every regressor here z-scores ``y`` on its training set (per member) and undoes it in ``predict``.
"""

from __future__ import annotations

import math
import os
import time
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator, Sequence

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ..errors import InputError

__all__ = ["TorchRegressor", "IntLogUniform", "FlatParams", "FusedAdam", "resolve_seed",
           "member_seed", "make_generators", "training_context", "permutations", "batch_slices",
           "cosine_lr", "uniform_", "dropout_masks"]

#: Environment variable: torch intra-op threads while training (default 1; see training_context).
THREADS_ENV = "HWLIB_TORCH_THREADS"


def resolve_seed(random_state) -> int:
    """An int seed from ``random_state`` (int, None or a numpy RandomState/Generator).

    An int is used as it is; None draws a fresh seed (a non-deterministic fit, as in sklearn).
    """
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state)
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    return int(check_random_state(random_state).randint(2**31 - 1))


def member_seed(seed: int, member: int = 0) -> int:
    """Seed of model ``member`` (an ensemble's k-th network) of the fit seeded ``seed``."""
    state = np.random.SeedSequence(abs(int(seed)), spawn_key=(int(seed < 0), member))
    return int(state.generate_state(1, np.uint64)[0] >> np.uint64(1))


def make_generators(seeds: Sequence[int], members: int = 1) -> list[torch.Generator]:
    """One CPU generator per (seed, member), seed-major: ``[s0m0, s0m1, ..., s1m0, ...]``."""
    return [torch.Generator().manual_seed(member_seed(s, k)) for s in seeds for k in range(members)]


@contextmanager
def training_context() -> Iterator[None]:
    """Torch settings for fast training on CPU, restored afterwards.

    One intra-op thread for torch and for numpy's BLAS, which computes the MLPs' products (the
    networks are small: threads only add synchronisation; parallelise over processes instead;
    ``HWLIB_TORCH_THREADS`` overrides), and denormal floats flushed to zero (1.8x faster here;
    torch has no getter for it, so it is reset to torch's default, off).
    """
    threads, limit = torch.get_num_threads(), int(os.environ.get(THREADS_ENV, "1"))
    torch.set_num_threads(limit)
    torch.set_flush_denormal(True)
    try:
        with _blas().limit(limits=limit, user_api="blas"):
            yield
    finally:
        torch.set_flush_denormal(False)
        torch.set_num_threads(threads)


@lru_cache(maxsize=1)
def _blas():
    """The BLAS libraries this process has loaded (found once: a fresh look takes 0.7 ms)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def permutations(gens: Sequence[torch.Generator], n: int) -> torch.Tensor:
    """One random permutation of ``range(n)`` per generator, shape (members, n), int64."""
    out = torch.empty(len(gens), n, dtype=torch.int64)
    for row, g in zip(out, gens):
        torch.randperm(n, generator=g, out=row)
    return out


def batch_slices(n: int, batch_size: int, drop_last: bool = False, strict: bool = False
                 ) -> list[slice]:
    """Minibatches of an epoch over ``n`` shuffled samples.

    ``drop_last`` drops the last incomplete batch, except when there is no complete batch at all
    (``n < batch_size``): then the epoch is one batch of all ``n`` samples, unless ``strict``
    (torch's ``DataLoader(drop_last=True)``), which leaves such an epoch without any batch.
    """
    stop = n - n % batch_size if drop_last and (strict or n >= batch_size) else n
    return [slice(a, min(a + batch_size, stop)) for a in range(0, stop, batch_size)]


def cosine_lr(lr: float, epoch: int, epochs: int) -> float:
    """Learning rate of ``epoch`` (0-based) under cosine annealing to 0 over ``epochs``."""
    return lr * (1.0 + math.cos(math.pi * epoch / epochs)) / 2.0


def uniform_(shape: tuple[int, ...], bound: float, gens: Sequence[torch.Generator],
             dtype=torch.float32) -> torch.Tensor:
    """U(-bound, bound) of ``shape`` per member, stacked: (members, *shape)."""
    out = torch.empty((len(gens),) + tuple(shape), dtype=dtype)
    for m, g in enumerate(gens):
        out[m].uniform_(-bound, bound, generator=g)
    return out


def dropout_masks(gens: Sequence[torch.Generator], sizes: Sequence[int], p: float,
                  out: torch.Tensor | None = None) -> list[torch.Tensor]:
    """Inverted-dropout masks (0 or 1/(1-p)) for one step: per site, shape (members, size).

    Each member draws all its uniforms of the step in one call, in site order, into its row of
    ``out`` (members, sum(sizes)) float32 (allocated when None; reuse it across steps), which
    then becomes the masks in place: no stacking, no boolean temporaries.
    """
    if out is None:
        out = torch.empty(len(gens), sum(sizes))
    for row, g in zip(out, gens):
        torch.rand(out.shape[1], generator=g, out=row)
    out.ge_(p).mul_(1.0 / (1.0 - p))
    return list(out.split(list(sizes), dim=1))


class FlatParams:
    """Parameter tensors of a stack as views into one flat buffer ``theta``.

    The buffer's length is padded to a multiple of 64 elements, so that an elementwise kernel
    (Adam) takes every element through its vectorised loop, none through its scalar remainder
    loop, which may round differently; then a member's parameters update bit for bit as they
    would in a stack of any other size (with one thread).

    Parameters
    ----------
    shapes : list of tuple
        Shapes of the parameter tensors, each with the member axis first.
    """

    def __init__(self, shapes: Sequence[tuple[int, ...]], dtype=torch.float32):
        self.shapes = [tuple(s) for s in shapes]
        self.sizes = [math.prod(s) for s in self.shapes]
        total = -(-sum(self.sizes) // 64) * 64
        self.theta = torch.zeros(total, dtype=dtype)

    def views(self, flat: torch.Tensor | None = None) -> list[torch.Tensor]:
        """The parameter tensors as views of ``flat`` (default: ``theta``)."""
        flat = self.theta if flat is None else flat
        parts = flat[:sum(self.sizes)].split(self.sizes)
        return [p.view(s) for p, s in zip(parts, self.shapes)]


class FusedAdam:
    """Adam (torch's update rule, L2 weight decay added to the gradient) in one fused kernel.

    The update is elementwise, so stacked members update exactly as they would alone. Unlike
    :class:`torch.optim.Adam` it has no per-step Python bookkeeping (250 us a step here), and the
    learning rate is passed to each :meth:`step`.
    """

    def __init__(self, params: list[torch.Tensor], betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        self.params = params
        self.exp_avg = [torch.zeros_like(p) for p in params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in params]
        self.steps = [torch.zeros((), dtype=torch.float32) for _ in params]
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay

    def step(self, grads: list[torch.Tensor], lr: float) -> None:
        for s in self.steps:
            s.add_(1)
        with torch.no_grad():
            torch._fused_adam_(self.params, grads, self.exp_avg, self.exp_avg_sq, [], self.steps,
                               lr=lr, beta1=self.betas[0], beta2=self.betas[1],
                               weight_decay=self.weight_decay, eps=self.eps, amsgrad=False,
                               maximize=False)


class IntLogUniform:
    """Integers ``int(x)``, x log-uniform on [low, high) (the released code's ``int(loguniform)``).

    So ``high`` itself is never drawn: ``IntLogUniform(64, 200)`` gives 64 to 199, as the released
    code does for the protocol's range "64-200".

    A frozen-distribution stand-in for :class:`sklearn.model_selection.ParameterSampler`.
    """

    def __init__(self, low: float, high: float):
        self.low, self.high = low, high

    def rvs(self, size=None, random_state=None):
        rng = check_random_state(random_state)
        x = np.exp(rng.uniform(np.log(self.low), np.log(self.high), size=size))
        return x.astype(int) if size is not None else int(x)

    def __repr__(self) -> str:
        return f"IntLogUniform({self.low}, {self.high})"


def _zscore(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row z-scores of ``y`` (S, n) with population std (1 where y is constant)."""
    mean = y.mean(axis=1)
    std = y.std(axis=1)
    std = np.where(std > 0, std, 1.0)
    return ((y - mean[:, None]) / std[:, None]).astype(np.float32), mean, std


class TorchRegressor(RegressorMixin, BaseEstimator):
    """Base of the torch regressors: sklearn's contract on top of a stacked trainer.

    Subclasses implement ``_fit_stack(X (S, n, d) float32, yz (S, n) float32, seeds) -> model``
    and ``_predict_stack(model, X (S, m, d) float32) -> (S, m)`` (z-scored predictions), and may
    override ``_check_width(d)``. ``fit``/``predict`` run the stack with one member;
    :meth:`fit_predict_seeds` runs many seeds at once.
    """

    def _check_width(self, n_features: int) -> None:
        """Raise :class:`InputError` if the regressor cannot take ``n_features`` inputs."""

    def _stack_limit(self, n_train: int) -> int | None:
        """Most seeds :meth:`fit_predict_seeds` trains as one stack on ``n_train`` samples when
        not told (None: all at once)."""
        return None

    def fit(self, X, y):
        """Fit on ``X`` (n, d) and ``y`` (n,); returns self."""
        X, y = validate_data(self, X, y, dtype=np.float32, y_numeric=True)
        self._check_width(X.shape[1])
        y = np.asarray(y, dtype=np.float64)[None]
        yz, self.y_mean_, self.y_std_ = _zscore(y)
        with training_context():
            self.model_ = self._fit_stack(X[None], yz, [resolve_seed(self.random_state)])
        return self

    def predict(self, X) -> np.ndarray:
        """Predictions for ``X`` (m, d), shape (m,), in the units of the training ``y``."""
        check_is_fitted(self, "model_")
        X = validate_data(self, X, dtype=np.float32, reset=False)
        with training_context():
            z = self._predict_stack(self.model_, X[None])
        return z[0] * self.y_std_[0] + self.y_mean_[0]

    @classmethod
    def fit_predict_seeds(cls, X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray,
                          seeds: Sequence[int], max_stack: int | None = None,
                          times: dict | None = None, **params) -> np.ndarray:
        """Fit one model per seed, all stacked together, and predict.

        Row ``s`` of the result equals, bit for bit (with one torch thread, the default),
        ``cls(random_state=seeds[s], **params).fit(X_train[s], y_train[s]).predict(X_test[s])``.

        Parameters
        ----------
        X_train : ndarray of shape (S, n, d)
            One training set per seed, all of the same size.
        y_train : ndarray of shape (S, n)
        X_test : ndarray of shape (S, m, d) or (m, d)
            Test features per seed (or one test set for all).
        seeds : sequence of S ints
        max_stack : int or None
            Train at most this many seeds at a time (bounds memory); None: the regressor's own
            limit where it has one (BONAS: a larger stack trains more slowly per seed), else all
            at once. The predictions do not depend on it.
        times : dict, optional
            Filled with the CPU seconds (:func:`time.process_time`) of the whole stack's
            training (``'fit'``) and prediction (``'query'``).
        **params
            Constructor parameters (not ``random_state``).

        Returns
        -------
        ndarray of shape (S, m)
        """
        if "random_state" in params:
            raise InputError("fit_predict_seeds takes the seeds, not a random_state")
        est = cls(**params)
        X_train, y_train, X_test = _check_stacks(X_train, y_train, X_test, seeds)
        est._check_width(X_train.shape[2])
        step = max_stack or est._stack_limit(X_train.shape[1]) or len(seeds)
        out = np.empty(X_test.shape[:2])
        spent = {"fit": 0.0, "query": 0.0}
        for a in range(0, len(seeds), step):
            part = slice(a, a + step)
            t0 = time.process_time()
            yz, mean, std = _zscore(y_train[part])
            with training_context():
                model = est._fit_stack(X_train[part], yz, [int(s) for s in seeds[part]])
                t1 = time.process_time()
                z = est._predict_stack(model, X_test[part])
            out[part] = z * std[:, None] + mean[:, None]
            t2 = time.process_time()
            spent["fit"] += t1 - t0
            spent["query"] += t2 - t1
        if times is not None:
            times.update(spent)
        return out


def _check_stacks(X_train, y_train, X_test, seeds) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate the shapes of :meth:`TorchRegressor.fit_predict_seeds`' inputs."""
    X_train = np.asarray(X_train, dtype=np.float32)
    y_train = np.asarray(y_train, dtype=np.float64)
    X_test = np.asarray(X_test, dtype=np.float32)
    S = len(seeds)
    if X_train.ndim != 3 or X_train.shape[0] != S:
        raise InputError(f"X_train must have shape (seeds={S}, n, d), got {X_train.shape}")
    if y_train.shape != X_train.shape[:2]:
        raise InputError(f"y_train must have shape {X_train.shape[:2]}, got {y_train.shape}")
    if X_test.ndim == 2:
        X_test = np.broadcast_to(X_test, (S,) + X_test.shape)
    if X_test.ndim != 3 or X_test.shape[0] != S or X_test.shape[2] != X_train.shape[2]:
        raise InputError(f"X_test must have shape (seeds={S}, m, d={X_train.shape[2]}), "
                         f"got {X_test.shape}")
    if not all(np.isfinite(a).all() for a in (X_train, y_train, X_test)):
        raise InputError("fit_predict_seeds inputs contain NaN or infinity")
    return X_train, y_train, X_test
