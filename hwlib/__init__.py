"""hwlib: hardware-metric predictors for NAS, their evaluation, and the selection simulation.

The library behind the executable edition of Laube, Mutschler & Zell, "What to expect of
hardware metric predictors in NAS" (AutoML-Conf 2022).
"""

__version__ = "0.1.0"
