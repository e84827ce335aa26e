"""Figure 1's curves, the lookup-table crossing and variants compared, on synthetic records."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hwlib import comparison as C
from hwlib.errors import InputError


def test_curves_mean_and_standard_error(study_records):
    curve = C.curves(study_records(lambda b, p, s: 0.5))
    row = curve.iloc[0]
    assert row["mean"] == pytest.approx(0.5) and row["seeds"] == 3
    assert row["se"] == pytest.approx(np.std([-0.01, 0, 0.01], ddof=1) / np.sqrt(3))


def test_a_point_missing_a_dataset_is_left_out_not_averaged_over_fewer(study_records):
    records = study_records(lambda b, p, s: 0.9 if b == "hwnas" else 0.5)
    records.loc[records["dataset"] == "hwnas1", "kendalltau"] -= 0.4      # hwnas1 is the hard one
    gap = (records["predictor"] == "gp") & (records["nominal_train_size"] == 124) & (records["dataset"] == "hwnas1")
    records.loc[(records["predictor"] == "ridge") & (records["dataset"] == "hwnas1"), "kendalltau"] = np.nan
    partial = records[~gap]                                               # gp's 124 on hwnas1 not yet computed
    table = C.curve_table(C.curves(partial), "hwnas")
    assert np.isnan(table.loc["gp", 124]) and table.loc["gp", 55] == pytest.approx(0.7, abs=0.02)
    assert table.loc["ridge", 124] == pytest.approx(0.9, abs=0.02)       # undefined tau counts as present
    assert C.curve_table(C.curves(partial, complete=False), "hwnas").loc["gp", 124] == pytest.approx(0.9, abs=0.02)
    assert len(C.every_dataset(partial)) == len(partial) - 3 * 1         # gp at 124 on hwnas0: 3 seeds dropped
    assert C.every_dataset(partial.iloc[:0]).empty


def test_size_reaching_interpolates_in_log_size():
    row = pd.Series([0.6, 0.7, 0.9], index=[10, 100, 1000])
    assert C.size_reaching(row, 0.8) == pytest.approx(np.sqrt(100 * 1000))
    assert C.size_reaching(row, 0.5) == 10 and np.isnan(C.size_reaching(row, 0.95))


def test_best_per_dataset_reads_the_size_nearest_below(study_records):
    records = study_records(lambda b, p, s: 0.9 if (p == "gp") == (s < 100) else 0.5)
    best = C.best_per_dataset(records, near=124).set_index("dataset")
    assert list(best.index) == ["hwnas0", "hwnas1", "transnas0", "transnas1"]
    assert best.loc["hwnas0", "train_size"] == 124 and best.loc["transnas0", "train_size"] == 123
    assert best.loc["hwnas0", "predictor"] != "gp"             # at 124, gp is at 0.5
    early = C.best_per_dataset(records, near=60).set_index("dataset")
    assert (early["predictor"] == "gp").all() and early.loc["hwnas0", "train_size"] == 55
    assert C.best_per_dataset(records, near=1).loc[0, "train_size"] == 5   # none that small: the smallest


@pytest.mark.parametrize("space,rank", [("nb201", 25), ("transnas_micro", 19), ("transnas_macro", 21)])
def test_least_squares_rank_is_below_the_column_count(require_data, space, rank):
    from hwlib.encodings import encode
    from hwlib.data import space_archs

    assert C.least_squares_rank(space) == rank
    assert rank < encode(space_archs(space)[:1], "onehot", space).shape[1] + 1


def test_least_squares_dips_read_the_size_nearest_the_rank(require_data, study_records):
    curve = C.curves(study_records(lambda b, p, s: 0.1 if (p == "lr" and s in (25, 18)) else 0.5))
    dips = C.least_squares_dips(curve).set_index("benchmark")
    assert dips.loc["hwnas", ["rank", "train_size"]].tolist() == [25, 25]
    assert dips.loc["transnas", ["rank", "train_size"]].tolist() == [19, 18]
    assert dips["lr"].round(6).tolist() == [0.1, 0.1] and dips["ridge"].round(6).tolist() == [0.5, 0.5]
    far = C.curves(study_records(lambda b, p, s: 0.5).query("nominal_train_size > 100"))
    assert C.least_squares_dips(far).empty            # no size near the rank


def test_undefined_share_counts_runs_without_a_tau(study_records):
    records = study_records(lambda b, p, s: 0.5)
    records.loc[records.index[records["predictor"] == "mlp_large"][:7], "kendalltau"] = np.nan
    share = C.undefined_share(records, ["mlp_large", "bananas"])
    assert share.loc["mlp_large", "undefined"] == 7 and share.loc["bananas", "undefined"] == 0
    assert share.loc["mlp_large", "runs"] == (records["predictor"] == "mlp_large").sum()


def test_variant_effect_runs_both_variants_on_the_same_splits(tmp_path, require_data):
    from hwlib.store import Store

    store = Store(tmp_path / "results")
    datasets = ["cifar10-raspi4_latency", "cifar10-pixel3_latency"]
    table = C.variant_effect(datasets, ["ridge"], {"strong": {"alpha": 1e6}, "default": {}}, [25], range(2),
                             store=store)
    assert list(table.columns) == ["strong", "default", "difference"]
    row = table.loc[("ridge", 25)]
    assert row["difference"] == pytest.approx(row["strong"] - row["default"]) and row["difference"] < 0
    # both variants are stored: read back without computing anything
    again = C.variant_effect(datasets, ["ridge"], {"strong": {"alpha": 1e6}, "default": {}}, [25], range(2),
                             store=store, compute=False)
    pd.testing.assert_frame_equal(again, table)
    with pytest.raises(ValueError, match="two variants"):
        C.variant_effect(datasets, ["ridge"], {"a": {}}, [25], range(2), store=store)
    nothing = C.variant_effect(datasets, ["ridge"], {"a": {"alpha": 2.0}, "b": {}}, [25], range(2),
                               store=Store(tmp_path / "empty"), compute=False)
    assert nothing.empty and list(nothing.columns) == ["a", "b", "difference"]


def test_query_time_table_takes_the_median_of_the_cells_that_record_one(study_records):
    records = study_records(lambda b, p, s: 0.5)
    records["query_time"] = np.where(records["predictor"] == "svr", records["seed"] + 1.0, np.nan)
    records.loc[(records["predictor"] == "svr") & (records["seed"] == 2), "query_time"] = 10.0
    table = C.query_time_table(records)
    assert set(table.index.get_level_values("predictor")) == {"svr"}     # the others record none
    assert (table.loc[("hwnas", "svr")].dropna() == 2.0).all()              # median of 1, 2, 10 at each size
    assert C.query_time_table(records.drop(columns="query_time")).empty


def test_measure_query_times_times_each_predictor_on_the_test_set(require_data):
    out = C.measure_query_times("cifar10-raspi4_latency", ["lr", "mlp_small"], train_size=11, repeats=2)
    assert out.index.tolist() == ["lr", "mlp_small"]
    assert (out["test_archs"] == 625).all() and (out["train_size"] == 11).all()
    assert (out["query_s"] > 0).all()
    assert out["per_arch_us"].to_numpy() == pytest.approx(1e6 * out["query_s"].to_numpy() / 625)
    with pytest.raises(InputError, match="train size 20000"):
        C.measure_query_times("cifar10-raspi4_latency", ["lr"], train_size=20000)
