"""Stacked graph-convolutional predictors on the cell DAG: GCN (Wen et al.) and BONAS.

Both read the flattened graph encoding ``[adjacency (N*N), node types (N*T)]`` of
:func:`hwlib.encodings.graph`. ``M`` networks train stacked (parameters with a leading member
axis, batched matrix products); :class:`FusedAdam` applies the gradients. The GCN's are written
out by hand (:meth:`StackedGCN.backward`, autograd's operations without its bookkeeping, equal
to autograd's bit for bit); BONAS' come from autograd, one leaf per parameter.

Where the time goes (GCN, defaults, batch 7, one thread): the 18 matrix products of 56 x 144 by
144 x 144 per member and step (forward and backward of the three 144-wide layers) run near the
core's peak whatever the stack, and each member draws its own 33k dropout uniforms per step;
the products alone take about two thirds of a member's step, stacked or not, which bounds what
stacking seeds can gain: at most about 1.6x with these kernels, and 2.7x even if the products
ran at the peak of a large product and nothing else cost anything (``bench/bench_predictors.py``
measures both bounds, its *products alone* and *arithmetic ceiling*). BONAS (batch 128, 9 nodes)
spends its step in elementwise passes over (members, 9, batch, 64) arrays, bound by memory
traffic, not by per-operation overhead: neither stacking nor a hand-written backward shortens it,
and a stack of more than about five members at the defaults trains more slowly per member (its
arrays leave the caches), so ``BONASRegressor`` caps its stacks (``STACK_ACTIVATIONS``).

GCN, as the released code's ``GCNPredictor``: the adjacency gets self-loops and is row-normalised
(``A``); each of 4 layers averages ``relu(A X W1)`` and ``relu(rownorm(A^T) X W2)`` (Xavier-uniform,
no bias) and applies dropout; node features are mean-pooled, then a linear layer (no bias),
dropout and a linear output (no bias). MSE, Adam with L2 weight decay, cosine schedule,
incomplete last batch dropped.

BONAS, as the released code's ``BonasPredictor``: a global node (its own type) receives an edge
from every node; the adjacency gets self-loops and is transposed, so a node aggregates its
predecessors; 4 layers ``relu(batchnorm(A X W + b))`` (W uniform in +-0.05); the global node's
features feed a linear output. MSE, Adam, cosine schedule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from ..errors import InputError
from ._torch import (FlatParams, FusedAdam, batch_slices, cosine_lr, dropout_masks,
                     make_generators, permutations, uniform_)

__all__ = ["GCNConfig", "BONASConfig", "train_gcns", "predict_gcns", "train_bonas",
           "predict_bonas"]

_PREDICT_CHUNK = 1024  # architectures per forward pass when predicting
_BN_EPS, _BN_MOMENTUM = 1e-5, 0.1


@dataclass(frozen=True)
class GCNConfig:
    """Settings of one GCN fit; the defaults live in its regressor (:mod:`hwlib.predictors.neural`)."""

    hidden: int
    linear_hidden: int
    dropout: float
    batch_size: int
    lr: float
    weight_decay: float
    epochs: int
    accumulate_grad: bool
    released_code_quirks: bool


@dataclass(frozen=True)
class BONASConfig:
    """Settings of one BONAS fit; the defaults live in its regressor (:mod:`hwlib.predictors.neural`)."""

    hidden: int
    batch_size: int
    lr: float
    epochs: int
    accumulate_grad: bool
    released_code_quirks: bool


def split_graph(X: np.ndarray, graph: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Flattened graph encodings (..., N*N + N*T) -> adjacency (..., N, N), types (..., N, T)."""
    N, T = graph
    lead = X.shape[:-1]
    return X[..., :N * N].reshape(lead + (N, N)), X[..., N * N:].reshape(lead + (N, T))


def _rownorm(a: torch.Tensor) -> torch.Tensor:
    return a / a.sum(-1, keepdim=True)


