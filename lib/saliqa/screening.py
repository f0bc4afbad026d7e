"""The screening vocabulary shared by crowd-worker and rater screening: rules, verdicts, results.

Two screenings use it:

* **worker screening** (:func:`saliqa.crowd.screen_workers`): the platform's records of each
  crowd worker (accuracy on the platform, qualification quiz, hidden test questions) decide who
  takes part; seed 000, section 2. The unit is a worker, ``(campaign, worker_id)``.
* **rater screening** (:func:`saliqa.subjective.screen_raters`): each rater's own ratings decide
  whether their scores are used (repeated contents, identical scores, gold contents); seed 003,
  section 3.4. The unit is a rater, ``rater_id`` (seed 003 screens "each rater's scores within a
  HIT": make ``rater_id`` the (worker, HIT) pair).

Conventions
-----------
A *rule* is a small frozen dataclass with a ``name`` (its step in the result) and a method
``judge(table) -> Verdict``; its thresholds are its fields, so a notebook composes its screening
by listing rules, e.g. ``(PlatformAccuracy(0.75, column="acceptance_rate"),)`` for seed 003's
"acceptance rates > 75 %". What ``table`` is depends on the screening: worker rules get the
``workers`` records indexed by the unit id ``(campaign, worker_id)`` (one row per unit), rater
rules the ratings table (several rows per rater). Every rule judges every unit independently of
the others; the rules are then applied in the order given, and a unit is removed by the *first*
rule that rejects it (:func:`apply_rules`).

Every screening returns a :class:`Screening` (worker screening a subclass that also holds the
kept rating / click rows):

* ``status``: one row per input unit, its id column(s), the statistics each rule judged, one
  boolean ``rejected_<rule>`` per rule (that rule's own verdict) and ``removed_by``: the first
  rule that rejected the unit, or ``"kept"``;
* ``kept``: the ``status`` rows of the units no rule rejected;
* ``counts``: one row per step (and group, e.g. campaign): ``input``, each rule in order,
  ``kept``; ``applied`` (a rule that could not be applied, e.g. its column is absent, rejects
  nobody and says so); for ``input`` / ``kept`` the units (and rows) present, for a rule those
  it removed from what the previous rules left; so ``input = sum(rules) + kept``;
* ``parameters``: the rules' thresholds.

:func:`drop_removed` removes the rows (ratings, clicks) of the removed units from any table.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from saliqa.checks import require_columns

__all__ = [
    "KEPT",
    "Verdict",
    "Rule",
    "Screening",
    "Applied",
    "apply_rules",
    "check_rules",
    "judge_all",
    "removed_by",
    "status_table",
    "parameters_of",
    "drop_removed",
]

KEPT = "kept"
"""``removed_by`` of a unit that every rule kept (and the last step of ``counts``)."""


@dataclass(frozen=True)
class Verdict:
    """One rule's judgement of every unit.

    Attributes
    ----------
    rule : str
        The rule's name.
    rejected : Series of bool
        Indexed by unit id (an Index, or a MultiIndex for ``(campaign, worker_id)``): True
        where the rule removes the unit.
    stats : DataFrame
        The statistics the rule judged, indexed like ``rejected`` (may have no columns).
    applied : bool
        False when the rule could not be applied (then it rejects nobody).
    """

    rule: str
    rejected: pd.Series
    stats: pd.DataFrame = field(default_factory=pd.DataFrame)
    applied: bool = True


@runtime_checkable
class Rule(Protocol):
    """A screening rule: a name and a ``judge`` method (module docstring)."""

    @property
    def name(self) -> str: ...  # noqa: D102

    def judge(self, table: pd.DataFrame) -> Verdict: ...  # noqa: D102


@dataclass(frozen=True)
class Screening:
    """Outcome of a screening (module docstring: ``status``, ``kept``, ``counts``).

    Attributes
    ----------
    status : DataFrame
        One row per input unit: ``id_columns``, rule statistics, ``rejected_<rule>``,
        ``removed_by``.
    counts : DataFrame
        One row per step (``input``, the rules in order, ``kept``) and group.
    id_columns : tuple of str
        The unit's id column(s) in ``status``.
    rules : tuple of str
        The rules' names, in the order applied.
    parameters : dict
        The rules' thresholds, by rule.
    """

    status: pd.DataFrame
    counts: pd.DataFrame
    id_columns: tuple[str, ...]
    rules: tuple[str, ...]
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def kept(self) -> pd.DataFrame:
        """The ``status`` rows of the units that every rule kept."""
        return self.status.loc[self.status["removed_by"] == KEPT]

    @property
    def removed(self) -> pd.DataFrame:
        """The ``status`` rows of the units some rule removed."""
        return self.status.loc[self.status["removed_by"] != KEPT]


def check_rules(rules: Sequence[Any], what: str) -> tuple[Rule, ...]:
    """``rules`` as a tuple, each checked to be a rule with a distinct name.

    Raises
    ------
    ValueError
        ``"rules[i] must be a <what> rule (an object with .name and .judge(table)), got ..."``, or
        two rules with one name.
    """
    if isinstance(rules, (str, bytes)) or not isinstance(rules, Sequence):
        raise ValueError(f"rules must be a sequence of {what} rules, got {rules!r}")
    out = tuple(rules)
    for i, r in enumerate(out):
        if not isinstance(r, Rule) or not isinstance(getattr(r, "name", None), str):
            raise ValueError(f"rules[{i}] must be a {what} rule (an object with .name and .judge(table)), got {r!r}")
    names = [r.name for r in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"rules: two rules are named {dup[0]!r}; each step needs its own name")
    return out


def judge_all(rules: Sequence[Rule], table: pd.DataFrame, units: pd.Index) -> list[Verdict]:
    """Every rule's verdict on ``table``, reindexed to ``units`` (units a rule did not judge: kept)."""
    out = []
    for rule in rules:
        v = rule.judge(table)
        rejected = v.rejected.reindex(units, fill_value=False).astype(bool)
        stats = v.stats.reindex(units) if len(v.stats.columns) else pd.DataFrame(index=units)
        out.append(Verdict(v.rule, rejected, stats, v.applied))
    return out


