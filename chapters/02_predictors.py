# ---
# jupyter:
#   jupytext:
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {name: python3, display_name: Python 3, language: python}
# ---

# %% [markdown]
# # Predictor comparison
#
# How well does each predictor rank unseen architectures by their hardware cost, as a function of
# how many measured architectures it was trained on? This chapter reruns the paper's Figure 1:
# Kendall tau on 625 (HW-NAS-Bench) or 256 (TransNAS-Bench-101) test architectures, for 11
# training sizes, averaged over seeds and then over the five hard datasets of each benchmark. The
# training sets of one seed are nested; the seed fixes the split and the model.
#
# In the `full` profile the chapter renders from the committed results of the full study
# (`results/`, grown by `hwlib study run`; `hwlib study plan` says how far it is); the `quick`
# profile computes a subset anew and checks it against the committed cells it shares.

# %% tags=["parameters"]
import os

profile = os.environ.get("HWLIB_PROFILE", "full")  # "quick" (CI, minutes, computed now) or "full" (the committed results): hwlib.profiles
predictors = None      # predictor names; None: every trained predictor
seeds = None           # number of seeds; None: the profile's (3 quick, 50 full)
size_indices = None    # which of the 11 protocol sizes; None: the profile's ([1, 3, 5, 7] quick, all full)
hpo_budget = None      # seconds of hyperparameter search per fit for the tuned predictors; None: defaults
heavy = None           # slow-to-train predictors, run on fewer seeds and sizes; None: the profile's
heavy_seeds = None     # seeds of the heavy predictors; None: 1 (quick) or 10 (full)
heavy_max_size = None  # largest training size of the heavy predictors; None: 55 (quick) or 3036 (full)
compute = None         # compute cells missing from the store; None: yes (quick), no (full)
budget = 124           # measured architectures of a new device, for "What to expect with your budget"
select_from = 1000     # candidates a hardware-aware search selects among, for the same section
tuning_seeds = None    # seeds of "What the brief tuning changes"; None: 2 (quick) or 10 (full)
tuning_max_iter = None # candidates per search there, the defaults included; None: 3 (quick) or 20 (full)
query_size = None      # training size of the query times measured in "Query time"; None: 25 (quick) or 124 (full)
n_jobs = 2             # worker processes computing missing cells (one thread each)

# %%
import math

import pandas as pd
from IPython.display import Markdown, display

from hwlib import analysis, claims as paper_claims, comparison, data, expectations, plotting, profiles, scorecard, study, tuning
from hwlib.predictors import REGISTRY, labels_in_words

pd.set_option("display.max_colwidth", None)  # tables show their text whole

overrides = dict(predictors=predictors, seeds=seeds, size_indices=size_indices, hpo_budget=hpo_budget,
                 heavy=heavy, heavy_seeds=heavy_seeds, heavy_max_size=heavy_max_size, compute=compute,
                 tuning_seeds=tuning_seeds, tuning_max_iter=tuning_max_iter, query_size=query_size)
cfg = profiles.settings("predictors", profile, **overrides)
results = study.results(profile, n_jobs=n_jobs, **overrides)
benchmarks = {"hwnas": data.hard_datasets("hwnas"), "transnas": data.hard_datasets("transnas")}
micro = benchmarks["transnas"][0].startswith("transnas_micro")
titles = {"hwnas": "HW-NAS-Bench", "transnas": "TransNAS-Bench-101" + (" (micro stand-in)" if micro else "")}
labels = {p: s.label for p, s in REGISTRY.items()}
lut_mean, lut = comparison.lut_means(benchmarks)
curve = comparison.curves(results)

