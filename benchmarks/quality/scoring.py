"""The published scoring protocols of ``../shared/data/README.md``.

- BSDS500 boundaries: a graded map is thresholded at evenly spaced levels, each binary map
  thinned to one pixel and matched to every annotator's boundaries within 0.0075 of the
  image diagonal.  ``match="bsds"`` is the BSDS min-cost correspondence
  (``pyEdgeEval``'s build of the original ``correspond_pixels``, the ``bench`` extra);
  ``match="distance"`` counts a pixel as matched when one of the other map lies within the
  tolerance (no one-to-one assignment: a little optimistic, 20-50x faster, for tuning).
- DRIVE vessels: ROC AUC pooled over the field-of-view pixels of all images, ties averaged.
- VGG cells: detections matched one-to-one to the dots (Hungarian) within 6 px; P, R and F1
  pooled over images.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage, optimize, stats
from skimage.morphology import thin

#: BSDS matching tolerance, as a fraction of the image diagonal.
BSDS_TOLERANCE = 0.0075
#: VGG cells: largest distance (px) of a detection from the dot it matches.
CELL_TOLERANCE = 6.0


def thresholds(count):
    """The BSDS levels: ``count`` evenly spaced in (0, 1), ends excluded."""
    return np.linspace(1.0 / (count + 1), 1.0 - 1.0 / (count + 1), count)


def _match_bsds(detected, truth):
    from pyEdgeEval._lib import correspond_pixels         # the ``bench`` extra
    m_detected, m_truth, _, _ = correspond_pixels(detected.astype(np.float64),
                                                  truth.astype(np.float64), BSDS_TOLERANCE)
    return m_detected > 0, m_truth > 0


def _match_distance(detected, truth):
    tol = BSDS_TOLERANCE * np.hypot(*detected.shape)
    if not detected.any() or not truth.any():
        return np.zeros_like(detected), np.zeros_like(truth)
    return (detected & (ndimage.distance_transform_edt(~truth) <= tol),
            truth & (ndimage.distance_transform_edt(~detected) <= tol))


MATCHERS = {"bsds": _match_bsds, "distance": _match_distance}


def boundary_counts(binary, truths, match="distance"):
    """(cntR, sumR, cntP, sumP) of one binary, one-pixel-wide map against all annotators:
    recall sums over annotators, a detection is correct if any annotator has it."""
    matcher = MATCHERS[match]
    correct = np.zeros(binary.shape, bool)
    found = total = 0
    for truth in truths:
        m_detected, m_truth = matcher(binary, truth)
        correct |= m_detected
        found += int(m_truth.sum())
        total += int(truth.sum())
    return np.array([found, total, int((binary & correct).sum()), int(binary.sum())])


def graded_counts(graded, truths, levels, match="distance"):
    """(len(levels), 4) counts of a graded map in [0, 1] at each level."""
    return np.stack([boundary_counts(thin(graded >= t), truths, match) for t in levels])


def prf(counts):
    """Precision, recall and F from (..., 4) counts."""
    counts = np.asarray(counts, np.float64)
    recall = np.divide(counts[..., 0], counts[..., 1], out=np.zeros(counts.shape[:-1]),
                       where=counts[..., 1] > 0)
    precision = np.divide(counts[..., 2], counts[..., 3], out=np.ones(counts.shape[:-1]),
                          where=counts[..., 3] > 0)
    f = np.divide(2 * precision * recall, precision + recall,
                  out=np.zeros(counts.shape[:-1]), where=precision + recall > 0)
    return precision, recall, f


def interpolated_best_f(precision, recall):
    """The BSDS benchmark's ODS: the best F on the P/R curve drawn straight between
    neighbouring levels (101 points a segment, as the benchmark's ``maxF`` and
    ``pyEdgeEval``'s ``interpolated_max_scores`` do), never below the best level's F."""
    precision, recall = np.asarray(precision, float), np.asarray(recall, float)
    best = float(prf(np.stack([recall, np.ones_like(recall), precision,
                               np.ones_like(precision)], -1))[2].max())
    if len(precision) < 2:
        return best
    d = np.linspace(0.0, 1.0, 101)[:, None]
    p = precision[1:] * d + precision[:-1] * (1 - d)
    r = recall[1:] * d + recall[:-1] * (1 - d)
    f = np.divide(2 * p * r, p + r, out=np.zeros_like(p), where=p + r > 0)
    return max(best, float(f.max()))


def ods_ois_ap(per_image):
    """ODS (interpolated between levels, as the BSDS benchmark reports it), OIS, AP and
    the index of the best level from (images, levels, 4) counts."""
    per_image = np.asarray(per_image)
    p, r, f = prf(per_image.sum(axis=0))
    best = int(np.argmax(f))
    ods = interpolated_best_f(p, r)
    _, _, f_image = prf(per_image)
    ois_counts = per_image[np.arange(len(per_image)), np.argmax(f_image, axis=1)].sum(axis=0)
    ois = prf(ois_counts)[2]
    # AP: the interpolated precision (the best precision at this recall or more) on
    # recall 0, 0.01, ..., 1, and 0 beyond the curve's largest recall.
    grid = np.linspace(0, 1, 101)
    ap = np.mean([p[r >= g].max() if (r >= g).any() else 0.0 for g in grid])
    return ods, float(ois), float(ap), best


def pooled_auc(scores, labels):
    """ROC AUC of ``scores`` for boolean ``labels`` (Mann-Whitney, ties averaged)."""
    scores = np.asarray(scores, np.float64).ravel()
    labels = np.asarray(labels, bool).ravel()
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite")
    ranks = stats.rankdata(scores)
    n_pos = int(labels.sum())
    n_neg = labels.size - n_pos
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def cell_counts(detected, centres):
    """(matched, detections, cells) of one image, Hungarian-matched within tolerance."""
    detected = np.asarray(detected, np.float64).reshape(-1, 2)
    if len(detected) == 0 or len(centres) == 0:
        return np.array([0, len(detected), len(centres)])
    distance = np.hypot(*(detected[:, None, :] - centres[None, :, :]).transpose(2, 0, 1))
    cost = np.where(distance <= CELL_TOLERANCE, distance, 1e6)
    rows, cols = optimize.linear_sum_assignment(cost)
    matched = int((distance[rows, cols] <= CELL_TOLERANCE).sum())
    return np.array([matched, len(detected), len(centres)])


def cell_f1(counts):
    """Precision, recall, F1 from summed (matched, detections, cells)."""
    matched, detections, cells = (float(v) for v in counts)
    p = matched / detections if detections else 1.0
    r = matched / cells if cells else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)
