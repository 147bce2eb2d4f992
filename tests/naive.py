"""Slow, plain NumPy implementations of the measures, straight from coshrem.md.

They hold every coefficient of the system at once and loop over pixels in Python, so
they are only for small images; the streaming Numba kernels must agree with them.
"""

import math

import numpy as np

from shearfeat._system import _neighbours, slot_geometry


def full_coefficients(system, work):
    """All K coefficients on the transform grid (no crop), by the plain path."""
    spectrum = np.fft.fft2(system.pad(work).astype(np.complex128))
    filters = system.filters.astype(np.complex128) * np.prod(system.transform_shape)
    return np.fft.ifft2(spectrum[None] * filters, axes=(1, 2))


def tangent(o, nb, t, slope, axis, twin):
    if axis[o] != axis[nb] and twin[o] >= 0:
        o = twin[o]
    k = (1 - t) * slope[o] + t * slope[nb]
    if axis[nb] == 0:
        angle = 90 + math.degrees(math.atan(k))
    else:
        angle = 180 - math.degrees(math.atan(k))
    return angle % 180


def edges(system, work, beta, pivot):
    """Edge measure and orientation on the transform grid."""
    n_o, J, d = system.n_orientations, system.n_scales, system.measure_offset
    S = J - d
    C = full_coefficients(system, work).reshape(J, n_o, *system.transform_shape)
    slots = []
    for o in range(2 * n_o):
        f = o % n_o
        c = C[:, f]
        if o >= n_o:  # point reflection: C(o + n_o)(x) = conj(C(o)(x - direction))
            c = np.conj(np.roll(c, tuple(system.orientation_table.direction[f]), axis=(1, 2)))
        slots.append(c)
    I = np.stack([s[d:].imag for s in slots])          # (2 n_o, S, M, N)
    R = np.stack([np.abs(s[:S].real) for s in slots])
    order = [o for f in range(n_o) for o in (f, f + n_o)]   # the order the stream visits
    left_slot, right_slot = _neighbours(system.orientation_table.duplicate, n_o, 2 * n_o)
    slope, axis, twin = slot_geometry(system.orientation_table, 2 * n_o)
    measure = np.zeros(system.transform_shape)
    orientation = np.full(system.transform_shape, np.nan)
    for r in range(measure.shape[0]):
        for c in range(measure.shape[1]):
            best, o_star, s_star = 0.0, -1, -1
            for o in order:
                for s in range(S):
                    if pivot[s] and I[o, s, r, c] > best:
                        best, o_star, s_star = I[o, s, r, c], o, s
            if o_star < 0:
                continue
            p = best
            total = sum(min(I[o_star, s, r, c], p) - R[o_star, s, r, c] - beta
                        for s in range(S))
            measure[r, c] = max(0.0, total) / (S * p)
            if measure[r, c] > 0 or p > beta:
                lv = max(I[left_slot[o_star], s_star, r, c], 0)
                rv = max(I[right_slot[o_star], s_star, r, c], 0)
                x = 0.0
                if 2 * p - lv - rv > 0:
                    x = min(max((rv - lv) / (2 * (2 * p - lv - rv)), -1), 1)
                nb = left_slot[o_star] if x < 0 else right_slot[o_star]
                orientation[r, c] = tangent(o_star, nb, abs(x), slope, axis, twin)
    return measure, orientation


def ridges(system, work, beta, pivot, keep):
    """Ridge measure, orientation, width, height (in units of ``work``)."""
    n_o, J, d = system.n_orientations, system.n_scales, system.measure_offset
    S = J - d
    C = full_coefficients(system, work).reshape(J, n_o, 2, *system.transform_shape)
    R = C[d:].real        # (S, n_o, 2, M, N) signed even parts of the finer scales
    I = np.abs(C[:S].imag)
    widths = system.ridge_widths[d:]
    response = system.ridge_response[:, d:]
    left_slot, right_slot = _neighbours(system.orientation_table.duplicate, n_o, n_o)
    slope, axis, twin = slot_geometry(system.orientation_table, n_o)
    shape = system.transform_shape
    measure, width, height = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    orientation = np.full(shape, np.nan)
    for r in range(shape[0]):
        for c in range(shape[1]):
            best, q_star, e_star, s_star = 0.0, -1, -1, -1
            for f in range(n_o):
                for e in range(2):
                    for s in range(S):
                        if pivot[s] and abs(R[s, f, e, r, c]) > best:
                            best, q_star, e_star, s_star = abs(R[s, f, e, r, c]), f, e, s
            if q_star < 0:
                continue
            w = widths[s_star, e_star]
            h = R[s_star, q_star, e_star, r, c] / response[w, s_star]
            rs = R[:, q_star, e_star, r, c]
            num = abs(rs.sum()) - sum(I[s, q_star, e_star, r, c] + beta * abs(response[w, s])
                                      for s in range(S))
            den = sum(max(abs(rs[s]), abs(h * response[w, s])) for s in range(S))
            value = max(num, 0) / den if den > 0 else 0.0
            if value <= 0 or (keep > 0 and h <= 0) or (keep < 0 and h >= 0):
                continue
            measure[r, c], width[r, c], height[r, c] = value, w, h
            peak = best
            lv = abs(R[s_star, left_slot[q_star], e_star, r, c])
            rv = abs(R[s_star, right_slot[q_star], e_star, r, c])
            x = (rv - lv) / (2 * (peak - min(lv, rv))) if peak > min(lv, rv) else 0.0
            nb = left_slot[q_star] if x < 0 else right_slot[q_star]
            orientation[r, c] = tangent(q_star, nb, abs(x), slope, axis, twin)
    return measure, orientation, width, height


