"""hwlib.plotting: the predictor style map."""

from __future__ import annotations

import pytest

from hwlib import plotting
from hwlib.errors import InputError
from hwlib.predictors import REGISTRY


def test_every_registered_predictor_has_its_own_style():
    assert set(plotting.PREDICTOR_STYLE) == set(REGISTRY)
    styles = list(plotting.PREDICTOR_STYLE.values())
    assert len({color for color, _ in styles}) == len(styles)          # a colour names one predictor
    assert plotting.predictor_style("xgb") == {"color": "tab:gray", "marker": "*"}


def test_unknown_predictor_has_no_style():
    with pytest.raises(InputError, match="bogus"):
        plotting.predictor_style("bogus")
