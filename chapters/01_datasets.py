# ---
# jupyter:
#   jupytext:
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {name: python3, display_name: Python 3, language: python}
# ---

# %% [markdown]
# # Datasets
#
# The study predicts hardware metrics of two benchmarks: **HW-NAS-Bench** (ten metrics of six
# devices for the 15625 NAS-Bench-201 cells, on three image datasets) and **TransNAS-Bench-101**
# (inference time of networks for seven vision tasks). This chapter shows every dataset at hand,
# how its architectures are covered, how the devices agree with each other, and re-runs the
# paper's rule for choosing the five "hard, non-redundant" datasets.
#
# Every table and number below is computed by `hwlib` when the chapter runs; rerun it with other
# parameters through papermill (`profile`, `rule_seeds`).

# %% tags=["parameters"]
import os

profile = os.environ.get("HWLIB_PROFILE", "full")  # "quick" (CI, minutes) or "full" (the paper's sizes): hwlib.profiles
rule_seeds = None      # seeds of the Linear-Regression rule; None: the profile's (5 quick, 50 full)

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from hwlib import analysis, data, plotting, profiles

pd.set_option("display.max_colwidth", None)  # tables show their text whole

cfg = profiles.settings("datasets", profile, rule_seeds=rule_seeds)
seeds = range(cfg.rule_seeds)
table = data.dataset_table()
hwnas = [n for n in table.name if n.startswith("cifar10-") and n != "cifar10-test_accuracy"]
micro = [n for n in table.name if n.startswith("transnas_micro-")]
help_devices = [n for n in table.name if n.startswith("help-")]

# %% [markdown]
# ## What is at hand
#
# The paper ran on the official HW-NAS-Bench pickle (27 datasets: 9 metrics on cifar10, cifar100
# and ImageNet16-120) and the official TransNAS-Bench-101 file (macro space, 3256 networks).
# The data layer uses the most complete source it finds; **Table 1.1** lists what this build found.

# %%
paper_hw, paper_tn = list(data.PAPER_HWNAS), [f"transnas-{t}" for t in data.PAPER_TRANSNAS_TASKS]
stand_hw, stand_tn = data.hard_datasets("hwnas"), data.hard_datasets("transnas")
coverage = pd.DataFrame({"paper's dataset": paper_hw + paper_tn, "used here": stand_hw + stand_tn})
coverage["architectures"] = [data.load_dataset(n).n_archs for n in coverage["used here"]]
coverage["paper's architectures"] = [15625] * len(paper_hw) + [3256] * len(paper_tn)   # NB201; the macro space
coverage["at hand as in the paper"] = ((coverage["paper's dataset"] == coverage["used here"])
                                       & (coverage["architectures"] == coverage["paper's architectures"]))
coverage

# %% tags=["hide-input"]
official = coverage["at hand as in the paper"].all()
partial = coverage[(coverage["paper's dataset"] == coverage["used here"]) & ~coverage["at hand as in the paper"]]
display(Markdown(
    "All of the paper's datasets are at hand." if official else
    f"**Stand-ins.** {(~coverage['at hand as in the paper']).sum()} of the paper's 10 datasets are not at hand "
    "as the paper used them (the official HW-NAS-Bench pickle and TransNAS-Bench-101 file are not in the data "
    "directory)" + "".join(f"; {used} is, but on {n} of its {whole} architectures"
                           for used, n, whole in partial[["used here", "architectures", "paper's architectures"]]
                           .itertuples(index=False)) + ". "
    "As the protocol prescribes, the same device/metric pairs on **cifar10** stand in for the HW-NAS "
    "datasets, and the **micro-space** (4096 cells) inference times of the same five tasks stand in for "
    "the macro space. Every later chapter runs on the datasets of the column *used here*."))

# %% [markdown]
# ## Every dataset
#
# **Table 1.2** lists every dataset of this build (`hwlib datasets` prints the same table). The HW-NAS-Bench metrics that only the 12554-row table
# provides cover 12554 of the 15625 cells; `edgetpu_latency` also loses the models that did not
# compile (the paper drops it).

# %%
pd.set_option("display.max_rows", 100)
table

# %% tags=["hide-input"]
counts = table.groupby("search_space").name.count()
accuracies = [n for n in table.name if n.endswith("test_accuracy")]
own = [n for n in table.name if n.startswith(("own-", "nb201-")) and table.set_index("name").at[n, "search_space"] == "nb201"]
display(Markdown(
    f"This build has **{len(table)} datasets**: {counts.get('nb201', 0)} on NAS-Bench-201 cells "
    f"({len(hwnas)} HW-NAS-Bench metrics, {len(help_devices)} HELP devices, {len(accuracies)} accuracies, "
    f"{len(own)} of this project's own: {', '.join(own) or 'none'}), "
    f"{counts.get('transnas_micro', 0)} on TransNAS-Bench-101 micro cells and "
    f"{counts.get('transnas_macro', 0)} on its macro networks (chapter 'Your own device')."))

# %% [markdown]
# ## Distributions
#
# **Figure 1.1.** Histograms of the raw values of each hardware metric (HW-NAS-Bench on cifar10
# and the TransNAS-Bench-101 tasks at hand), one panel per dataset.

# %% tags=["hide-input"]
fig = plotting.plot_distributions(hwnas + micro)
plt.show()