# %% tags=["hide-input"]
plan = study.plan("full")
heavy_names = sorted(set(cfg.heavy) & set(results["predictor"]))
check = study.agreement(results) if profile == "quick" else None
display(Markdown(
    f"**This build** ({profile} profile): {len(results)} runs of {results['predictor'].nunique()} predictors, "
    f"{cfg.seeds} seeds and {len(cfg.size_indices)} training sizes"
    + (f" ({', '.join(labels[p] for p in heavy_names)}: {cfg.heavy_seeds} seed(s), sizes up to {cfg.heavy_max_size})"
       if heavy_names else "")
    + f", on {', '.join(benchmarks['hwnas'])} and {', '.join(benchmarks['transnas'])}. "
    + (f"The committed full study is complete: all {plan['cells_total']} cells, {plan['cpu_hours_done']:.1f} "
       "CPU-hours. " if plan["cells_done"] == plan["cells_total"] else
       f"The committed full study holds {plan['cells_done']} of its {plan['cells_total']} cells "
       f"({math.floor(1000 * plan['cells_done'] / plan['cells_total']) / 10:g}%; {plan['cpu_hours_done']:.1f} "
       f"CPU-hours spent, about {plan['cpu_hours_left']:.1f} left). ")
    + (f"Computed anew, this build's runs agree with the committed ones on {check['shared']} shared cells "
       f"({check['differ']} differ; largest difference {check['max_abs_diff']:.2g}"
       + (f"; {check['other_kernels']['cells']} were made on other kernels, another CPU's arithmetic, and agree "
          f"in the mean: Kendall tau {check['other_kernels']['mean']:+.4f}, s.e. {check['other_kernels']['se']:.4f}"
          if check["other_kernels"]["cells"] else "") + ")." if check else
       "Cells not yet committed are absent from the figures (a curve ends early or is missing); a point "
       "stands once every dataset of its benchmark holds it, never as the mean of some of them.")
    + (" Tuned predictors ran with their defaults (the paper tuned them briefly: section 'What the brief "
       "tuning changes' measures what that changes; `hpo_budget` tunes them here)."
       if cfg.hpo_budget is None else f" Tuned predictors searched for {cfg.hpo_budget} s per fit.")))

# %% [markdown]
# ## The paper's Figure 1
#
# **Figure 2.1.** Mean Kendall tau per predictor against the number of training samples, top
# HW-NAS-Bench, bottom TransNAS-Bench-101. Left: absolute, with a band of one standard error over
# seeds; the black line is the lookup table (its tau over all architectures, mean of the five
# datasets). Right: the same curves minus the mean over predictors at each size, which makes the
# ranking easier to read.

# %% tags=["hide-input"]
plotting.plot_figure1(curve, lut_mean, titles);

# %% tags=["hide-input"]
largest = {n: data.load_dataset(n).n_archs - 625 for n in benchmarks["hwnas"]}
clipped = {n: size for n, size in largest.items() if size < 15000}
display(Markdown(
    f"The largest HW-NAS-Bench size, plotted at 15000, is {', '.join(f'{s}' for s in sorted(set(clipped.values())))} "
    f"on {', '.join(clipped)} (these tables have {clipped and min(clipped.values()) + 625} architectures, so "
    "the pool after the 625 test architectures is smaller); the point averages what each dataset allows."
    if clipped else "Every HW-NAS-Bench dataset allows the largest size, 15000."))

# %% [markdown]
# **Figure 2.2.** Figure 2.1 with Spearman's rank correlation (top pair of rows) and Pearson's
# correlation (bottom pair) in place of Kendall tau.

# %% tags=["hide-input"]
others = {metric: comparison.curves(results, metric) for metric in ["spearman", "pearson"]}
for metric, other in others.items():
    plotting.plot_figure1(other, pd.Series(dtype=float), titles, metric_label=metric.capitalize());
agree = {metric: comparison.ranking_agreement(curve, other) for metric, other in others.items()}
display(Markdown("Against Kendall tau, the order of the predictors at a training size agrees with a mean Kendall "
                 "tau of " + " and ".join(f"{a['rank_tau']:.2f} ({m.capitalize()}, whose values lie above Kendall "
                                         "tau's at " + ("every one" if a["higher"] == 1 else
                                                        f"{math.floor(100 * a['higher'])}%")
                                         + " of the curves' points)" for m, a in agree.items()) + "."))

# %% [markdown]
# ## The paper's claims, checked
#
# Each statement the paper makes about the predictors in Section 4 (and where Sections 5 and 6
# restate one), in the paper's order, with the number this build computes and a verdict. Where the
# paper's words are qualitative, the claim says how it is measured: "saturate" and "benefit from more
# samples" compare a predictor's gain in tau from 276 to 3036 samples (sizes every predictor of the
# full profile runs at) with the median predictor's gain; "decently" and "advantage" compare it with
# the median of the other predictors at each size; where a curve beats the lookup table is read off
# it as off the paper's figure, interpolated in log size (Table 2.2 below gives the grid size).
# A claim needs the sizes and predictors it speaks of; while some of them are not yet in the
# results, its verdict is "provisional": checked on the predictors that are complete for it, with
# what still is missing named (a predictor, and the largest size it has). In the quick profile
# several are "not run" or rest on a few seeds. The TransNAS claims are checked here on the
# micro-space stand-in; chapter "Your own device" checks them again on the real macro space, with
# this project's CPU latency (its Table 5.7).

