# ---
# jupyter:
#   jupytext:
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {name: python3, display_name: Python 3, language: python}
# ---

# %% [markdown]
# # Your own device
#
# The benchmarks' devices are not yours. This chapter measures one more device, the CPU this
# project was built on, and asks of it what the study asks of the benchmark devices: how its
# latency ranks the architectures compared with the others and with FLOPs and parameter counts,
# and how well the lookup table and the predictors learn it.
#
# The networks are rebuilt in torch (`hwlib.networks`): NAS-Bench-201's network of a cell (stem,
# three stages of five cells, two residual reduction blocks, 16 channels, cifar10's 10 classes,
# 32-pixel inputs), and TransNAS-Bench-101's macro backbones (ResNet basic blocks; the encoder only,
# without a task's decoder) at a reduced input size. `hwlib measure` timed them with batch 1 on one
# pinned core and one torch thread, in a seeded random order; the data are committed under
# `data/devices/` and registered as datasets (`own-cpu_latency`, `transnas_macro-cpu_latency`,
# and the exact FLOPs and parameters as `nb201-flops`, `nb201-params`, `transnas_macro-flops`,
# `transnas_macro-params`).

# %% tags=["parameters"]
import os

profile = os.environ.get("HWLIB_PROFILE", "full")  # "quick" (CI, minutes) or "full" (the paper's grid): hwlib.profiles
seeds = None          # seeds of the predictor runs; None: the profile's (3 quick, 50 full)
predictors = None     # predictors on the macro space; None: the profile's (a fast subset; every one-hot one)
size_indices = None   # which of the 11 TransNAS training sizes; None: the profile's ([1, 3, 5, 7]; all)
compute = None        # compute missing predictor cells; None: the profile's (quick yes, full: the committed)
train_size = 124      # Linear Regression's training size in Table 1
sample_size = 300     # cells of this CPU a user would have measured, for "Choosing a predictor from a sample"
choice_sizes = [25, 124]  # training sizes compared there
n_jobs = 2            # worker processes for what is computed there (one thread each)
choice_predictors = None  # predictors compared there; None: the profile's (a fast subset; compare's default)
choice_seeds = None   # seeds there; None: the profile's (2 quick, 5 full)
retest_target = 0.95  # test-retest Kendall tau this project asks of a measurement pass (not the paper's)

# %%
import pandas as pd
from IPython.display import Markdown, display

from hwlib import claims as paper_claims, comparison, data, devices, expectations, experiments, networks, profiles, scorecard
from hwlib.lookup import evaluate_lut, lookup_table_comparison
from hwlib.metrics import kendalltau
from hwlib.plotting_device import plot_against, plot_curves, plot_proxies, plot_retest
from hwlib.predictors import REGISTRY, list_predictors
from hwlib.protocol import TRANSNAS_TRAIN_SIZES

pd.set_option("display.max_colwidth", None)  # tables show their text whole

cfg = profiles.settings("own_device", profile, seeds=seeds, predictors=predictors, size_indices=size_indices,
                        compute=compute, choice_predictors=choice_predictors, choice_seeds=choice_seeds)
seeds = range(cfg.seeds)
onehot = [p for p in list_predictors() if p != "lut" and "transnas_macro" in REGISTRY[p].spaces]
predictors = list(cfg.predictors or onehot)
sizes = [TRANSNAS_TRAIN_SIZES[i] for i in cfg.size_indices]
spaces = {"nb201": "NB201 cells", "transnas_macro": "TransNAS macro backbones"}
summary = {s: devices.measurement_summary(s) for s in spaces}

# %% [markdown]
# ## What was measured
#
# **Table 5.1.** Settings and machine as recorded beside each measurement file of the datasets. The
# clock is the CPU time of the measuring thread, which leaves out any time the process waited for
# its core; wall-clock time would count it. Both passes were made on a quiet machine (the project's
# background study paused, nothing else running), on one pinned core.

# %%
pd.DataFrame({spaces[s]: {"file": m["file"], "architectures": f"{m['measured']} of {m['total']}",
                          **m["settings"], **m["machine"], "hours": round(m["hours"], 2),
                          "median latency (ms)": round(m["median_ms"], 3)} for s, m in summary.items()})

