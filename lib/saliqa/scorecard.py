"""Scorecards: the paper's value beside the obtained one, per claim (DESIGN.md, notebook anatomy).

Every claim a notebook checks is a row of ``data/reference/<notebook stem>.csv``:

=============  ===========================================================================
column         meaning
=============  ===========================================================================
``claim``      identifier the notebook passes (unique in the file)
``table``      where the paper states it (``Table 1``, ``Sec 2.1``, ``Fig 3``) or ``-``
``row``        the paper's row / measure
``column``     the paper's column / comparison (e.g. ``P_Free``)
``paper_value`` the paper's number, empty when the paper gives none for this claim
``expected``   the verdict rule: ``"> 0"``, ``">= 0.8"``, ... (a direction / threshold), or
               ``"|diff| <= 0.05"`` (closeness to ``paper_value``), or empty (reported only)
``note``       what is compared, and where a threshold is ours rather than the paper's
``scope``      optional: ``planted`` (an effect planted in the builtin data: it must hold on
               builtin runs), ``finding`` (a result of the paper tested on whatever data the
               run used: reported as it comes out, a FAIL is a finding, not a defect), or empty
=============  ===========================================================================

The notebook supplies only obtained values: the thresholds and the paper's numbers are data, so
they are reviewed in one place and cannot drift between notebooks. A paper value is shown only
beside the comparison the paper measured: :meth:`Scorecard.check` takes a claim of the reference,
:meth:`Scorecard.report` records a quantity that has no counterpart in the paper (no paper value,
no verdict).

Verdicts: ``True`` / ``False`` when ``expected`` gives a rule, ``None`` (reported without
verdict) otherwise. A non-finite obtained value fails a rule.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from saliqa import paths

__all__ = ["Scorecard", "load_reference", "parse_expected", "REFERENCE_COLUMNS", "SCORECARD_COLUMNS"]

REFERENCE_COLUMNS = ("claim", "table", "row", "column", "paper_value", "expected", "note")
SCORECARD_COLUMNS = ("claim", "label", "kind", "paper", "obtained", "expected", "passed", "note", "scope")
SCOPES = ("", "planted", "finding")

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}
_RULE = re.compile(r"^\s*(?P<op>>=|<=|>|<)\s*(?P<x>[-+0-9.eE]+)\s*$")
_CLOSE = re.compile(r"^\s*\|diff\|\s*<=\s*(?P<x>[0-9.eE+-]+)\s*$")


def parse_expected(expected: str) -> tuple[str, float]:
    """Parse a verdict rule: ``"> 0.5"`` -> ``(">", 0.5)``; ``"|diff| <= 0.05"`` -> ``("|diff|", 0.05)``.

    Raises
    ------
    ValueError
        If the rule is none of ``> x``, ``< x``, ``>= x``, ``<= x``, ``|diff| <= x``.
    """
    text = str(expected)
    m = _RULE.match(text)
    if m:
        return m["op"], float(m["x"])
    m = _CLOSE.match(text)
    if m:
        return "|diff|", float(m["x"])
    raise ValueError(f"expected must look like '> 0', '<= 0.5' or '|diff| <= 0.05', got {expected!r}")


def load_reference(stem: str, root: Path | None = None) -> pd.DataFrame:
    """Read ``data/reference/<stem>.csv`` (paper values and verdict rules), checking it.

    Returns
    -------
    DataFrame
        Indexed by ``claim``; ``paper_value`` float (NaN where the paper gives none),
        ``expected`` and ``note`` strings (empty where blank).

    Raises
    ------
    FileNotFoundError
        If the file is missing.
    ValueError
        A missing column, a duplicated claim, a non-numeric paper value or a malformed
        ``expected`` rule, naming the file and the row.
    """
    path = (root or paths.reference_dir()) / f"{stem}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"reference values not found: {path} (columns {REFERENCE_COLUMNS})")
    table = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False)
    missing = [c for c in REFERENCE_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; expected {list(REFERENCE_COLUMNS)}")
    if table["claim"].duplicated().any():
        dup = table.loc[table["claim"].duplicated(), "claim"].iloc[0]
        raise ValueError(f"{path}: claim {dup!r} appears twice")
    values = []
    for i, (claim, text, rule) in enumerate(zip(table["claim"], table["paper_value"], table["expected"]), start=1):
        try:
            values.append(float(text) if text.strip() else math.nan)
        except ValueError:
            raise ValueError(f"{path}, data row {i} (claim {claim!r}): paper_value {text!r} is not a number") from None
        if rule.strip():
            try:
                op, _ = parse_expected(rule)
            except ValueError as exc:
                raise ValueError(f"{path}, data row {i} (claim {claim!r}): {exc}") from None
            if op == "|diff|" and not text.strip():
                raise ValueError(f"{path}, data row {i} (claim {claim!r}): rule {rule!r} needs a paper_value")
    table["paper_value"] = values
    if "scope" not in table.columns:
        table["scope"] = ""
    bad = ~table["scope"].isin(SCOPES)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise ValueError(
            f"{path}, claim {table['claim'].iloc[i]!r}: scope {table['scope'].iloc[i]!r}; expected one of {SCOPES}"
        )
    out = table.set_index("claim")
    out.attrs["path"] = str(path)
    return out


@dataclass
class Scorecard:
    """Rows of (claim, paper value, obtained value, verdict rule, verdict) for one run.

    Parameters
    ----------
    reference
        :func:`load_reference` output; :meth:`check` looks claims up in it.
    """

    reference: pd.DataFrame | None = None
    rows: list[dict] = field(default_factory=list)

    def check(self, claim: str, obtained: float, *, label: str | None = None, note: str = "") -> bool | None:
        """Record reference claim ``claim`` with its obtained value; return the verdict.

        The paper value and the rule come from the reference row. ``label`` (default the
        reference's ``note`` or the claim id) is what a reader sees, e.g. which data it was
        measured on; ``note`` is appended to the reference note.

        Raises
        ------
        KeyError
            If the claim is not in the reference file (naming the file).
        """
        if self.reference is None:
            raise KeyError(f"claim {claim!r}: this scorecard has no reference table (data/reference/<stem>.csv)")
        if claim not in self.reference.index:
            where = self.reference.attrs.get("path", "the reference table")
            raise KeyError(
                f"claim {claim!r} is not in {where}; add a row (claim, table, row, column, paper_value, "
                "expected, note) there"
            )
        ref = self.reference.loc[claim]
        paper = None if not math.isfinite(ref["paper_value"]) else float(ref["paper_value"])
        expected = ref["expected"].strip()
        passed: bool | None = None
        if expected:
            op, x = parse_expected(expected)
            if not _finite(obtained):
                passed = False
            elif op == "|diff|":
                passed = bool(abs(float(obtained) - float(paper)) <= x)
            else:
                passed = bool(_OPS[op](float(obtained), x))
        notes = "; ".join(n for n in (ref["note"].strip(), note.strip()) if n)
        source = ref["table"].strip()
        self.rows.append(
            dict(
                claim=claim,
                label=label or claim,
                kind=_kind(expected),
                paper=paper,
                obtained=_float(obtained),
                expected=expected or "reported",
                passed=passed,
                note=(f"{source}: " if source and source != "-" else "") + notes,
                scope=ref["scope"],
            )
        )
        return passed

    def report(self, label: str, obtained: float, *, note: str = "") -> None:
        """Record a quantity the paper did not measure: no paper value beside it, no verdict."""
        self.rows.append(
            dict(
                claim="",
                label=label,
                kind="reported",
                paper=None,
                obtained=_float(obtained),
                expected="reported",
                passed=None,
                note=note,
                scope="",
            )
        )

    def to_frame(self) -> pd.DataFrame:
        """The scorecard as a table (one row per claim, columns :data:`SCORECARD_COLUMNS`)."""
        return pd.DataFrame(self.rows, columns=list(SCORECARD_COLUMNS))

    def summary(self) -> str:
        """E.g. ``"7/8 claims pass (3 reported without verdict)"``."""
        judged = [r for r in self.rows if r["passed"] is not None]
        passed = sum(bool(r["passed"]) for r in judged)
        text = f"{passed}/{len(judged)} claims pass"
        extras = []
        findings = sum(r.get("scope") == "finding" and r["passed"] is False for r in judged)
        if findings:
            extras.append(f"{findings} of the paper's findings not reproduced")
        unjudged = len(self.rows) - len(judged)
        if unjudged:
            extras.append(f"{unjudged} reported without verdict")
        return text + (f" ({'; '.join(extras)})" if extras else "")

    def failed(self, *, include_findings: bool = False) -> list[str]:
        """Labels of the claims that failed (by default not the paper's findings, scope ``finding``)."""
        return [
            r["label"] for r in self.rows if r["passed"] is False and (include_findings or r.get("scope") != "finding")
        ]


def _kind(expected: str) -> str:
    """``"direction"`` for a threshold rule, ``"value"`` for closeness or a bare paper value."""
    return "direction" if expected and parse_expected(expected)[0] != "|diff|" else "value"


def _finite(value: float) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _float(value: float) -> float | None:
    return float(value) if _finite(value) else None
