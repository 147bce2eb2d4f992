"""What the measure results share."""

from __future__ import annotations


class MeasureResult:
    """Base of the frozen result dataclasses: a one-line summary instead of the arrays."""

    #: What a pixel with a positive measure is, for the summary.
    _what = "feature"

    def __repr__(self):
        m = self.measure
        return (f"{type(self).__name__}(shape={m.shape}, dtype={m.dtype}, "
                f"measure max={float(m.max()):.3f}, {self._what} pixels="
                f"{int((m > 0).sum())})")