# %% tags=["hide-input"]
display(Markdown(" ".join(
    f"**{spaces[s]}**: {m['measured']} of {m['total']} architectures measured"
    + (" (all of them)." if m["measured"] == m["total"] else
       " (the measurement was stopped before the end; the measuring order is random, so those measured "
       "are a random sample, to which the lookup table's architectures were added; every comparison below "
       "uses them)."
       ) for s, m in summary.items())))

# %% [markdown]
# ## Is the measurement reproducible?
#
# A second, independent pass re-measured the first architectures of the same random measuring
# order, in a separate run after the full pass. The passes, in the order they were made:
#
# * **NB201, one after the other** and **NB201, interleaved** (a busy machine): each network warmed
#   up, then timed several times in a row; or a group of networks at a time, timed in turns (in each
#   round one pass of each network; the group size is the `interleave` setting).
# * **TransNAS macro**, on a busy machine, and again on a quiet one (the project's background study
#   paused, nothing else running), timed in turns.
# * **NB201, quiet machine, beside a reference**: groups of five cells timed in turns, and in every
#   round also one fixed *reference* cell (`--reference auto`, a cell of about median cost). An
#   architecture's value is the lower quartile of its 15 repeats over the reference's in the same
#   group, times the reference's typical (median) lower quartile: milliseconds of the machine at its
#   usual speed (`norm_q25_ms` in `hwlib.measure`).
#
# Why a reference: this machine is a virtual one, and the speed of its core drifts within a second
# even when it runs nothing else (other tenants of the host share its caches and memory bandwidth).
# The CPU-time clock cannot see that; the errors of records measured a fraction of a second apart go
# together, which the correlation of neighbouring records' errors (below) shows. An NB201 cell takes a
# few milliseconds and many cells differ by a few per cent, so that drift alone reorders them; a ratio to a
# network timed in the same round cancels it. The statistic (the lower quartile relative to the
# reference) was chosen on a pilot pair of 300-architecture passes, before the passes shown here.
# Figure 5.1 sets each full pass beside its retest.

# %% [markdown]
# **Figure 5.1.** Test-retest of the measurements: each point an architecture, its CPU time in the
# full pass and in the retest (log axes); blue the value the datasets take (the fastest repeat, or
# the lower quartile relative to the reference), grey the median of the repeats. Dotted: equality.

# %% tags=["hide-input"]
retest = {name: devices.retest_pairs(name) for name in devices.available_retests()}
plot_retest(retest);

# %% tags=["hide-input"]
value_names = {"norm_q25_ms": "the lower quartiles relative to the reference", "min_ms": "the fastest repeats"}
mins = {name: r["kendalltau_min"] for name, (_, r) in retest.items()}
seq, inter = mins.get("NB201, one after the other"), mins.get("NB201, interleaved")
display(Markdown(
    f"This project's own target for a measurement (not one of the paper's): two passes over the same "
    f"architectures rank them alike, in the value the dataset takes, at a test-retest Kendall tau of at least "
    f"{retest_target}. " + " ".join(
    f"**{name}**: test-retest Kendall tau of {value_names[r['value']]} {r['kendalltau_value']:.3f} over {r['n']} "
    f"architectures ({'meets' if r['kendalltau_value'] >= retest_target else 'misses'} the target)"
    + (f"; of the fastest repeats {r['kendalltau_min']:.3f}" if r["value"] != "min_ms" else "")
    + f"; of the medians {r['kendalltau']:.3f} (Spearman {r['spearman']:.3f}, median relative difference "
    f"{100 * r['median_abs_rel_diff']:.1f} %); of the wall-clock medians {r['kendalltau_wall']:.3f}."
    for name, (_, r) in retest.items())
    + " Within one pass the repeats of an architecture spread by a median of "
    + " and ".join(f"{100 * m['spread']:.1f} % ({spaces[s]})" for s, m in summary.items())
    + " (interquartile range over median)."
    + (f" Interleaving raises the NB201 tau of the minima from {seq:.2f} to {inter:.2f}: the interference of other "
       "programs comes in bursts longer than one network's repeats; timed in turns, a burst touches one repeat of "
       "many networks, and the fastest repeat escapes it." if seq is not None and inter is not None and inter > seq
       else "")))