# %% tags=["hide-input"]
capped = {p: cfg.heavy_max_size for p in cfg.heavy}  # run up to this size by design
claims = paper_claims.check_claims(curve, lut_mean, paper_claims.seed_counts(results), comparison.stand_ins(),
                                   capped=capped)
display(Markdown(f"**Table 2.1.** The paper's claims about predictors: {(claims['verdict'] == 'reproduced').sum()} "
                 f"of {len(claims)} reproduced, {(claims['verdict'] == 'differs').sum()} differ, "
                 f"{(claims['verdict'] == 'provisional').sum()} provisional, "
                 f"{(claims['verdict'] == 'not run').sum()} not run in this build."))
scorecard.styled(claims.drop(columns="reads"))

# %% tags=["hide-input"]
paper_lut = scorecard.paper_lut_means()
against = paper_claims.lut_claims(curve, paper_lut, capped=capped)
display(Markdown(
    "**Against the paper's lookup table.** The claims about beating the lookup table compare two things: the "
    "predictors and the table. Ours reaches a mean tau of "
    + ", ".join(f"{lut_mean[b]:.3f} on {titles[b]} against the paper's {paper_lut[b]:.3f}"
                for b in lut_mean.index if b in paper_lut)
    + ". Against the paper's means instead, they read: "
    + "; ".join(f"\"{r.claim}\": {r.ours} ({r.verdict})" for r in against.itertuples()) + "."))

# %% tags=["hide-input"]
dips = comparison.least_squares_dips(curve)
display(Markdown(
    "**Why Linear Regression dips.** Its curve falls where the number of training samples reaches the rank of "
    "its design (the one-hot encoding and an intercept; each edge's columns sum to one, so the rank is below "
    "the column count): there ordinary least squares fits the training set exactly (its minimum-norm "
    "solution), and its test error peaks, the interpolation peak of 'double descent'. Ridge's penalty "
    "avoids it. "
    + ("Here: " + "; ".join(f"on {titles[r.benchmark]} at {r.train_size} samples (the design's rank: {r.rank}), "
                            f"tau {r.lr:.3f} against Ridge's {r.ridge:.3f}" for r in dips.itertuples()) + "."
       if len(dips) else "This build has no training size near the ranks "
       f"({comparison.least_squares_rank('nb201')} on NB201, {comparison.least_squares_rank('transnas_micro')} "
       "on the TransNAS micro space), or lacks Linear or Ridge Regression.")))

# %% [markdown]
# ## Against the lookup table
#
# **Table 2.2.** The smallest training size at which each predictor's mean tau beats the lookup
# table's (a dash: not within the sizes run).

# %% tags=["hide-input"]
crossing = comparison.lut_crossing(curve, lut_mean).rename(index=labels, columns=titles)
crossing.astype("Int64").astype(str).replace("<NA>", "-")

# %% tags=["hide-input"]
display(Markdown(
    "The lookup table's tau per dataset (its mean per benchmark, beside the paper's, is given above Table 2.2): "
    + ", ".join(f"{r.dataset} {r.kendalltau:.2f}" + ("" if r.base_reason == "the protocol's base" else " (another base)")
                for r in lut.itertuples())
    + ". Datasets marked 'another base' lack cells of the protocol's base neighbourhood (chapter "
    "'Lookup tables' shows how much the base alone changes a table's tau)."))

# %% [markdown]
# ## The graph and path predictors on TransNAS-Bench-101
#
# The paper did not run BANANAS, BONAS, GCN and NAO on TransNAS-Bench-101: its macro networks are
# purely sequential. On the micro stand-in used here the cells do have connectivity, so they run.
# **Figure 2.3** shows the centred TransNAS panel with them (left) and, as the paper drew it, without
# them (right): centring on the mean over predictors depends on who is in the mean.

# %% tags=["hide-input"]
graph = ["bananas", "bonas", "gcn", "nao"]
without = curve[~((curve["benchmark"] == "transnas") & curve["predictor"].isin(graph))]
plotting.plot_centred_pair(curve, without, "transnas", titles["transnas"]);

