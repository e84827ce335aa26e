"""The benchmark networks as torch modules, and their exact multiply-accumulates and parameters.

Two families, rebuilt from the benchmarks' own definitions:

``nb201``
    NAS-Bench-201's ``TinyNetwork`` for one cell (``InferCell``): a stem (3x3 conv + BN), three
    stages of ``N = 5`` copies of the cell at ``C``, ``2C``, ``4C`` channels (``C = 16``) joined by
    two residual reduction blocks (``ResNetBasicblock``, stride 2, with an average-pool + 1x1 conv
    shortcut), a last BN + ReLU, global average pooling and a linear classifier (10 / 100 / 120
    classes for cifar10 / cifar100 / ImageNet16-120, inputs 32 / 32 / 16 pixels). Cell ops:
    ``none`` multiplies by zero (as the benchmark's ``Zero`` op does), ``skip_connect`` is the
    identity, ``nor_conv_kxk`` is ReLU -> conv -> BN, ``avg_pool_3x3`` is a 3x3 average pool
    (stride 1, padding 1, padding not counted).
``transnas_macro``
    TransNAS-Bench-101's ``MacroNet`` with ResNet basic blocks (``64-xxxx-basic``): a stem
    (3x3 conv stride 2 to 32 channels + BN, then ReLU -> 3x3 conv stride 2 to 64 channels -> BN),
    then one layer per block code, each of two ResNet basic blocks (ReLU-conv-BN twice plus a
    residual, with a 1x1 conv + BN shortcut when the shape changes). Codes: 1 normal,
    2 channels x2, 3 resolution /2, 4 both. Simplification: the encoder only (the benchmark's
    ``structure='backbone'``), without a task's decoder or head; ``structure='full'`` adds global
    pooling and a linear head. The benchmark's shortcut BN receives ``affine`` and
    ``track_running_stats`` positionally (so as ``eps`` and ``momentum``); here it is a default
    BN, which changes no shape, count or operation.

Counts are analytic, layer by layer, and exact (:func:`count`, :func:`count_all`):
``macs`` are the multiply-accumulates of every convolution and linear layer (the quantity
usually called FLOPs; batch norm, activations, pooling and additions are not counted), ``params``
every learnable parameter (conv and linear weights, linear biases, BN scales and shifts).
:func:`hook_count` counts the same on a built module with forward hooks, to check them.
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Sequence

import numpy as np

from .errors import InputError
from .spaces import NB201_EDGES, get_space

__all__ = ["NB201_IMAGES", "MACRO_STEM_CHANNELS", "macro_all", "build_network", "count", "count_all",
           "hook_count", "default_input_size", "all_archs", "counts_table"]

#: NB201 image datasets: (classes, input size in pixels).
NB201_IMAGES = {"cifar10": (10, 32), "cifar100": (100, 32), "ImageNet16-120": (120, 16)}
#: Macro networks: the base channel count (the ``64`` of ``64-41414-basic``).
MACRO_STEM_CHANNELS = 64
_NB201_C, _NB201_N = 16, 5
_MACRO_CLASSES = 75            # the benchmark's default head (class_object has 75 classes)


@lru_cache(maxsize=1)
def macro_all() -> np.ndarray:
    """All 3256 TransNAS-Bench-101 macro networks as zero-padded block codes, shape (3256, 6).

    The space: 4 to 6 blocks of codes 1-4 with 1 to 4 resolution halvings (codes 3, 4) and 1 to 3
    channel doublings (codes 2, 4). Rows are in lexicographic order of the padded codes.
    """
    rows = []
    for n in (4, 5, 6):
        for blocks in itertools.product((1, 2, 3, 4), repeat=n):
            down = sum(b >= 3 for b in blocks)
            wide = sum(b % 2 == 0 for b in blocks)
            if 1 <= down <= 4 and 1 <= wide <= 3:
                rows.append(blocks + (0,) * (6 - n))
    A = np.array(sorted(rows), dtype=np.int64)
    A.setflags(write=False)
    return A


def all_archs(search_space: str) -> np.ndarray:
    """Every architecture of a space: NB201's 15625 cells (product order) or the 3256 macro networks."""
    _check_space(search_space)
    if search_space == "nb201":
        return np.array(list(itertools.product(range(5), repeat=6)), dtype=np.int64)
    return np.array(macro_all())


