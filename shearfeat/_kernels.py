"""Numba kernels: the only module that imports Numba.

The kernels assume clean, C-contiguous, correctly typed input and check nothing; the
public functions validate.  Each kernel works on the rows ``r0 .. r1 - 1`` of its output
and releases the GIL, so that the caller can split an image across threads: a kernel
reads neighbouring rows of its *inputs* but writes only its own rows.

The measures stream over orientations.  For each orientation the caller passes the
coefficient maps of that orientation (``coeffs``); the kernel updates per-pixel state
(the best pivot so far, its measure and the responses of its neighbouring orientations)
and stores the pivot responses of this orientation in ``ring[cur]`` so that later
orientations can read their neighbours.  ``iter_buf[i]`` names the ring slot that holds
orientation i, or -1.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_OPTIONS = dict(cache=True, nogil=True, fastmath=False, error_model="numpy")


@njit(**_OPTIONS)
def multiply_rows(spectrum, pairs, out, r0, r1):
    """``out[p, r] = spectrum[r] * pairs[p, r]`` for rows r0 .. r1 - 1."""
    n_pairs = pairs.shape[0]
    n_cols = spectrum.shape[1]
    for p in range(n_pairs):
        for r in range(r0, r1):
            for c in range(n_cols):
                out[p, r, c] = spectrum[r, c] * pairs[p, r, c]


@njit(**_OPTIONS)
def _edge_slot(slot, n_o, dir_r, dir_c, r, c, n_rows, n_cols):
    """Where and with which sign slot ``slot`` reads the maps of its orientation.

    Slots ``n_o .. 2 n_o - 1`` are the point reflections of slots ``0 .. n_o - 1``:
    ``C(o + n_o)(x) = conj(C(o)(x - direction[o]))``.
    """
    if slot < n_o:
        return 1.0, r, c
    f = slot - n_o
    rr = r - dir_r[f]
    cc = c - dir_c[f]
    if rr < 0:
        rr += n_rows
    elif rr >= n_rows:
        rr -= n_rows
    if cc < 0:
        cc += n_cols
    elif cc >= n_cols:
        cc -= n_cols
    return -1.0, rr, cc


@njit(**_OPTIONS)
def edge_update(coeffs, f, pivot, beta, dir_r, dir_c, left_slot, right_slot, iter_buf,
                cur, ring, best_p, best_slot, best_s, measure, left, left_ok, right,
                right_ok, r0, r1):
    """Fold orientation ``f`` (slots f and f + n_o) into the edge state.

    ``coeffs[s] = real C(f, s) + i imag C(f, s + d)`` for s = 0 .. S-1 (S pairs).
    """
    n_s, n_rows, n_cols = coeffs.shape
    n_o = dir_r.shape[0]
    for r in range(r0, r1):
        for c in range(n_cols):
            for half in range(2):
                o = f + half * n_o
                sgn, rr, cc = _edge_slot(o, n_o, dir_r, dir_c, r, c, n_rows, n_cols)
                p = 0.0
                ps = -1
                for s in range(n_s):
                    if pivot[s]:
                        v = sgn * coeffs[s, rr, cc].imag
                        if ps < 0 or v > p:
                            p = v
                            ps = s
                if p > best_p[r, c]:
                    best_p[r, c] = p
                    best_slot[r, c] = o
                    best_s[r, c] = ps
                    acc = 0.0
                    for s in range(n_s):
                        z = coeffs[s, rr, cc]
                        acc += min(sgn * z.imag, p) - abs(z.real) - beta
                    measure[r, c] = max(acc, 0.0) / (n_s * p)
                    # Neighbours already seen come from the ring, later ones are pending.
                    lo = left_slot[o]
                    b = iter_buf[lo % n_o]
                    if lo % n_o != f and b >= 0:
                        sl, lr, lc = _edge_slot(lo, n_o, dir_r, dir_c, r, c, n_rows, n_cols)
                        left[r, c] = sl * ring[b, ps, lr, lc]
                        left_ok[r, c] = True
                    else:
                        left_ok[r, c] = False
                    ro = right_slot[o]
                    b = iter_buf[ro % n_o]
                    if ro % n_o != f and b >= 0:
                        sr, rr2, rc2 = _edge_slot(ro, n_o, dir_r, dir_c, r, c, n_rows, n_cols)
                        right[r, c] = sr * ring[b, ps, rr2, rc2]
                        right_ok[r, c] = True
                    else:
                        right_ok[r, c] = False
            bs = best_slot[r, c]
            if bs >= 0:
                if not left_ok[r, c] and left_slot[bs] % n_o == f:
                    sl, lr, lc = _edge_slot(left_slot[bs], n_o, dir_r, dir_c, r, c,
                                            n_rows, n_cols)
                    left[r, c] = sl * coeffs[best_s[r, c], lr, lc].imag
                    left_ok[r, c] = True
                if not right_ok[r, c] and right_slot[bs] % n_o == f:
                    sr, rr2, rc2 = _edge_slot(right_slot[bs], n_o, dir_r, dir_c, r, c,
                                              n_rows, n_cols)
                    right[r, c] = sr * coeffs[best_s[r, c], rr2, rc2].imag
                    right_ok[r, c] = True
            for s in range(n_s):
                ring[cur, s, r, c] = coeffs[s, r, c].imag


@njit(**_OPTIONS)
def _interpolated_tangent(o, nb, t, slope, axis, twin):
    """Tangent angle (degrees) a fraction ``t`` of the way from slot ``o`` to ``nb``.

    The filters' responses are symmetric in shear slope, so the slope is interpolated
    linearly; a diagonal pivot whose neighbour lies in the other cone is read as its twin
    in that cone.
    """
    if axis[o] != axis[nb] and twin[o] >= 0:
        o = twin[o]
    k = (1.0 - t) * slope[o] + t * slope[nb]
    if axis[nb] == 0:                      # horizontal cone: normal (1, k)
        angle = 90.0 + math.degrees(math.atan(k))
    else:                                  # vertical cone: normal (k, 1)
        angle = 180.0 - math.degrees(math.atan(k))
    angle = angle - 180.0 * math.floor(angle / 180.0)
    return 0.0 if angle >= 180.0 else angle


@njit(**_OPTIONS)
def _fitted_tangent(o, x, left_slot, right_slot, slope, axis, twin):
    """Tangent angle at offset ``x`` in [-1, 1] (orientation steps) from slot ``o``."""
    if x < 0.0:
        return _interpolated_tangent(o, left_slot[o], -x, slope, axis, twin)
    return _interpolated_tangent(o, right_slot[o], x, slope, axis, twin)


@njit(**_OPTIONS)
def edge_orientation(measure, best_p, best_slot, left, right, left_slot, right_slot, slope,
                     axis, twin, out, r0, r1):
    """Tangent angle in degrees: a three-point parabola over the orientation index
    (twins skipped), mapped through the interpolated shear slope; NaN where E = 0."""
    n_cols = measure.shape[1]
    for r in range(r0, r1):
        for c in range(n_cols):
            if not measure[r, c] > 0.0:
                out[r, c] = np.nan
                continue
            p = best_p[r, c]
            lv = max(left[r, c], 0.0)
            rv = max(right[r, c], 0.0)
            curvature = 2.0 * p - lv - rv
            x = 0.0
            if curvature > 0.0:
                x = min(max((rv - lv) / (2.0 * curvature), -1.0), 1.0)
            out[r, c] = _fitted_tangent(best_slot[r, c], x, left_slot, right_slot, slope,
                                        axis, twin)


@njit(**_OPTIONS)
def ridge_update(coeffs, f, pivot, beta, widths, response, left_slot, right_slot,
                 iter_buf, cur, ring, best_abs, best_slot, best_e, best_s, measure, height,
                 width, left, left_ok, right, right_ok, r0, r1):
    """Fold orientation ``f`` (on- and off-origin slots) into the ridge state.

    ``coeffs[e * S + s] = real C(f, e, s + d) + i imag C(f, e, s)``.  ``widths[s, e]`` and
    ``response[w, s]`` are the system's tables restricted to the scales s + d.
    """
    n_pairs, n_rows, n_cols = coeffs.shape
    n_s = n_pairs // 2
    n_o = left_slot.shape[0]
    for r in range(r0, r1):
        for c in range(n_cols):
            for e in range(2):
                base = e * n_s
                pv = 0.0
                ps = -1
                for s in range(n_s):
                    if pivot[s]:
                        v = abs(coeffs[base + s, r, c].real)
                        if ps < 0 or v > pv:
                            pv = v
                            ps = s
                if pv > best_abs[r, c]:
                    best_abs[r, c] = pv
                    best_slot[r, c] = f
                    best_e[r, c] = e
                    best_s[r, c] = ps
                    w = widths[ps, e]
                    h = coeffs[base + ps, r, c].real / response[w, ps]
                    total = 0.0
                    penalty = 0.0
                    norm = 0.0
                    for s in range(n_s):
                        z = coeffs[base + s, r, c]
                        ec = response[w, s]
                        total += z.real
                        penalty += abs(z.imag) + beta * abs(ec)
                        norm += max(abs(z.real), abs(h * ec))
                    value = abs(total) - penalty
                    measure[r, c] = max(value, 0.0) / norm if norm > 0.0 else 0.0
                    height[r, c] = h
                    width[r, c] = w
                    lo = left_slot[f]
                    b = iter_buf[lo]
                    if b >= 0:
                        left[r, c] = ring[b, base + ps, r, c]
                        left_ok[r, c] = True
                    else:
                        left_ok[r, c] = False
                    ro = right_slot[f]
                    b = iter_buf[ro]
                    if b >= 0:
                        right[r, c] = ring[b, base + ps, r, c]
                        right_ok[r, c] = True
                    else:
                        right_ok[r, c] = False
            bs = best_slot[r, c]
            if bs >= 0 and bs != f:
                k = best_e[r, c] * n_s + best_s[r, c]
                if not left_ok[r, c] and left_slot[bs] == f:
                    left[r, c] = abs(coeffs[k, r, c].real)
                    left_ok[r, c] = True
                if not right_ok[r, c] and right_slot[bs] == f:
                    right[r, c] = abs(coeffs[k, r, c].real)
                    right_ok[r, c] = True
            for k in range(n_pairs):
                ring[cur, k, r, c] = abs(coeffs[k, r, c].real)


@njit(**_OPTIONS)
def ridge_finish(measure, best_abs, best_slot, height, width, left, right, left_slot,
                 right_slot, slope, axis, twin, keep, out, r0, r1):
    """Polarity and tangent angle (a triangle fit over the orientation index); zero
    measure, width and height and NaN angle where there is no ridge.
    ``keep``: 1 bright, -1 dark, 0 both."""
    n_cols = measure.shape[1]
    for r in range(r0, r1):
        for c in range(n_cols):
            h = height[r, c]
            if not measure[r, c] > 0.0 or (keep > 0 and not h > 0.0) or (
                    keep < 0 and not h < 0.0):
                measure[r, c] = 0.0
                height[r, c] = 0.0
                width[r, c] = 0.0
                out[r, c] = np.nan
                continue
            peak = best_abs[r, c]
            lv = left[r, c]
            rv = right[r, c]
            low = min(lv, rv)
            x = 0.0
            if peak > low:
                x = (rv - lv) / (2.0 * (peak - low))
            out[r, c] = _fitted_tangent(best_slot[r, c], x, left_slot, right_slot, slope,
                                        axis, twin)
