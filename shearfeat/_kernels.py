"""Numba kernels: the only module that imports Numba.

The kernels assume clean, C-contiguous, correctly typed input and check nothing; the
public functions validate.  Each kernel works on the rows ``r0 .. r1 - 1`` of its output
and releases the GIL, so that the caller can split an image across threads: a kernel
reads neighbouring rows of its *inputs* but writes only its own rows.

The measures stream over orientations.  For each orientation the caller passes the
coefficient maps of that orientation (``coeffs``); the update kernel folds them into
per-pixel state (the best pivot so far and its measure) and keeps the pivot responses of
the orientation in ``stack[:, f]`` (real maps, one per scale the fit can read: the
edges' pivot scales, the ridges' scales and parities; not the K complex ones), from which
the finishing kernel fits the orientation of the winner once all orientations are seen.
The coefficient maps come from inverse FFTs of the image's spectrum times pair spectra
(:func:`multiply_rows`; for edges and ridges :func:`multiply_ramped_rows`, from real
spectra and a phase ramp).
Stacks are laid out row first, ``stack[r, f, s, c]``: what a finishing kernel gathers for
one row lies in one contiguous block, where a map-first layout scattered it over dozens of
far-apart maps (the edge orientation and the blob finish ran 2-3x slower so).
Every pixel computes every candidate and selects the winner: data-dependent branches
would cost more than the arithmetic and keep the column loops from vectorising.
"""

from __future__ import annotations

import heapq
import math

import numpy as np
from numba import njit

_OPTIONS = dict(cache=True, nogil=True, fastmath=False, error_model="numpy")


@njit(**_OPTIONS)
def multiply_rows(spectrum, pairs, nonzero, out, r0, r1):
    """``out[p, r] = spectrum[r] * pairs[p, r % M]`` for rows r0 .. r1 - 1.

    ``spectrum`` is (B M, N): the spectra of B images stacked along the rows; ``pairs`` is
    (P, M, N) and ``out`` (P, B M, N).  Rows of ``pairs`` where ``nonzero[p, row]`` is
    False are all zero: their products are zeroed without reading them.
    """
    n_pairs, period, _ = pairs.shape
    n_cols = spectrum.shape[1]
    for r in range(r0, r1):              # rows outermost: a spectrum row serves every pair
        x = spectrum[r]
        row = r % period
        for p in range(n_pairs):
            dst = out[p, r]
            if nonzero[p, row]:
                src = pairs[p, row]
                for c in range(n_cols):
                    dst[c] = x[c] * src[c]
            else:
                for c in range(n_cols):
                    dst[c] = 0


@njit(**_OPTIONS)
def multiply_ramped_rows(spectrum, pairs, ramp_of, row_ramps, col_ramps, nonzero, out, r0,
                         r1):
    """``out[p, r] = spectrum[r] * ramp * pairs[p, r % M]`` for rows r0 .. r1 - 1, with
    real ``pairs`` (P, M, N) and the phase ramp ``row_ramps[v, r % M] * col_ramps[v, c]``
    of ``v = ramp_of[p]`` (see ``ShearletSystem._pair_phases``).

    As :func:`multiply_rows`, from real spectra: half the bytes to read.  The ramped
    spectrum row is computed once for each run of pairs with the same ramp (an edge
    orientation's pairs share one; a ridge orientation's two parities have two).
    """
    n_pairs, period, n_cols = pairs.shape
    ramped = np.empty(n_cols, out.dtype)
    for r in range(r0, r1):
        x = spectrum[r]
        row = r % period
        last = -1
        for p in range(n_pairs):
            dst = out[p, r]
            if nonzero[p, row]:
                v = ramp_of[p]
                if v != last:
                    g = row_ramps[v, row]
                    ramp = col_ramps[v]
                    for c in range(n_cols):
                        ramped[c] = x[c] * (g * ramp[c])
                    last = v
                src = pairs[p, row]
                for c in range(n_cols):
                    z = ramped[c]
                    dst[c] = complex(z.real * src[c], z.imag * src[c])
            else:
                for c in range(n_cols):
                    dst[c] = 0


@njit(**_OPTIONS)
def multiply_filters(spectrum, filters, out, r0, r1):
    """``out[b, k, r % M] = spectrum[r] * filters[k, r % M]`` for rows r0 .. r1 - 1 of
    the (B M, N) spectra of B images stacked along the rows; ``out`` is (B, K, M, N)."""
    n_filters, period, n_cols = filters.shape
    for r in range(r0, r1):
        x = spectrum[r]
        b = r // period
        row = r % period
        for k in range(n_filters):
            src = filters[k, row]
            dst = out[b, k, row]
            for c in range(n_cols):
                dst[c] = x[c] * src[c]


@njit(**_OPTIONS)
def _wrap(i, n):
    if i < 0:
        return i + n
    if i >= n:
        return i - n
    return i


@njit(**_OPTIONS)
def _wrap_row(r, d, period):
    """Row ``r - d`` of the image that row ``r`` belongs to, periodically: images of
    ``period`` rows are stacked along the rows."""
    top = r - r % period
    return top + _wrap(r - top - d, period)


@njit(**_OPTIONS)
def _load_row(coeffs, r, dc, zr, zi):
    """Deinterleave row ``r`` of every map into ``zr``/``zi``, reading column ``c - dc``
    (periodically) for column ``c``: contiguous buffers let the loops vectorise."""
    n_maps, _, n_cols = coeffs.shape
    split = dc if dc >= 0 else n_cols + dc
    for s in range(n_maps):
        row = coeffs[s, r]
        if dc >= 0:
            for c in range(split, n_cols):
                z = row[c - dc]
                zr[s, c] = z.real
                zi[s, c] = z.imag
            for c in range(split):
                z = row[c - dc + n_cols]
                zr[s, c] = z.real
                zi[s, c] = z.imag
        else:
            for c in range(split):
                z = row[c - dc]
                zr[s, c] = z.real
                zi[s, c] = z.imag
            for c in range(split, n_cols):
                z = row[c - dc - n_cols]
                zr[s, c] = z.real
                zi[s, c] = z.imag


@njit(**_OPTIONS)
def _edge_stats(zr, zi, sgn, pivot, beta, p, ps, acc):
    """Pivot ``p`` (largest ``sgn * imag`` over the pivot scales), its scale ``ps`` and the
    unnormalised sum ``acc`` of the edge measure, for every column of one row."""
    n_s, n_cols = zi.shape
    for c in range(n_cols):
        p[c] = -np.inf
        ps[c] = 0
        acc[c] = 0.0
    for s in range(n_s):
        if pivot[s]:
            for c in range(n_cols):
                v = sgn * zi[s, c]
                take = v > p[c]
                p[c] = v if take else p[c]
                ps[c] = s if take else ps[c]
    for s in range(n_s):
        for c in range(n_cols):
            v = sgn * zi[s, c]
            acc[c] += (v if v < p[c] else p[c]) - abs(zr[s, c]) - beta