# %% [markdown]
# ## GCN and BONAS as the released code trained them
#
# The paper's released code never reset the gradients of GCN and BONAS between steps (they
# accumulate over the whole run), and GCN dropped the last incomplete batch even when it was the
# only one, so with fewer than 7 training samples it never trained at all. Here both train as the
# protocol says; **Table 2.3** measures what the released code's way changes at small sizes, on the
# same splits (mean Kendall tau over the five HW-NAS datasets).

# %% tags=["hide-input"]
quirks = comparison.released_code_effect(benchmarks["hwnas"], cfg.quirk_sizes, range(cfg.quirk_seeds),
                                         store=study.study_store(profile, cfg.compute), compute=cfg.compute,
                                         n_jobs=n_jobs)
display(quirks.rename(index=labels, level=0).round(3))
worst = quirks["difference"].abs().idxmax()
display(Markdown(
    f"**Table 2.3.** GCN and BONAS trained as the protocol says and as the released code did ({cfg.quirk_seeds} "
    f"seed(s)). The largest difference is {quirks['difference'][worst]:+.3f} ({labels[worst[0]]} at {worst[1]} "
    f"samples); at 5 samples GCN's released-code tau is "
    + (f"{quirks.loc[('gcn', 5), 'released']:.3f}" if ('gcn', 5) in quirks.index else "not run")
    + " (an untrained network ranks by its random initialisation)."))

# %% [markdown]
# ## What the grid costs
#
# **Figure 2.4.** Mean fit time per model against training size (CPU seconds on one core, including
# any hyperparameter search; torch models that train their seeds as one stacked model report the
# stack's time divided by its seeds, which until 2 December 2026 included predicting the test set:
# section "Query time"). Records up to 30 November 2026 hold wall seconds of a runner that shared
# its machine with other work, so some of them run long; the few that a paused run had inflated
# many times over were computed again.

# %% tags=["hide-input"]
times = comparison.fit_time_table(results)
plotting.plot_fit_times(times, titles);

# %% tags=["hide-input"]
committed = study.plan("full")["by_predictor"]
display(Markdown(
    "**Table 2.4.** CPU-hours of the full study per predictor: spent on the committed cells (from their "
    "recorded fit times) and the estimate of what is left."))
pd.DataFrame(committed).set_index("predictor").rename(index=labels)[
    ["cells_done", "cells_total", "cpu_hours_done", "cpu_hours_left"]].round(2)

# %% tags=["hide-input"]
protocol = {r["predictor"]: r for r in study.plan("full", heavy=())["by_predictor"]}
heavy_hours = sum(protocol[p]["cpu_hours_left"] + protocol[p]["cpu_hours_done"] for p in cfg.heavy if p in protocol)
rest_hours = sum(r["cpu_hours_left"] + r["cpu_hours_done"] for p, r in protocol.items() if p not in cfg.heavy)
heavy_text = labels_in_words(cfg.heavy)
display(Markdown(
    f"**The heavy predictors.** Trained as the protocol says, GCN takes 300 epochs at batch size 7 (some "
    f"{15000 // 7} optimiser steps per epoch at 15000 samples), and NAO trains an LSTM encoder-decoder. At the "
    f"protocol's grid (50 seeds, all 11 sizes), {heavy_text} would cost an estimated "
    f"{heavy_hours:.0f} CPU-hours, the other predictors together {rest_hours:.0f} (estimates from the recorded fit "
    f"times where there are any, else from priors). The full profile therefore runs them on {cfg.heavy_seeds} seeds "
    f"and sizes up to {cfg.heavy_max_size}: their curves stop there, and their bands are wider. The parameters "
    "`heavy`, `heavy_seeds` and `heavy_max_size` restore the protocol's grid (`hwlib study run` computes it)."))

# %% tags=["hide-input"]
undefined = results[results["kendalltau"].isna()].groupby(["benchmark", "predictor"])["nominal_train_size"].unique()
dead = comparison.undefined_share(results, ["mlp_large", "bananas"])
display(Markdown(
    "Every run has a defined Kendall tau." if undefined.empty else
    "Kendall tau is undefined (NaN, left out of the means) where a model predicts the same value for every "
    "test architecture: " + "; ".join(f"{labels[p]} on {titles[b]} at {', '.join(map(str, sorted(n)))} samples"
                                     for (b, p), n in undefined.items())
    + (". LightGBM needs 5 samples in each leaf (`min_data_in_leaf`) and fits each tree on a bag of about "
       "80 % of the training set, so it cannot split at all when that bag holds fewer than 10: always below 10 "
       "samples, and in some runs at 10 to 12 (the bag's size varies), whose means then hold only the other runs."
       if "lgb" in undefined.index.get_level_values("predictor") else ".")
    + (" The deep, thin MLPs (20 ReLU layers of 20 units) sometimes die: every unit of a late layer is "
       "inactive on every input, and the network outputs a constant; "
       + ", ".join(f"{labels[p]} in {r.undefined} of {r.runs} runs" for p, r in dead.iterrows())
       + ". Leaving those runs out flatters their means a little; counting them as a tau of 0 (a constant "
       "ranks nothing) would scale them down by that share of runs." if dead["undefined"].any() else "")))

