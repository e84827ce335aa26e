"""hwlib.plotting: the predictor style map every figure shares."""

from __future__ import annotations

from hwlib import plotting
from hwlib.predictors import REGISTRY


def test_every_registered_predictor_has_its_own_style():
    assert set(plotting.PREDICTOR_STYLE) == set(REGISTRY)
    colors = [style["color"] for style in plotting.PREDICTOR_STYLE.values()]
    assert len(set(colors)) == len(colors)                              # a colour names one predictor
    assert plotting.predictor_style("xgb") == plotting.PREDICTOR_STYLE["xgb"]
    assert set(plotting.predictor_style("xgb")) == {"color", "marker"}


def test_unknown_predictor_gets_a_neutral_style():
    style = plotting.predictor_style("bogus")
    assert style["color"] not in {s["color"] for s in plotting.PREDICTOR_STYLE.values()}
