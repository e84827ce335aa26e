"""The neural and Bayesian-neural predictors: MLPs, BANANAS, BOHAMIANN, GCN, BONAS, NAO.

Each is a scikit-learn regressor on encoded features ``X`` (see :mod:`hwlib.encodings`): one-hot
for the MLPs and BOHAMIANN, the path encoding for BANANAS, the flattened graph encoding
``[adjacency (N*N), node types (N*T)]`` for GCN, BONAS and NAO. Defaults and the tuned search
ranges follow PROTOCOL.md, "Predictors and their defaults", and the released NASLib code.

Every class trains its models *stacked*: the class method ``fit_predict_seeds`` (of
:class:`~hwlib.predictors._torch.TorchRegressor`) fits one model per seed in a single batched
model, and ``fit`` is that with one seed, so both give the same model, bit for bit, for the same
seed (see :mod:`hwlib.predictors._torch`). All are deterministic for an int ``random_state`` on
CPU.

Where this differs from the released code (each documented at its class):

- every regressor z-scores ``y`` on its training set (the released MLP trained on raw targets,
  which the protocol's z-scoring over all architectures makes nearly the same);
- GCN and BONAS zero their gradients between steps (the released code never did; set
  ``accumulate_grad=True`` to reproduce that); GCN drops the incomplete last minibatch as the
  released code did, but trains on one batch of all samples when there are fewer than
  ``batch_size`` (the released code then did not train at all);
- BONAS keeps its graph-convolution biases, which batch normalisation cancels, at their initial
  values (see :class:`~hwlib.predictors._graph.StackedBONAS`);
- NAO predicts from its encoder alone (the released code also ran the decoder, unused).

>>> from hwlib.predictors.neural import SmallMLPRegressor
>>> model = SmallMLPRegressor(epochs=5, random_state=0).fit(X, y)                 # doctest: +SKIP
>>> SmallMLPRegressor.fit_predict_seeds(X_train, y_train, X_test, seeds=range(50))  # doctest: +SKIP
"""

from __future__ import annotations

from scipy.stats import loguniform

from ..encodings import graph_shape
from ..errors import InputError
from ..spaces import get_space
from ._bnn import SGHMCConfig, predict_bnns, train_bnns
from ._graph import (BONASConfig, GCNConfig, predict_bonas, predict_gcns, train_bonas,
                     train_gcns)
from ._mlp import ACTIVATIONS, MLPConfig, predict_mlps, train_mlps
from ._nao import NAOConfig, predict_naos, train_naos
from ._torch import IntLogUniform, TorchRegressor

__all__ = ["SmallMLPRegressor", "LargeMLPRegressor", "BANANASRegressor", "BOHAMIANNRegressor",
           "GCNRegressor", "BONASRegressor", "NAORegressor"]

_LRS = [0.1, 0.01, 0.005, 0.001, 0.0001]


def _positive(**values) -> None:
    """Raise :class:`InputError` naming the first value that is not > 0."""
    for name, value in values.items():
        if not value > 0:
            raise InputError(f"{name} must be > 0, got {value!r}")


class SmallMLPRegressor(TorchRegressor):
    """Small MLP (paper: "MLP (small)"): 3 hidden layers x 32 units, otherwise as the large one.

    Parameters
    ----------
    num_layers : int
        Hidden layers.
    layer_width : int
        Units per hidden layer.
    activation : {'relu', 'tanh', 'hardswish'}
    lr : float
        Adam learning rate (betas 0.9, 0.99).
    batch_size : int
    epochs : int
    regularization : float
        Weight of the L1 norm of the output layer's weights added to the L1 loss.
    random_state : int, RandomState or None

    Attributes
    ----------
    model_ : StackedMLP
        The fitted network (a stack of one).
    y_mean_, y_std_ : ndarray of shape (1,)
        Training-target mean and std used to z-score ``y``.
    """

    hpo_space = {"num_layers": [2, 3, 4], "layer_width": [16, 32, 64, 128],
                 "activation": ["relu", "tanh", "hardswish"], "lr": _LRS}
    _members = 1

    def __init__(self, num_layers: int = 3, layer_width: int = 32, activation: str = "relu",
                 lr: float = 1e-3, batch_size: int = 32, epochs: int = 500,
                 regularization: float = 0.2, random_state=None):
        self.num_layers = num_layers
        self.layer_width = layer_width
        self.activation = activation
        self.lr = lr
        self.batch_size = batch_size
        self.epochs = epochs
        self.regularization = regularization
        self.random_state = random_state

    def _config(self) -> MLPConfig:
        if self.activation not in ACTIVATIONS:
            raise InputError(f"activation must be one of {', '.join(ACTIVATIONS)}, "
                             f"got {self.activation!r}")
        _positive(num_layers=self.num_layers, layer_width=self.layer_width, lr=self.lr,
                  batch_size=self.batch_size, epochs=self.epochs)
        return MLPConfig(int(self.num_layers), int(self.layer_width), self.activation,
                         float(self.lr), int(self.batch_size), int(self.epochs),
                         float(self.regularization))

    def _fit_stack(self, X, yz, seeds):
        return train_mlps(X, yz, seeds, self._config(), members=self._members)

    def _predict_stack(self, model, X):
        return predict_mlps(model, X, members=self._members)


