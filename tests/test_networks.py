"""The benchmark networks: output shapes, analytic counts against hand counts and forward hooks."""

from __future__ import annotations

import numpy as np
import pytest

from hwlib import networks
from hwlib.errors import InputError

torch = pytest.importorskip("torch")


def _shape(net, size, batch=1):
    with torch.no_grad():
        return tuple(net(torch.zeros(batch, 3, size, size)).shape)


@pytest.mark.parametrize("image, size, classes", [("cifar10", 32, 10), ("cifar100", 32, 100),
                                                  ("ImageNet16-120", 16, 120)])
def test_nb201_output_shape(image, size, classes):
    net = networks.build_network("nb201", (3, 1, 4, 2, 0, 3), image=image)
    assert _shape(net, size, batch=2) == (2, classes)
    assert not net.training


def test_macro_output_shapes():
    # (2, 3, 1, 1): one doubling (128 channels), one halving: 64 px -> stem /4 -> 16 -> 8
    assert _shape(networks.build_network("transnas_macro", (2, 3, 1, 1, 0, 0)), 64) == (1, 128, 8, 8)
    # three doublings and four halvings on 224 px: 56 -> 28 -> 14 -> 7 -> 4
    assert _shape(networks.build_network("transnas_macro", (4, 4, 4, 3, 1, 1)), 224) == (1, 512, 4, 4)
    full = networks.build_network("transnas_macro", (2, 3, 1, 1, 0, 0), structure="full")
    assert _shape(full, 64) == (1, 75)


def test_nb201_hand_counts():
    # all-'none' cell: stem 3x3 conv, two reduction blocks (conv_a, conv_b, 1x1 shortcut), classifier
    stem = 27 * 16 * 32 * 32
    block = 9 * 16 * 32 * 16 * 16 + 9 * 32 * 32 * 16 * 16 + 16 * 32 * 16 * 16
    assert block == 9 * 32 * 64 * 8 * 8 + 9 * 64 * 64 * 8 * 8 + 32 * 64 * 8 * 8
    none = stem + 2 * block + 64 * 10
    assert networks.count("nb201", (0,) * 6) == (none, 73306)
    assert none == 7_783_040
    # one 3x3 conv on edge 0->1: five cells per stage, each 9 c^2 h^2 MACs and 9 c^2 + 2c parameters
    conv = sum(5 * 9 * c * c * h * h for c, h in ((16, 32), (32, 16), (64, 8)))
    params = sum(5 * (9 * c * c + 2 * c) for c in (16, 32, 64))
    assert networks.count("nb201", (3, 0, 0, 0, 0, 0)) == (none + conv, 73306 + params)
    # skip and pooling add no MACs; a 1x1 conv adds c^2 h^2 per cell
    assert networks.count("nb201", (1, 4, 1, 4, 1, 4))[0] == none
    one = sum(5 * c * c * h * h for c, h in ((16, 32), (32, 16), (64, 8)))
    assert networks.count("nb201", (0, 0, 0, 0, 2, 0))[0] == none + one
    # the largest cell: NB201's published 220.11 MFLOPs and 1.53 M parameters
    assert networks.count("nb201", (3,) * 6) == (220_119_680, 1_531_546)


def test_macro_hand_count():
    stem = 27 * 32 * 16 * 16 + 9 * 32 * 64 * 8 * 8
    wide = 9 * 64 * 128 * 64 + 9 * 128 * 128 * 64 + 64 * 128 * 64 + 2 * 9 * 128 * 128 * 64
    half = 4 * 9 * 128 * 128 * 16 + 128 * 128 * 16
    plain = 2 * 4 * 9 * 128 * 128 * 16
    assert networks.count("transnas_macro", (2, 3, 1, 1, 0, 0), 32)[0] == stem + wide + half + plain


@pytest.mark.parametrize("space, ops, size, kw", [
    ("nb201", (3, 1, 4, 2, 0, 3), 32, {}), ("nb201", (2, 2, 0, 4, 3, 1), 16, {"image": "ImageNet16-120"}),
    ("nb201", (0, 0, 0, 0, 0, 0), 32, {"image": "cifar100"}), ("transnas_macro", (4, 1, 4, 1, 4, 0), 64, {}),
    ("transnas_macro", (3, 3, 3, 2, 2, 0), 48, {}), ("transnas_macro", (1, 2, 1, 3, 0, 0), 33, {"structure": "full"}),
])
def test_counts_match_hooks(space, ops, size, kw):
    net_kw = {k: v for k, v in kw.items()}
    assert networks.count(space, ops, size, **kw) == networks.hook_count(networks.build_network(space, ops, **net_kw), size)


def test_macro_space(require_data):
    from hwlib.data import _transnas_archs

    A = networks.macro_all()
    assert A.shape == (3256, 6)
    assert set(map(tuple, A.tolist())) == set(map(tuple, _transnas_archs("transnas_macro").tolist()))


def test_counts_table_matches_committed():
    from hwlib.data import devices_dir

    path = devices_dir() / "counts" / "transnas_macro-s224.csv"
    if not path.is_file():
        pytest.skip("no committed counts")
    import pandas as pd
    committed = pd.read_csv(path)
    fresh = networks.counts_table("transnas_macro", 224)
    pd.testing.assert_frame_equal(committed, fresh)


def test_count_all_shape_and_bad_input():
    counts = networks.count_all("nb201", np.array([[0] * 6, [3] * 6]))
    assert counts.shape == (2, 2) and counts[1, 0] > counts[0, 0]
    with pytest.raises(InputError, match="search space"):
        networks.count("transnas_micro", (0,) * 6)
    with pytest.raises(InputError, match="op code"):
        networks.count("nb201", (5, 0, 0, 0, 0, 0))
    with pytest.raises(InputError, match="input size"):
        networks.count("nb201", (0,) * 6, 2)
    with pytest.raises(InputError, match="image"):
        networks.build_network("nb201", (0,) * 6, image="mnist")
    with pytest.raises(InputError, match="structure"):
        networks.count("transnas_macro", (4, 1, 4, 1, 4, 0), structure="head")
