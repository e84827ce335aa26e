"""Kendall tau of the simulation's trials: true against noisy hardware values of every (trial, level).

The numpy path hands the rows to :func:`hwlib.metrics.kendalltau_rows` (:func:`kendall_batch`).
Its compiled twin (:func:`kendall_blocks`, numba) never builds the noisy values: per row, 32-bit keys
(quantised noisy value above, position in true-value order below) are sorted by numpy (SIMD), a
bit set counts the discordant pairs, and the few pairs whose keys share a quantised value are
settled one by one. Both count the same pairs and combine them with :func:`hwlib.metrics.tau_b`,
so they give the same bits.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit, popcount
from ..metrics import kendalltau_rows, tau_b, tied_pairs
from .problem import SelectionProblem

__all__ = ["kendall_batch", "value_order", "kendall_blocks"]


def kendall_batch(hw: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Kendall tau per (trial, level) of ``hw`` (trials, n) against ``pred`` (trials, levels, n),
    all rows at once; levels without deviations are 1 (NaN for a constant ``hw``)."""
    kt = np.where(np.ptp(hw, axis=-1) > 0, 1.0, np.nan)[:, None].repeat(pred.shape[1], axis=1)
    noisy = (pred != hw[:, None, :]).any(axis=-1)
    if noisy.any():
        trial, level = np.nonzero(noisy)
        kt[trial, level] = kendalltau_rows(hw, pred[trial, level], trial)
    return kt


# ----------------------------------------------------------------------------- compiled twin