# %% [markdown]
# ## The numbers behind Figure 2.1
#
# **Table 2.5.** Mean Kendall tau over the five datasets, per predictor (rows) and training size
# (columns), HW-NAS-Bench then TransNAS-Bench-101.

# %%
for bench in titles:
    display(comparison.curve_table(curve, bench).rename(index=labels).round(3))

# %% [markdown]
# ## Each dataset on its own
#
# Figure 2.1 averages over the five datasets of a benchmark. **Figure 2.5** shows each dataset
# alone (mean over seeds), with its lookup table as the black line and, dotted, how well the
# dataset's own cells rank it out of fold with LightGBM (chapter "Datasets", Table 1.4), a
# reference for how much of it the architecture explains. A user with one device would read their
# own device's panel, or the one most like it.

# %% tags=["hide-input"]
own_fit = analysis.own_data_fit(list(dict.fromkeys(results["dataset"]))).set_index("dataset")["kendalltau"]
plotting.plot_per_dataset(results, lut.set_index("dataset")["kendalltau"], titles, own_fit=own_fit);

# %% tags=["hide-input"]
leaders = comparison.best_per_dataset(results, near=124)
display(Markdown(
    "**Figure 2.5.** Mean Kendall tau per predictor against training size on each dataset (panels), "
    "HW-NAS-Bench above, TransNAS-Bench-101 below; the black line is the dataset's lookup table, the dotted one "
    "its own out-of-fold fit. The best predictor near 124 samples on each: "
    + "; ".join(f"{r.dataset} {labels[r.predictor]} ({r.kendalltau:.2f} at {r.train_size})" for r in leaders.itertuples())
    + "."))
size_col = "nominal_train_size" if "nominal_train_size" in results else "train_size"
per_dataset = results.groupby(["dataset", "predictor", size_col])["kendalltau"].mean().reset_index()
largest = per_dataset[per_dataset[size_col] == per_dataset.groupby("dataset")[size_col].transform("max")]
best_last = largest.groupby("dataset")["kendalltau"].max()
short_of = (own_fit - best_last).reindex(best_last.index)
above = (-short_of).sort_values()
display(Markdown(
    f"At the largest size run on each dataset, the best predictor ends {abs(short_of.mean()):.3f} "
    f"{'above' if short_of.mean() < 0 else 'below'} the dataset's own fit on average (from "
    f"{above.iloc[0]:+.3f} on {above.index[0]} to {above.iloc[-1]:+.3f} on {above.index[-1]}): "
    + ("it passes the own fit on every dataset, which is a reference, not a bound." if (short_of < 0).all() else
       "it stays below the own fit on every dataset." if (short_of > 0).all() else
       f"it passes the own fit on {int((short_of < 0).sum())} of {len(short_of)} datasets.")))

# %% [markdown]
# ## What to expect with your budget
#
# The paper's question from a user's side: with `budget` architectures measured on a new device
# (a parameter of this chapter), which predictor should one train, how well will it rank the
# rest, and what will that cost a hardware-aware selection among `select_from` candidates?
# `hwlib.expectations` reads the answer from this chapter's HW-NAS-Bench records (nothing is trained);
# between two of the study's sizes it interpolates in the logarithm of the size. The selection
# cost is the simulation of chapter "Selection simulation" at the same Kendall tau: the mean
# reduction in accuracy (percentage points) of the selection as predicted, and after measuring the
# selected architectures. On a command line: `hwlib expect --samples 124 --select-from 1000`.
# Once the device's measurements are at hand, they answer more closely: `hwlib compare --dataset
# my-device.csv` trains every predictor on them at a few training sizes, on the study's splits.

# %% tags=["hide-input"]
sim_trials = profiles.settings("simulation", profile).trials
found = expectations.expect(budget, "nb201", results=results[results["benchmark"] == "hwnas"],
                      select_from=select_from, trials=sim_trials)
