"""Profiles resolve a chapter's settings in one place."""

from __future__ import annotations

import pytest

from hwlib.errors import InputError
from hwlib.profiles import SETTINGS, settings


def test_profiles_differ_and_overrides_win():
    quick, full = settings("predictors", "quick"), settings("predictors", "full")
    assert quick.seeds < full.seeds == 50 and len(full.size_indices) == 11
    assert settings("predictors", "full", seeds=7).seeds == 7
    assert settings("predictors", "full", seeds=None).seeds == 50      # None keeps the profile's value
    assert {"profile"} | set(SETTINGS["simulation"]) == set(vars(settings("simulation", "quick")))


@pytest.mark.parametrize("args, match", [(("predictors", "Full"), "unknown profile 'Full'"),
                                         (("nope", "quick"), "unknown chapter 'nope'")])
def test_unknown_names_are_one_clear_error(args, match):
    with pytest.raises(InputError, match=match):
        settings(*args)


def test_unknown_setting_is_named():
    with pytest.raises(InputError, match="unknown setting.*sedes"):
        settings("predictors", "quick", sedes=3)


@pytest.mark.parametrize("name, value, match", [("seeds", -3, "positive whole number"), ("seeds", "5", "positive"),
                                                ("heavy", "gcn", "must be a list"), ("compute", 1, "True or False")])
def test_bad_values_are_named(name, value, match):
    with pytest.raises(InputError, match=match):
        settings("predictors", "full", **{name: value})
