"""Stacked multi-layer perceptrons with hand-written backpropagation (MLPs and BANANAS).

The network is the released code's ``FeedforwardNet``: ``num_layers`` fully connected layers of
``layer_width`` units, each followed by the activation, then one linear output unit; Xavier-uniform
weights, zero biases. Training: Adam (betas 0.9, 0.99), minibatches drawn in a fresh random order
every epoch (the last one smaller), loss = L1 + ``regularization`` x L1 norm of the output
weights (PROTOCOL.md, "Predictors and their defaults").

Speed: forward and backward passes are written out by hand for ``M`` stacked networks. Each
layer's bias is folded into its weights as a last row, matched by a constant-one input column, so
a layer costs one batched matrix product forward and two backward, written into preallocated
buffers; all parameters (and gradients) live in one flat buffer, so Adam is a single fused kernel.
That is about five tensor operations per layer and step, against about twenty through autograd
and :class:`torch.optim.Adam`. A minibatch is a view of the epoch's rows, gathered once per epoch.

The products run through numpy's ``matmul`` on views of the same memory (:func:`_matmul`): it
hands each member's matrices to BLAS (OpenBLAS) one after the other, which for these small
matrices (32 x 21 by 21 x 20 in the large MLP) is faster than :func:`torch.bmm` (MKL), and a
member's product is the same whatever the stack holds, as with ``bmm``. Measured with
``bench/bench_predictors.py`` (50 epochs, 124 samples): a stack of 50 seeds trains 17-23 %
faster than with ``bmm``; a single fit 9-19 % slower, since a numpy call costs more than a
torch one.

What bounds the gain of stacking: with the per-operation overhead gone, a stack's step is its
batched matrix products, and BLAS computes a batch of tiny products one matrix after the other
at about a microsecond each, the same as one product alone; stacked members then cost at least
those products each, while a single fit pays mostly per-operation overhead. BANANAS' single fit
is already a stack of its three members. ``bench/bench_predictors.py`` reports the bounds this
puts on stacking 50 seeds (*products alone*: the single fit's time over the stack's time in its
products, per seed), and the *arithmetic ceiling* had the products run at the peak of a large
product.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from ._torch import FlatParams, FusedAdam, batch_slices, make_generators, permutations, uniform_

__all__ = ["ACTIVATIONS", "MLPConfig", "StackedMLP", "train_mlps", "predict_mlps"]

ACTIVATIONS = ("relu", "tanh", "hardswish")
_PREDICT_ELEMENTS = 1 << 16  # activations per member held per forward pass when predicting


@dataclass(frozen=True)
class MLPConfig:
    """Hyperparameters of one MLP fit (names as in the released code; defaults: the regressors)."""

    num_layers: int
    layer_width: int
    activation: str
    lr: float
    batch_size: int
    epochs: int
    regularization: float


def _matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` over the member axis by numpy (see the module's docstring); ``out``: where to."""
    return np.matmul(a, b, out=out)


def _activate(name: str, z: torch.Tensor, out: torch.Tensor) -> None:
    """``out = activation(z)`` (``out`` may be a strided view)."""
    if name == "relu":
        torch.clamp(z, min=0.0, out=out)
    elif name == "tanh":
        torch.tanh(z, out=out)
    else:
        torch.ops.aten.hardswish.out(z, out=out)