close = found.close_to_best()
if close.empty:
    verdict = f"No predictor has records on both sides of {found.samples} samples yet. "
else:
    best = close.iloc[0]
    verdict = (f"Best: {labels[best['predictor']]} (tau {best['kendalltau']:.3f}); "
               + (f"within two standard errors of it: {', '.join(labels[p] for p in close['predictor'][1:])}. "
                  if len(close) > 1 else "no other predictor is within two standard errors of it. "))
display(Markdown(
    f"**Table 2.6.** What each predictor reaches with {found.samples} training architectures on "
    f"{', '.join(found.datasets)}: mean Kendall tau over seeds (each the mean over the datasets) with its "
    f"standard error, the {expectations.LOW}th and {expectations.HIGH}th percentile of single runs (one dataset, one seed: "
    f"what one fit may give), Spearman's rho, fit time (CPU seconds to train one model) and query time (CPU "
    f"milliseconds to predict its test set; none where the records hold none, see 'Query time' below), whether it "
    f"beats the lookup table "
    f"(tau {found.lut:.3f}), and the selection's mean reduction in accuracy among {select_from} candidates "
    f"({sim_trials} simulated trials per deviation level; empty below the lowest Kendall tau simulated, "
    f"{found.selection_floor:.2f}). " + verdict
    + (f"Not at hand at this size: {', '.join(f'{labels[p]} ({why})' for p, why in found.missing.items())}."
       if found.missing else "")))
found.table.assign(predictor=found.table["predictor"].map(labels), query_seconds=1e3 * found.table["query_seconds"]
                   ).rename(columns={"query_seconds": "query (ms)"}).set_index("predictor").round(3)

# %% [markdown]
# **Figure 2.6.** What one fit may give: for the five best predictors of Table 2.6, the mean Kendall
# tau against training size (line) and the band from the 10th to the 90th percentile of single runs
# (one dataset, one seed), HW-NAS-Bench; the dotted line marks `budget`.

# %% tags=["hide-input"]
top = list(found.table["predictor"][:5])
plotting.plot_spread(expectations.spread(results[results["benchmark"] == "hwnas"], top), budget);

# %% [markdown]
# ## What the brief tuning changes
#
# Everything above ran each predictor at its defaults. The paper tuned seven of them briefly before
# every fit on 10 samples or more (PROTOCOL.md: random search, the defaults first, 3-fold
# cross-validated Kendall tau; 900 s per 1000 samples). `hwlib.tuning` runs that search on the
# same splits, with a fixed number of candidates instead of a time budget (a record then does not
# depend on the machine, so it can be committed and recomputed), and pairs each tuned run with the
# default run of the same cell. It runs where the paper's claims that tuning could touch live: on
# TransNAS, Ridge, SVR and both MLPs (the claims about the MLPs), on the real macro space with this
# project's CPU latency (chapter "Your own device") and on the micro stand-ins of this chapter; on
# HW-NAS-Bench, those four and BONAS and BANANAS at 11, 25 and 55 samples (the claims about beating
# the lookup table with few samples). GCN stays at its defaults: 20 candidates of its 300-epoch
# training, 3 folds each, would cost more than the rest of the tuning grid together, and GCN leads
# at these sizes untuned (Table 2.8). On a command line: `hwlib study tune`.

# %% tags=["hide-input"]
tuned, tuned_defaults = tuning.results(profile, **overrides)
gains = tuning.effect(tuned, tuned_defaults)
best_both = tuning.standing(tuned, tuned_defaults)
tcfg = profiles.settings("predictors", profile, **overrides)
if gains.empty:
    display(Markdown("No tuned cells are stored yet: run `hwlib study tune --profile full` (or the quick profile)."))
