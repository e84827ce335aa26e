"""Stacked Bayesian neural networks sampled with adaptive SGHMC (BOHAMIANN).

Follows pybnn's ``Bohamiann`` as the released code ran it (``sampling_method="adaptive_sghmc"``,
double precision, normalised outputs, ``num_steps=100, num_burn_in_steps=10, keep_every=5,
lr=1e-2``): a tanh network d -> 50 -> 50 -> 50 -> 1 (Kaiming-normal weights, zero biases) whose
second output is a learned log-variance (initially log 1e-3); the loss is the Gaussian negative
log-likelihood of the minibatch; the sampler is adaptive SGHMC (Springenberg et al., 2016, Eqs.
8-10) with step size ``sqrt(lr)``, gradients scaled by the number of data points, and its
preconditioner adapted during burn-in. Networks are kept every ``keep_every`` steps after
burn-in; the prediction is their mean output.

All ``M`` members' parameters are rows of one (M, P) tensor, so the sampler's updates are
elementwise over all members at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from ._torch import batch_slices, make_generators, permutations

__all__ = ["SGHMCConfig", "StackedBNN", "train_bnns", "predict_bnns"]

_EPS = 1e-16  # pybnn's AdaptiveSGHMC epsilon


@dataclass(frozen=True)
class SGHMCConfig:
    """Settings of one BOHAMIANN fit; the defaults live in its regressor (:mod:`hwlib.predictors.neural`)."""

    num_steps: int
    num_burn_in_steps: int
    keep_every: int
    lr: float
    mdecay: float
    batch_size: int
    hidden: int


class StackedBNN:
    """``M`` networks d -> h -> h -> h -> 1 plus a log-variance, parameters in rows of ``theta``.

    Attributes
    ----------
    theta : Tensor of shape (M, P), float64
    samples : list of Tensor (M, P)
        The kept parameter samples.
    """

    def __init__(self, d: int, hidden: int, members: int):
        dims = [d, hidden, hidden, hidden, 1]
        self.shapes = []
        for a, b in zip(dims[:-1], dims[1:]):
            self.shapes += [(a, b), (1, b)]
        self.shapes.append((1, 1))  # log-variance
        self.sizes = [a * b for a, b in self.shapes]
        self.theta = torch.zeros(members, sum(self.sizes), dtype=torch.float64)
        self.samples: list[torch.Tensor] = []

    @classmethod
    def initialise(cls, d: int, hidden: int, gens: Sequence[torch.Generator]) -> "StackedBNN":
        model = cls(d, hidden, len(gens))
        params = model.unpack(model.theta)
        for m, g in enumerate(gens):
            for W in params[0:8:2]:
                W[m] = torch.randn(W.shape[1:], generator=g, dtype=torch.float64)
                W[m] /= math.sqrt(W.shape[1])
            params[8][m] = math.log(1e-3)
        return model

    def unpack(self, theta: torch.Tensor) -> list[torch.Tensor]:
        """Views (M, a, b) of the parameters in ``theta``: W1, b1, ..., W4, b4, log-variance."""
        M = theta.shape[0]
        return [t.view(M, *s) for t, s in zip(theta.split(self.sizes, dim=1), self.shapes)]

    def mean(self, theta: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
        """Mean outputs (M, B) of the networks ``theta`` for ``X`` (M, B, d)."""
        p = self.unpack(theta)
        h = X
        for i in range(0, 6, 2):
            h = torch.tanh(torch.baddbmm(p[i + 1], h, p[i]))
        # the output unit as a sum, not a batched matrix-vector product (which rounds
        # differently for one member than for many)
        return (h * p[6].transpose(1, 2)).sum(-1) + p[7].view(-1, 1)

    def nll(self, theta: torch.Tensor, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Sum over members of the minibatch-mean Gaussian negative log-likelihood."""
        err = (y - self.mean(theta, X)) ** 2
        # broadcast before exp: a member's exp then runs in the same (vector or scalar) loop
        # whatever the stack's size, so stacked and single fits round alike
        log_var = self.unpack(theta)[8].view(-1, 1).expand_as(err)
        inv_var = 1.0 / (torch.exp(log_var) + 1e-16)
        return (err * (0.5 * inv_var) + 0.5 * log_var).mean(dim=1).sum()