class _GraphData:
    """Node types of R architectures (R, N, T) and their common adjacency (N, N).

    Cell search spaces have one DAG for all architectures (the op of an edge is a node type;
    'none' is a node of its own type), so the propagation matrices are shared. That lets the
    models keep node features as (members, nodes, batch, features) and propagate a member's
    whole batch with one (N x N) @ (N x batch*features) product.
    """

    def __init__(self, X: np.ndarray, graph: tuple[int, int]):
        adj, types = split_graph(np.ascontiguousarray(X, dtype=np.float32), graph)
        adj = adj.reshape((-1,) + adj.shape[-2:])
        if not (adj == adj[:1]).all():
            raise InputError("the graph predictors need one adjacency matrix for all "
                             "architectures (a cell search space); these differ")
        self.adj = torch.from_numpy(adj[0].copy())
        self.types = torch.from_numpy(types.reshape((-1,) + types.shape[-2:]).copy())

    def take(self, idx: torch.Tensor, members: int) -> torch.Tensor:
        """Node types (M, N, B, T) of rows ``idx`` (M * B, member-major)."""
        types = self.types.index_select(0, idx)
        return types.view(members, -1, *types.shape[1:]).transpose(1, 2).contiguous()


def _propagate(P: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """``P @ s`` per member and batch item: P (K, N), s (M, N, B, F) -> (M, K, B, F)."""
    M, N, B, F = s.shape
    return torch.bmm(P.expand(M, -1, -1), s.reshape(M, N, B * F)).view(M, -1, B, F)


def _global_adjacency(adj: torch.Tensor) -> torch.Tensor:
    """BONAS' adjacency (.., N+1, N+1): a global node fed by every node, self-loops, transposed."""
    N = adj.shape[-1]
    a = torch.zeros(adj.shape[:-2] + (N + 1, N + 1))
    a[..., :N, :N] = adj
    a[..., :, N] = 1.0
    a[..., range(N + 1), range(N + 1)] = 1.0
    return a.transpose(-1, -2)


def _global_types(types: torch.Tensor) -> torch.Tensor:
    """Node types (.., N+1, T+1) with the global node, of a type of its own, last."""
    N, T = types.shape[-2:]
    t = torch.zeros(types.shape[:-2] + (N + 1, T + 1))
    t[..., :N, :T] = types
    t[..., N, T] = 1.0
    return t


class StackedGCN:
    """``M`` GCN predictors. Parameters (views of ``flat``): W1, W2 per layer (M, F, h); fc1
    (M, h, linear_hidden); fc2 (M, linear_hidden, 2), whose second column stays zero (a
    matrix-vector product would round differently in a stack of one than of many)."""

    def __init__(self, graph: tuple[int, int], cfg: GCNConfig, gens: Sequence[torch.Generator]):
        h, lh, M = cfg.hidden, cfg.linear_hidden, len(gens)
        self.graph, self.cfg, self.gens, self.P = graph, cfg, gens, None
        self._masks = None  # the dropout masks' buffer (members, draws per step), reused
        widths = [graph[1]] + [h] * 3
        self.flat = FlatParams([(M, f, h) for f in widths for _ in range(2)]
                               + [(M, h, lh), (M, lh, 2)])
        params = self.flat.views()
        for l, f in enumerate(widths):
            bound = math.sqrt(6.0 / (f + h))
            params[2 * l].copy_(uniform_((f, h), bound, gens))
            params[2 * l + 1].copy_(uniform_((f, h), bound, gens))
        params[8].copy_(uniform_((h, lh), 1 / math.sqrt(h), gens))
        params[9][..., :1] = uniform_((lh, 1), 1 / math.sqrt(lh), gens)

    def data(self, X: np.ndarray) -> _GraphData:
        """Node types of ``X`` (S, m, width); sets the propagation matrices A and rownorm(A^T)."""
        data = _GraphData(X, self.graph)
        a = _rownorm(data.adj + torch.eye(data.adj.shape[-1]))
        self.P = (a.contiguous(), _rownorm(a.T).contiguous())
        return data

    def forward(self, params: list[torch.Tensor], types: torch.Tensor, train: bool,
                tape: list | None = None, member: int | None = None) -> torch.Tensor:
        """Outputs (M, B) for node types (M, N, B, T).

        With a list ``tape``, appends what :meth:`backward` needs (training only). ``member``:
        ``params`` are that member's alone (M = 1; prediction).
        """
        M, N, B, _ = types.shape
        h, p = self.cfg.hidden, self.cfg.dropout
        drop = train and p > 0
        masks = [None] * 5
        if drop:
            sizes = [N * B * h] * 4 + [B * self.cfg.linear_hidden]
            if self._masks is None or self._masks.shape[1] != sum(sizes):
                self._masks = torch.empty(M, sum(sizes))
            masks = dropout_masks(self.gens, sizes, p, out=self._masks)
        x = types
        for l in range(4):
            rows = x.reshape(M, N * B, -1)
            s1 = torch.bmm(rows, params[2 * l]).view(M, N, B, h)
            s2 = torch.bmm(rows, params[2 * l + 1]).view(M, N, B, h)
            r1, r2 = _propagate(self.P[0], s1).relu(), _propagate(self.P[1], s2).relu()
            x = (r1 + r2) / 2
            if drop:
                x = x * masks[l].view(M, N, B, h)
            if tape is not None:
                tape.append((rows, r1, r2, masks[l]))
        pooled = x.mean(1)
        z = torch.bmm(pooled, params[8])
        if drop:
            z = z * masks[4].view(M, B, -1)
        if tape is not None:
            tape.append((pooled, z, masks[4]))
        return torch.bmm(z, params[9])[..., 0]

    def backward(self, params: list[torch.Tensor], grads: list[torch.Tensor], tape: list,
                 dout: torch.Tensor) -> None:
        """Gradients of the last training :meth:`forward` (its ``tape``) into ``grads``, given
        ``dout`` (M, B), the loss gradient of the outputs.

        Written out as autograd computes them, operation for operation (the same products of
        the same operand layouts, the same elementwise steps), so the gradients are autograd's
        bit for bit, without its per-operation bookkeeping.
        """
        pooled, z, mask = tape[-1]
        M, B = dout.shape
        N, h = self.P[0].shape[0], self.cfg.hidden
        d2 = torch.zeros(M, B, 2)
        d2[..., 0] = dout
        torch.bmm(z.transpose(1, 2), d2, out=grads[9])
        dz = d2.bmm(params[9].transpose(1, 2))
        if mask is not None:
            dz = dz * mask.view(M, B, -1)
        torch.bmm(pooled.transpose(1, 2), dz, out=grads[8])
        dx = (dz.bmm(params[8].transpose(1, 2)).unsqueeze(1).expand(M, N, B, h)) / N
        P = [P.expand(M, -1, -1).transpose(1, 2) for P in self.P]
        for l in range(3, -1, -1):
            rows, r1, r2, mask = tape[l]
            if mask is not None:
                dx = dx * mask.view(M, N, B, h)
            da = dx / 2
            ds = [torch.bmm(Pt, torch.ops.aten.threshold_backward(da, r, 0).view(M, N, B * h))
                  .view(M, N * B, h) for Pt, r in zip(P, (r1, r2))]
            torch.bmm(rows.transpose(1, 2), ds[0], out=grads[2 * l])
            torch.bmm(rows.transpose(1, 2), ds[1], out=grads[2 * l + 1])
            if l:
                dx = (ds[1].bmm(params[2 * l + 1].transpose(1, 2))
                      .add_(ds[0].bmm(params[2 * l].transpose(1, 2)))).view(M, N, B, h)


class StackedBONAS:
    """``M`` BONAS predictors. Parameters (views of ``flat``): per layer W (M, F, h) and the
    batch-norm scale and shift (M, 1, 1, h); the output weights (M, h, 2) and bias (M, 1, 2),
    whose second columns stay zero (see :class:`StackedGCN`).

    Each layer's bias (``biases``) stays as initialised: batch normalisation follows it, so its
    gradient is exactly zero; computed in floats it is rounding noise, which Adam would turn into
    steps of the full learning rate in random directions (and stacked and single fits would
    differ by them).
    """

    def __init__(self, graph: tuple[int, int], cfg: BONASConfig,
                 gens: Sequence[torch.Generator]):
        h, M = cfg.hidden, len(gens)
        self.graph, self.cfg, self.gens, self.P = graph, cfg, gens, None
        widths = [graph[1] + 1] + [h] * 3
        self.flat = FlatParams([s for f in widths for s in [(M, f, h), (M, 1, 1, h), (M, 1, 1, h)]]
                               + [(M, h, 2), (M, 1, 2)])
        params, self.biases, self.running = self.flat.views(), [], []
        for l, f in enumerate(widths):
            params[3 * l].copy_(uniform_((f, h), 0.05, gens))
            params[3 * l + 1].fill_(1.0)
            self.biases.append(uniform_((1, 1, h), 1 / math.sqrt(h), gens))
            self.running.append((torch.zeros(M, 1, 1, h), torch.ones(M, 1, 1, h)))
        params[12][..., :1] = uniform_((h, 1), 1 / math.sqrt(h), gens)
        params[13][..., :1] = uniform_((1, 1), 1 / math.sqrt(h), gens)

    def data(self, X: np.ndarray) -> _GraphData:
        """Node types of ``X`` with the global node; sets the propagation matrix."""
        data = _GraphData(X, self.graph)
        data.types = _global_types(data.types)
        self.P = _global_adjacency(data.adj).contiguous()
        return data

    def _batchnorm(self, x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, layer: int,
                   train: bool, member: slice = slice(None)) -> torch.Tensor:
        """Batch norm of x (M, N, B, h) over nodes and batch, per member and channel."""
        r_mean, r_var = (r[member] for r in self.running[layer])
        M, N, B, h = x.shape
        if train:  # plain sums: torch.var_mean over two middle dimensions is 20x slower
            rows = x.view(M, N * B, h)
            mean = rows.sum(1, keepdim=True).div_(N * B)
            centred = rows - mean
            var = (centred * centred).sum(1, keepdim=True).div_(N * B)
            with torch.no_grad():
                r_mean.lerp_(mean.view(M, 1, 1, h), _BN_MOMENTUM)
                r_var.lerp_(var.view(M, 1, 1, h) * (N * B / (N * B - 1)), _BN_MOMENTUM)
            normed = centred.view(M, N, B, h) * torch.rsqrt(var + _BN_EPS).view(M, 1, 1, h)
        else:
            normed = (x - r_mean) * torch.rsqrt(r_var + _BN_EPS)
        return normed * gamma + beta

    def forward(self, params: list[torch.Tensor], types: torch.Tensor, train: bool,
                member: int | None = None) -> torch.Tensor:
        """Outputs (M, B) for node types (M, N+1, B, T+1) (global node last).

        ``member``: ``params`` are that member's alone (M = 1; prediction).
        """
        M, N, B, _ = types.shape
        own = slice(None) if member is None else slice(member, member + 1)
        x = types
        for l in range(4):
            W, gamma, beta = params[3 * l:3 * l + 3]
            s = torch.bmm(x.reshape(M, N * B, -1), W).view(M, N, B, -1)
            x = _propagate(self.P, s) + self.biases[l][own]
            x = self._batchnorm(x, gamma, beta, l, train, own).relu()
        return torch.baddbmm(params[13], x[:, -1], params[12])[..., 0]


def _train(model, X: np.ndarray, yz: np.ndarray, drop_last: bool, weight_decay: float):
    """The shared training loop: MSE, Adam, cosine schedule, a fresh batch order per epoch.

    With ``cfg.released_code_quirks`` it runs as the released code did: gradients summed over
    all steps so far (never zeroed), and, where the last incomplete batch is dropped (GCN),
    dropped even when it is the only one (fewer samples than a batch: no training step at all).
    """
    S, n = yz.shape
    cfg, data, M = model.cfg, model.data(X), len(model.gens)
    quirks = cfg.released_code_quirks
    batches = batch_slices(n, cfg.batch_size, drop_last, strict=quirks)
    y_rows = torch.from_numpy(yz.reshape(-1).astype(np.float32))
    offsets = (torch.arange(S) * n)[:, None]
    # each parameter a leaf of its own (views of theta): autograd then returns one gradient per
    # parameter, copied into the flat gradient buffer, instead of assembling a theta-sized
    # gradient from zero-filled slices every step
    manual = hasattr(model, "backward")  # GCN: gradients by hand, no autograd
    params = model.flat.views() if manual else [p.requires_grad_() for p in model.flat.views()]
    accumulate = cfg.accumulate_grad or quirks  # the released code never called zero_grad()
    step = torch.zeros_like(model.flat.theta)  # this step's gradient
    grad = torch.zeros_like(step) if accumulate else step  # the gradient Adam applies
    steps = model.flat.views(step)
    opt = FusedAdam([model.flat.theta], weight_decay=weight_decay)
    for epoch in range(cfg.epochs):
        lr = cosine_lr(cfg.lr, epoch, cfg.epochs)
        order = permutations(model.gens, n).add_(offsets)
        for sl in batches:
            idx = order[:, sl].reshape(-1)
            y = y_rows[idx].view(M, -1)
            if manual:
                tape = []
                out = model.forward(params, data.take(idx, M), train=True, tape=tape)
                model.backward(params, steps, tape, _mse_grad(out, y))
            else:
                with torch.enable_grad():
                    out = model.forward(params, data.take(idx, M), train=True)
                    loss = ((out - y) ** 2).mean(1).sum()
                    torch._foreach_copy_(steps, torch.autograd.grad(loss, params))
            if accumulate:
                grad.add_(step)
            opt.step([grad], lr)
    for p in params:
        p.requires_grad_(False)
    model._masks = None  # (GCN) not part of the fitted model
    return model


def _mse_grad(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Gradient of ``((out - y) ** 2).mean(1).sum()`` w.r.t. ``out`` (M, B), rounded as
    autograd rounds it: (1 / B) * (2 * (out - y))."""
    return torch.full_like(out, 1.0).div_(out.shape[1]).mul_((out - y).mul_(2.0))


def _predict(model, X: np.ndarray) -> np.ndarray:
    """Outputs (S, m) of every member for its own test rows ``X`` (S, m, width).

    One member at a time, in chunks of architectures whose size does not depend on the stack
    (so a member predicts as it would alone), which keeps a forward pass's arrays the size of
    one member's chunk, however many members the stack holds.
    """
    (S, m), data = X.shape[:2], model.data(X)
    out = np.empty((S, m))
    with torch.no_grad():
        for s in range(S):
            params = [p[s:s + 1] for p in model.flat.views()]
            for a in range(0, m, _PREDICT_CHUNK):
                rows = torch.arange(s * m + a, s * m + min(a + _PREDICT_CHUNK, m))
                out[s, a:a + len(rows)] = model.forward(
                    params, data.take(rows, 1), train=False, member=s).numpy()[0]
    return out


def train_gcns(X: np.ndarray, yz: np.ndarray, seeds: Sequence[int], cfg: GCNConfig,
               graph: tuple[int, int]) -> StackedGCN:
    """Train one GCN per seed, stacked. ``X`` (S, n, N*N + N*T), ``yz`` (S, n) z-scored."""
    model = StackedGCN(graph, cfg, make_generators(seeds))
    return _train(model, X, yz, drop_last=True, weight_decay=cfg.weight_decay)


def predict_gcns(model: StackedGCN, X: np.ndarray) -> np.ndarray:
    """Predictions (S, m) of the stacked GCNs for ``X`` (S, m, N*N + N*T)."""
    return _predict(model, X)


def train_bonas(X: np.ndarray, yz: np.ndarray, seeds: Sequence[int], cfg: BONASConfig,
                graph: tuple[int, int]) -> StackedBONAS:
    """Train one BONAS predictor per seed, stacked."""
    model = StackedBONAS(graph, cfg, make_generators(seeds))
    return _train(model, X, yz, drop_last=False, weight_decay=0.0)


def predict_bonas(model: StackedBONAS, X: np.ndarray) -> np.ndarray:
    """Predictions (S, m) of the stacked BONAS predictors."""
    return _predict(model, X)