class LargeMLPRegressor(SmallMLPRegressor):
    """Large MLP (paper: "MLP (large)"): 20 hidden layers x 20 units, ReLU, Adam lr 1e-3,
    batch 32, 500 epochs, L1 loss + 0.2 x L1 norm of the output weights.

    Parameters as :class:`SmallMLPRegressor`.
    """

    hpo_space = {"num_layers": list(range(5, 25)), "layer_width": list(range(5, 25)), "lr": _LRS}

    def __init__(self, num_layers: int = 20, layer_width: int = 20, activation: str = "relu",
                 lr: float = 1e-3, batch_size: int = 32, epochs: int = 500,
                 regularization: float = 0.2, random_state=None):
        super().__init__(num_layers, layer_width, activation, lr, batch_size, epochs,
                         regularization, random_state)


class BANANASRegressor(LargeMLPRegressor):
    """BANANAS' predictor: an ensemble of ``n_members`` large MLPs, mean prediction.

    It takes the path encoding. Each member has its own initial weights and minibatch order
    (member ``k`` of seed ``s`` is seeded from ``(s, k)``); all share the hyperparameters, as in
    the released code, and the members of all seeds train as one stack.

    Parameters as :class:`LargeMLPRegressor`, plus ``n_members`` (3).
    """

    def __init__(self, num_layers: int = 20, layer_width: int = 20, activation: str = "relu",
                 lr: float = 1e-3, batch_size: int = 32, epochs: int = 500,
                 regularization: float = 0.2, n_members: int = 3, random_state=None):
        super().__init__(num_layers, layer_width, activation, lr, batch_size, epochs,
                         regularization, random_state)
        self.n_members = n_members

    @property
    def _members(self) -> int:
        _positive(n_members=self.n_members)
        return int(self.n_members)


class BOHAMIANNRegressor(TorchRegressor):
    """BOHAMIANN (Springenberg et al., 2016): a Bayesian neural network sampled with adaptive SGHMC.

    As the released code (pybnn's ``Bohamiann`` with NASLib's settings): 3 tanh layers of 50
    units, a mean output and a learned homoscedastic log-variance, Gaussian negative
    log-likelihood, double precision, normalised outputs (not inputs); ``num_steps`` sampler
    steps in minibatches of ``batch_size``, the first ``num_burn_in_steps`` adapting the sampler,
    then every ``keep_every``-th network kept; the prediction is the kept networks' mean.

    Parameters
    ----------
    num_steps, num_burn_in_steps, keep_every : int
    lr : float
        Sampler learning rate (its step size is ``sqrt(lr)``).
    mdecay : float
        Momentum decay.
    batch_size : int
    hidden : int
        Units per layer.
    random_state : int, RandomState or None
    """

    def __init__(self, num_steps: int = 100, num_burn_in_steps: int = 10, keep_every: int = 5,
                 lr: float = 1e-2, mdecay: float = 0.05, batch_size: int = 20, hidden: int = 50,
                 random_state=None):
        self.num_steps = num_steps
        self.num_burn_in_steps = num_burn_in_steps
        self.keep_every = keep_every
        self.lr = lr
        self.mdecay = mdecay
        self.batch_size = batch_size
        self.hidden = hidden
        self.random_state = random_state

    def _config(self) -> SGHMCConfig:
        _positive(keep_every=self.keep_every, lr=self.lr, batch_size=self.batch_size,
                  hidden=self.hidden)
        if not 0 <= self.num_burn_in_steps < self.num_steps - self.keep_every:
            raise InputError(f"num_burn_in_steps must be in [0, num_steps - keep_every) so that a "
                             f"network is kept; got {self.num_burn_in_steps} with num_steps "
                             f"{self.num_steps}, keep_every {self.keep_every}")
        return SGHMCConfig(int(self.num_steps), int(self.num_burn_in_steps),
                           int(self.keep_every), float(self.lr), float(self.mdecay),
                           int(self.batch_size), int(self.hidden))

    def _fit_stack(self, X, yz, seeds):
        return train_bnns(X, yz, seeds, self._config())

    def _predict_stack(self, model, X):
        return predict_bnns(model, X)