@njit(**_OPTIONS)
def _edge_fold(p, ps, acc, dc, slot, n_s, bp, bw, bm):
    """Fold one slot's row statistics into a row of the state (best pivot, winner code
    ``slot * S + pivot scale``, measure); state column ``c`` takes statistics column
    ``c - dc`` (periodically).

    Stores only where the slot wins: after the first orientations few pixels change, so
    most state lines stay clean and are not written back (a select that stores every
    pixel made the edge measure about 8% slower; the loop does not vectorise either way).
    """
    n_cols = p.shape[0]
    scale = n_s * 1.0
    split = dc if dc >= 0 else n_cols + dc
    for segment in range(2):
        lo = split if segment == 0 else 0
        hi = n_cols if segment == 0 else split
        off = -dc if (segment == 0) == (dc >= 0) else -dc + (n_cols if dc >= 0 else -n_cols)
        for c in range(lo, hi):
            k = c + off
            if p[k] > bp[c]:
                e = acc[k] / (scale * p[k])
                bm[c] = e if e > 0.0 else 0.0
                bw[c] = slot * n_s + ps[k]
                bp[c] = p[k]


@njit(**_OPTIONS)
def edge_update(coeffs, f, pivot, beta, dir_r, dir_c, stack, best_p, winner, measure,
                period, active, r0, r1):
    """Fold orientation ``f`` (slots f and f + n_o) into the edge state.

    ``coeffs[s] = real C(f, s) + i imag C(f, s + d)`` for s = 0 .. S-1 (S pairs).  Slots
    ``n_o .. 2 n_o - 1`` are the point reflections of slots ``0 .. n_o - 1``:
    ``C(o + n_o)(x) = conj(C(o)(x - direction[o]))``, so each row is loaded once and its
    reflected statistics are folded into row ``r + direction[o][0]`` (0 or 1 rows on).
    ``stack[:, f, k]`` receives ``imag C(f, s + d)`` of the k-th pivot scale s (the
    orientation fit reads no other scale).  The rows hold images of ``period``
    rows each, one after the other; the shift wraps within each image.  Rows where
    ``active`` is False (padding that will be cropped) are skipped.
    """
    n_s, n_rows, n_cols = coeffs.shape
    n_o = dir_r.shape[0]
    dtype = best_p.dtype
    dr = dir_r[f]
    dc = dir_c[f]
    zr = np.empty((n_s, n_cols), dtype)
    zi = np.empty((n_s, n_cols), dtype)
    p = np.empty(n_cols, dtype)
    ps = np.empty(n_cols, np.int32)
    acc = np.empty(n_cols, dtype)
    rp = np.empty(n_cols, dtype)               # reflected statistics of the source row
    rps = np.empty(n_cols, np.int32)
    racc = np.empty(n_cols, dtype)
    one = dtype.type(1.0)
    for r in range(r0, r1):
        if not active[r]:
            continue
        if dr != 0:                            # row r - 1's reflection lands on row r
            if r == r0 or r % period == 0 or not active[r - 1]:   # not carried over
                _load_row(coeffs, _wrap_row(r, dr, period), 0, zr, zi)
                _edge_stats(zr, zi, -one, pivot, beta, rp, rps, racc)
            _edge_fold(rp, rps, racc, dc, f + n_o, n_s, best_p[r], winner[r], measure[r])
        _load_row(coeffs, r, 0, zr, zi)
        k = 0
        for s in range(n_s):
            if pivot[s]:
                dst = stack[r, f, k]
                for c in range(n_cols):
                    dst[c] = zi[s, c]
                k += 1
        _edge_stats(zr, zi, one, pivot, beta, p, ps, acc)
        _edge_fold(p, ps, acc, 0, f, n_s, best_p[r], winner[r], measure[r])
        _edge_stats(zr, zi, -one, pivot, beta, rp, rps, racc)
        if dr == 0:
            _edge_fold(rp, rps, racc, dc, f + n_o, n_s, best_p[r], winner[r], measure[r])