def blobs(system, work, beta, keep):
    """Blob measure, diameter and height on the transform grid, from the plain transform
    (filter k = scale k // n_o, rotation k % n_o, even + 1j * odd)."""
    from shearfeat._filters import TABLE_STEPS, disk_scale_response, scale_calibration
    J, n_o = system.n_scales, system.n_orientations
    spo = system.params.scales_per_octave
    C = full_coefficients(system, work).reshape(J, n_o, *system.transform_shape)
    even = C[:, : n_o // 2].real                     # (J, R, M, N)
    odd = np.abs(C.imag).max(axis=1)                 # (J, M, N)
    delta0, values = disk_scale_response(spo, J + 1)
    grid = delta0 + np.arange(values.size) / TABLE_STEPS
    cal_p, cal_u = scale_calibration(spo)

    def model(delta):
        return float(np.interp(delta, grid, values, left=0.0, right=0.0))

    shape = system.transform_shape
    measure, diameter, height = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for r in range(shape[0]):
        for c in range(shape[1]):
            inner = np.abs(even[1:-1, :, r, c])
            if inner.max() <= 0:
                continue
            s, q = np.unravel_index(np.argmax(inner), inner.shape)
            s += 1
            pivot = even[s, q, r, c]
            sign = 1.0 if pivot > 0 else -1.0
            if keep * sign < 0:
                continue
            left, mid, right = sign * even[s - 1: s + 2, q, r, c]
            curve = left - 2 * mid + right
            p = (left - right) / (2 * curve) if curve < 0 else 0.0
            u = np.interp(np.clip(p, cal_p[0], cal_p[-1]), cal_p, cal_u)
            t0 = s + u
            h = pivot / model(s - t0)
            num = den = 0.0
            for j in range(J):
                e = model(j - t0)
                # the smallest of sign(h) sign(e) c1 over the rotations
                agree = (sign * (1.0 if e >= 0 else -1.0) * even[j, :, r, c]).min()
                num += abs(e) * (agree - odd[j, r, c] - beta * abs(e))
                den += abs(e) * max(abs(even[j, q, r, c]), abs(h * e))
            if num > 0 and den > 0:
                measure[r, c] = num / den
                diameter[r, c] = system.blob_diameters[0] * 2.0 ** (-t0 / spo)
                height[r, c] = h
    return measure, diameter, height


def blob_peaks(system, work, beta, keep, odd_ratio=2.0, partner_ratio=2.5, edge_ratio=3.0,
               opposite_share=0.25):
    """Blob peak height, diameter and scale on the transform grid (see
    ``shearfeat._kernels.blob_peaks``), scale by scale over whole maps, neighbours read
    periodically on the transform grid."""
    from shearfeat._filters import disk_scale_response, scale_calibration
    J, n_o = system.n_scales, system.n_orientations
    spo = system.params.scales_per_octave
    C = full_coefficients(system, work).reshape(J, n_o, *system.transform_shape)
    even = C[:, : n_o // 2].real
    odd = np.abs(C.imag).max(axis=1)
    mean = even.mean(axis=1)                          # (J, M, N)
    peak = disk_scale_response(spo, J + 1)[1].max()
    cal_p, cal_u = scale_calibration(spo)
    shape = system.transform_shape
    height, diameter, scale = np.zeros(shape), np.zeros(shape), np.full(shape, -1.0)
    done = np.zeros(shape, bool)
    for s in range(1, J - 1):
        sign = np.full(shape, float(keep)) if keep else np.where(mean[s] > 0, 1.0, -1.0)
        v = sign * mean[s]

        def at(dr, dc):
            return sign * np.roll(mean[s], (-dr, -dc), axis=(0, 1))

        around = np.max([at(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)
                         if (dr, dc) != (0, 0)], axis=0)
        d_rr = at(-1, 0) + at(1, 0) - 2 * v
        d_cc = at(0, -1) + at(0, 1) - 2 * v
        d_rc = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / 4
        det = d_rr * d_cc - d_rc ** 2
        ok = ((v > beta * peak) & (v >= sign * mean[s + 1]) & (sign * mean[s - 1] > 0)
              & (v >= around) & (det > 0)
              & ((d_rr + d_cc) ** 2 < (edge_ratio + 1) ** 2 / edge_ratio * det)
              & (odd[min(s + round(spo), J - 1)] < odd_ratio * v)
              & (odd[s] < partner_ratio * v)
              & ((sign[None] * even[s]).min(axis=0) >= -opposite_share * v) & ~done)
        left, right = sign * mean[s - 1], sign * mean[s + 1]
        curve = left - 2 * v + right
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(curve < 0, (left - right) / (2 * curve), cal_p[0])
        t = s + np.interp(np.clip(p, cal_p[0], cal_p[-1]), cal_p, cal_u)
        height[ok] = (sign * v / peak)[ok]
        diameter[ok] = (system.blob_diameters[0] * 2.0 ** (-t / spo))[ok]
        scale[ok] = s
        done |= ok
    return height, diameter, scale


def fill_outside(image, known):
    """The ring-by-ring fill of ``shearfeat.fill_outside`` by whole-image convolutions:
    each ring (unknown pixels next to a known one) takes the mean of its known
    8-neighbours, then joins them."""
    from scipy import ndimage as ndi

    out = np.where(known, image, 0.0).astype(np.float64)
    known = known.copy()
    box = np.ones((3, 3))
    while not known.all():
        total = ndi.convolve(out * known, box, mode="constant")
        count = ndi.convolve(known.astype(np.float64), box, mode="constant")
        ring = ~known & (count > 0)
        out[ring] = total[ring] / count[ring]
        known |= ring
    return out