class _GraphRegressor(TorchRegressor):
    """Base of the regressors on the flattened graph encoding of ``search_space``."""

    def _graph(self) -> tuple[int, int]:
        """(nodes N, node types T) of the search space's graph encoding."""
        if not get_space(self.search_space).is_cell:
            raise InputError(f"{type(self).__name__} needs a cell search space (the graph "
                             f"encoding), not {self.search_space!r}")
        return graph_shape(self.search_space)

    def _check_width(self, n_features: int) -> None:
        N, T = self._graph()
        if n_features != N * N + N * T:
            raise InputError(
                f"{type(self).__name__} takes the graph encoding of {self.search_space!r}: "
                f"{N * N + N * T} features ([adjacency {N}x{N}, node types {N}x{T}]), "
                f"got {n_features}")


class GCNRegressor(_GraphRegressor):
    """GCN predictor (Wen et al., 2020): directed graph convolutions on the cell's DAG.

    4 graph-convolution layers (each the mean of a forward and a backward propagation over the
    normalised adjacency with self-loops, ReLU, dropout 0.1), mean pooling over nodes, a linear
    layer of 128 units, dropout, a linear output; Adam with L2 weight decay, cosine schedule,
    MSE, minibatches in a fresh order every epoch, the incomplete last one dropped.

    Parameters
    ----------
    search_space : str
        Fixes the graph encoding's shape (:func:`hwlib.encodings.graph_shape`).
    hidden : int
        Units of the graph-convolution layers.
    linear_hidden : int
    dropout : float
    batch_size : int
    lr, weight_decay : float
    epochs : int
    accumulate_grad : bool
        True reproduces the released code, which never zeroes the gradients between steps
        (each step then uses the sum of all gradients so far). Default False.
    released_code_quirks : bool
        True trains as the released code did: gradients never zeroed (as ``accumulate_grad``)
        and the incomplete last batch dropped even when it is the only one, so that fewer
        than ``batch_size`` training samples mean no training at all. Default False.
    random_state : int, RandomState or None
    """

    hpo_space = {"hidden": IntLogUniform(64, 200), "batch_size": IntLogUniform(5, 32),
                 "lr": loguniform(1e-5, 1e-1),
                 "weight_decay": loguniform(1e-5, 1e-1)}

    def __init__(self, search_space: str = "nb201", hidden: int = 144, linear_hidden: int = 128,
                 dropout: float = 0.1, batch_size: int = 7, lr: float = 1e-4,
                 weight_decay: float = 3e-4, epochs: int = 300, accumulate_grad: bool = False,
                 released_code_quirks: bool = False, random_state=None):
        self.search_space = search_space
        self.hidden = hidden
        self.linear_hidden = linear_hidden
        self.dropout = dropout
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.accumulate_grad = accumulate_grad
        self.released_code_quirks = released_code_quirks
        self.random_state = random_state

    def _config(self) -> GCNConfig:
        _positive(hidden=self.hidden, linear_hidden=self.linear_hidden,
                  batch_size=self.batch_size, lr=self.lr, epochs=self.epochs)
        if not 0 <= self.dropout < 1:
            raise InputError(f"dropout must be in [0, 1), got {self.dropout!r}")
        return GCNConfig(int(self.hidden), int(self.linear_hidden), float(self.dropout),
                         int(self.batch_size), float(self.lr), float(self.weight_decay),
                         int(self.epochs), bool(self.accumulate_grad),
                         bool(self.released_code_quirks))

    def _fit_stack(self, X, yz, seeds):
        return train_gcns(X, yz, seeds, self._config(), self._graph())

    def _predict_stack(self, model, X):
        return predict_gcns(model, X)