else:
    at = gains[gains["train_size"] == (tuning.TUNING_SIZE if tuning.TUNING_SIZE in set(gains["train_size"])
                                         else gains["train_size"].min())]
    top = at.loc[at["gain"].idxmax()]
    display(Markdown(
        f"**Table 2.7.** Tuned against default Kendall tau ({int(gains['seeds'].max())} seeds"
        + (", fewer where a tau is undefined on one side" if gains["seeds"].nunique() > 1 else "") + ", "
        f"{tcfg.tuning_max_iter} candidates per search): the mean over seeds of each group's datasets, the "
        f"paired gain and its standard error, the share of seeds where tuning helped, the share of searches "
        f"that kept the defaults, the CPU seconds of a tuned fit (search included) and that over the study's "
        f"default fit of the same cells (for the MLPs a seed's share of a stack, which trains many seeds at once). "
        f"Only cells run both ways count. "
        f"The largest gain at {int(top['train_size'])} samples: {labels[top['predictor']]} on the "
        f"{top['group']} datasets, {top['default']:.3f} to {top['tuned']:.3f} "
        f"({top['gain']:+.3f} +- {top['se']:.3f}), {top['fit_seconds']:.1f} CPU seconds a fit. "
        f"Across the table, tuning helps by more than two standard errors in "
        f"{int((gains['gain'] > 2 * gains['se']).sum())} of {len(gains)} rows and hurts by as much in "
        f"{int((gains['gain'] < -2 * gains['se']).sum())}."))
gains.assign(predictor=gains["predictor"].map(labels)).round(3).round({"fit_seconds": 1, "fit_factor": 0})

# %% [markdown]
# **Figure 2.7.** Table 2.7 as curves: tuned (solid, band of one standard error of the paired
# gain) and default (dashed) Kendall tau against training size.

# %% tags=["hide-input"]
plotting.plot_tuning(gains) if len(gains) else None;

# %% tags=["hide-input"]
if len(best_both):
    claim = next(c for c in paper_claims.CLAIMS if c.paper == "after ~20 samples")
    macro_rows = best_both[best_both["group"] == tuning.GROUPS["transnas_macro"]]
    display(Markdown(
        f"**Table 2.8.** The best predictor at each size, with every predictor at its defaults and with the "
        f"tuned ones tuned (the competitors: on TransNAS every predictor of the macro space's encoding, as the "
        f"paper compared there; on HW-NAS-Bench every predictor), on the cells (datasets x seeds) where every "
        f"predictor tuned on that benchmark has run. "
        f"The paper's claim ({claim.where}) \"{claim.text}\" "
        + (f"holds with tuning on the macro space at {int(macro_rows['mlp_best'].sum())} of {len(macro_rows)} "
           f"sizes ({', '.join(str(int(n)) for n in macro_rows.loc[macro_rows['mlp_best'], 'train_size']) or 'none'}), "
           f"against {int(macro_rows['best_default'].str.startswith('mlp').sum())} at the defaults."
           if len(macro_rows) else "is not checked in this build (no macro-space cells).")))
    display(best_both.assign(best_default=best_both["best_default"].map(labels),
                             best_tuned=best_both["best_tuned"].map(labels)).round(3))
    picks = tuning.choices(tuned)
    display(Markdown(
        "**Table 2.9.** What the searches chose: per predictor and parameter, the value chosen most often "
        "among the runs whose search changed anything, and how often; for a numeric parameter set to more than "
        f"{tuning.MANY_VALUES} distinct values (a learning rate drawn log-uniformly), the median choice."))
    display(picks.assign(predictor=picks["predictor"].map(labels)).round(3))

# %% tags=["hide-input"]
few, few_cells = tuning.few_sample_claims(results, tuned, lut_mean)
if len(few):
    hw_tuned = sorted(set(tuned.loc[tuned["dataset"].isin(benchmarks["hwnas"]), "predictor"]))
    display(Markdown(
        f"**Table 2.10.** The paper's HW-NAS claims about few samples, with every predictor at its defaults and "
        f"with {', '.join(labels[p] for p in hw_tuned)} tuned, on the same cells: "
        + ", ".join(f"{n} samples {k} (dataset, seed) cells" for n, k in sorted(few_cells.items()))
        + " (below 10 samples the protocol does not tune). Where a predictor beats the lookup table is "
          "interpolated in log size; a curve that has not by the largest size tuned counts as never. "
        + f"Tuning changes the verdict of {int((few['verdict_default'] != few['verdict_tuned']).sum())} "
          f"of {len(few)} claims."))
    display(few)
    few_paper, _ = tuning.few_sample_claims(results, tuned, paper_lut)
    display(Markdown(
        f"Against the paper's lookup-table mean ({paper_lut['hwnas']:.3f}) instead of ours "
        f"({lut_mean['hwnas']:.3f}), on the same cells: "
        + "; ".join(f"\"{r.paper}\": {r.default} at the defaults ({r.verdict_default}), {r.tuned} tuned "
                    f"({r.verdict_tuned})" for r in few_paper.itertuples()) + "."))