@njit(**_OPTIONS)
def merge_mask(best, winner, other_best, other_winner, n_o, per_slot, take, r0, r1):
    """Where another worker's state (orientations disjoint from this one's) wins:
    ``take`` is True where its best value is larger, or equal from a lower orientation
    (the slot ``winner // per_slot``, modulo ``n_o``), as in one worker folding every
    orientation in order, which keeps the first of equal values.  Unset states (winner
    -1) never win."""
    n_cols = best.shape[1]
    for r in range(r0, r1):
        for c in range(n_cols):
            w = other_winner[r, c]
            v = other_best[r, c]
            take[r, c] = w >= 0 and (v > best[r, c] or (
                v == best[r, c] and (w // per_slot) % n_o < (winner[r, c] // per_slot) % n_o))


@njit(**_OPTIONS)
def copy_where(dst, src, take, r0, r1):
    """``dst[r] = src[r]`` where ``take[r]``, for rows r0 .. r1 - 1 of 2-D arrays."""
    n_cols = dst.shape[1]
    for r in range(r0, r1):
        d, s, t = dst[r], src[r], take[r]
        for c in range(n_cols):
            if t[c]:
                d[c] = s[c]


@njit(**_OPTIONS)
def _tangent_degrees(slope_degrees, horizontal):
    """Tangent angle in [0, 180) of a normal (1, k) in the horizontal cone or (k, 1) in
    the vertical one, from ``slope_degrees = degrees(atan(k))``."""
    angle = 90.0 + slope_degrees if horizontal else 180.0 - slope_degrees
    angle = angle - 180.0 * math.floor(angle / 180.0)
    return 0.0 if angle >= 180.0 else angle


@njit(**_OPTIONS)
def edge_orientation(measure, best_p, winner, slot_of, rank_of, stack, dir_r, dir_c,
                     left_slot, right_slot, slope_start, slope_stop, horizontal_to, sign,
                     beta, floor_share, measure_share, period, active, out, share, r0, r1):
    """Tangent angle in degrees: a three-point parabola over the orientation index
    (twins skipped) at the pivot scale, mapped through the interpolated shear slope,
    wherever E > 0 or the pivot response exceeds ``beta`` (the edge's strength is
    graded there, see :mod:`shearfeat._strength`); NaN elsewhere.  ``share`` receives
    the strength's shape share there, ``floor_share * max(1 - beta / p, 0) +
    measure_share * E`` (p the pivot response, in the measure's dtype), and 0 elsewhere.

    ``stack`` (rows, n_o, P, cols) holds the odd responses at the P pivot scales; a
    ``winner`` code names the slot ``slot_of[code]`` and the pivot scale's place
    ``rank_of[code]`` in the stack.  A reflected slot (``slot >= n_o``) reads its twin's
    response at the reflected position, which it gives negated.  The fit reads what it
    needs about a slot's sides from tables indexed ``2 * slot + side``
    (:func:`shearfeat._system.fit_geometry`): with selects instead of branches it runs
    in half the time.

    Row by row in passes over the pixels with an edge: where their neighbours'
    responses lie, then one tight loop of loads from the stack, then the fit, then the
    arc tangents.  Pixel by pixel, each waited for its own cache misses and branches:
    the kernel took 4x as long.
    """
    _, n_o, n_p, n_cols = stack.shape
    one = best_p.dtype.type(1.0)
    zero = best_p.dtype.type(0.0)
    flat = stack.reshape(-1)
    cols = np.empty(n_cols, np.int64)          # the pixels of the row with an edge
    slots = np.empty(n_cols, np.int64)         # their winners' slots
    index = np.empty((2, n_cols), np.int64)    # where their left and right responses are
    response = np.empty((2, n_cols), stack.dtype)
    k = np.empty(n_cols)                       # the interpolated slope (then its angle)
    horizontal = np.empty(n_cols, np.bool_)
    base = np.empty(2 * n_o, np.int64)         # each slot's responses on this row: start
    shift = np.zeros(2 * n_o, np.int64)        # and column shift
    for g in range(n_o):
        shift[g + n_o] = dir_c[g]
    for r in range(r0, r1):
        if not active[r]:
            continue
        top = r - r % period
        for g in range(n_o):
            base[g] = (r * n_o + g) * n_p * n_cols
            base[g + n_o] = ((top + _wrap(r - top - dir_r[g], period)) * n_o + g) * n_p * n_cols
        n = 0
        for c in range(n_cols):
            out[r, c] = np.nan
            share[r, c] = 0.0
            if measure[r, c] > 0.0 or best_p[r, c] > beta:
                cols[n] = c
                n += 1
        for i in range(n):
            c = cols[i]
            contrast = one - beta / best_p[r, c]
            contrast = contrast if contrast > 0.0 else zero
            share[r, c] = contrast * floor_share + measure_share * measure[r, c]
        for i in range(n):
            c = cols[i]
            code = winner[r, c]
            o = slot_of[code]
            at = rank_of[code] * n_cols
            slots[i] = o
            nb = left_slot[o]
            index[0, i] = base[nb] + at + _wrap(c - shift[nb], n_cols)
            nb = right_slot[o]
            index[1, i] = base[nb] + at + _wrap(c - shift[nb], n_cols)
        for i in range(n):
            response[0, i] = flat[index[0, i]]
            response[1, i] = flat[index[1, i]]
        for i in range(n):
            j = 2 * slots[i]
            lv = max(sign[j] * response[0, i], 0.0)
            rv = max(sign[j + 1] * response[1, i], 0.0)
            curvature = 2.0 * best_p[r, cols[i]] - lv - rv
            x = min(max((rv - lv) / (2.0 * curvature), -1.0), 1.0)
            x = x if curvature > 0.0 else 0.0
            j += 0 if x < 0.0 else 1
            t = -x if x < 0.0 else x
            k[i] = (1.0 - t) * slope_start[j] + t * slope_stop[j]
            horizontal[i] = horizontal_to[j]
        for i in range(n):
            k[i] = math.degrees(math.atan(k[i]))
        for i in range(n):
            out[r, cols[i]] = _tangent_degrees(k[i], horizontal[i])


@njit(**_OPTIONS)
def ridge_update(coeffs, f, pivot, expected, inv_pivot, floor, keep, stack, best_abs,
                 winner, measure, oriented, active, r0, r1):
    """Fold orientation ``f`` (on- and off-origin slots) into the ridge state.

    The state keeps the best pivot magnitude, the winner's code ``(slot * 4 + e') * S +
    q`` (slot, parity e' = e, plus 2 where the pivot response is negative, pivot scale
    q) and the measure there; the height and width follow from these
    (:func:`ridge_finish`), so they are not carried through every orientation (the
    kernel is bound by memory traffic).

    ``coeffs[e * S + s] = real C(f, e, s + d) + i imag C(f, e, s)``.  For parity e and
    pivot scale q, with W the ridge width the pair is tuned to: ``expected[e, q, s]`` is
    the even response EC(W, s) of scale s, ``inv_pivot[e, q] = 1 / EC(W, q)`` and
    ``floor[e, q] = beta * sum_s |EC(W, s)|``.  ``stack[:, f, e * S + s]`` receives
    ``|real C(f, e, s + d)|``.  ``oriented`` keeps the largest ``keep * real C(f, 0, s +
    d) / EC(W, s)`` (``|...|`` for ``keep`` 0) over every on-origin slot and scale: the
    height of the ridge of the kept polarity that each filter sees (the off-origin
    filters, which added 0.003 to the DRIVE AUC, are left out: they cost 5-10 % of the
    ridges' time).  Only rows where ``active`` is True are computed (the rest
    is padding that is cropped); rows are computed whole, since loops over a column
    range did not vectorise as well (a 512 x 512 periodic call took 1.4x as long).
    """
    n_pairs, n_rows, n_cols = coeffs.shape
    n_s = n_pairs // 2
    dtype = best_abs.dtype
    zr = np.empty((n_pairs, n_cols), dtype)
    zi = np.empty((n_pairs, n_cols), dtype)
    pv = np.empty(n_cols, dtype)
    signed = np.empty(n_cols, dtype)
    ps = np.empty(n_cols, np.int32)
    h = np.empty(n_cols, dtype)
    total = np.empty(n_cols, dtype)
    penalty = np.empty(n_cols, dtype)
    norm = np.empty(n_cols, dtype)
    ex = np.empty((n_s, n_cols), dtype)      # EC(W, s) of each pixel's pivot
    for r in range(r0, r1):
        if not active[r]:
            continue
        _load_row(coeffs, r, 0, zr, zi)
        bor = oriented[r]
        for k in range(n_pairs):             # one pass: |even| for the stack, and the
            dst = stack[r, f, k]             # oriented response
            src = zr[k]
            if k >= n_s:                     # off-origin: half a pixel off, little news
                for c in range(n_cols):
                    dst[c] = abs(src[c])
                continue
            # in the data's type, so that the loops vectorise
            g = dtype.type(inv_pivot[0, k] * (1 if keep == 0 else keep))
            if keep == 0:
                for c in range(n_cols):
                    a = abs(src[c])
                    dst[c] = a
                    bor[c] = max(bor[c], g * a)
            else:
                for c in range(n_cols):
                    v = src[c]
                    dst[c] = abs(v)
                    bor[c] = max(bor[c], g * v)
        for e in range(2):
            base = e * n_s
            for c in range(n_cols):
                pv[c] = -np.inf
                signed[c] = 0.0
                ps[c] = 0
            for s in range(n_s):
                if pivot[s]:
                    for c in range(n_cols):
                        v = zr[base + s, c]
                        take = abs(v) > pv[c]
                        pv[c] = abs(v) if take else pv[c]
                        signed[c] = v if take else signed[c]
                        ps[c] = s if take else ps[c]
            # The tables depend on the pivot scale: select their values per candidate
            # scale (constants in the column loops) rather than gather them per pixel,
            # since loops with gathers do not vectorise.
            for q in range(n_s):
                inv_q = inv_pivot[e, q]
                floor_q = floor[e, q]
                for c in range(n_cols):
                    mine = ps[c] == q
                    h[c] = signed[c] * inv_q if mine else h[c]
                    penalty[c] = floor_q if mine else penalty[c]
                for s in range(n_s):
                    expected_qs = expected[e, q, s]
                    row = ex[s]
                    for c in range(n_cols):
                        row[c] = expected_qs if ps[c] == q else row[c]
            for c in range(n_cols):
                total[c] = 0.0
                norm[c] = 0.0
            for s in range(n_s):
                row = ex[s]
                for c in range(n_cols):
                    v = zr[base + s, c]
                    total[c] += v
                    penalty[c] += abs(zi[base + s, c])
                    norm[c] += max(abs(v), abs(h[c] * row[c]))
            bab = best_abs[r]
            bwi = winner[r]
            code = f * 4 + e
            bme = measure[r]
            for c in range(n_cols):             # stores only where it wins: see _edge_fold
                if pv[c] > bab[c]:
                    value = abs(total[c]) - penalty[c]
                    bme[c] = value / norm[c] if value > 0.0 else dtype.type(0.0)
                    bab[c] = pv[c]
                    sign = 0 if signed[c] > 0.0 else 2
                    bwi[c] = (code + sign) * n_s + ps[c]


@njit(**_OPTIONS)
def ridge_finish(measure, best_abs, winner, widths, inv_pivot, stack, left_slot,
                 right_slot, slope_start, slope_stop, horizontal_to, keep, active, c0, c1,
                 height, width, out, response, r0, r1):
    """Height, width, polarity and tangent angle (a triangle fit over the orientation
    index at the pivot's scale and parity); zero measure, width and height and NaN angle
    where there is no ridge.  ``keep``: 1 bright, -1 dark, 0 both.

    The height is the signed pivot response over EC(W, q) and the width W =
    ``widths[e, q]``, with slot, parity, sign and scale decoded from ``winner`` (see
    :func:`ridge_update`): the numbers the update computed for the winner, to the bit.
    ``response`` receives that signed height at every pixel of the kept polarity,
    whatever the measure (0 elsewhere).  The slopes come from the tables of
    :func:`shearfeat._system.fit_geometry`, as in :func:`edge_orientation`.
    """
    n_s = stack.shape[2] // 2
    dtype = best_abs.dtype
    for r in range(r0, r1):
        if not active[r]:
            continue
        for c in range(c0, c1):
            code = winner[r, c]
            o = code // (4 * n_s)
            signed_parity = (code // n_s) % 4
            e = signed_parity % 2
            q = code % n_s
            h = best_abs[r, c] * inv_pivot[e, q]
            h = -h if signed_parity >= 2 else h
            kept = (keep == 0 and h != 0.0) or (keep > 0 and h > 0.0) or (keep < 0 and h < 0.0)
            response[r, c] = h if kept else dtype.type(0.0)
            if not measure[r, c] > 0.0 or (keep > 0 and not h > 0.0) or (
                    keep < 0 and not h < 0.0):
                measure[r, c] = 0.0
                height[r, c] = 0.0
                width[r, c] = 0.0
                out[r, c] = np.nan
                continue
            height[r, c] = h
            width[r, c] = widths[e, q]
            k = e * n_s + q
            peak = best_abs[r, c]
            lv = stack[r, left_slot[o], k, c]
            rv = stack[r, right_slot[o], k, c]
            low = min(lv, rv)
            x = 0.0
            if peak > low:
                x = (rv - lv) / (2.0 * (peak - low))
            j = 2 * o + (0 if x < 0.0 else 1)
            t = -x if x < 0.0 else x
            k = (1.0 - t) * slope_start[j] + t * slope_stop[j]
            out[r, c] = _tangent_degrees(math.degrees(math.atan(k)), horizontal_to[j])


@njit(**_OPTIONS)
def _filter_value(r, c, freq_r, freq_c, wavelet, window):
    """One filter's spectrum at grid point (r, c): the 1-D analytic wavelet (already
    normalised, along its axis) times the sheared Gaussian window.

    ``window = (wavelet_axis, slope, b)``; ``freq_*`` are reflected frequencies."""
    if window[0] == 0.0:
        w = wavelet[r]
        v = freq_c[c] - window[1] * freq_r[r]
    else:
        w = wavelet[c]
        v = freq_r[r] - window[1] * freq_c[c]
    if w == 0:
        return 0j
    v = v + np.pi
    v = v - 2.0 * np.pi * math.floor(v / (2.0 * np.pi)) - np.pi
    g = window[2] * v
    return w * math.exp(-0.5 * g * g)


@njit(**_OPTIONS)
def pair_spectrum(freq_r, freq_c, real_wavelet, real_window, imag_wavelet, imag_window,
                  unramp_r, unramp_c, out, r0, r1):
    """``out = (Re-part(filter A) + i * Im-part(filter B)) * unramp_r[r] * unramp_c[c]``,
    real, for rows r0 .. r1 - 1.

    The Re-part of a filter H is the spectrum of ``real(ifft2(X * H))`` for real X:
    ``(H(w) + conj(H(-w))) / 2``; the Im-part is ``(H(w) - conj(H(-w))) / 2i``; -w is the
    mirrored index.  A and B share their wavelet axis and their centre, so their pair is
    real times the phase ramp of that centre along the axis; ``unramp_*`` are the
    conjugate ramps (1 along the other axis), which leave the real factor.
    """
    n_rows = freq_r.shape[0]
    n_cols = freq_c.shape[0]
    for r in range(r0, r1):
        mr = (n_rows - r) % n_rows
        for c in range(n_cols):
            mc = (n_cols - c) % n_cols
            h = _filter_value(r, c, freq_r, freq_c, real_wavelet, real_window)
            hm = _filter_value(mr, mc, freq_r, freq_c, real_wavelet, real_window)
            re_part = 0.5 * (h + hm.conjugate())
            h = _filter_value(r, c, freq_r, freq_c, imag_wavelet, imag_window)
            hm = _filter_value(mr, mc, freq_r, freq_c, imag_wavelet, imag_window)
            im_part = -0.5j * (h - hm.conjugate())
            value = ((re_part + 1j * im_part) * (unramp_r[r] * unramp_c[c])).real
            # The window's far tails underflow to denormal float32 numbers, which slow
            # the products and the FFTs several times: make them exact zeros.
            out[r, c] = value if abs(value) >= 1e-30 else 0.0


@njit(**_OPTIONS)
def _bilinear(image, r, c):
    """Bilinear interpolation with the border pixels repeated outside the image."""
    n_rows, n_cols = image.shape
    r = min(max(r, 0.0), n_rows - 1.0)
    c = min(max(c, 0.0), n_cols - 1.0)
    r0 = min(int(r), n_rows - 2) if n_rows > 1 else 0
    c0 = min(int(c), n_cols - 2) if n_cols > 1 else 0
    fr = r - r0
    fc = c - c0
    r1 = min(r0 + 1, n_rows - 1)
    c1 = min(c0 + 1, n_cols - 1)
    top = image[r0, c0] * (1.0 - fc) + image[r0, c1] * fc
    bottom = image[r1, c0] * (1.0 - fc) + image[r1, c1] * fc
    return top * (1.0 - fr) + bottom * fr


@njit(**_OPTIONS)
def nonmax_suppress(measure, orientation, out, r0, r1):
    """Keep pixels whose measure is a maximum along the normal of their feature.

    The normal of tangent angle theta (degrees, matrix coordinates) is
    ``(-sin theta, cos theta)``; the measure one pixel away on either side is
    interpolated bilinearly, as Canny does.  A plateau keeps its first pixel along the
    normal (>= on one side, > on the other) so that it stays one pixel wide.
    """
    n_cols = measure.shape[1]
    for r in range(r0, r1):
        for c in range(n_cols):
            m = measure[r, c]
            theta = orientation[r, c]
            if not m > 0.0 or theta != theta:
                out[r, c] = False
                continue
            t = math.radians(theta)
            dr = -math.sin(t)
            dc = math.cos(t)
            ahead = _bilinear(measure, r + dr, c + dc)
            behind = _bilinear(measure, r - dr, c - dc)
            out[r, c] = m > ahead and m >= behind


@njit(**_OPTIONS)
def hysteresis_levels(values, ratio, out):
    """For each pixel with a positive value, the largest threshold ``t`` at which
    hysteresis between ``t / ratio`` and ``t`` keeps it: the largest ``t`` such that the
    pixel is joined (8-neighbourhood) to a pixel of value ``>= t`` through pixels of
    value ``>= t / ratio``.  0 where the value is 0.  Whole image, one thread.

    The best path from a strong pixel is a widest path (its level is the smallest of the
    seed's value and ``ratio`` times each value on the way), so a max-heap grows the
    levels from the largest down, like Dijkstra's algorithm: each pixel is final when it
    leaves the heap.  Levels are float32 throughout, so an update is never undone by
    rounding and the loop ends.
    """
    n_rows, n_cols = values.shape
    ratio32 = np.float32(ratio)
    heap = [(np.float32(0.0), np.int64(0)) for _ in range(0)]
    for r in range(n_rows):
        for c in range(n_cols):
            v = values[r, c]
            out[r, c] = v if v > 0.0 else np.float32(0.0)
            if v > 0.0:
                heap.append((-v, np.int64(r * n_cols + c)))
    heapq.heapify(heap)
    while len(heap) > 0:
        negative, index = heapq.heappop(heap)
        level = -negative
        r = index // n_cols
        c = index - r * n_cols
        if level < out[r, c]:
            continue                        # a stale entry: reached higher since
        for rr in range(max(r - 1, 0), min(r + 2, n_rows)):
            for cc in range(max(c - 1, 0), min(c + 2, n_cols)):
                v = values[rr, cc]
                if not v > 0.0:
                    continue
                reach = min(level, ratio32 * v)
                if reach > out[rr, cc]:
                    out[rr, cc] = reach
                    heapq.heappush(heap, (-reach, np.int64(rr * n_cols + cc)))


@njit(**_OPTIONS)
def blob_update(coeffs, s, stack, odd_max, mean, active, c0, c1, r0, r1):
    """Fold the maps of blob scale ``s`` into the state.

    ``coeffs`` holds ``even_r + i odd_r`` for the ``R`` even rotations, then
    ``odd + i odd`` pairs of the other ``R`` rotations (see ShearletSystem).  Writes the
    even responses to ``stack[r, s]``, their mean over the rotations to ``mean[r, s]``
    and the largest odd magnitude to ``odd_max[r, s]``.
    """
    n_even = stack.shape[2]
    n_maps = coeffs.shape[0]
    n = c1 - c0
    inv = 1.0 / n_even
    for r in range(r0, r1):
        if not active[r]:
            continue
        # Loops over slices from 0: an index c0 + c that may be negative for all Numba
        # knows keeps LLVM from vectorising (it took 3.5x as long).
        out = odd_max[r, s, c0:c1]
        average = mean[r, s, c0:c1]
        for c in range(n):
            out[c] = 0.0
            average[c] = 0.0
        for k in range(n_maps):
            row = coeffs[k, r, c0:c1]
            if k < n_even:
                even = stack[r, s, k, c0:c1]
                for c in range(n):
                    z = row[c]
                    even[c] = z.real
                    average[c] += inv * z.real
                    out[c] = max(out[c], abs(z.imag))
            else:
                for c in range(n):
                    z = row[c]
                    out[c] = max(out[c], max(abs(z.real), abs(z.imag)))


@njit(**_OPTIONS)
def _table(values, delta0, steps, delta):
    """Linear interpolation in a table sampled every 1/steps from delta0; 0 outside."""
    x = (delta - delta0) * steps
    if not (x >= 0.0 and x < values.size - 1):
        return 0.0
    i = int(x)
    t = x - i
    return values[i] * (1.0 - t) + values[i + 1] * t


@njit(**_OPTIONS)
def _interp(x, xp, fp):
    """``np.interp(x, xp, fp)`` for one number ``x`` within ``[xp[0], xp[-1]]`` (``xp``
    increasing), with NumPy's arithmetic; Numba's ``np.interp`` allocates arrays on
    every call."""
    lo, hi = 0, xp.size - 1
    if x >= xp[hi]:
        return fp[hi]
    while hi - lo > 1:                       # xp[lo] <= x < xp[hi]
        mid = (lo + hi) // 2
        if xp[mid] <= x:
            lo = mid
        else:
            hi = mid
    if xp[lo] == x:
        return fp[lo]
    slope = (fp[lo + 1] - fp[lo]) / (xp[lo + 1] - xp[lo])
    return slope * (x - xp[lo]) + fp[lo]


@njit(**_OPTIONS)
def blob_finish(stack, odd_max, response, delta0, steps, cal_p, cal_u, beta, spo,
                diameter0, keep, measure, diameter, height, active, c0, c1, r0, r1):
    """The SymFD blob measure from the even responses of every scale and rotation and the
    largest odd response of every scale.

    Pivot: the largest even magnitude on the scales between the guards.  Its fractional
    scale ``t0`` comes from a parabola through the pivot rotation's responses at the
    neighbouring scales, calibrated on disks (``cal_p -> cal_u``); a disk of that size
    gives ``response(s - t0)`` at scale ``s``.  ``keep``: 1 bright, -1 dark, 0 both.
    """
    n_s, n_r = stack.shape[1], stack.shape[2]
    n_cols = c1 - c0
    best = np.empty(n_cols, stack.dtype)     # per column of a row: the pivot search
    bs = np.empty(n_cols, np.int32)          # (32-bit: twice the lanes of 64-bit ones),
    br = np.empty(n_cols, np.int32)
    t0 = np.empty(n_cols)                    # the fitted scale,
    h = np.empty(n_cols)
    sign = np.empty(n_cols)
    numerator = np.empty(n_cols)             # and the sums over scales
    denominator = np.empty(n_cols)
    e = np.empty(n_cols)
    lo = np.empty(n_cols, stack.dtype)       # of the rotations at one scale
    hi = np.empty(n_cols, stack.dtype)
    at_pivot = np.empty(n_cols, stack.dtype)
    for r in range(r0, r1):
        if not active[r]:
            continue
        # Row by row, so that the loops over columns read each scale's maps in order
        # and vectorise; only the scale fit is done pixel by pixel.
        for i in range(n_cols):
            best[i] = 0.0
            bs[i] = -1
            br[i] = 0
        for s in range(1, n_s - 1):
            for q in range(n_r):
                row = stack[r, s, q, c0:c1]      # slices from 0 vectorise (see blob_update)
                for i in range(n_cols):
                    v = abs(row[i])
                    take = v > best[i]
                    best[i] = v if take else best[i]
                    bs[i] = s if take else bs[i]
                    br[i] = q if take else br[i]
        for i in range(n_cols):
            c = c0 + i
            measure[r, c] = 0.0
            diameter[r, c] = 0.0
            height[r, c] = 0.0
            sign[i] = 0.0                    # 0: no blob here
            t0[i] = 0.0
            h[i] = 0.0
            numerator[i] = 0.0
            denominator[i] = 0.0
            if bs[i] < 0:
                continue
            pivot = stack[r, bs[i], br[i], c]
            sgn = 1.0 if pivot > 0.0 else -1.0
            if (keep > 0 and sgn < 0.0) or (keep < 0 and sgn > 0.0):
                continue
            left = sgn * stack[r, bs[i] - 1, br[i], c]
            right = sgn * stack[r, bs[i] + 1, br[i], c]
            curve = left - 2.0 * best[i] + right
            p = 0.0
            if curve < 0.0:
                p = (left - right) / (2.0 * curve)
            p = min(max(p, cal_p[0]), cal_p[-1])
            t0[i] = bs[i] + _interp(p, cal_p, cal_u)
            h[i] = pivot / _table(response, delta0, steps, bs[i] - t0[i])
            sign[i] = sgn
        for s in range(n_s):
            for i in range(n_cols):
                e[i] = _table(response, delta0, steps, s - t0[i]) if sign[i] != 0.0 else 0.0
            row = stack[r, s, 0, c0:c1]
            for i in range(n_cols):
                lo[i] = row[i]
                hi[i] = lo[i]
                at_pivot[i] = lo[i]
            for q in range(1, n_r):
                row = stack[r, s, q, c0:c1]
                for i in range(n_cols):
                    v = row[i]
                    lo[i] = min(lo[i], v)
                    hi[i] = max(hi[i], v)
                    at_pivot[i] = v if br[i] == q else at_pivot[i]
            odd = odd_max[r, s, c0:c1]
            for i in range(n_cols):
                # The blob must answer with the sign a disk would give, in every rotation.
                agree = lo[i] if sign[i] * e[i] >= 0.0 else -hi[i]
                # Each scale counts as much as a disk of this size answers there: scales
                # far from the blob's size see only its surroundings.
                w = abs(e[i])
                numerator[i] += w * (agree - odd[i] - beta * w)
                denominator[i] += w * max(abs(at_pivot[i]), abs(h[i] * e[i]))
        for i in range(n_cols):
            if sign[i] != 0.0 and numerator[i] > 0.0 and denominator[i] > 0.0:
                c = c0 + i
                measure[r, c] = numerator[i] / denominator[i]
                diameter[r, c] = diameter0 * 2.0 ** (-t0[i] / spo)
                height[r, c] = h[i]


@njit(**_OPTIONS)
def blob_peaks(stack, mean, odd_max, cal_p, cal_u, peak_response, beta, spo, diameter0,
               keep, odd_ratio, partner_ratio, edge_ratio, opposite_share, period, height,
               diameter, scale, active, c0, c1, r0, r1):
    """Blob candidates that hold in crowds: the coarsest scale at which a pixel is a
    peak of the mean even response ``mean`` (over the rotations), and the disk it fits.

    At scale ``s`` (between the guards) a pixel with ``v = sgn * mean[s] > beta`` (in
    units of a disk's peak response; ``sgn``: the blob's sign, ``keep`` or, for 0, that
    of ``mean``) is a peak when ``v`` is at least its 8 neighbours' and the next finer
    scale's, and the next coarser scale answers with the same sign (a molecule's
    diagonal side lobes answer a gap between blobs of the other sign at one scale
    only, the centre of a disk of it too); when the response's Hessian
    there is not elongated (``tr^2 / det < (edge_ratio + 1)^2 / edge_ratio``, Lowe's
    test: a line or an edge answers along itself); when the odd molecule of the same
    scale (``odd_max[s + spo]``) answers less than ``odd_ratio * v`` and the measure's
    odd partner, an octave coarser (``odd_max[s]``), less than ``partner_ratio * v`` (a
    disk's centre is symmetric; a corner, or a slanted edge that meets a reflected
    border, is not); and when no rotation answers with the opposite sign by more than
    ``opposite_share * v``.  Neighbours read on the periodic image of ``period`` rows and the full width:
    ``active`` must cover the rows and columns around the ones that are kept.

    Writes the fitted height ``sgn * v / peak_response`` (intensity over the
    normalising unit), the diameter (parabola over the scales, calibrated as the
    measure's) and the scale index; 0, 0, -1 where the pixel is no peak at any scale.
    """
    n_s = mean.shape[1]
    cols = mean.shape[2]
    limit = (edge_ratio + 1.0) ** 2 / edge_ratio
    step = int(spo + 0.5)
    for r in range(r0, r1):
        if not active[r]:
            continue
        up = _wrap_row(r, 1, period)
        down = _wrap_row(r, -1, period)
        for c in range(c0, c1):
            height[r, c] = 0.0
            diameter[r, c] = 0.0
            scale[r, c] = -1.0
            left_c = _wrap(c - 1, cols)
            right_c = _wrap(c + 1, cols)
            for s in range(1, n_s - 1):
                m = mean[r, s, c]
                sgn = float(keep)
                if keep == 0:
                    sgn = 1.0 if m > 0.0 else -1.0
                v = sgn * m
                if not v > beta * peak_response or v < sgn * mean[r, s + 1, c] \
                        or not sgn * mean[r, s - 1, c] > 0.0:
                    continue
                w = mean[up, s]
                x = mean[r, s]
                y = mean[down, s]
                n00 = sgn * w[left_c]
                n01 = sgn * w[c]
                n02 = sgn * w[right_c]
                n10 = sgn * x[left_c]
                n12 = sgn * x[right_c]
                n20 = sgn * y[left_c]
                n21 = sgn * y[c]
                n22 = sgn * y[right_c]
                if v < max(max(max(n00, n01), max(n02, n10)),
                           max(max(n12, n20), max(n21, n22))):
                    continue
                d_rr = n01 + n21 - 2.0 * v
                d_cc = n10 + n12 - 2.0 * v
                d_rc = 0.25 * (n22 - n20 - n02 + n00)
                det = d_rr * d_cc - d_rc * d_rc
                trace = d_rr + d_cc
                if not (det > 0.0 and trace * trace < limit * det):
                    continue
                if not (odd_max[r, min(s + step, n_s - 1), c] < odd_ratio * v
                        and odd_max[r, s, c] < partner_ratio * v):
                    continue
                opposite = v
                for q in range(stack.shape[2]):
                    opposite = min(opposite, sgn * stack[r, s, q, c])
                if opposite < -opposite_share * v:
                    continue
                left = sgn * mean[r, s - 1, c]
                right = sgn * mean[r, s + 1, c]
                curve = left - 2.0 * v + right
                p = cal_p[0]
                if curve < 0.0:
                    p = (left - right) / (2.0 * curve)
                p = min(max(p, cal_p[0]), cal_p[-1])
                t = s + _interp(p, cal_p, cal_u)
                height[r, c] = sgn * v / peak_response
                diameter[r, c] = diameter0 * 2.0 ** (-t / spo)
                scale[r, c] = s
                break


@njit(**_OPTIONS)
def blob_pair_spectrum(freq_r, freq_c, cos_t, sin_t, a, even_gain, odd_gain, out, r0, r1):
    """The pair spectra of one blob scale (see ``ShearletSystem._build_blob_pairs``).

    Rotation ``r`` of ``R = cos_t.size`` has frequency coordinates ``u`` along
    ``(cos_t[r], sin_t[r])`` and ``v`` across it; the rotation a quarter turn further has
    ``(v, -u)``.  With ``eu = exp(-(a u)**2 / 2)`` (and ``ev`` alike), the even molecule is
    ``even_gain (a u)**2 (a v)**2 eu ev`` and the odd partner of scale ``2 a`` is
    ``i sign(u) odd_gain (2 a u)**2 (eu ev)**4``: two exponentials give all three maps.
    Gains include 1/(M N); values below 1e-30 are flushed to zero, and so are the
    Nyquist row and column of even-length axes (where a rotated filter cannot be
    symmetric).
    """
    n_rot = cos_t.size
    n_rows = freq_r.size
    n_cols = freq_c.size
    for row in range(r0, r1):
        wr = freq_r[row]
        for col in range(n_cols):
            wc = freq_c[col]
            if (n_rows % 2 == 0 and row == n_rows // 2) or (n_cols % 2 == 0
                                                             and col == n_cols // 2):
                for k in range(out.shape[0]):
                    out[k, row, col] = 0.0
                continue
            for q in range(n_rot):
                u = a * (cos_t[q] * wr + sin_t[q] * wc)
                v = a * (-sin_t[q] * wr + cos_t[q] * wc)
                uu = u * u
                vv = v * v
                g = math.exp(-0.5 * (uu + vv))
                even = even_gain * uu * vv * g
                g2 = g * g
                g4 = g2 * g2
                odd_u = odd_gain * 4.0 * uu * g4
                odd_v = odd_gain * 4.0 * vv * g4
                if u < 0.0:
                    odd_u = -odd_u
                elif u == 0.0:
                    odd_u = 0.0
                if v < 0.0:
                    odd_v = -odd_v
                elif v == 0.0:
                    odd_v = 0.0
                # even + i * (i odd_u) on the first half; the second half's odd partners
                # (i odd_v each) are packed two to a spectrum.
                re = even - odd_u
                out[q, row, col] = re if abs(re) >= 1e-30 else 0.0
                k = n_rot + q // 2
                if q % 2 == 0:
                    out[k, row, col] = (0.0 if abs(odd_v) < 1e-30 else 1j * odd_v)
                else:
                    out[k, row, col] += (0.0 if abs(odd_v) < 1e-30 else -odd_v)


def cached_on_disk() -> bool:
    """Whether Numba's cache holds compiled kernels of this module for this source (else
    this is a first run, whose kernels compile as they are first called: about 30 s
    for a measure).  True when Numba does not say."""
    from numba.core.registry import CPUDispatcher
    try:        # an index that is missing, or stale for this source, loads as empty
        return any(kernel._cache._cache_file._load_index()
                   for kernel in globals().values() if isinstance(kernel, CPUDispatcher))
    except Exception:                     # a Numba whose cache is laid out otherwise
        return True


@njit(**_OPTIONS)
def spread_across(strength, orientation, width, out):
    """``out``: the largest ``strength`` of any pixel whose ridge covers the pixel.

    The ridge at (r, c), of width W = ``width[r, c]`` (rounded), covers W pixels along
    the normal ``n = (-sin theta, cos theta)`` of its tangent angle theta, turned to point
    to larger columns (or rows): those nearest to ``(r, c) + (o + d) n`` for d from
    -(W - 1)/2 to (W - 1)/2 in half steps, with o = 1/2 for even W (an even ridge's
    pivot lies before its middle: a width of 4 covers c - 1 .. c + 2) and 0 for odd W.
    Unlike the other kernels it writes rows around the ones it reads, so it runs in one
    piece (it touches only the few pixels that hold a ridge).
    """
    n_rows, n_cols = strength.shape
    for r in range(n_rows):
        for c in range(n_cols):
            out[r, c] = strength[r, c]
    for r in range(n_rows):
        for c in range(n_cols):
            s = strength[r, c]
            theta = orientation[r, c]
            if not s > 0.0 or theta != theta:
                continue
            t = math.radians(theta)
            dr = -math.sin(t)
            dc = math.cos(t)
            if dc < -1e-6 or (abs(dc) <= 1e-6 and dr < 0.0):
                dr = -dr
                dc = -dc
            w = int(math.floor(width[r, c] + 0.5))
            if w < 1:
                w = 1
            o = 0.5 if w % 2 == 0 else 0.0
            for k in range(2 * (w - 1) + 1):
                d = o - 0.5 * (w - 1) + 0.5 * k
                rr = int(math.floor(r + d * dr + 0.5))
                cc = int(math.floor(c + d * dc + 0.5))
                if 0 <= rr < n_rows and 0 <= cc < n_cols and out[rr, cc] < s:
                    out[rr, cc] = s


@njit(**_OPTIONS)
def _border_index(i, n, periodic):
    """Index ``i`` of a line of ``n`` samples extended beyond its ends: periodically, or
    by half-sample reflection (``d c b a | a b c d``, scipy's ``"reflect"``)."""
    if periodic:
        return i % n
    i %= 2 * n
    return i if i < n else 2 * n - 1 - i


@njit(**_OPTIONS)
def _box_line(src, dst, half, periodic):
    """``dst``: the mean of ``src`` over ``2 half + 1`` samples centred on each one
    (borders extended, see :func:`_border_index`), by a running sum in float64."""
    n = src.shape[0]
    total = 0.0
    for j in range(-half, half + 1):
        total += src[_border_index(j, n, periodic)]
    inv = 1.0 / (2 * half + 1)
    for i in range(n):
        dst[i] = total * inv
        total += src[_border_index(i + half + 1, n, periodic)] \
            - src[_border_index(i - half, n, periodic)]


@njit(**_OPTIONS)
def _box_rows(src, dst, half, periodic, total):
    """``dst`` (M, N): ``src`` averaged over ``2 half + 1`` rows centred on each one
    (borders extended, see :func:`_border_index`), by running sums of whole rows, so
    that the loops stride through memory as the image lies; ``total``: (N,) float64."""
    n_rows, n_cols = src.shape
    inv = 1.0 / (2 * half + 1)
    for c in range(n_cols):
        total[c] = 0.0
    for j in range(-half, half + 1):
        row = src[_border_index(j, n_rows, periodic)]
        for c in range(n_cols):
            total[c] += row[c]
    for r in range(n_rows):
        target = dst[r]
        for c in range(n_cols):
            target[c] = total[c] * inv
        enter = src[_border_index(r + half + 1, n_rows, periodic)]
        leave = src[_border_index(r - half, n_rows, periodic)]
        for c in range(n_cols):
            total[c] += enter[c] - leave[c]


@njit(**_OPTIONS)
def _box_passes(image, scratch, half, periodic, total, passes):
    """``passes`` runs of :func:`_box_rows`, from ``image`` to ``scratch`` and back;
    returns the one that holds the result."""
    for p in range(passes):
        if p % 2 == 0:
            _box_rows(image, scratch, half, periodic, total)
        else:
            _box_rows(scratch, image, half, periodic, total)
    return image if passes % 2 == 0 else scratch


#: Rows that :func:`box_smooth_along` averages along their columns at a time (as the
#: columns of a small transposed strip, so that the running sums run side by side).
BOX_STRIP = 16


@njit(**_OPTIONS)
def box_smooth_along(images, half, passes, periodic, out, r0, r1):
    """Rows ``r0 .. r1 - 1`` of the (R, N) ``images`` (images stacked along the rows)
    averaged ``passes`` times over boxes of ``2 half + 1`` pixels along each row (borders
    extended, see :func:`_border_index`; sums in float64), into ``out``.

    A running sum along one row is a chain of dependent additions, so the rows are
    averaged :data:`BOX_STRIP` at a time, transposed into a strip where the sums run
    side by side, as they do in :func:`box_smooth_across`.
    """
    n_cols = images.shape[1]
    strip = np.zeros((n_cols, BOX_STRIP), np.float64)
    other = np.zeros((n_cols, BOX_STRIP), np.float64)
    total = np.empty(BOX_STRIP, np.float64)
    for start in range(r0, r1, BOX_STRIP):
        k = min(BOX_STRIP, r1 - start)
        for c in range(n_cols):
            for j in range(k):
                strip[c, j] = images[start + j, c]
        done = _box_passes(strip, other, half, periodic, total, passes)
        for j in range(k):
            row = out[start + j]
            for c in range(n_cols):
                row[c] = done[c, j]


@njit(**_OPTIONS)
def box_smooth_across(block, half, passes, periodic, scratch, c0, c1):
    """Columns ``c0 .. c1 - 1`` of each (M, N) image of ``block`` (B, M, N) averaged
    ``passes`` times over boxes of ``2 half + 1`` pixels down each column (borders
    extended, see :func:`_border_index`; sums in float64), in place: running sums of
    row pieces (:func:`_box_rows` on the columns' own block, copied out to ``scratch``,
    (M, c1 - c0) of a thread's own, and back).  Each column's sums are its own, so any
    split into column blocks gives the same bits."""
    width = c1 - c0
    total = np.empty(width, np.float64)
    piece = np.empty((block.shape[1], width), block.dtype)
    for b in range(block.shape[0]):
        image = block[b]
        for r in range(image.shape[0]):
            src = image[r, c0:c1]
            dst = piece[r]
            for c in range(width):
                dst[c] = src[c]
        done = _box_passes(piece, scratch, half, periodic, total, passes)
        for r in range(image.shape[0]):
            src = done[r]
            dst = image[r, c0:c1]
            for c in range(width):
                dst[c] = src[c]


@njit(**_OPTIONS)
def binomial_smooth(block, periodic, scratch):
    """In place: each image of ``block`` (B, M, N) filtered by ``[1, 2, 1] / 4`` along
    its columns and then its rows (about a Gaussian of 0.71 pixels; borders extended, see
    :func:`_border_index`); ``scratch``: a (M, N) work image.  It reads one pixel on
    each side."""
    n_images, n_rows, n_cols = block.shape
    quarter = block.dtype.type(0.25)
    half = block.dtype.type(0.5)
    for b in range(n_images):
        image = block[b]
        for r in range(n_rows):
            src = image[r]
            dst = scratch[r]
            for c in range(1, n_cols - 1):
                dst[c] = half * src[c] + quarter * (src[c - 1] + src[c + 1])
            for c in (0, n_cols - 1):
                left = src[_border_index(c - 1, n_cols, periodic)]
                right = src[_border_index(c + 1, n_cols, periodic)]
                dst[c] = half * src[c] + quarter * (left + right)
        for r in range(n_rows):
            above = scratch[_border_index(r - 1, n_rows, periodic)]
            below = scratch[_border_index(r + 1, n_rows, periodic)]
            row = scratch[r]
            dst = image[r]
            for c in range(n_cols):
                dst[c] = half * row[c] + quarter * (above[c] + below[c])


@njit(**_OPTIONS)
def brightness_to_gain(brightness, low, reference, dark):
    """In place: ``(0.5 + dark) / (b + dark)`` where ``b`` is ``brightness`` above ``low``
    (B,) and over ``reference`` (B,), clipped to [0, 1] (NaN, as from an infinite
    reference, to 0)."""
    n_images, n_rows, n_cols = brightness.shape
    top = 0.5 + dark
    for b in range(n_images):
        lo = low[b]
        inv = 1.0 / reference[b]
        for r in range(n_rows):
            row = brightness[b, r]
            for c in range(n_cols):
                v = (row[c] - lo) * inv
                v = 0.0 if not v > 0.0 else (1.0 if v > 1.0 else v)
                row[c] = top / (v + dark)


@njit(**_OPTIONS)
def fill_rings(image, known, ring, scratch):
    """In place: give every pixel of ``image`` (M, N) where ``known`` (M, N, bool, also
    updated) is False the mean of its known 8-neighbours, one ring at a time (a ring:
    the unknown pixels next to a known one; its pixels read only the rings before it).
    ``ring`` (M * N, int64) and ``scratch`` (M * N, image's dtype) are workspace.  Pixels
    that no ring reaches (none known) are left as they are."""
    n_rows, n_cols = image.shape
    queued = np.zeros((n_rows, n_cols), np.bool_)
    n = 0
    for r in range(n_rows):
        for c in range(n_cols):
            if known[r, c]:
                continue
            for dr in range(-1, 2):
                rr = r + dr
                for dc in range(-1, 2):
                    cc = c + dc
                    if 0 <= rr < n_rows and 0 <= cc < n_cols and known[rr, cc] \
                            and not queued[r, c]:
                        queued[r, c] = True
                        ring[n] = r * n_cols + c
                        n += 1
    while n > 0:
        for i in range(n):                    # the ring's values from the known pixels
            r, c = ring[i] // n_cols, ring[i] % n_cols
            total = 0.0
            count = 0
            for dr in range(-1, 2):
                rr = r + dr
                for dc in range(-1, 2):
                    cc = c + dc
                    if 0 <= rr < n_rows and 0 <= cc < n_cols and known[rr, cc]:
                        total += image[rr, cc]
                        count += 1
            scratch[i] = total / count
        for i in range(n):
            image.flat[ring[i]] = scratch[i]
            known.flat[ring[i]] = True
        # the next ring: unknown neighbours of this one, written after it (the two
        # rings are distinct pixels, so they fit) and moved to the front
        start = n
        m = 0
        for i in range(n):
            r, c = ring[i] // n_cols, ring[i] % n_cols
            for dr in range(-1, 2):
                rr = r + dr
                for dc in range(-1, 2):
                    cc = c + dc
                    if 0 <= rr < n_rows and 0 <= cc < n_cols and not known[rr, cc] \
                            and not queued[rr, cc]:
                        queued[rr, cc] = True
                        ring[start + m] = rr * n_cols + cc
                        m += 1
        for i in range(m):
            ring[i] = ring[start + i]
        n = m


@njit(**_OPTIONS)
def _symmetric(i, n):
    """Index ``i`` reflected into [0, n) as numpy's "symmetric" padding (scipy's
    "reflect"), for reaches of at most ``n``."""
    if i < 0:
        return -i - 1
    if i >= n:
        return 2 * n - i - 1
    return i


@njit(**_OPTIONS)
def box_extremes(image, width, extremes, r0, r1):
    """``extremes[row] = (low, high)``: the smallest and largest mean of ``image`` (M, N)
    over boxes of ``width`` (odd) pixels centred on that row, for rows r0 .. r1 - 1,
    borders reflected as numpy's "symmetric".  The arithmetic is that of
    :func:`shearfeat._strength.box_mean`, term by term (each pixel divided by
    ``width**2`` first, then summed along the row, then those sums down the column, in
    order), so the values are the same to the bit, whichever rows a thread takes."""
    n_rows, n_cols = image.shape
    r = width // 2
    inv = float(width * width)
    scaled = np.empty(n_cols + 2 * r)
    ring = np.empty((width, n_cols))                   # row sums of the last width rows
    column = np.empty(n_cols)
    for q in range(r0 - r, r1 + r):                    # padded row q, kept at q % width
        src = image[_symmetric(q, n_rows)]
        for c in range(r):
            scaled[c] = src[_symmetric(c - r, n_cols)] / inv
            scaled[n_cols + r + c] = src[_symmetric(n_cols + c, n_cols)] / inv
        for c in range(n_cols):
            scaled[c + r] = src[c] / inv
        slot = ring[(q + r) % width]
        for c in range(n_cols):
            total = scaled[c]
            for k in range(1, width):
                total += scaled[c + k]
            slot[c] = total
        row = q - r                                    # its box rows are q - 2r .. q
        if row < r0:
            continue
        first = ring[row % width]
        for c in range(n_cols):
            column[c] = first[c]
        for k in range(1, width):
            following = ring[(row + k) % width]
            for c in range(n_cols):
                column[c] += following[c]
        low = column[0]
        high = column[0]
        for c in range(1, n_cols):
            low = min(low, column[c])
            high = max(high, column[c])
        extremes[row, 0] = low
        extremes[row, 1] = high
