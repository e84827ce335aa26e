"""Compiled inner loops of the selection simulation (numba).

:func:`hwlib.simulation.simulate_trials` spends its time in the Pareto selection of each (trial,
deviation level), in Kendall tau between true and noisy hardware values, and in drawing the
deviations. Here each is a compiled pass over one trial's points, with no (trials, levels, n)
temporaries, and each reproduces the numpy path of :mod:`hwlib.simulation` bit for bit:

* :func:`mixture` scales the deviation draws with numpy's own summation order;
* :func:`select_batch` builds the noisy values on the fly, keeps the few candidates a running
  minimum leaves, and scores them with the numpy path's floating-point operations (same
  candidates, same left-to-right sums);
* :func:`kendall_keys` and :func:`kendall_counts` give Kendall tau's pair counts: 32-bit keys
  (quantised noisy value above, position in true-value order below) that numpy sorts with SIMD,
  then one pass that counts discordant pairs in a bit set, and settles exactly the few pairs
  whose keys share a quantised value.

When numba is missing (``AVAILABLE`` is False) the simulation uses its numpy path instead.
"""

from __future__ import annotations

import numpy as np

try:
    import numba
except ImportError:  # pragma: no cover - numba is a pinned dependency; the numpy path still works
    numba = None

AVAILABLE = numba is not None

__all__ = ["AVAILABLE", "mixture", "select_batch", "sort_draws", "subset_value_order", "kendall_keys",
           "kendall_counts"]


def _jit(fn):
    return numba.njit(cache=True, nogil=True)(fn) if AVAILABLE else fn


@_jit
def _block_sum(a, lo, n):
    """numpy's pairwise summation of at most 128 values: eight running sums, then the rest."""
    if n < 8:
        total = 0.0
        for i in range(lo, lo + n):
            total += a[i]
        return total
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - n % 8:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        total += a[lo + i]
        i += 1
    return total


@_jit
def _pairwise_sum(a, lo, n):
    """numpy's pairwise summation of ``a[lo:lo + n]``, step for step, so that sums match numpy's
    bit for bit: blocks of at most 128 values, halved at multiples of 8, added as a binary tree.
    (numpy recurses; an explicit stack here, because numba cannot cache recursive functions.)"""
    if n <= 128:
        return _block_sum(a, lo, n)
    f_lo, f_n = np.empty(64, dtype=np.intp), np.empty(64, dtype=np.intp)
    f_phase = np.zeros(64, dtype=np.intp)
    sums = np.empty(64)
    top, k = 0, 0                        # frames and partial sums on the stacks
    f_lo[0], f_n[0] = lo, n
    while top >= 0:
        start, size = f_lo[top], f_n[top]
        half = size // 2
        half -= half % 8
        if size <= 128:
            sums[k] = _block_sum(a, start, size)
            k += 1
            top -= 1
        elif f_phase[top] == 0:          # left half next
            f_phase[top] = 1
            top += 1
            f_lo[top], f_n[top], f_phase[top] = start, half, 0
        elif f_phase[top] == 1:          # then the right half
            f_phase[top] = 2
            top += 1
            f_lo[top], f_n[top], f_phase[top] = start + half, size - half, 0
        else:                            # both done: left + right
            k -= 1
            sums[k - 1] = sums[k - 1] + sums[k]
            top -= 1
    return sums[0]


@_jit
def mixture(stds, uniforms, normals, weights, p_pos, p_neg, sd_neg, uniform, out):
    """``hwlib.simulation._mixture`` in one pass per row, with numpy's summation order."""
    m = weights.size
    size = _pairwise_sum(weights, 0, m)
    values, tmp = np.empty(m), np.empty(m)
    for r in range(stds.size):
        u = uniforms[r]
        shift = 2.0 * stds[r] * u[0]
        for i in range(m):
            if u[1 + i] < p_pos:
                values[i] = normals[r, 0, i] + shift
            elif u[1 + i] < p_pos + p_neg:
                values[i] = sd_neg * normals[r, 1, i] - shift
            else:
                values[i] = uniform * (2.0 * u[m + 1 + i] - 1.0)
            tmp[i] = values[i] * weights[i]
        mean = _pairwise_sum(tmp, 0, m) / size
        for i in range(m):
            d = values[i] - mean
            tmp[i] = d * d * weights[i]
        sd = np.sqrt(_pairwise_sum(tmp, 0, m) / size)
        factor = stds[r] / sd if sd > 0 else 0.0
        for i in range(m):
            out[r, i] = values[i] * factor if sd > 0 else 0.0