# %% [markdown]
# **Table 5.2.** The machine's drift: correlation of the errors (log of full pass over retest) of
# records measured `lag` places apart in the measuring order (neighbours, lag 1, a fraction of a
# second apart when timed in turns); for the pass beside a reference, also of its values relative to
# the reference.

# %% tags=["hide-input"]
drift = {name: devices.retest_drift(name, "min_ms", lags=(1, 5, 50)) for name in retest}
drift_norm = {name: devices.retest_drift(name, "norm_q25_ms", lags=(1, 5, 50))
              for name, (_, r) in retest.items() if r["value"] == "norm_q25_ms"}
pd.DataFrame({**{(name, "fastest repeat"): d for name, d in drift.items()},
              **{(name, "vs. reference"): d for name, d in drift_norm.items()}}).T.rename(
    columns=lambda lag: f"lag {lag}").round(3)

# %% tags=["hide-input"]
display(Markdown(
    " ".join(f"In the pass {name!r}, neighbouring records' errors correlate {drift[name][1]:.2f} in the raw times "
             f"and {d[1]:.2f} relative to the reference." for name, d in drift_norm.items())
    + " The datasets `own-cpu_latency` and `transnas_macro-cpu_latency` read the passes named in Table 5.1 (the "
    "NB201 pass beside the reference, the macro pass on the quiet machine), by the statistic whose retest is "
    "shown above."))

# %% [markdown]
# ## This CPU against the benchmark devices, FLOPs and parameters
#
# HW-NAS-Bench argued that FLOPs and parameter counts are poor proxies of a device's latency.
# Figure 5.2 tests that claim on every NB201 latency dataset at hand (HW-NAS-Bench's cifar10 devices
# and HELP's GPUs, CPUs and phones) and on this CPU: Kendall tau of each device's latency with the
# exact FLOPs and parameters of the networks, and with this CPU's latency.
#
# **Figure 5.2.** Kendall tau of each NB201 latency dataset with FLOPs, parameters and this CPU's
# latency (the row of this CPU marked).

# %%
others = devices.nb201_latency_datasets()
table = devices.proxy_table(others + ["own-cpu_latency"], ["nb201-flops", "nb201-params", "own-cpu_latency"])
table.columns = ["FLOPs", "parameters", "this CPU"]
plot_proxies(table, "own-cpu_latency");


# %% tags=["hide-input"]
bench = table.drop(index="own-cpu_latency")
closest = bench["this CPU"].idxmax()
display(Markdown(
    f"Over the {len(bench)} benchmark datasets FLOPs rank latency with a mean tau of "
    f"{bench['FLOPs'].mean():.2f} (from {bench['FLOPs'].min():.2f} on {bench['FLOPs'].idxmin()} to "
    f"{bench['FLOPs'].max():.2f} on {bench['FLOPs'].idxmax()}), parameters with {bench['parameters'].mean():.2f}. "
    f"On this CPU FLOPs reach {table.at['own-cpu_latency', 'FLOPs']:.2f} and parameters "
    f"{table.at['own-cpu_latency', 'parameters']:.2f}. This CPU agrees best with {closest} "
    f"(tau {bench.at[closest, 'this CPU']:.2f}) and least with {bench['this CPU'].idxmin()} "
    f"({bench['this CPU'].min():.2f}). FLOPs are "
    + ("a fair proxy on some devices and a poor one on others: " if bench['FLOPs'].max() - bench['FLOPs'].min() > 0.2
       else "about equally good on every device: ")
    + f"the best proxy of any device ranks it with tau {bench[['FLOPs', 'parameters']].max().max():.2f}, far from "
    "the near-perfect ranking it would need to pick a device's fastest networks on its own. On NB201 the two "
    f"proxies rank alike (tau {kendalltau(*devices.paired_values('nb201-flops', 'nb201-params')):.2f} between "
    "them): both count the same convolutions."))