class BONASRegressor(_GraphRegressor):
    """BONAS' predictor (Shi et al., 2020): a GCN over the DAG plus a global node.

    The global node receives every node; 4 graph-convolution layers (with bias), each followed
    by batch normalisation and ReLU; the global node's embedding feeds a linear output. Adam,
    cosine schedule, MSE, minibatches in a fresh order every epoch.

    Parameters
    ----------
    search_space : str
    hidden : int
    batch_size : int
    lr : float
    epochs : int
    accumulate_grad : bool
        True reproduces the released code, which never zeroes the gradients. Default False.
    released_code_quirks : bool
        True trains as the released code did: gradients never zeroed (as ``accumulate_grad``;
        its last incomplete batch was kept). Default False.
    random_state : int, RandomState or None
    """

    hpo_space = {"hidden": IntLogUniform(16, 128), "batch_size": IntLogUniform(32, 256),
                 "lr": loguniform(1e-5, 1e-1)}
    #: Activations per node (members x minibatch rows x hidden units) of the largest stack that
    #: ``fit_predict_seeds`` trains at once: BONAS' step is elementwise passes bound by memory
    #: traffic, and once a stack's arrays leave the caches it trains more slowly per seed. Five
    #: members at the defaults (the fastest of stacks of 1 to 40 at 124 and 614 samples): 40 seeds
    #: at 124 samples take 15-30 % less CPU time each in stacks of five than in one stack of 40
    #: (``bench/bench_predictors.py --predictors bonas --ratio-only --ratio-seeds 40 --stacks
    #: 1,2,5,10,20,40``).
    STACK_ACTIVATIONS = 5 * 128 * 64

    def __init__(self, search_space: str = "nb201", hidden: int = 64, batch_size: int = 128,
                 lr: float = 1e-4, epochs: int = 100, accumulate_grad: bool = False,
                 released_code_quirks: bool = False, random_state=None):
        self.search_space = search_space
        self.hidden = hidden
        self.batch_size = batch_size
        self.lr = lr
        self.epochs = epochs
        self.accumulate_grad = accumulate_grad
        self.released_code_quirks = released_code_quirks
        self.random_state = random_state

    def _config(self) -> BONASConfig:
        _positive(hidden=self.hidden, batch_size=self.batch_size, lr=self.lr, epochs=self.epochs)
        return BONASConfig(int(self.hidden), int(self.batch_size), float(self.lr),
                           int(self.epochs), bool(self.accumulate_grad),
                           bool(self.released_code_quirks))

    def _stack_limit(self, n_train: int) -> int:
        rows = min(n_train, int(self.batch_size)) * int(self.hidden)
        return max(1, self.STACK_ACTIVATIONS // rows)

    def _fit_stack(self, X, yz, seeds):
        return train_bonas(X, yz, seeds, self._config(), self._graph())

    def _predict_stack(self, model, X):
        return predict_bonas(model, X)


class NAORegressor(_GraphRegressor):
    """NAO's predictor (Luo et al., 2018): LSTM encoder-decoder with a regression head.

    As the released code (its SemiNAS predictor without the semi-supervised step): the graph as a
    token sequence (per node, its incoming connections and its type), embedded and encoded by a
    bidirectional LSTM; the mean of the normalised encoder states, through a residual MLP, gives
    the prediction; an attention LSTM decoder reconstructs the sequence. Loss
    ``trade_off`` x MSE + (1 - ``trade_off``) x reconstruction NLL; Adam with L2 weight decay,
    gradient-norm clipping.

    Parameters
    ----------
    search_space : str
    hidden : int
        LSTM and embedding width.
    mlp_hidden : int
        Width of the regression head's hidden layer.
    dropout : float
    batch_size : int
    lr, weight_decay : float
    epochs : int
    trade_off : float
    grad_bound : float
        Gradient-norm clip.
    random_state : int, RandomState or None
    """

    def __init__(self, search_space: str = "nb201", hidden: int = 64, mlp_hidden: int = 16,
                 dropout: float = 0.1, batch_size: int = 100, lr: float = 1e-3,
                 weight_decay: float = 1e-4, epochs: int = 50, trade_off: float = 0.8,
                 grad_bound: float = 5.0, random_state=None):
        self.search_space = search_space
        self.hidden = hidden
        self.mlp_hidden = mlp_hidden
        self.dropout = dropout
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.trade_off = trade_off
        self.grad_bound = grad_bound
        self.random_state = random_state

    def _config(self) -> NAOConfig:
        _positive(hidden=self.hidden, mlp_hidden=self.mlp_hidden, batch_size=self.batch_size,
                  lr=self.lr, epochs=self.epochs, grad_bound=self.grad_bound)
        if not 0 <= self.dropout < 1 or not 0 <= self.trade_off <= 1:
            raise InputError(f"dropout must be in [0, 1) and trade_off in [0, 1], got "
                             f"{self.dropout!r} and {self.trade_off!r}")
        return NAOConfig(int(self.hidden), int(self.mlp_hidden), float(self.dropout),
                         int(self.batch_size), float(self.lr), float(self.weight_decay),
                         int(self.epochs), float(self.trade_off), float(self.grad_bound))

    def _fit_stack(self, X, yz, seeds):
        return train_naos(X, yz, seeds, self._config(), self._graph())

    def _predict_stack(self, model, X):
        return predict_naos(model, X)
