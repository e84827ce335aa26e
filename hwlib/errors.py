"""Errors that reach a user: each names what was wrong (a file, a dataset, a parameter).

The CLI turns any :class:`HwlibError` into one line on stderr and exit status 2.
"""


class HwlibError(Exception):
    """Base of every user-facing error in hwlib."""


class DataError(HwlibError):
    """A benchmark file is missing, corrupted or malformed, or a dataset name is unknown."""


class InputError(HwlibError, ValueError):
    """A bad parameter: an unknown name, a size out of range, an unsupported combination."""