class AdaptiveSGHMC:
    """pybnn's adaptive SGHMC sampler on a (M, P) parameter tensor; noise per member generator."""

    def __init__(self, theta: torch.Tensor, cfg: SGHMCConfig, n_data: int,
                 gens: Sequence[torch.Generator]):
        self.theta, self.cfg, self.scale, self.gens = theta, cfg, float(n_data), gens
        self.tau, self.g, self.v_hat = (torch.ones_like(theta) for _ in range(3))
        self.momentum = torch.zeros_like(theta)
        self.noise = torch.empty_like(theta)  # one row of normal draws per member and step
        self.iteration = 0
        self.step_size = math.sqrt(cfg.lr)

    def step(self, grad: torch.Tensor) -> None:
        self.iteration += 1
        grad = grad * self.scale
        lr2, mdecay = self.step_size ** 2, self.cfg.mdecay
        tau_inv = 1.0 / (self.tau + 1.0)
        if self.iteration <= self.cfg.num_burn_in_steps:
            self.tau.add_(-self.tau * (self.g * self.g / (self.v_hat + _EPS)) + 1)
            self.g.add_(-self.g * tau_inv + tau_inv * grad)
            self.v_hat.add_(-self.v_hat * tau_inv + tau_inv * grad ** 2)
        minv = 1.0 / (torch.sqrt(self.v_hat) + _EPS)
        sigma = torch.sqrt(torch.clamp(2.0 * lr2 * mdecay * minv - lr2 ** 2, min=1e-16))
        noise = self.noise
        for row, g in zip(noise, self.gens):
            torch.randn(noise.shape[1], generator=g, dtype=torch.float64, out=row)
        self.momentum.add_(-lr2 * minv * grad - mdecay * self.momentum + noise * sigma)
        self.theta.add_(self.momentum)


def _batches(gens, n: int, batch_size: int, offsets: torch.Tensor):
    """Endless minibatch indices (M, B), a fresh order per member every epoch."""
    while True:
        order = permutations(gens, n).add_(offsets)
        for sl in batch_slices(n, min(batch_size, n)):
            yield order[:, sl]


def train_bnns(X: np.ndarray, yz: np.ndarray, seeds: Sequence[int], cfg: SGHMCConfig
               ) -> StackedBNN:
    """Sample one BNN per seed, stacked. ``X`` (S, n, d), ``yz`` (S, n) z-scored targets."""
    S, n, d = X.shape
    gens = make_generators(seeds)
    model = StackedBNN.initialise(d, cfg.hidden, gens)
    X_rows = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float64).reshape(S * n, d))
    y_rows = torch.from_numpy(np.ascontiguousarray(yz, dtype=np.float64).reshape(S * n))
    sampler = AdaptiveSGHMC(model.theta, cfg, n, gens)
    theta = model.theta.requires_grad_()
    batches = _batches(gens, n, cfg.batch_size, (torch.arange(S) * n)[:, None])
    for step in range(cfg.num_steps):
        idx = next(batches)
        xb = X_rows[idx.reshape(-1)].view(S, -1, d)
        loss = model.nll(theta, xb, y_rows[idx])
        grad, = torch.autograd.grad(loss, theta)
        with torch.no_grad():
            sampler.step(grad)
        burnt = step - cfg.num_burn_in_steps
        if burnt > 0 and burnt % cfg.keep_every == 0:
            model.samples.append(theta.detach().clone())
    model.theta = theta.detach()
    return model


def predict_bnns(model: StackedBNN, X: np.ndarray) -> np.ndarray:
    """Mean over the kept samples of the networks' mean output, shape (S, m)."""
    Xt = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float64))
    with torch.no_grad():
        out = sum(model.mean(theta, Xt) for theta in model.samples) / len(model.samples)
    return out.numpy()