@_jit
def _nondominated(f0, f1, k, out):
    """``hwlib.pareto.nondominated_sorted`` of the first ``k`` points (sorted by ``f0``) into ``out``."""
    before = np.inf                      # min of f1 over every earlier point
    start = 0
    while start < k:                     # one group of equal f0 at a time
        end = start + 1
        tied = f1[start]
        while end < k and f0[end] == f0[start]:
            tied = min(tied, f1[end])
            end += 1
        for j in range(start, end):
            out[j] = f1[j] < before and f1[j] <= tied
        for j in range(start, end):
            before = min(before, f1[j])
        start = end


@_jit
def _hypervolume(x, f1, mask, k, ref1):
    """``hwlib.pareto.hypervolume_sorted`` of the masked points among the first ``k`` (``x`` is the
    first objective clipped at the reference 0, ``ref1`` the second reference), summed left to right."""
    total = 0.0
    low = np.inf
    for j in range(k):
        if mask[j]:
            low = min(low, f1[j])
        width = (x[j + 1] if j + 1 < k else 0.0) - x[j]
        total += width * max(ref1 - low, 0.0)
    return total


@_jit
def _mra_gaps(acc, hw, by_value, gaps):
    """Per point (accuracy order), the accuracy gap to the first point whose running minimum of
    ``hw`` is <= its own ``hw``: the most accurate true-front point weakly dominating it.

    Those points are the records of the running minimum (decreasing values); the answer moves to
    earlier records as ``hw`` grows, so one walk over the points in increasing ``hw``
    (``by_value``) and over the records finds them all.
    """
    n = acc.size
    rec = np.empty(n, dtype=np.intp)     # positions where the running minimum drops
    k = 0
    for i in range(n):
        if k == 0 or hw[i] < hw[rec[k - 1]]:
            rec[k] = i
            k += 1
    r = k - 1
    for j in range(n):
        i = by_value[j]
        while r > 0 and hw[rec[r - 1]] <= hw[i]:
            r -= 1
        gaps[i] = acc[rec[r]] - acc[i]


@_jit
def select_batch(acc, f0, hw, block, values, ref1, by_value, out, noisy, same_subsets=False):
    """Selection metrics of every (trial, level) of a batch.

    Parameters
    ----------
    acc, f0, hw : float64 (trials, n)
        Accuracy (non-increasing), first objective ``-acc / 100`` and true hardware value.
    block : intp (trials, n)
        Which deviation value each point takes.
    values : float64 (trials, levels, m)
        Deviation values; a point's noisy value is ``hw + values[t, k, block]``.
    ref1 : float64 (trials,)
        Hypervolume reference of the hardware value.
    by_value : intp (trials or 1, n)
        Each trial's points in increasing true hardware value (one row: the same for all).
    out : float64 (10, trials, levels)
        Filled with mra_all, mra_pareto, hv_selected, hv_verified, hv_predicted, n_selected,
        n_verified, hv_true, n_true and the number of candidates.
    noisy : bool (trials, levels)
        Filled: whether any noisy value differs from the true one.
    same_subsets : bool
        Every trial has the same points (all of the problem's): the true front, the MRA gaps and
        the true hypervolume are computed once.
    """
    trials, n = hw.shape
    levels = values.shape[1]
    gaps, x = np.empty(n), np.empty(n)
    c_f0, c_x = np.empty(n), np.empty(n)
    c_pred, c_hw, c_gap = np.empty(n), np.empty(n), np.empty(n)
    c_masked = np.empty(n)
    sel = np.empty(n, dtype=np.bool_)
    ver = np.empty(n, dtype=np.bool_)
    all_true = np.ones(n, dtype=np.bool_)
    hv_true, n_true = 0.0, 0
    for t in range(trials):
        if t == 0 or not same_subsets:
            _mra_gaps(acc[t], hw[t], by_value[t if by_value.shape[0] > 1 else 0], gaps)
            for i in range(n):
                x[i] = min(f0[t, i], 0.0)
            hv_true = _hypervolume(x, hw[t], all_true, n, ref1[t])
            k = 0                        # the true front: among the running minimum's candidates
            before = np.inf
            for i in range(n):
                p = hw[t, i]
                if p <= before:
                    if p < before or (i > 0 and f0[t, i] == f0[t, i - 1]):
                        c_f0[k], c_pred[k] = f0[t, i], p
                        k += 1
                    before = p
            _nondominated(c_f0, c_pred, k, sel)
            n_true = sel[:k].sum()
        hw_t, f0_t, block_t = hw[t], f0[t], block[t]
        for lv in range(levels):
            vals = values[t, lv]
            k = 0
            before = np.inf
            differs = False
            for i in range(n):           # candidates: below every earlier value, or tied in f0
                p = hw_t[i] + vals[block_t[i]]
                differs |= p != hw_t[i]
                if p <= before:          # rare: a branch, not a chain of minima
                    if p < before or (i > 0 and f0_t[i] == f0_t[i - 1]):
                        c_f0[k], c_x[k], c_pred[k], c_hw[k], c_gap[k] = f0_t[i], x[i], p, hw_t[i], gaps[i]
                        k += 1
                    before = p
            noisy[t, lv] = differs
            _nondominated(c_f0, c_pred, k, sel)
            for j in range(k):
                c_masked[j] = c_hw[j] if sel[j] else np.inf
            _nondominated(c_f0, c_masked, k, ver)
            n_sel = n_ver = 0
            gap_sel = gap_ver = 0.0
            for j in range(k):
                ver[j] = ver[j] and sel[j]
                if sel[j]:
                    n_sel += 1
                    gap_sel += c_gap[j]
                if ver[j]:
                    n_ver += 1
                    gap_ver += c_gap[j]
            out[0, t, lv] = gap_sel / n_sel
            out[1, t, lv] = gap_ver / n_ver
            out[2, t, lv] = _hypervolume(c_x, c_masked, sel, k, ref1[t])
            out[3, t, lv] = _hypervolume(c_x, c_hw, ver, k, ref1[t])
            out[4, t, lv] = _hypervolume(c_x, c_pred, sel, k, ref1[t])
            out[5, t, lv], out[6, t, lv], out[7, t, lv] = n_sel, n_ver, hv_true
            out[8, t, lv], out[9, t, lv] = n_true, k


