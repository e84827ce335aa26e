"""The selection simulation (paper Section 5): predictor-guided Pareto selection under simulated
deviations, scored by the mean reduction in accuracy (MRA) and the hypervolume (HV).

One idea per module:

* :mod:`~hwlib.simulation.deviations`: the simulated deviations, and Figure 2's comparison with a
  trained predictor's;
* :mod:`~hwlib.simulation.problem`: accuracy and hardware value of every architecture, paired
  by architecture or as the released code paired them;
* :mod:`~hwlib.simulation.selection`: one selection and its scores (the true front, the selected
  and verified sets, MRA, HV), for one point set or a batch;
* :mod:`~hwlib.simulation.kendall`: Kendall tau of every (trial, level) of a batch;
* :mod:`~hwlib.simulation.trials`: random subsets and deviations per trial, and the trials run
  vectorised;
* :mod:`~hwlib.simulation.grid`: the grid of datasets x sizes x stds, cached per (dataset, n);
* :mod:`~hwlib.simulation.trained`: the selection driven by trained predictors;
* :mod:`~hwlib.simulation.budget`: the time budget as a curve (live measurements vs. predictions);
* :mod:`~hwlib.simulation.findings`: the tables and verdicts of the chapter, computed from grids.

Each numba-compiled loop sits beside the numpy code it reproduces bit for bit; without numba the
numpy path runs. Every public name is importable from ``hwlib.simulation``.
"""

from . import findings
from .budget import (live_equivalent, live_equivalent_at, live_equivalent_table, live_equivalent_words, live_sizes,
                     mean_live_curve)
from .deviations import STDS, DeviationComparison, compare_deviations, simulate_deviations
from .grid import SIZES, VERSION, grid_cells, run_grid, simulate_means
from .problem import (PAIRING_LABELS, PAIRINGS, SelectionProblem, accuracy_dataset, accuracy_matched_datasets, problem_overview,
                      selection_problem)
from .published import PUBLISHED
from .selection import METRICS, Selection, select
from .trained import (equal_tau, neighbour_correlation, predictor_selection, run_predictor_grid,
                      simulated_neighbour_correlation)
from .trials import REFERENCES, draw_trial, simulate_selection, simulate_trials
from ..metrics import kendalltau_rows

__all__ = ["findings", "STDS", "SIZES", "PAIRINGS", "PAIRING_LABELS", "METRICS", "REFERENCES", "PUBLISHED", "VERSION", "SelectionProblem",
           "Selection", "DeviationComparison", "simulate_deviations", "compare_deviations", "selection_problem",
           "accuracy_dataset", "accuracy_matched_datasets", "problem_overview", "draw_trial", "select",
           "simulate_selection", "simulate_trials", "kendalltau_rows", "simulate_means", "run_grid",
           "grid_cells", "predictor_selection", "run_predictor_grid", "equal_tau", "live_equivalent",
           "live_equivalent_table", "live_sizes", "mean_live_curve", "live_equivalent_at", "live_equivalent_words", "neighbour_correlation",
           "simulated_neighbour_correlation"]
