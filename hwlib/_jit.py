"""numba when installed: the decorator that compiles hwlib's hot loops, and whether it can.

Each compiled loop sits beside the numpy code it reproduces bit for bit (its *twin*) and is used
only where ``AVAILABLE`` is True; without numba the numpy twins run. The loops are compiled on
first use and cached in ``__pycache__``.
"""

from __future__ import annotations

try:
    import numba
except ImportError:  # pragma: no cover - numba is a pinned dependency; the numpy twins still work
    numba = None

#: Whether numba is installed. Read at call time, so that tests can switch the compiled loops off.
AVAILABLE = numba is not None

__all__ = ["AVAILABLE", "jit", "popcount"]


def jit(fn):
    """Compile ``fn`` in nopython mode (cached, no GIL) when numba is installed, else return it."""
    return numba.njit(cache=True, nogil=True)(fn) if AVAILABLE else fn


if AVAILABLE:
    from numba.extending import intrinsic

    @intrinsic
    def popcount(typingctx, x):
        """Set bits of a uint64 (LLVM's ctpop: one instruction)."""
        def codegen(context, builder, signature, args):
            return builder.ctpop(args[0])
        return numba.types.uint64(numba.types.uint64), codegen
else:  # pragma: no cover
    def popcount(x):
        """Set bits of an integer."""
        return bin(int(x)).count("1")
