import itertools

import numpy as np
import pytest

from hwlib.spaces import (SpaceError, get_space, macro_name_to_ops, macro_ops_to_name, micro_all,
                          micro_name_to_ops, micro_ops_to_name, nb201_ops_to_str, nb201_str_to_ops)


def test_nb201_string_round_trip_over_all_cells(nb201_cells):
    space = get_space("nb201")
    names = space.array_to_names(nb201_cells)
    assert len(set(names)) == 15625
    np.testing.assert_array_equal(space.names_to_array(names), nb201_cells)


def test_nb201_edge_order_follows_the_arch_string():
    arch = "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|"
    assert nb201_str_to_ops(arch) == (3, 1, 0, 4, 2, 0)
    assert nb201_ops_to_str((3, 1, 0, 4, 2, 0)) == arch


@pytest.mark.parametrize("bad", [
    "", "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|",            # unknown op
    "|none~1|+|none~0|none~1|+|none~0|none~1|none~2|",                 # wrong source node
    "|none~0|+|none~0|none~1|+|none~0|none~1|",                        # an edge short
    None, 42,
])
def test_malformed_nb201_strings_are_refused(bad):
    with pytest.raises(SpaceError, match="arch string"):
        nb201_str_to_ops(bad)


def test_macro_names_round_trip_and_pad():
    assert macro_name_to_ops("64-41414-basic") == (4, 1, 4, 1, 4, 0)
    assert macro_name_to_ops("64-112233-basic") == (1, 1, 2, 2, 3, 3)
    for ops in [(4, 1, 4, 1, 4, 0), (1, 2, 3, 4, 0, 0), (2, 2, 2, 2, 2, 2)]:
        assert macro_name_to_ops(macro_ops_to_name(ops)) == ops


@pytest.mark.parametrize("bad", ["64-111-basic", "64-1111111-basic", "64-41514-basic", "41414"])
def test_malformed_macro_names_are_refused(bad):
    with pytest.raises(SpaceError, match="macro"):
        macro_name_to_ops(bad)


@pytest.mark.parametrize("bad", [(1, 0, 1, 1, 0, 0), (1, 1, 1, 0, 0, 0), (5, 1, 1, 1, 0, 0)])
def test_invalid_macro_op_tuples_are_refused(bad):
    with pytest.raises(SpaceError):
        macro_ops_to_name(bad)


def test_micro_index_order_is_base4_with_last_edge_fastest():
    A = micro_all()
    assert A.shape == (4096, 6)
    assert micro_ops_to_name(A[0]) == "64-41414-0_00_000"
    assert micro_ops_to_name(A[1]) == "64-41414-0_00_001"
    assert micro_ops_to_name(A[4095]) == "64-41414-3_33_333"
    for ops in itertools.islice(itertools.product(range(4), repeat=6), 0, 4096, 97):
        assert micro_name_to_ops(micro_ops_to_name(ops)) == ops


def test_validate_names_the_problem():
    space = get_space("nb201")
    with pytest.raises(SpaceError, match="shape"):
        space.validate(np.zeros((3, 5), dtype=int))
    with pytest.raises(SpaceError, match="0..4"):
        space.validate(np.full((2, 6), 5))
    with pytest.raises(SpaceError, match="unknown search space"):
        get_space("nb101")