def removed_by(verdicts: Sequence[Verdict], units: pd.Index) -> np.ndarray:
    """Per unit, the name of the first verdict (in order) that rejects it, else :data:`KEPT`."""
    status = np.full(len(units), KEPT, dtype=object)
    for v in verdicts:
        newly = (status == KEPT) & v.rejected.to_numpy(dtype=bool)
        status[newly] = v.rule
    return status


def status_table(units: pd.DataFrame, verdicts: Sequence[Verdict], removed: np.ndarray) -> pd.DataFrame:
    """``units`` (one row per unit, in the verdicts' order) with the rules' columns.

    Each rule's statistics, its ``rejected_<rule>`` and then ``removed_by`` are appended.
    """
    out = units.reset_index(drop=True).copy()
    for v in verdicts:
        for col in v.stats.columns:
            out[col] = v.stats[col].to_numpy()
        out[f"rejected_{v.rule}"] = v.rejected.to_numpy(dtype=bool)
    out["removed_by"] = removed
    return out


def parameters_of(rules: Sequence[Rule]) -> dict[str, Any]:
    """The thresholds of each rule (its dataclass fields, long mappings summarised)."""
    out: dict[str, Any] = {}
    for r in rules:
        fields = asdict(r) if is_dataclass(r) else {}
        out[r.name] = {
            k: (f"{len(v)} values" if isinstance(v, (dict, pd.Series)) and len(v) > 8 else v) for k, v in fields.items()
        }
    return out


