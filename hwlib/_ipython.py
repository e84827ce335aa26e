"""Inside IPython (a notebook, a chapter being built), an hwlib error shows as one line.

A bad chapter parameter (an unknown profile, predictor or dataset) raises
:class:`~hwlib.errors.HwlibError`; its message already says what was wrong, so the deep traceback
through the library adds nothing. :func:`install` registers a custom exception handler with the
running IPython shell that shows ``InputError: unknown profile 'fast'; known: quick, full`` and
nothing else. The cell still fails (the kernel reports an error, papermill and the book build stop
at that cell); only the display is short. Other exceptions keep their full traceback.
"""

from __future__ import annotations

from .errors import HwlibError

__all__ = ["one_line", "install"]


def one_line(exc: BaseException) -> str:
    """``'<ExceptionClass>: <message>'``: how an hwlib error is shown in a notebook."""
    return f"{type(exc).__name__}: {exc}"


def _handler(shell, etype, value, tb, tb_offset=None) -> list[str]:
    stb = [one_line(value)]
    shell._showtraceback(etype, value, stb)   # the kernel sends it as the cell's error output
    return stb


def install() -> bool:
    """Register the one-line handler with the running IPython shell.

    False outside IPython, or when the shell already has another custom handler (kept).
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    if shell.custom_exceptions == (HwlibError,):
        return True
    if shell.custom_exceptions:
        return False
    shell.set_custom_exc((HwlibError,), _handler)
    return True
