"""Dataset analyses: how predictable a dataset is from its own cells."""

from __future__ import annotations

from hwlib import analysis


def test_own_data_fit_ranks_a_clean_device_nearly_perfectly_and_a_noisy_one_far_less(require_data):
    fit = analysis.own_data_fit(["help-titan_rtx_256", "transnas_micro-jigsaw"]).set_index("dataset")
    assert list(fit.columns) == ["architectures", "kendalltau", "spearman"]
    assert fit.loc["transnas_micro-jigsaw", "architectures"] == 4096
    assert fit.loc["help-titan_rtx_256", "kendalltau"] > 0.95          # a GPU's table: the architecture's cost
    assert fit.loc["transnas_micro-jigsaw", "kendalltau"] < 0.6         # the micro stand-in: mostly not
    assert (fit["spearman"] >= fit["kendalltau"]).all()
