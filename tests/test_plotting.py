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


def test_per_dataset_figure_has_a_panel_per_dataset_with_its_lookup_table():
    import matplotlib
    matplotlib.use("Agg")
    import pandas as pd

    rows = [{"benchmark": b, "dataset": f"{b}{d}", "predictor": p, "nominal_train_size": n, "seed": s,
             "kendalltau": 0.1 * d + n / 1000}
            for b, count in [("hwnas", 6), ("transnas", 2)] for d in range(count) for p in ("lr", "gcn")
            for n in (5, 50, 500) for s in range(2)]
    lut = pd.Series({"hwnas0": 0.3, "transnas1": 0.4})
    fig = plotting.plot_per_dataset(pd.DataFrame(rows), lut, {"hwnas": "HW-NAS-Bench", "transnas": "TransNAS"},
                                    ncols=5)
    drawn = [ax for ax in fig.axes if ax.axison]
    assert len(fig.axes) == 15 and len(drawn) == 8       # rows: 2 for six HW datasets, 1 for two TransNAS
    assert [ax.get_title() for ax in drawn][:2] == ["hwnas0", "hwnas1"]
    first = drawn[0]
    assert len(first.lines) == 3                         # two predictors and the lookup table
    assert first.lines[0].get_ydata().tolist() == [0.005, 0.05, 0.5]
    assert len(drawn[1].lines) == 2                      # no lookup table for hwnas1
    assert {t.get_text() for t in fig.legends[0].get_texts()} == {"Linear Regression", "GCN", "Lookup Table"}
    own = plotting.plot_per_dataset(pd.DataFrame(rows), lut, {"hwnas": "HW-NAS-Bench", "transnas": "TransNAS"},
                                    own_fit=pd.Series({"hwnas1": 0.9}))
    dotted = [line for ax in own.axes for line in ax.lines if line.get_linestyle() == ":"]
    assert len(dotted) == 1 and dotted[0].get_ydata()[0] == 0.9          # only where the dataset has one


def test_tuning_figure_draws_tuned_and_default_per_group():
    import matplotlib
    matplotlib.use("Agg")
    import pandas as pd

    effect = pd.DataFrame([{"group": g, "predictor": p, "train_size": n, "default": 0.5, "tuned": 0.5 + n / 1000,
                            "se": 0.01} for g in ("macro", "micro") for p in ("ridge", "mlp_small") for n in (18, 65)])
    fig = plotting.plot_tuning(effect)
    assert [ax.get_title() for ax in fig.axes] == ["macro", "micro"]
    lines = fig.axes[0].lines
    assert len(lines) == 4 and [ln.get_linestyle() for ln in lines[:2]] == ["--", "-"]
    assert lines[1].get_ydata().tolist() == [0.518, 0.565]


def test_query_times_figure_draws_each_recorded_predictor_and_the_papers_bound():
    import matplotlib
    matplotlib.use("Agg")
    import pandas as pd

    times = pd.DataFrame({5: [0.001, 0.1, 0.002], 11: [0.001, 0.12, float("nan")]},
                         index=pd.MultiIndex.from_tuples([("hwnas", "lr"), ("hwnas", "ngb"), ("transnas", "lr")],
                                                         names=["benchmark", "predictor"]))
    fig = plotting.plot_query_times(times, {"hwnas": "HW-NAS-Bench", "transnas": "TransNAS"}, limit=0.05)
    hw, trans = fig.axes[:2]
    assert len(hw.lines) == 3 and len(trans.lines) == 2          # the predictors and the bound
    assert hw.lines[1].get_ydata().tolist() == [0.1, 0.12]
    assert list(hw.lines[-1].get_ydata()) == [0.05, 0.05] and hw.get_yscale() == "log"
    assert trans.lines[0].get_xdata().tolist() == [5]            # a size without a record is left out
