"""The pattern with its indexed peaks, one colour and tick row per phase (matplotlib, Agg PNG)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from alloyloop.agent.xrd.analysis import XrdAnalysis  # noqa: E402
from alloyloop.agent.xrd.pattern import Pattern  # noqa: E402

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


def pattern_png(pattern: Pattern, analysis: XrdAnalysis, *, width_in: float = 9.0, dpi: int = 110) -> bytes:
    """PNG bytes: the measured pattern, each phase's found peaks (marker and hkl) in its colour,
    unexplained peaks as black crosses."""
    fig, ax = plt.subplots(figsize=(width_in, width_in * 0.42), dpi=dpi)
    try:
        x, y = pattern.two_theta, pattern.intensity
        ax.plot(x, y, color="0.35", lw=0.7, label="measured")
        top = float(y.max()) if len(y) else 1.0
        for k, phase in enumerate(analysis.phases):
            colour = COLOURS[k % len(COLOURS)]
            mine = [p for p in analysis.peaks if p.phase == k]
            ax.scatter([], [], marker="v", color=colour, label=f"{phase.structure} {phase.lattice}")
            for peak in mine:
                i = int(abs(x - peak.two_theta).argmin())
                h = float(y[i])
                ax.plot([peak.two_theta], [h + 0.03 * top + 0.05 * top * k], marker="v", color=colour, ms=6)
                ax.annotate(peak.hkl or "", (peak.two_theta, h + 0.07 * top + 0.05 * top * k), ha="center",
                            fontsize=7, color=colour)
        lost = [analysis.peaks[i] for i in analysis.unexplained if analysis.peaks[i].relative >= 1.0]
        if lost:
            ax.scatter([p.two_theta for p in lost],
                       [float(y[int(abs(x - p.two_theta).argmin())]) + 0.03 * top for p in lost],
                       marker="x", color="black", s=18, label="unexplained")
        ax.set_xlabel("2θ (°), λ = %.4f Å" % analysis.wavelength)
        ax.set_ylabel("intensity")
        ax.set_xlim(float(x[0]), float(x[-1]))
        ax.set_ylim(min(0.0, float(y.min())), top * 1.3)
        ax.legend(loc="upper right", fontsize=8, frameon=False)
        ax.set_title(f"{analysis.file}: {analysis.summary}", fontsize=8, loc="left")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)
