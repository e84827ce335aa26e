"""hwlib: hardware-metric predictors for NAS, their evaluation, and the selection simulation.

The library behind the executable edition of Laube, Mutschler & Zell, "What to expect of
hardware metric predictors in NAS" (AutoML-Conf 2022).
"""

__version__ = "0.1.0"


def _install_ipython_handler() -> None:
    """In IPython (notebooks, the book's chapters) an hwlib error shows as one line (see _ipython)."""
    import sys

    if "IPython" in sys.modules:
        from . import _ipython

        _ipython.install()


_install_ipython_handler()