# %% [markdown]
# Why FLOPs miss on this CPU: an additive model of the latency by the number of edges holding each
# operation (least squares over all cells) puts a price on every operation. Pooling has no
# multiply-accumulates at all, and 'none' edges (multiplied by zero in the benchmark's network)
# still cost a pass over the tensor.
#
# **Table 5.3.** The additive model's cost of one edge holding each operation (ms), beside the
# intercept (the network with every edge 'none').

# %%
costs, costs_tau = devices.op_costs("own-cpu_latency")
costs.round(3)

# %% [markdown]
# **Figure 5.3.** This CPU's latency against FLOPs, each point a cell, coloured by its number of
# average-pooling edges.

# %% tags=["hide-input"]
own = data.load_dataset("own-cpu_latency")
_, flops = devices.paired_values("own-cpu_latency", "nb201-flops")
plot_against(flops, own.y, devices.edge_op_counts(own.A)[:, 4], "MACs (millions)", "latency on this CPU (ms)",
             "edges with avg_pool_3x3");

# %% tags=["hide-input"]
pool = costs.set_index("op")["cost"]
conv_edge = (networks.count("nb201", (3, 0, 0, 0, 0, 0))[0] - networks.count("nb201", (0,) * 6)[0]) / 1e6
display(Markdown(
    f"One 3x3 average-pooling edge (15 copies in the network) adds {pool['avg_pool_3x3']:.2f} ms and no "
    f"multiply-accumulate, a 3x3 convolution edge {pool['nor_conv_3x3']:.2f} ms for its {conv_edge:.1f} million "
    f"MACs, a 1x1 convolution edge {pool['nor_conv_1x1']:.2f} ms. The additive model ranks the cells with tau "
    f"{costs_tau:.2f}, FLOPs with {table.at['own-cpu_latency', 'FLOPs']:.2f}."))

# %% [markdown]
# ## The macro space
#
# The macro backbones differ far more in size than the cells (up to three channel doublings at full
# resolution). **Table 5.4**: Kendall tau of the macro latency with FLOPs, counted at the measured
# input size and at the benchmark's 224 pixels, and with the parameter count.

# %%
macro = data.load_dataset("transnas_macro-cpu_latency")
size = summary["transnas_macro"]["settings"]["input_size"]
macs = networks.count_all("transnas_macro", macro.A, size)
macro_proxies = pd.Series({f"FLOPs at {size} px": kendalltau(macro.y, macs[:, 0]),
                           "FLOPs at 224 px": kendalltau(*devices.paired_values("transnas_macro-cpu_latency",
                                                                                "transnas_macro-flops")),
                           "parameters": kendalltau(macro.y, macs[:, 1])}, name="Kendall tau with latency")
macro_proxies.round(3).to_frame()

# %% [markdown]
# ## Lookup table and predictors on this CPU
#
# Table 1 of the paper sets the lookup table (its tau over all architectures, built from 25
# measurements on NB201 and 21 on the macro space with its two bases) beside Linear Regression
# trained on 124 random architectures. The paper's TransNAS column is the macro space on a Tesla
# V100; here it is the real macro space on this CPU. **Table 5.5**: both spaces on this CPU, the
# paper's TransNAS column beside the macro row.

# %%
table1 = lookup_table_comparison(["own-cpu_latency", "transnas_macro-cpu_latency"], seeds, train_size)
table1["device"] = "this CPU"
table1.loc[table1["dataset"] == "own-cpu_latency", ["paper_lut", "paper_lr"]] = float("nan")
table1[["dataset", "lut", "lr", "paper_lut", "paper_lr", "n_measured", "lut_base"]].round(3)

# %% tags=["hide-input"]
nb, mc = (table1.set_index("dataset").loc[n] for n in ("own-cpu_latency", "transnas_macro-cpu_latency"))
display(Markdown(
    f"On NB201 cells the lookup table reaches tau {nb['lut']:.2f} from {nb['n_measured']} measurements, Linear "
    f"Regression on {train_size} samples {nb['lr']:.2f}. On the macro space the lookup table reaches "
    f"{mc['lut']:.2f} from {mc['n_measured']} measurements (paper, TransNAS on a V100: {mc['paper_lut']:.2f}) and "
    f"Linear Regression {mc['lr']:.2f} (paper: {mc['paper_lr']:.2f}); "
    + ("as in the paper, Linear Regression is ahead." if mc["lr"] > mc["lut"] else
       "unlike the paper, the lookup table is ahead.")))