def _activation_grad(name: str, dh: torch.Tensor, z: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """Gradient w.r.t. the pre-activation ``z`` given the gradient ``dh`` w.r.t. ``a = act(z)``."""
    if name == "relu":
        return torch.ops.aten.threshold_backward(dh, z, 0.0)
    if name == "tanh":  # dh * (1 - a^2) in separate, exactly rounded steps (no fused multiply-add)
        return dh * torch.mul(a, a).neg_().add_(1.0)
    return torch.ops.aten.hardswish_backward(dh, z)


class StackedMLP:
    """``M`` MLPs of one architecture, trained together.

    Layer ``l`` of all members is one tensor ``W[l]`` of shape (M, fan_in + 1, fan_out) whose last
    row is the bias; all ``W[l]`` are views into the flat buffer ``theta`` (gradients: ``grad``).

    The output layer has a second, all-zero column that stays zero (zero gradient, zero Adam
    step): the output is then a matrix-matrix product, which BLAS rounds alike whatever the
    stack (a matrix-vector product it may not), and the stacked and the single fit must round
    alike (else their difference grows over thousands of steps).

    Parameters
    ----------
    dims : list of int
        Layer widths, input first, output (2: the prediction and the zero column) last.
    members : int
    activation : {'relu', 'tanh', 'hardswish'}
    """

    def __init__(self, dims: Sequence[int], members: int, activation: str,
                 theta: torch.Tensor | None = None):
        self.dims, self.M, self.activation = list(dims), members, activation
        flat = FlatParams([(members, a + 1, b) for a, b in zip(dims[:-1], dims[1:])])
        if theta is not None:
            flat.theta = theta
        self.theta, self.grad = flat.theta, torch.zeros_like(flat.theta)
        self.W, self.G = flat.views(), flat.views(self.grad)
        # numpy views of the same memory, for the products: the weights, their transposes without
        # the bias row, and the gradients
        self.Wn = [W.numpy() for W in self.W]
        self.WTn = [W[:, :-1].transpose(1, 2).numpy() for W in self.W]
        self.Gn = [G.numpy() for G in self.G]
        self._buffers: dict[int, tuple] = {}

    def __reduce__(self):
        # the views into theta and the buffers would unpickle as separate copies: rebuild them
        return type(self), (self.dims, self.M, self.activation, self.theta)

    @classmethod
    def initialise(cls, dims: Sequence[int], gens: Sequence[torch.Generator],
                   activation: str) -> "StackedMLP":
        """Xavier-uniform weights and zero biases, member ``m`` drawn from ``gens[m]``.

        ``dims`` ends with the output width 1 (padded to 2 inside).
        """
        model = cls(list(dims[:-1]) + [2], len(gens), activation)
        for W, a, b in zip(model.W, dims[:-1], dims[1:]):
            W[:, :-1, :b] = uniform_((a, b), math.sqrt(6.0 / (a + b)), gens)
        return model

    def _buffers_for(self, rows: int) -> tuple:
        """Activation buffers for a batch of ``rows``: Z, and A without its ones column, as
        tensors; A (with the ones column), Z and A^T as numpy views of the same memory."""
        if rows not in self._buffers:
            A = [torch.ones(self.M, rows, w + 1) for w in self.dims[1:-1]]
            Z = [torch.empty(self.M, rows, w) for w in self.dims[1:-1]]
            self._buffers[rows] = (Z, [a[..., :-1] for a in A], [a.numpy() for a in A],
                                   [z.numpy() for z in Z], [a.numpy().transpose(0, 2, 1) for a in A])
        return self._buffers[rows]

    def forward(self, xb: torch.Tensor) -> torch.Tensor:
        """Outputs (M, B, 2) for inputs ``xb`` (M, B, d + 1) whose last column is ones."""
        Z, A_act, An, Zn, _ = self._buffers_for(xb.shape[1])
        h = xb.numpy()
        for l in range(len(Z)):
            _matmul(h, self.Wn[l], out=Zn[l])
            _activate(self.activation, Z[l], A_act[l])
            h = An[l]
        return torch.from_numpy(_matmul(h, self.Wn[-1]))

    def backward(self, xb: torch.Tensor, dout: torch.Tensor, regularization: float) -> None:
        """Fill ``grad`` from the loss gradient ``dout`` (M, B, 2) of the last :meth:`forward`."""
        Z, A_act, _, _, ATn = self._buffers_for(xb.shape[1])
        inputs_T = [xb.numpy().transpose(0, 2, 1)] + ATn
        L = len(Z)
        _matmul(inputs_T[L], dout.numpy(), out=self.Gn[L])
        self.G[L][:, :-1].add_(self.W[L][:, :-1].sign(), alpha=regularization)
        dh = torch.from_numpy(_matmul(dout.numpy(), self.WTn[L]))
        for l in range(L - 1, -1, -1):
            dz = _activation_grad(self.activation, dh, Z[l], A_act[l])
            _matmul(inputs_T[l], dz.numpy(), out=self.Gn[l])
            if l:
                dh = torch.from_numpy(_matmul(dz.numpy(), self.WTn[l]))

    def predict(self, X: torch.Tensor) -> torch.Tensor:
        """Outputs (M, m) for inputs ``X`` (M, m, d + 1) whose last column is ones.

        Runs :meth:`forward` on chunks of rows, so that it rounds as training did; the chunk
        size does not depend on ``M`` (a matrix product may round a row differently in a
        matrix of another height), so a stack predicts as its members would alone.
        """
        out = torch.empty(X.shape[:2])
        chunk = max(64, _PREDICT_ELEMENTS // sum(self.dims[1:]))
        for a in range(0, X.shape[1], chunk):
            out[:, a:a + chunk] = self.forward(X[:, a:a + chunk])[..., 0]
        self._buffers.clear()
        return out


def _with_ones(X: np.ndarray) -> torch.Tensor:
    """(S, n, d) -> (S, n, d + 1) with a last column of ones, float32."""
    out = torch.ones(X.shape[:2] + (X.shape[2] + 1,))
    out.numpy()[..., :-1] = X  # (a copy, also from read-only arrays)
    return out


def train_mlps(X: np.ndarray, yz: np.ndarray, seeds: Sequence[int], cfg: MLPConfig,
               members: int = 1) -> StackedMLP:
    """Train ``members`` MLPs per seed, all stacked (seed-major), on their seed's data.

    Parameters
    ----------
    X : ndarray of shape (S, n, d)
    yz : ndarray of shape (S, n)
        z-scored targets.
    seeds : sequence of S ints
    cfg : MLPConfig
    members : int
        Networks per seed (an ensemble); member ``k`` of seed ``s`` is seeded ``(s, k)``.
    """
    S, n, d = X.shape
    gens = make_generators(seeds, members)
    model = StackedMLP.initialise([d] + [cfg.layer_width] * cfg.num_layers + [1], gens,
                                  cfg.activation)
    X_rows, y_rows = _with_ones(X).view(S * n, d + 1), torch.zeros(S * n, 2)  # 2nd: zero output
    y_rows[:, 0] = torch.from_numpy(yz.reshape(S * n).astype(np.float32))
    offsets = torch.arange(S).repeat_interleave(members)[:, None] * n
    opt, M = FusedAdam([model.theta], betas=(0.9, 0.99)), len(gens)
    batches = batch_slices(n, cfg.batch_size)
    X_epoch, y_epoch = torch.empty(M, n, d + 1), torch.empty(M, n, 2)
    for _ in range(cfg.epochs):
        # the epoch's rows in each member's order, gathered once; a minibatch is then a view
        idx = permutations(gens, n).add_(offsets).view(-1)
        torch.index_select(X_rows, 0, idx, out=X_epoch.view(M * n, d + 1))
        torch.index_select(y_rows, 0, idx, out=y_epoch.view(M * n, 2))
        for sl in batches:
            xb, rows = X_epoch[:, sl], sl.stop - sl.start
            out = model.forward(xb)
            dout = out.sub_(y_epoch[:, sl]).sign_().div_(rows)
            model.backward(xb, dout, cfg.regularization)
            opt.step([model.grad], cfg.lr)
    model._buffers.clear()
    return model


def predict_mlps(model: StackedMLP, X: np.ndarray, members: int = 1) -> np.ndarray:
    """Mean prediction of each seed's ``members`` networks, shape (S, m), for ``X`` (S, m, d)."""
    Xt = _with_ones(X)
    if members > 1:
        Xt = Xt.repeat_interleave(members, dim=0)
    with torch.no_grad():
        out = model.predict(Xt)
    return out.view(-1, members, out.shape[1]).mean(1).numpy().astype(np.float64)