def counts_table(search_space: str, input_size: int | None = None, **kwargs):
    """Exact MACs and parameters of every architecture of a space, as a table.

    Returns
    -------
    pandas.DataFrame
        Columns ``arch`` (name), ``macs``, ``params``; one row per architecture of :func:`all_archs`.
    """
    import pandas as pd

    A = all_archs(search_space)
    counts = count_all(search_space, A, input_size, **kwargs)
    return pd.DataFrame({"arch": get_space(search_space).array_to_names(A), "macs": counts[:, 0],
                         "params": counts[:, 1]})


def default_input_size(search_space: str, image: str = "cifar10") -> int:
    """The benchmark's input size: NB201 32 (16 for ImageNet16-120), macro 224."""
    if search_space == "nb201":
        return _nb201_image(image)[1]
    _check_space(search_space)
    return 224


def _nb201_image(image: str) -> tuple[int, int]:
    try:
        return NB201_IMAGES[image]
    except KeyError:
        raise InputError(f"unknown NB201 image dataset {image!r}; one of {', '.join(NB201_IMAGES)}") from None


def _check_space(search_space: str) -> None:
    if search_space not in ("nb201", "transnas_macro"):
        raise InputError(f"no networks for search space {search_space!r}; 'nb201' or 'transnas_macro'")


def _ops(search_space: str, ops: Sequence[int]) -> tuple[int, ...]:
    """Validated op tuple (raises :class:`InputError` for a tuple outside the space)."""
    space = get_space(search_space)
    arch = tuple(int(o) for o in space.validate(np.array([ops]))[0])
    space.to_name(arch)                       # macro: raises for an impossible block sequence
    return arch


def _out(h: int, stride: int) -> int:
    """Output size of a 3x3/pad-1 or 1x1/pad-0 convolution (or 2x2 pooling) with ``stride``."""
    return (h - 1) // stride + 1


# ----------------------------------------------------------------------------- analytic counts


def _nb201_plan(ops: tuple[int, ...], size: int, classes: int):
    """(macs, params) of every layer of an NB201 network, as a list of pairs."""
    C, layers, h = _NB201_C, [], size
    layers.append((27 * C * h * h, 27 * C + 2 * C))                       # stem conv + BN
    for stage in range(3):
        c = C * 2 ** stage
        if stage:                                                         # ResNetBasicblock(c/2, c, 2)
            cin, h = c // 2, _out(h, 2)
            layers += [(9 * cin * c * h * h, 9 * cin * c + 2 * c), (9 * c * c * h * h, 9 * c * c + 2 * c),
                       (cin * c * h * h, cin * c)]                        # conv_a, conv_b, pool + 1x1
        for _ in range(_NB201_N):
            for op in ops:
                k = {2: 1, 3: 3}.get(op)
                if k:
                    layers.append((k * k * c * c * h * h, k * k * c * c + 2 * c))
    c = 4 * C
    layers += [(0, 2 * c), (c * classes, c * classes + classes)]          # lastact BN, classifier
    return layers


def _basic_block(cin: int, cout: int, stride: int, h: int):
    """Layers of one TransNAS ResNet basic block at input size ``h``; returns (layers, h_out)."""
    ho = _out(h, stride)
    layers = [(9 * cin * cout * ho * ho, 9 * cin * cout + 2 * cout),
              (9 * cout * cout * ho * ho, 9 * cout * cout + 2 * cout)]
    if stride != 1 or cin != cout:
        layers.append((cin * cout * ho * ho, cin * cout + 2 * cout))
    return layers, ho