# %% [markdown]
# ## BOHAMIANN with a longer chain
#
# The released code sampled BOHAMIANN's networks for 100 steps of adaptive SGHMC (10 of burn-in,
# every 5th network kept), as the study does; pybnn, whose sampler it uses, defaults to 13000 steps
# (3000 of burn-in, every 100th kept). **Table 2.11** trains BOHAMIANN both ways on the same splits
# (mean Kendall tau over the five HW-NAS datasets): what the chain's length does to where its curve
# levels off, which the paper puts near 0.8 (Section 5) and this chapter's Figure 2.1 well below.

# %% tags=["hide-input"]
sampler = comparison.sampler_effect(benchmarks["hwnas"], cfg.sampler_sizes, range(cfg.sampler_seeds),
                                    store=study.study_store(profile, cfg.compute), compute=cfg.compute,
                                    n_jobs=n_jobs)
short, long_ = sampler.columns[1], sampler.columns[0]
done = sampler.dropna()
display(Markdown(
    f"**Table 2.11.** BOHAMIANN sampled for 13000 and for 100 steps ({cfg.sampler_seeds} seed(s)). With the "
    f"longer chain its best is {done[long_].max():.3f} (at {done[long_].idxmax()[1]} samples), against "
    f"{done[short].max():.3f} with the released code's; the difference (13000 minus 100 steps) "
    + (f"runs from {done['difference'].iloc[0]:+.3f} at {done.index[0][1]} to " if len(done) > 1 else "is ")
    + f"{done['difference'].iloc[-1]:+.3f} at {done.index[-1][1]} samples. A fit takes "
    f"{comparison.LONG_SAMPLER['num_steps'] // 100} times the steps."
    if len(done) else "**Table 2.11.** No cells of the longer chain are in the results yet."))
display(sampler.rename(index=labels, level=0).round(3))

# %% [markdown]
# ## Query time
#
# The paper closes its recommendations (Section 6) with: "the query time for all predictors is less
# than 0.05 s and thus negligible"; only training time tells them apart. **Figure 2.8** shows the
# recorded query times: CPU seconds for one fitted model to predict its test set (625 architectures
# on HW-NAS-Bench, 256 on TransNAS), the median over the cells of a training size, the paper's bound
# dashed. The torch models that train their seeds as one stacked model recorded their prediction
# inside the fit time until 2 December 2026, so most of their committed cells hold no query time;
# **Table 2.12** measures every predictor's instead, on the machine that builds this book.

# %% tags=["hide-input"]
query = comparison.query_time_table(results)
plotting.plot_query_times(query, titles, paper_claims.QUERY_TIME_LIMIT);

# %% tags=["hide-input"]
compared = list(dict.fromkeys(results["predictor"]))
query_claim = paper_claims.check_query_time(query, compared)
measured = comparison.measure_query_times(benchmarks["hwnas"][0], compared, cfg.query_size)
slow = measured[measured["query_s"] >= paper_claims.QUERY_TIME_LIMIT]
display(Markdown(
    "On the recorded query times the paper's claim "
    + {"reproduced": "holds", "differs": "differs", "provisional": "holds so far"}.get(query_claim["verdict"],
                                                                                     "cannot be checked")
    + f" ({query_claim['ours']}"
    + (f"; {query_claim['reason']}" if query_claim["reason"] else "") + "). "
    f"**Table 2.12.** Each predictor fitted once (seed 0, defaults) on {cfg.query_size} samples of "
    f"{benchmarks['hwnas'][0]} and timed predicting its {int(measured['test_archs'].iloc[0])} test architectures "
    "(the fastest of five, CPU seconds); beside it, the slowest median that the results record, at any size. "
    + (f"Measured now, {len(slow)} of {len(measured)} take 0.05 s or more: "
       + ", ".join(f"{labels[p]} {t:.3f} s" for p, t in slow["query_s"].sort_values(ascending=False).items())
       + ". Every one of them still predicts the whole search space of 15625 architectures in "
       f"{math.ceil(measured['per_arch_us'].max() * 15625 / 1e5) / 10:g} s or less."
       if len(slow) else f"Measured now, every predictor stays below {paper_claims.QUERY_TIME_LIMIT} s.")))
recorded = query.groupby(level="predictor").max().max(axis=1)
pd.DataFrame({"query (ms)": 1e3 * measured["query_s"], "per architecture (µs)": measured["per_arch_us"],
              "recorded, slowest median (ms)": 1e3 * recorded.reindex(measured.index)}
             ).rename(index=labels).round(2)