def value_order(problem: SelectionProblem, pos: np.ndarray, block: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each subset in increasing hardware value (ties by position): the points' indices, their
    dense value ranks, values and deviation blocks, each of shape (trials, n); the first three
    have a single row when every trial holds all of the problem's points."""
    trials, n = pos.shape
    by_value, rank, dense = problem.value_ranks
    if n == problem.n_archs:            # every trial holds every point: one order serves all
        return by_value[None], dense[by_value][None], problem.hw[by_value][None], block[:, by_value]
    order, xr, block_x = (np.empty((trials, n), dtype=np.intp) for _ in range(3))
    hw_x = np.empty((trials, n))
    subset_value_order(pos, block, rank, dense, problem.hw, order, xr, hw_x, block_x)
    return order, xr, hw_x, block_x


def kendall_blocks(xr: np.ndarray, hw_x: np.ndarray, block_x: np.ndarray, values: np.ndarray,
                   rows: np.ndarray) -> np.ndarray:
    """Kendall tau of the (trial, level) ``rows`` for block deviations: keys in compiled loops,
    one numpy sort of the keys (SIMD), and a compiled discordant-pair count.

    Parameters
    ----------
    xr, hw_x, block_x : ndarray, shape (trials or 1, n)
        From :func:`value_order`.
    values : ndarray, shape (trials, levels, m)
        Deviation values of each block.
    rows : ndarray of int, shape (r, 2)
        (trial, level) of each row.

    Returns
    -------
    ndarray, shape (r,)
    """
    n = xr.shape[1]
    new = np.ones(xr.shape, dtype=bool)
    np.not_equal(xr[:, 1:], xr[:, :-1], out=new[:, 1:])
    xtie = tied_pairs(new)
    xtie = xtie[rows[:, 0]] if len(xr) > 1 else np.full(len(rows), xtie[0])
    low_bits = max(int(n - 1).bit_length(), 1)
    # Rows in chunks of about 2^18 values: the scratch arrays stay in cache and are reused.
    chunk = min(len(rows), max(1, (1 << 18) // n))
    # 32-bit keys sort twice as fast; they keep at least 16 bits for the value below 2^16 points
    keys = np.empty((chunk, n), dtype=np.uint32 if low_bits <= 16 else np.uint64)
    counts = np.empty((len(rows), 3), dtype=np.int64)
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        k = keys[:len(part)]
        kendall_keys(hw_x, block_x, values, part, low_bits, k)
        k.sort(axis=-1)
        kendall_counts(k, hw_x, block_x, values, xr, part, low_bits, counts[start:start + chunk])
    return tau_b(n, xtie, counts[:, 1], counts[:, 2], counts[:, 0])


@jit
def subset_value_order(pos, block, rank, dense, hw, order, x_rank, hw_x, block_x):
    """Each subset's points in increasing true value, with their dense value ranks.

    Parameters
    ----------
    pos, block : intp (trials, n)
        Positions of each subset's points in the problem (increasing) and their deviation blocks.
    rank, dense, hw : (N,)
        Every position's rank by (value, position), its dense value rank, and its value.
    order, x_rank, hw_x, block_x : (trials, n)
        Filled: the subset's indices in increasing value (ties by index), their dense ranks
        within the subset, their values and their blocks, in that order.
    """
    trials, n = pos.shape
    N = rank.size
    at = np.zeros(N if 8 * n >= N else 0, dtype=np.intp)
    order_row = np.empty(n + 1, dtype=np.intp)
    keys = np.empty(n, dtype=np.int64)
    for t in range(trials):
        if 8 * n >= N:                   # a large share of the problem: one pass over its ranks
            for i in range(n):
                at[rank[pos[t, i]]] = i + 1
            k = 0
            for g in range(N):           # compacted without branches (spare writes past the end)
                order_row[k] = at[g] - 1
                k += at[g] > 0
                at[g] = 0
            order[t] = order_row[:n]
        else:
            for i in range(n):
                keys[i] = rank[pos[t, i]] * n + i
            keys.sort()
            for i in range(n):
                order[t, i] = keys[i] % n
        r = -1
        prev = -1
        for k in range(n):
            i = order[t, k]
            p = pos[t, i]
            if dense[p] != prev:
                r += 1
                prev = dense[p]
            x_rank[t, k] = r
            hw_x[t, k] = hw[p]
            block_x[t, k] = block[t, i]


@jit
def kendall_keys(hw_x, block_x, values, rows, low_bits, keys):
    """Sort keys of the noisy values in true-value order: quantised value above, position below.

    For each row ``r = (t, k)`` of ``rows``, the noisy value of position ``i`` is
    ``y = hw_x[t, i] + values[t, k, block_x[t, i]]`` and its key ``q(y) << low_bits | i``, where
    ``q`` maps a range that holds every ``y`` of the row (the sums of the extreme values and
    deviations: rounding is monotone, so no ``y`` falls outside) monotonically onto the integers
    the key's remaining bits hold (32- or 64-bit keys). Sorting a row lists the positions by
    increasing noisy value, up to values that share a ``q``; those come out in position order and
    :func:`kendall_counts` settles them. ``hw_x`` may have one row for all trials.
    """
    n = hw_x.shape[1]
    top = (1 << (keys.itemsize * 8 - low_bits)) - 1
    for r in range(rows.shape[0]):
        t, lv = rows[r, 0], rows[r, 1]
        h = hw_x[t if hw_x.shape[0] > 1 else 0]
        vals, blk = values[t, lv], block_x[t]
        lo = h[0] + vals.min()           # h is increasing
        hi = h[n - 1] + vals.max()
        scale = top / (hi - lo) if hi > lo else 0.0
        for i in range(n):               # monotone in y; the clip guards the top against rounding
            q = min(np.int64(((h[i] + vals[blk[i]]) - lo) * scale), top)   # (int64: a fast conversion)
            keys[r, i] = (q << low_bits) | i


_SB = 16                       # words per superblock of the counting structure
_LANE = np.uint64(0xFFFF)      # the structure's counters: 16 bits, four to a uint64


@jit
def _lane(words, base, lane):
    """Counter ``lane`` of the packed counters starting at word ``base``."""
    return (words[base + (lane >> 2)] >> np.uint64(16 * (lane & 3))) & _LANE


@jit
def _lane_masks(lanes):
    """Row ``k``: +1 in lanes 0..k of packed 16-bit counters (``lanes`` + 1 lanes, the last a pad)."""
    masks = np.zeros((lanes, (lanes >> 2) + 1), dtype=np.uint64)
    for k in range(lanes):
        for lane in range(k + 1):
            masks[k, lane >> 2] += np.uint64(1) << np.uint64(16 * (lane & 3))
    return masks


@jit
def _count_discordant(keys, low, group_end, tie_free):
    """Pairs (i before j in ``keys``) with ``pos(i) >= group_end[pos(j)]``, ``pos = key & low``.

    The sorted keys list positions 0..n-1 (sorted by true value, ties grouped) by increasing
    noisy value; a pair counts when the earlier element (smaller noisy value) sits in a later
    group of true values: a discordant pair. "How many earlier elements at position >= T" is a
    popcount in a bit set over positions plus two suffix counts: of the words after T's word
    within its superblock of ``_SB`` words, and of the superblocks after T's. The suffix counts
    are 16-bit counters packed four to a word, so adding one element updates them with a few word
    additions (n < 65536; :func:`_count_discordant_wide` otherwise). ``tie_free``: no true values
    tie, so ``group_end[v]`` is ``v + 1`` (not looked up).
    """
    n = keys.size
    n_super = ((n >> 6) + _SB) // _SB
    words = np.zeros(n_super * _SB, dtype=np.uint64)
    m1, m2 = _lane_masks(_SB), _lane_masks(n_super)
    w1, w2 = m1.shape[1], m2.shape[1]
    u1, u2 = (_SB + 3) >> 2, (n_super + 3) >> 2     # words holding lanes that get counts
    S1 = np.zeros(n_super * w1, dtype=np.uint64)
    S2 = np.zeros(w2, dtype=np.uint64)
    total = 0
    for j in range(n):
        v = np.intp(keys[j] & low)
        T = v + 1 if tie_free else group_end[v]
        w = T >> 6
        sb = w // _SB
        total += (popcount(words[w] >> np.uint64(T & 63)) + _lane(S1, sb * w1, w - sb * _SB + 1)
                  + _lane(S2, 0, sb + 1))
        w = v >> 6
        words[w] |= np.uint64(1) << np.uint64(v & 63)
        sb = w // _SB
        base = sb * w1
        for k in range(u1):              # the pad lane's word never changes
            S1[base + k] += m1[w - sb * _SB, k]
        for k in range(u2):
            S2[k] += m2[sb, k]
    return total


@jit
def _count_discordant_wide(keys, low, group_end):
    """:func:`_count_discordant` with plain 64-bit suffix counts, for any n."""
    n = keys.size
    n_super = ((n >> 6) + _SB) // _SB
    words = np.zeros(n_super * _SB, dtype=np.uint64)
    S1 = np.zeros(n_super * (_SB + 1), dtype=np.int64)
    S2 = np.zeros(n_super + 1, dtype=np.int64)
    total = 0
    for j in range(n):
        v = np.intp(keys[j] & low)
        T = group_end[v]
        w = T >> 6
        sb = w // _SB
        total += popcount(words[w] >> np.uint64(T & 63)) + S1[sb * (_SB + 1) + w - sb * _SB + 1] + S2[sb + 1]
        w = v >> 6
        words[w] |= np.uint64(1) << np.uint64(v & 63)
        sb = w // _SB
        base = sb * (_SB + 1)
        for k in range(w - sb * _SB + 1):
            S1[base + k] += 1
        for k in range(sb + 1):
            S2[k] += 1
    return total


@jit
def kendall_counts(keys, hw_x, block_x, values, x_rank, rows, low_bits, out):
    """Kendall tau's pair counts of each row, from its sorted keys.

    Keys with different quantised values are in the order of their noisy values, so the pair
    counter (:func:`_count_discordant`) is exact for every pair but those within a run of keys
    that share a quantised value; there the keys are in position order, which the counter never
    counts as discordant. Those pairs (a few percent, mostly runs of two) are settled one by one
    with the exact values: discordant, tied in the noisy value, or tied in both.

    Parameters
    ----------
    keys : uint32 or uint64 (r, n)
        Rows of :func:`kendall_keys`, each sorted.
    hw_x, block_x, values
        As for :func:`kendall_keys`.
    x_rank : intp (trials or 1, n)
        Dense ranks of the true values in that order (non-decreasing).
    rows : intp (r, 2)
        (trial, level) of each row.
    out : int64 (r, 3)
        Filled with the discordant pairs (strict in both values), the pairs tied in the noisy
        value, and the pairs tied in both.
    """
    n = keys.shape[1]
    low = keys.dtype.type((1 << low_bits) - 1)
    shift = keys.dtype.type(low_bits)
    shared = np.empty(n, dtype=np.intp)
    group_end = np.empty(n, dtype=np.intp)
    tie_free = True
    last_t = -1
    for r in range(rows.shape[0]):
        t = rows[r, 0]
        tx = t if x_rank.shape[0] > 1 else 0
        xr, h = x_rank[tx], hw_x[tx]
        if tx != last_t:                 # end of each position's group of equal true values
            end = n
            for i in range(n - 1, -1, -1):
                group_end[i] = end
                if i > 0 and xr[i] != xr[i - 1]:
                    end = i
            tie_free = xr[n - 1] == n - 1
            last_t = tx
        k, vals, blk = keys[r], values[t, rows[r, 1]], block_x[t]
        n_shared = 0                     # positions whose key shares its value part with the last
        for j in range(1, n):
            shared[n_shared] = j
            n_shared += (k[j] >> shift) == (k[j - 1] >> shift)
        dis = y_tied = both_tied = 0
        i = 0
        while i < n_shared:              # each run of shared values, pair by pair
            lo, hi = shared[i] - 1, shared[i] + 1
            i += 1
            while i < n_shared and shared[i] == hi:
                hi += 1
                i += 1
            for a in range(lo, hi - 1):
                pa = np.intp(k[a] & low)
                for b in range(a + 1, hi):
                    pb = np.intp(k[b] & low)     # pa < pb: the true value of a is not above b's
                    ya, yb = h[pa] + vals[blk[pa]], h[pb] + vals[blk[pb]]
                    if ya > yb:
                        dis += xr[pa] != xr[pb]
                    elif ya == yb:
                        y_tied += 1
                        both_tied += xr[pa] == xr[pb]
        if n < 1 << 16:
            dis += _count_discordant(k, low, group_end, tie_free)
        else:
            dis += _count_discordant_wide(k, low, group_end)
        out[r, 0], out[r, 1], out[r, 2] = dis, y_tied, both_tied