def _macro_plan(ops: tuple[int, ...], size: int, structure: str, classes: int):
    base, h = MACRO_STEM_CHANNELS, _out(size, 2)
    layers = [(27 * (base // 2) * h * h, 27 * (base // 2) + base)]        # conv s2 + BN
    h = _out(h, 2)
    layers.append((9 * (base // 2) * base * h * h, 9 * (base // 2) * base + 2 * base))
    c = base
    for code in (o for o in ops if o):
        cout, stride = (2 * c if code % 2 == 0 else c), (2 if code > 2 else 1)
        for cin, s in ((c, stride), (cout, 1)):
            block, h = _basic_block(cin, cout, s, h)
            layers += block
        c = cout
    if structure == "full":
        layers.append((c * classes, c * classes + classes))
    return layers


def _check_structure(structure: str) -> None:
    if structure not in ("backbone", "full"):
        raise InputError(f"unknown macro network structure {structure!r}; 'backbone' or 'full'")


def _check_size(size: int) -> int:
    if int(size) != size or not 4 <= size <= 4096:
        raise InputError(f"input size must be an integer in 4..4096 pixels, got {size!r}")
    return int(size)


def count(search_space: str, ops: Sequence[int], input_size: int | None = None, *,
          image: str = "cifar10", structure: str = "backbone") -> tuple[int, int]:
    """Exact multiply-accumulates and parameters of one network, for a batch of one.

    Parameters
    ----------
    search_space : {'nb201', 'transnas_macro'}
    ops : sequence of int, length 6
        The architecture's op codes (:mod:`hwlib.spaces`).
    input_size : int, optional
        Square input side in pixels; default :func:`default_input_size`.
    image : str
        NB201 only: the image dataset (sets the classes and the default input size).
    structure : {'backbone', 'full'}
        Macro only: the encoder alone, or with global pooling and a 75-class linear head.

    Returns
    -------
    (int, int)
        ``(macs, params)``.
    """
    _check_space(search_space)
    arch = _ops(search_space, ops)
    size = _check_size(input_size if input_size is not None else default_input_size(search_space, image))
    if search_space == "nb201":
        layers = _nb201_plan(arch, size, _nb201_image(image)[0])
    else:
        _check_structure(structure)
        layers = _macro_plan(arch, size, structure, _MACRO_CLASSES)
    return sum(m for m, _ in layers), sum(p for _, p in layers)


def count_all(search_space: str, A: np.ndarray, input_size: int | None = None, **kwargs) -> np.ndarray:
    """:func:`count` for every row of ``A`` (n, 6); returns int64 array (n, 2) of (macs, params)."""
    return np.array([count(search_space, row, input_size, **kwargs) for row in np.asarray(A)],
                    dtype=np.int64).reshape(-1, 2)


# ----------------------------------------------------------------------------- torch modules


def _torch_modules():
    """The module classes, defined on first use so that importing hwlib does not import torch."""
    import torch
    from torch import nn

    class ReLUConvBN(nn.Sequential):
        def __init__(self, cin, cout, k, stride, padding):
            super().__init__(nn.ReLU(inplace=False), nn.Conv2d(cin, cout, k, stride, padding, bias=False),
                             nn.BatchNorm2d(cout))

    class Zero(nn.Module):
        def forward(self, x):
            return x.mul(0.0)

    class NB201Block(nn.Module):
        """NB201 ``ResNetBasicblock`` with stride 2: shortcut AvgPool2d(2) + 1x1 conv (no BN)."""

        def __init__(self, cin, cout):
            super().__init__()
            self.conv_a, self.conv_b = ReLUConvBN(cin, cout, 3, 2, 1), ReLUConvBN(cout, cout, 3, 1, 1)
            self.downsample = nn.Sequential(nn.AvgPool2d(2, 2, 0), nn.Conv2d(cin, cout, 1, 1, 0, bias=False))

        def forward(self, x):
            return self.downsample(x) + self.conv_b(self.conv_a(x))

    def nb201_op(op, c):
        if op == 0:
            return Zero()
        if op == 1:
            return nn.Identity()
        if op == 4:
            return nn.AvgPool2d(3, 1, 1, count_include_pad=False)
        k = 1 if op == 2 else 3
        return ReLUConvBN(c, c, k, 1, k // 2)

    class Cell(nn.Module):
        """NB201 ``InferCell``: node j sums the edges into it; the output is node 3."""

        def __init__(self, ops, c):
            super().__init__()
            self.edges = nn.ModuleList(nb201_op(op, c) for op in ops)

        def forward(self, x):
            nodes = [x]
            for j in (1, 2, 3):
                nodes.append(sum(e(nodes[a]) for e, (a, b) in zip(self.edges, NB201_EDGES) if b == j))
            return nodes[3]

    class TinyNetwork(nn.Module):
        def __init__(self, ops, classes):
            super().__init__()
            C = _NB201_C
            self.stem = nn.Sequential(nn.Conv2d(3, C, 3, 1, 1, bias=False), nn.BatchNorm2d(C))
            cells = []
            for stage in range(3):
                c = C * 2 ** stage
                if stage:
                    cells.append(NB201Block(c // 2, c))
                cells += [Cell(ops, c) for _ in range(_NB201_N)]
            self.cells = nn.Sequential(*cells)
            self.lastact = nn.Sequential(nn.BatchNorm2d(4 * C), nn.ReLU(inplace=True))
            self.global_pooling = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Linear(4 * C, classes)

        def forward(self, x):
            out = self.global_pooling(self.lastact(self.cells(self.stem(x))))
            return self.classifier(torch.flatten(out, 1))

    class MacroBlock(nn.Module):
        """TransNAS ``ResNetBasicblock``: ReLU-conv-BN twice; 1x1 conv + BN shortcut on a shape change."""

        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv_a, self.conv_b = ReLUConvBN(cin, cout, 3, stride, 1), ReLUConvBN(cout, cout, 3, 1, 1)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            residual = x if self.downsample is None else self.downsample(x)
            return residual + self.conv_b(self.conv_a(x))

    class MacroNet(nn.Module):
        def __init__(self, ops, structure):
            super().__init__()
            base = MACRO_STEM_CHANNELS
            self.stem = nn.Sequential(nn.Conv2d(3, base // 2, 3, 2, 1, bias=False), nn.BatchNorm2d(base // 2),
                                      ReLUConvBN(base // 2, base, 3, 2, 1))
            layers, c = [], base
            for code in (o for o in ops if o):
                cout, stride = (2 * c if code % 2 == 0 else c), (2 if code > 2 else 1)
                layers.append(nn.Sequential(MacroBlock(c, cout, stride), MacroBlock(cout, cout, 1)))
                c = cout
            self.layers = nn.Sequential(*layers)
            self.head = None
            if structure == "full":
                self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, _MACRO_CLASSES))

        def forward(self, x):
            x = self.layers(self.stem(x))
            return x if self.head is None else self.head(x)

    return TinyNetwork, MacroNet


def build_network(search_space: str, ops: Sequence[int], *, image: str = "cifar10",
                  structure: str = "backbone"):
    """The torch module of one architecture, in eval mode.

    Parameters
    ----------
    search_space : {'nb201', 'transnas_macro'}
    ops : sequence of int, length 6
    image : str
        NB201 only: sets the number of classes (10 / 100 / 120).
    structure : {'backbone', 'full'}
        Macro only (see the module docstring).

    Returns
    -------
    torch.nn.Module
        NB201: maps (B, 3, S, S) to logits (B, classes). Macro backbone: (B, 3, S, S) to features
        (B, C, S', S'), ``C = 64 * 2**doublings``, ``S'`` = S halved ``2 + halvings`` times
        (rounding up); full: to (B, 75).
    """
    _check_space(search_space)
    arch = _ops(search_space, ops)
    TinyNetwork, MacroNet = _torch_modules()
    if search_space == "nb201":
        net = TinyNetwork(arch, _nb201_image(image)[0])
    else:
        _check_structure(structure)
        net = MacroNet(arch, structure)
    return net.eval()


def hook_count(module, input_size: int) -> tuple[int, int]:
    """Multiply-accumulates (conv and linear layers, counted by forward hooks) and parameters.

    Parameters
    ----------
    module : torch.nn.Module
    input_size : int
        Square input side; one forward pass of a (1, 3, S, S) input is run.

    Returns
    -------
    (int, int)
        ``(macs, params)``, to check :func:`count` against.
    """
    import torch
    from torch import nn

    total = [0]

    def hook(mod, inputs, output):
        if isinstance(mod, nn.Conv2d):
            k = mod.weight[0].numel()                       # cin/groups * kh * kw
            total[0] += k * output.numel()
        elif isinstance(mod, nn.Linear):
            total[0] += mod.in_features * output.numel()

    handles = [m.register_forward_hook(hook) for m in module.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        with torch.no_grad():
            module(torch.zeros(1, 3, input_size, input_size))
    finally:
        for h in handles:
            h.remove()
    return total[0], sum(p.numel() for p in module.parameters())