# %% [markdown]
# ## The paper's TransNAS experiments on the macro space
#
# The predictors of the study on this CPU's macro latency, on the protocol's splits (256 test
# architectures) and TransNAS training sizes. As in the paper, the predictors that encode a cell's
# graph or paths (BANANAS, BONAS, GCN, NAO) are left out: a macro network is a sequence of blocks.
# **Table 5.6**: mean Kendall tau per predictor (rows) and training size (columns).

# %%
results = experiments.run_study(["transnas_macro-cpu_latency"], predictors, sizes, seeds, progress=False,
                                compute=cfg.compute)
curves = (experiments.summarize_tau(results).rename(index={p: REGISTRY[p].label for p in predictors})
          if len(results) else pd.DataFrame())
curves.round(3)

# %% [markdown]
# **Figure 5.4.** Table 5.6 as curves; the black line is the lookup table's tau over all
# architectures of the macro space.

# %% tags=["hide-input"]
lut_macro = evaluate_lut("transnas_macro-cpu_latency")["kendalltau"]
plot_curves(curves, lut_macro, "TransNAS macro backbones on this CPU") if len(curves) else None;

# %% tags=["hide-input"]
beats = curves.gt(lut_macro)
first = beats.idxmax(axis=1).where(beats.any(axis=1)) if len(curves) else pd.Series(dtype=float)
last = curves.columns[-1] if len(curves) else None
display(Markdown(
    "No predictor cells of this dataset are stored yet: run the quick profile, or `hwlib study run` with "
    "`transnas_macro-cpu_latency` among its datasets." if not len(curves) else
    f"{len(seeds)} seeds, training sizes {', '.join(map(str, curves.columns))}. "
    f"The best predictor at {last} samples is {curves[last].idxmax()} (tau {curves[last].max():.3f}). "
    + (f"Every predictor beats the lookup table by {int(first.max())} training samples."
       if first.notna().all() else
       f"{first.isna().sum()} of {len(first)} predictors never beat the lookup table within the sizes run.")))

# %% [markdown]
# ## The paper's TransNAS claims, on the macro space
#
# The paper's claims about TransNAS-Bench-101 (macro space, latency on a V100) can only be checked
# on the micro-space stand-in in chapter "Predictor comparison". The macro latency of this CPU is
# the closest data at hand: the same backbones, another device. **Table 5.7** checks those claims on
# it, on the predictors above (the paper, too, left the graph predictors out there), against this
# CPU's macro lookup table.

# %% tags=["hide-input"]
macro_claims = pd.DataFrame()
if len(results):
    macro_curve = comparison.curves(results.assign(benchmark="transnas"))
    macro_claims = paper_claims.check_claims(macro_curve, pd.Series({"transnas": lut_macro}), seeds=len(seeds),
                                             predictors=predictors, benchmarks=("transnas",),
                                             stand_in={"transnas": "this CPU's latency, not the paper's V100"})
    display(Markdown(
        f"**Table 5.7.** The paper's TransNAS claims on this CPU's macro latency ({len(seeds)} seeds): "
        f"{(macro_claims['verdict'] == 'reproduced').sum()} of {len(macro_claims)} hold, "
        f"{(macro_claims['verdict'] == 'differs').sum()} differ"
        + (f", {(macro_claims['verdict'] == 'provisional').sum()} provisional (cells still missing)"
           if (macro_claims["verdict"] == "provisional").any() else "")
        + (f", {(macro_claims['verdict'] == 'not run').sum()} not run in this build"
           if (macro_claims["verdict"] == "not run").any() else "") + "."))
scorecard.styled(macro_claims.drop(columns="reads", errors="ignore"))