@_jit
def sort_draws(pos, block, N, blocks):
    """Sort each row of drawn positions (distinct, below ``N``) in place, and give each point the
    deviation block of its draw: ``blocks[t] = block[order]``."""
    trials, n = pos.shape
    at = np.zeros(N if 16 * n >= N else 0, dtype=np.intp)
    pos_row, block_row = np.empty(n + 1, dtype=np.intp), np.empty(n + 1, dtype=np.intp)
    for t in range(trials):
        if 16 * n >= N:                  # a large share of the problem: one pass over it
            for i in range(n):
                at[pos[t, i]] = i + 1
            k = 0
            for p in range(N):           # compacted without branches (about half are drawn);
                a = at[p]                # the slot after the last one takes the spare writes
                pos_row[k], block_row[k] = p, block[max(a - 1, 0)]
                at[p] = 0
                k += a > 0
            pos[t], blocks[t] = pos_row[:n], block_row[:n]
        else:
            order = np.argsort(pos[t])
            drawn = pos[t].copy()
            for k in range(n):
                pos[t, k], blocks[t, k] = drawn[order[k]], block[order[k]]


@_jit
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


if AVAILABLE:
    from numba.extending import intrinsic

    @intrinsic
    def _popcount(typingctx, x):
        """Set bits of a uint64 (LLVM's ctpop: one instruction)."""
        def codegen(context, builder, signature, args):
            return builder.ctpop(args[0])
        return numba.types.uint64(numba.types.uint64), codegen
else:  # pragma: no cover
    def _popcount(x):
        return bin(int(x)).count("1")


@_jit
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


@_jit
def _lane(words, base, lane):
    """Counter ``lane`` of the packed counters starting at word ``base``."""
    return (words[base + (lane >> 2)] >> np.uint64(16 * (lane & 3))) & _LANE


@_jit
def _lane_masks(lanes):
    """Row ``k``: +1 in lanes 0..k of packed 16-bit counters (``lanes`` + 1 lanes, the last a pad)."""
    masks = np.zeros((lanes, (lanes >> 2) + 1), dtype=np.uint64)
    for k in range(lanes):
        for lane in range(k + 1):
            masks[k, lane >> 2] += np.uint64(1) << np.uint64(16 * (lane & 3))
    return masks


@_jit
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
        total += (_popcount(words[w] >> np.uint64(T & 63)) + _lane(S1, sb * w1, w - sb * _SB + 1)
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


@_jit
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
        total += _popcount(words[w] >> np.uint64(T & 63)) + S1[sb * (_SB + 1) + w - sb * _SB + 1] + S2[sb + 1]
        w = v >> 6
        words[w] |= np.uint64(1) << np.uint64(v & 63)
        sb = w // _SB
        base = sb * (_SB + 1)
        for k in range(w - sb * _SB + 1):
            S1[base + k] += 1
        for k in range(sb + 1):
            S2[k] += 1
    return total


@_jit
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