# %% [markdown]
# ## Do devices agree?
#
# Kendall tau between metrics over the architectures that both cover. HW-NAS-Bench found that
# hardware costs correlate poorly across platforms; here is the same question, with HELP's
# additional devices: **Figure 1.2** the HW-NAS-Bench metrics, **Figure 1.3** the latencies of every
# device at hand.

# %% tags=["hide-input"]
tau_hw = analysis.kendall_matrix(hwnas)
fig = plotting.plot_kendall_matrix(tau_hw, "HW-NAS-Bench metrics (cifar10)")
plt.show()

# %% tags=["hide-input"]
tau_help = analysis.kendall_matrix([n for n in hwnas if "latency" in n and "edgetpu" not in n] + help_devices)
fig = plotting.plot_kendall_matrix(tau_help, "Latency across HW-NAS-Bench and HELP devices")
plt.show()

# %% tags=["hide-input"]
pairs = tau_hw.where(np.triu(np.ones(tau_hw.shape, dtype=bool), k=1)).stack()
display(Markdown(
    f"Across the cifar10 HW-NAS metrics, Kendall tau ranges from **{pairs.min():.2f}** "
    f"({' vs '.join(pairs.idxmin())}) to **{pairs.max():.2f}** ({' vs '.join(pairs.idxmax())}); "
    f"the median pair agrees at {pairs.median():.2f}."))

# %% [markdown]
# ## Which datasets are hard? The paper's rule
#
# The paper fits Linear Regression on 25 random samples (one-hot encoding, protocol splits) and
# calls a dataset trivial when the test Kendall tau reaches 0.93. On the 27 official datasets this
# marked 12 as trivial: all FPGA and Eyeriss latency and energy datasets. Of the rest it kept one
# image dataset per device/metric pair. **Figure 1.4** and **Table 1.3** rerun the rule on the
# datasets at hand (bars: mean over seeds, whiskers: their standard deviation; dashed: 0.93).

# %% tags=["hide-input"]
rule = analysis.difficulty_table(hwnas + micro, seeds=seeds)
fig = plotting.plot_difficulty(rule, analysis.TRIVIAL_TAU)
plt.show()
rule.round(3)

# %% tags=["hide-input"]
trivial = rule[rule.trivial].dataset.tolist()
expected = [n for n in hwnas if ("fpga" in n or "eyeriss" in n) and "intensity" not in n]
agree = set(trivial) == set(expected)
display(Markdown(
    f"Over {len(seeds)} seeds, the rule marks **{len(trivial)}** of the {len(rule)} datasets at hand as "
    f"trivial: {', '.join(trivial) or 'none'}. The paper's finding (all FPGA and Eyeriss latency/energy "
    f"are trivial) {'**holds** here' if agree else '**differs** here: expected ' + ', '.join(expected)}. "
    f"The five stand-ins chosen above are all below the threshold: "
    f"{', '.join(f'{n} {t:.2f}' for n, t in rule.set_index('dataset').kendalltau.items() if n in stand_hw)}."))

# %% [markdown]
# ## How predictable is each dataset?
#
# A measured latency or energy is the architecture's cost plus the noise of measuring it (a
# simulated metric, such as the Eyeriss accelerator's, has none). How much of a dataset the
# architecture explains, its own cells tell: **Table 1.4** fits LightGBM on the one-hot
# encoding of four fifths of a dataset's architectures and ranks the fifth left out, five times
# over, so that every architecture is predicted once (`hwlib.analysis.own_data_fit`). Its Kendall
# tau is how much of the dataset the architecture explains to one strong model with almost all of
# it to learn from, a reference rather than a bound: chapter "Predictor comparison" (Figure 2.5)
# shows the predictors reaching about it, some a little above it, and with how many samples.
# The datasets are those the study runs: the hard ones of each benchmark, and this project's CPU
# (chapter "Your own device").

# %% tags=["hide-input"]
studied = [n for n in stand_hw + stand_tn + ["own-cpu_latency", "transnas_macro-cpu_latency"] if n in set(table.name)]
own_fit = analysis.own_data_fit(studied)
display(Markdown("**Table 1.4.** Kendall tau and Spearman of each dataset's own out-of-fold fit (LightGBM on "
                 "the one-hot encoding, five folds over all the architectures it holds)."))
own_fit.round(3)

# %% tags=["hide-input"]
by_bench = {title: own_fit[own_fit.dataset.isin(names)].kendalltau for title, names in
            (("HW-NAS-Bench", stand_hw), ("TransNAS-Bench-101", stand_tn))}
display(Markdown(
    "On the HW-NAS-Bench datasets a dataset's own cells rank the rest at a mean Kendall tau of "
    f"**{by_bench['HW-NAS-Bench'].mean():.2f}**; on the TransNAS datasets used here, "
    f"**{by_bench['TransNAS-Bench-101'].mean():.2f}** (from {by_bench['TransNAS-Bench-101'].min():.2f} to "
    f"{by_bench['TransNAS-Bench-101'].max():.2f}). "
    + ("The TransNAS micro-space stand-ins hold little that the architecture explains: even with four fifths "
       "of a dataset to learn from, a model ranks the rest no better than that, and the TransNAS curves of "
       "chapter \"Predictor comparison\" level off about there (on the paper's macro space, the MLPs exceeded "
       "0.9). "
       if not official and by_bench["TransNAS-Bench-101"].mean() < 0.7 else "")
    + "Far below 1, a dataset's own fit points to noise in what was measured, or to structure that one tree "
    "model cannot learn from the architecture: a reference, not a ceiling."))