# %% [markdown]
# ## A borrowed GPU
#
# The same NB201 networks were timed on an NVIDIA H200, as long as the project could borrow one:
# batch 256, eager PyTorch, float32, the wall clock, the GPU synchronised around every timed call
# (`hwlib measure --device cuda --batch 256`). Three passes, each on a machine of its own (the
# measuring order is random, so each holds a random sample of the space): the first timed one
# network after the other until its time was up, with its retest right after it; the second timed
# groups of five in turns beside a reference network (`--reference auto --interleave 5`), as this
# CPU's final NB201 pass, with its retest; the third, on a third machine after a discarded
# warm-up pass, timed close to half the space the same way. Its first 300 cells are the second
# pass's first 300, so the second pass is its retest: across machines.
# **Table 5.8** lists them as recorded. The third pass is a dataset of its own
# (`h200-b256_latency`): the new device of chapter "Transfer across devices". None is a dataset of
# the study's grid, which takes whole spaces.

# %%
gpu_passes = {name: devices.pass_description(devices.GPU_RETESTS[name][0])
              for name in devices.available_retests(gpu=True)}
pd.DataFrame({name: {k: round(v, 3) if k in ("median_ms", "reference_ms") else v for k, v in p.items()}
              for name, p in gpu_passes.items()})

# %% [markdown]
# **Figure 5.5.** Test-retest of the GPU passes, as Figure 5.1 (wall-clock milliseconds). In the
# third panel the first pass is the third machine's and the second the second machine's, on the
# cells both hold: the points lie off the diagonal where one machine ran faster than the other.

# %% tags=["hide-input"]
gpu_retest = {name: devices.retest_pairs(name) for name in gpu_passes}
plot_retest(gpu_retest) if gpu_retest else None;

# %% tags=["hide-input"]
gpu_drift = {name: devices.retest_drift(name, "min_ms", lags=(1,))[1] for name in gpu_retest}
within = gpu_retest.get("H200, beside a reference", (None, None))[1]
across = gpu_retest.get("H200, beside a reference, another machine", (None, None))[1] if within else None
ref_ms = [gpu_passes[name]["reference_ms"] for name in ("H200, beside a reference",
                                                        "H200, beside a reference, another machine")] if across else []
display(Markdown(
    "No GPU passes are at hand." if not gpu_retest else " ".join(
        f"**{name}** ({r['n']} architectures in both passes): test-retest Kendall tau of the fastest repeats "
        f"{r['kendalltau_min']:.3f}, of the medians {r['kendalltau']:.3f}"
        + (f", of the lower quartiles relative to the reference {r['kendalltau_norm']:.3f}"
           if "kendalltau_norm" in r else "")
        + f"; neighbouring records' errors correlate {gpu_drift[name]:.2f}."
        for name, (_, r) in gpu_retest.items())
    + " At batch 256 these small networks take a few milliseconds on the H200 (median "
    + ", ".join(f"{p['median_ms']:.1f} ms" for p in gpu_passes.values())
    + "), and their raw times drift with the machine, as this CPU's do; a network timed beside them in "
    "the same round takes that drift out, on a GPU as on a CPU"
    + (f", and across machines too: the same reference network took {ref_ms[0]:.1f} ms on the second "
       f"machine and {ref_ms[1]:.1f} ms on the third, yet relative to it the two machines rank their "
       f"common cells alike (tau {across['kendalltau_norm']:.3f}, against {within['kendalltau_norm']:.3f} "
       "for two passes on one machine)" if across else "")
    + ". (Why the GPU's times drift was not "
    "measured here; a likely cause: at these sizes the host, launching one small kernel after another, "
    "sets the pace, and the host is a virtual machine.) Measure a GPU as the CPU was measured: warmed "
    "up, in turns, beside a reference."))

# %% [markdown]
# **Table 5.9.** The GPU's latency (its largest pass beside a reference, lower quartile relative to it)
# against every NB201 latency dataset at hand, FLOPs, parameters and this CPU: Kendall tau on the
# architectures both hold, highest first.

