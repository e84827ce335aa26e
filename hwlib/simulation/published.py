"""The paper's published simulation results (Section 5, Figures 3 and 4), for comparison."""

__all__ = ["PUBLISHED"]

#: Published values (sorted pairing, means over the paper's five datasets and all six sizes).
PUBLISHED = {
    "mra": {0.2: (1.43, 0.50), 0.4: (1.94, 1.18), 1.0: (2.51, 2.38)},   # std: (MRA_all, MRA_pareto) %
    "kendalltau": {0.2: 0.88, 0.4: 0.78, 0.6: 0.69, 0.8: 0.62, 1.0: 0.57},
    "hv_true": {100: 3.0, 15625: 4.2},                                   # n: HV of the true front
    "figure3": {"std": 0.5, "mra_all": 1.06, "mra_pareto": 0.43, "hv_loss": 0.07, "n_selected": 13},
    "live_equivalent": {"n_live": 5000, "kendalltau": 0.73},            # Section 5, time budget
}
