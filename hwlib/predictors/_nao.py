"""NAO's encoder-predictor-decoder (Luo et al., 2018) as the released code's ``SemiNASPredictor``
ran it without the semi-supervised step.

An architecture becomes a token sequence: for each node after the input, the connections from
all earlier nodes (token 1 absent, 2 present) and then its type (token type + 2); token 0 starts
the decoder. The encoder embeds the tokens (width ``hidden``), runs a bidirectional LSTM,
projects back to ``hidden`` with a residual connection and L2-normalises; the mean over the
sequence, normalised again, is the architecture embedding. A residual MLP
(hidden -> mlp_hidden -> hidden, ReLU, dropout) and a linear layer predict the target. An LSTM
decoder, started from the embedding and attending over the encoder states, reconstructs the
sequence (teacher forcing). Loss ``trade_off`` x MSE + (1 - ``trade_off``) x NLL; Adam with L2
weight decay; gradient norm clipped at ``grad_bound``.

The LSTMs are torch's fused ones (oneDNN), so each seed's model trains on its own. Stacking seeds
could not gain much here anyway: a fit's time is arithmetic, about 164 GFLOP per seed at 124
samples and 50 epochs, and even at the peak of a large matrix product on this core that alone
takes about half of a single fit (``bench/bench_predictors.py`` reports this *arithmetic
ceiling*, 2.0-2.4x).
Randomness comes from the global generator inside :func:`torch.random.fork_rng`, seeded per
fit, so the caller's random state is untouched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._torch import batch_slices, member_seed

__all__ = ["NAOConfig", "to_sequence", "train_naos", "predict_naos"]


@dataclass(frozen=True)
class NAOConfig:
    """Settings of one NAO fit; the defaults live in its regressor (:mod:`hwlib.predictors.neural`)."""

    hidden: int
    mlp_hidden: int
    dropout: float
    batch_size: int
    lr: float
    weight_decay: float
    epochs: int
    trade_off: float
    grad_bound: float


def to_sequence(adj: np.ndarray, types: np.ndarray) -> np.ndarray:
    """Token sequences (R, (N + 2)(N - 1) / 2) of graphs ``adj`` (R, N, N), ``types`` (R, N, T)."""
    N = adj.shape[-1]
    kinds = types.argmax(-1)
    columns = []
    for col in range(1, N):
        columns.append(adj[:, :col, col].astype(np.int64) + 1)
        columns.append(kinds[:, col:col + 1] + 2)
    return np.concatenate(columns, axis=1)


class _Encoder(nn.Module):
    def __init__(self, vocab: int, cfg: NAOConfig):
        super().__init__()
        h = cfg.hidden
        self.p = cfg.dropout
        self.embedding = nn.Embedding(vocab, h)
        self.rnn = nn.LSTM(h, h, 1, batch_first=True, bidirectional=True)
        self.out_proj = nn.Linear(2 * h, h)
        self.mlp = nn.ModuleList([nn.Linear(h, cfg.mlp_hidden), nn.Linear(cfg.mlp_hidden, h)])
        self.regressor = nn.Linear(h, 1)

    def forward(self, seq: torch.Tensor):
        x = F.dropout(self.embedding(seq), self.p, self.training)
        states, _ = self.rnn(x)
        states = F.normalize(x + self.out_proj(states), 2, dim=-1)
        emb = F.normalize(states.mean(1), 2, dim=-1)
        z = emb
        for layer in self.mlp:
            z = F.dropout(F.relu(layer(z)), self.p, self.training)
        return states, emb, self.regressor((emb + z) * math.sqrt(0.5))[:, 0]


class _Decoder(nn.Module):
    def __init__(self, vocab: int, cfg: NAOConfig):
        super().__init__()
        h = cfg.hidden
        self.p = cfg.dropout
        self.embedding = nn.Embedding(vocab, h)
        self.rnn = nn.LSTM(h, h, 1, batch_first=True)
        self.input_proj = nn.Linear(h, h, bias=False)
        self.output_proj = nn.Linear(2 * h, h, bias=False)
        self.out = nn.Linear(h, vocab)

    def forward(self, tokens: torch.Tensor, emb: torch.Tensor, states: torch.Tensor):
        x = F.dropout(self.embedding(tokens), self.p, self.training)
        hidden = (emb.unsqueeze(0).contiguous(), emb.unsqueeze(0).contiguous())
        x = (x + self.rnn(x, hidden)[0]) * math.sqrt(0.5)
        attn = torch.softmax(torch.bmm(self.input_proj(x), states.transpose(1, 2)), dim=-1)
        mixed = torch.tanh(self.output_proj(torch.cat([torch.bmm(attn, states), x], dim=2)))
        return F.log_softmax(self.out((x + mixed) * math.sqrt(0.5)), dim=-1)


class NAOModel(nn.Module):
    """Encoder (with its regression head) and decoder of one NAO predictor."""

    def __init__(self, graph: tuple[int, int], cfg: NAOConfig):
        super().__init__()
        self.graph = graph
        self.encoder = _Encoder(graph[1] + 2, cfg)  # tokens: start, 2 connection, T types
        self.decoder = _Decoder(graph[1] + 2, cfg)

    def loss(self, seq: torch.Tensor, y: torch.Tensor, trade_off: float) -> torch.Tensor:
        states, emb, pred = self.encoder(seq)
        start = torch.zeros_like(seq[:, :1])
        log_probs = self.decoder(torch.cat([start, seq[:, :-1]], dim=1), emb, states)
        nll = F.nll_loss(log_probs.reshape(-1, log_probs.shape[-1]), seq.reshape(-1))
        return trade_off * F.mse_loss(pred, y) + (1 - trade_off) * nll


def _sequences(X: np.ndarray, graph: tuple[int, int]) -> torch.Tensor:
    """Token sequences (S, m, L) of flattened graph encodings ``X`` (S, m, N*N + N*T)."""
    N, T = graph
    adj = X[..., :N * N].reshape(-1, N, N)
    types = X[..., N * N:].reshape(-1, N, T)
    seq = to_sequence(adj, types)
    return torch.from_numpy(seq.reshape(X.shape[:2] + seq.shape[1:]))


def _train_one(seq: torch.Tensor, y: torch.Tensor, seed: int, cfg: NAOConfig,
               graph: tuple[int, int]) -> NAOModel:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(member_seed(seed))
        model = NAOModel(graph, cfg)
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        model.train()
        for _ in range(cfg.epochs):
            order = torch.randperm(len(y))
            for sl in batch_slices(len(y), cfg.batch_size):
                idx = order[sl]
                opt.zero_grad()
                with torch.enable_grad():
                    model.loss(seq[idx], y[idx], cfg.trade_off).backward()
                nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_bound)
                opt.step()
    return model.eval()


def train_naos(X: np.ndarray, yz: np.ndarray, seeds: Sequence[int], cfg: NAOConfig,
               graph: tuple[int, int]) -> list[NAOModel]:
    """One NAO predictor per seed (trained one after another). ``X`` (S, n, width)."""
    seqs, y = _sequences(X, graph), torch.from_numpy(yz.astype(np.float32))
    return [_train_one(seqs[s], y[s], seed, cfg, graph) for s, seed in enumerate(seeds)]


def predict_naos(models: list[NAOModel], X: np.ndarray) -> np.ndarray:
    """Predictions (S, m) of each seed's model for its rows of ``X`` (S, m, width)."""
    seqs = _sequences(X, models[0].graph)
    with torch.no_grad():
        return np.stack([model.encoder(seq)[2].numpy() for model, seq in zip(models, seqs)]
                        ).astype(np.float64)