# %% tags=["hide-input"]
if gpu_passes:
    gpu_name, gpu_table = devices.gpu_agreement()
    taus = gpu_table.set_index("dataset")["kendalltau"]
    by_batch = {b: taus[[d for d in taus.index if d.startswith("help-") and d.endswith(f"_{b}")
                         and any(g in d for g in ("ti_", "titan"))]].mean() for b in (1, 32, 256)}
    display(Markdown(
        f"The H200 ranks NB201 cells most like {taus.index[0]} (tau {taus.iloc[0]:.3f}); FLOPs rank them with "
        f"tau {taus['nb201-flops']:.3f}, this CPU with {taus[devices.OWN_MEASUREMENTS['nb201']]:.3f}. "
        f"Against HELP's GPUs by batch size (mean tau): "
        + ", ".join(f"batch {b}: {t:.3f}" for b, t in by_batch.items())
        + f". At batch 256 the H200 ranks these networks more like the older GPUs at batch "
        f"{max(by_batch, key=by_batch.get)} than at its own batch size: a device's ranking depends on how "
        "much work one network gives it, so a latency table measured at one batch size on one GPU does "
        "not carry over to another GPU at the same batch size."))
    display(gpu_table.round(3))

# %% [markdown]
# ## Choosing a predictor from a sample

# %% tags=["hide-input"]
display(Markdown(
    f"A user who measured {sample_size} cells of a device (here a random sample of this CPU's) asks "
    "`hwlib compare` which predictor to use: it trains them on the sample on the study's splits (half "
    "of the sample for testing, as for any dataset of fewer than 1250 cells) and, with `--transfer`, "
    'sets the transfer methods of chapter "Transfer across devices" beside them: predictors that take, '
    "besides the architecture, the other devices' measurements of it and fit the device's few samples "
    "(`selected_ensemble`, for one, averages fits that each leave one tenth of the samples out, anchored "
    "either on the other devices' consensus or on the one device that ranks the samples best, whichever "
    "predicts the left-out samples better; that chapter defines them all). This CPU is measured "
    "in full, so the choice can be checked: **Table 5.10** puts each predictor's Kendall tau on the "
    "sample's test half beside its tau on the whole dataset's 625 test cells (the study's records) at "
    "the same training sizes."))

# %%
sample = data.register_sample("own-cpu_latency", sample_size, seed=0)
picked = expectations.compare(sample, choice_sizes, cfg.choice_predictors, range(cfg.choice_seeds),
                              transfer="others", n_jobs=n_jobs)
reference = expectations.spread(expectations.study_records("nb201", ["own-cpu_latency"]))
checks = {n: expectations.choice_check(picked, reference, n) for n in choice_sizes}
pd.concat({f"{n} samples": table[["sample", "whole"]] for n, (table, _) in checks.items()}, axis=1).round(3)

# %% tags=["hide-input"]
transfer_best = picked.table[picked.table["kind"] == "transfer"].sort_values("kendalltau").groupby(
    "train_size").tail(1).set_index("train_size")
first = choice_sizes[0]
ahead = transfer_best.at[first, "kendalltau"] > checks[first][0]["sample"].iloc[0]
display(Markdown(
    f"**Table 5.10.** Kendall tau of each predictor trained on {sample_size} cells of this CPU (mean over "
    f"{cfg.choice_seeds} seeds; tested on the sample's other half) and on the whole dataset (the study's records, "
    "625 test cells), at the same training sizes; ordered by the sample at the first size. The seeds share one "
    "sample, so how far the sample's numbers stand from the whole dataset's includes the luck of that draw. "
    + " ".join(f"At {n} samples the sample chooses {s['chosen']}; on the whole dataset it reaches "
               f"{s['chosen_whole']:.3f}, " + ("the best of them there. " if s["loss"] == 0 else
                                                f"against {s['best']}'s {s['best_whole']:.3f} (a loss of "
                                                f"{s['loss']:.3f}). ")
               + f"The two orders of the predictors agree at Kendall tau {s['agreement']:.2f}."
               for n, (_, s) in checks.items())
    + " Beside them on the same sample, the best transfer method reaches "
    + ", ".join(f"{row['kendalltau']:.3f} ({row['predictor']}) at {n}" for n, row in transfer_best.iterrows())
    + (f": at {first} samples the other devices' tables rank this CPU better than any predictor trained on it "
       "alone." if ahead else f": at {first} samples they do not beat the best predictor trained on it alone.")))

