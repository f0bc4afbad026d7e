"""Scorecards: the paper's value beside the obtained one, per claim (DESIGN.md, notebook anatomy).

Paper values live in ``data/reference/<notebook stem>.csv`` with columns
``claim, table, row, column, paper_value, direction, note`` transcribed from the seeds.

Two kinds of check:

- ``value``: a real-data run, judged by closeness (``|obtained - paper| <= tolerance``);
- ``direction``: builtin (simulated) data, judged only on the sign / ordering of an effect,
  never on its size. The scorecard says which kind each row is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from saliqa import paths

__all__ = ["Scorecard", "load_reference"]

REFERENCE_COLUMNS = ("claim", "table", "row", "column", "paper_value", "direction", "note")


def load_reference(stem: str, root: Path | None = None) -> pd.DataFrame:
    """Read ``data/reference/<stem>.csv`` (paper values), checking its columns.

    Raises
    ------
    FileNotFoundError
        If the file is missing.
    ValueError
        If a column is missing, naming it.
    """
    path = (root or paths.reference_dir()) / f"{stem}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"reference values not found: {path} (columns {REFERENCE_COLUMNS})")
    table = pd.read_csv(path, comment="#")
    missing = [c for c in REFERENCE_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; expected {list(REFERENCE_COLUMNS)}")
    if table["claim"].duplicated().any():
        dup = table.loc[table["claim"].duplicated(), "claim"].iloc[0]
        raise ValueError(f"{path}: claim {dup!r} appears twice")
    return table


@dataclass
class Scorecard:
    """Collects claims: paper value, obtained value, the kind of check, and whether it passed."""

    rows: list[dict] = field(default_factory=list)

    def add_value(
        self,
        claim: str,
        obtained: float,
        paper: float | None,
        tolerance: float | None = None,
        note: str = "",
    ) -> bool | None:
        """Record a value claim; passes when ``|obtained - paper| <= tolerance``.

        With ``tolerance=None`` the row is reported side by side without a verdict.
        """
        passed: bool | None = None
        if tolerance is not None and paper is not None and _finite(obtained):
            passed = abs(float(obtained) - float(paper)) <= tolerance
        self.rows.append(
            dict(claim=claim, kind="value", paper=paper, obtained=_float(obtained),
                 expected=f"|diff| <= {tolerance}" if tolerance is not None else "reported",
                 passed=passed, note=note)
        )
        return passed

    def add_direction(
        self, claim: str, obtained: float, expected: str, paper: float | None = None, note: str = ""
    ) -> bool:
        """Record a direction claim; ``expected`` is ``"> x"``, ``"< x"``, ``">= x"`` or ``"<= x"``.

        ``obtained`` is the signed quantity whose direction the paper reports (e.g. a
        difference of two means, or a correlation).
        """
        op, _, threshold_text = expected.strip().partition(" ")
        threshold = float(threshold_text)
        ops = {">": float.__gt__, "<": float.__lt__, ">=": float.__ge__, "<=": float.__le__}
        if op not in ops:
            raise ValueError(f"expected must look like '> 0' or '<= 0.5', got {expected!r}")
        passed = _finite(obtained) and bool(ops[op](float(obtained), threshold))
        self.rows.append(
            dict(claim=claim, kind="direction", paper=paper, obtained=_float(obtained),
                 expected=expected, passed=passed, note=note)
        )
        return passed

    def to_frame(self) -> pd.DataFrame:
        """The scorecard as a table (one row per claim)."""
        return pd.DataFrame(self.rows, columns=["claim", "kind", "paper", "obtained", "expected", "passed", "note"])

    def summary(self) -> str:
        """E.g. ``"7/8 claims pass (3 reported without verdict)"``."""
        judged = [r for r in self.rows if r["passed"] is not None]
        passed = sum(bool(r["passed"]) for r in judged)
        text = f"{passed}/{len(judged)} claims pass"
        unjudged = len(self.rows) - len(judged)
        return text + (f" ({unjudged} reported without verdict)" if unjudged else "")


def _finite(value: float) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _float(value: float) -> float | None:
    return float(value) if _finite(value) else None