@dataclass(frozen=True)
class Applied:
    """The rules of a screening applied to its units (:func:`apply_rules`).

    Attributes
    ----------
    rules : tuple of rules
    verdicts : tuple of Verdict
        One per rule, reindexed to the units.
    removed : ndarray of object
        Per unit, the first rule that rejected it, or :data:`KEPT`.
    status : DataFrame
        The units with the rules' columns (:func:`status_table`).
    parameters : dict
        The rules' thresholds (:func:`parameters_of`).
    """

    rules: tuple[Rule, ...]
    verdicts: tuple[Verdict, ...]
    removed: np.ndarray
    status: pd.DataFrame
    parameters: dict[str, Any]

    def steps(self, extra: Sequence[tuple[str, bool]] = ()) -> list[tuple[str, bool, np.ndarray]]:
        """``(step, applied, unit mask)`` for ``input``, each rule, the ``extra`` steps, ``kept``.

        The mask of a rule (or extra step) selects the units it removed.
        """
        out = [("input", True, np.ones(len(self.removed), dtype=bool))]
        out += [
            (name, applied, self.removed == name)
            for name, applied in [*((v.rule, v.applied) for v in self.verdicts), *extra]
        ]
        out.append((KEPT, True, self.removed == KEPT))
        return out


def apply_rules(rules: Sequence[Rule], table: pd.DataFrame, units: pd.DataFrame, index: pd.Index, what: str) -> Applied:
    """Check ``rules``, judge ``table`` with each, and attribute each unit to the first rejecting rule.

    Parameters
    ----------
    rules
        The rules (:func:`check_rules`; ``what`` names their kind in errors).
    table
        What the rules judge (module docstring).
    units
        One row per unit, in the order of ``index``: the first columns of ``status``.
    index
        The unit ids, in order.
    what
        ``"worker"``, ``"rater"``, ...
    """
    rules = check_rules(rules, what)
    verdicts = judge_all(rules, table, index)
    removed = removed_by(verdicts, index)
    return Applied(rules, tuple(verdicts), removed, status_table(units, verdicts, removed), parameters_of(rules))


def drop_removed(
    table: pd.DataFrame,
    screening: Screening,
    *,
    id_columns: Sequence[str] | str | None = None,
    what: str = "ratings",
) -> pd.DataFrame:
    """Remove every row of ``table`` that belongs to a unit the screening removed.

    Seed 000 ("all his previous ratings were discarded") and seed 003 (a rejected rater's
    scores are not used). A ``UserWarning`` reports how many units and rows were dropped; the
    same counts are stored in ``result.attrs["screening"]``.

    Parameters
    ----------
    table
        Any table with the unit's id column(s) (e.g. the canonical ratings table).
    screening
        A :class:`Screening`.
    id_columns
        The id column(s) of ``table``, matched in order with ``screening.id_columns``; default
        the screening's own names.
    what
        Name of ``table`` in messages.

    Returns
    -------
    DataFrame
        The rows of units that were kept (original index kept).

    Raises
    ------
    ValueError
        Missing columns, or units in ``table`` that the screening did not judge (named).
    """
    cols = list(
        screening.id_columns if id_columns is None else ([id_columns] if isinstance(id_columns, str) else id_columns)
    )
    if len(cols) != len(screening.id_columns):
        raise ValueError(
            f"id_columns must name {len(screening.id_columns)} column(s) of {what}, matching "
            f"{list(screening.id_columns)}; got {cols}"
        )
    require_columns(table, cols, what)

    def keys(frame: pd.DataFrame, names: Sequence[str]) -> pd.MultiIndex:
        return pd.MultiIndex.from_frame(frame[list(names)].astype(object))

    rows = keys(table, cols)
    judged = keys(screening.status, screening.id_columns)
    known = rows.isin(judged)
    if not known.all():
        absent: list[Hashable] = list(dict.fromkeys(rows[~known]))
        raise ValueError(
            f"{what}: {len(absent)} unit(s) {cols} are not in the screening (e.g. {absent[:5]}); screen every one"
        )
    drop = rows.isin(keys(screening.removed, screening.id_columns))
    counts = {
        "units_dropped": int(rows[drop].nunique()),
        "units_total": int(rows.nunique()),
        "rows_dropped": int(drop.sum()),
        "rows_total": len(table),
    }
    if counts["rows_dropped"]:
        warnings.warn(
            f"drop_removed: dropped {counts['units_dropped']} of {counts['units_total']} units "
            f"({counts['rows_dropped']} of {counts['rows_total']} {what})",
            UserWarning,
            stacklevel=2,
        )
    out = table.loc[~drop].copy()
    out.attrs["screening"] = counts
    return out