# %% [markdown]
# ## Measuring your own device
#
# Five commands give a device of your own the same treatment (here: NB201 cells on one pinned core;
# `--clock wall` on an idle machine, a GPU is used when torch sees one). Each run resumes where it
# stopped; the settings and the machine's description are stored beside the CSV. A second process
# can measure the same order from its end (`--reverse --skip-from FILE` into its own file, then
# `--merge-from`).
#
# ```bash
# hwlib measure --space nb201 --cpus 1 --threads 1 --warmup 2 --repeats 15 --interleave 5 --reference auto \
#     --out data/devices/own_cpu/nb201-cifar10-s32-ref.csv                  # all 15625 cells
# hwlib measure --space nb201 --cpus 1 --threads 1 --warmup 2 --repeats 15 --interleave 5 --reference auto \
#     --archs 500 --out data/devices/own_cpu/nb201-cifar10-s32-ref-retest.csv   # the test-retest pass
# hwlib retest data/devices/own_cpu/nb201-cifar10-s32-ref.csv \
#     data/devices/own_cpu/nb201-cifar10-s32-ref-retest.csv                 # how repeatable it is
# hwlib measure --space transnas_macro --input-size 64 --cpus 1 --threads 1 --warmup 1 --repeats 5 \
#     --interleave 5 --out data/devices/own_cpu/transnas_macro-s64-quiet.csv   # all 3256 backbones
# hwlib lut --dataset own-cpu_latency                                        # then any hwlib tool
# ```
#
# On a GPU (Table 5.8's second and third passes, each on its machine; warm the GPU up with a short
# pass first, whose records are discarded). The third pass first timed the second pass's first 300
# cells again (the retest across machines), then resumed into the same file, skipping every cell
# the second pass had measured (`--skip-from`), until the machine's time was up:
#
# ```bash
# hwlib measure --space nb201 --device cuda --batch 256 --warmup 3 --repeats 10 --archs 150 --seed 9 \
#     --out /tmp/warm-up.csv                                                     # discarded
# hwlib measure --space nb201 --device cuda --batch 256 --warmup 3 --repeats 10 --interleave 5 \
#     --reference auto --out data/devices/own_gpu/nb201-cifar10-s32-b256-ref.csv     # second pass
# hwlib measure --space nb201 --device cuda --batch 256 --warmup 3 --repeats 10 --interleave 5 \
#     --reference auto --archs 300 --out data/devices/own_gpu/nb201-cifar10-s32-b256-ref2.csv   # third
# hwlib measure --space nb201 --device cuda --batch 256 --warmup 3 --repeats 10 --interleave 5 \
#     --reference auto --skip-from data/devices/own_gpu/nb201-cifar10-s32-b256-ref.csv \
#     --out data/devices/own_gpu/nb201-cifar10-s32-b256-ref2.csv                 # resumed: the rest
# ```
#
# A file of your own needs no code: every tool takes it as its dataset (`hwlib compare --dataset
# my-cpu.csv --transfer`, every predictor trained on it at a few sizes and the transfer methods of
# chapter "Transfer across devices" beside them, the best marked; `hwlib evaluate
# --dataset my-cpu.csv --predictor lgb --train-size 124`, `hwlib lut --dataset my-cpu.csv`, `hwlib transfer
# --target my-cpu.csv --sources others --train-size 10`, and `hwlib simulate --dataset
# my-cpu.csv@cifar10 --n 1000 --std 0.4`, which pairs it with NB201's cifar10 accuracy); `hwlib predict
# --dataset my-cpu.csv --predictor lgb --out my-cpu-all.csv` fits a predictor on all of it and writes
# its prediction of every architecture of the space, for a search to read. In Python
# `hwlib.data.register_measurements("my-cpu.csv")` returns the name that `load_dataset` and the
# rest of hwlib take. Any CSV with an `arch` column of architecture names and a column of values
# will do, for any subset of the space (one of fewer than 1250 NB201 cells keeps half of them for
# testing instead of the protocol's 625). This project's own files are registered in
# `hwlib.data.OWN_DATASETS` (file, column, unit); `hwlib measure --counts` writes the exact FLOPs
# and parameters of every architecture.
