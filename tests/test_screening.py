"""Tests of saliqa.screening: the shared verdict / result vocabulary and drop_removed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from saliqa import screening as SC


@dataclass(frozen=True)
class _Above:
    """A toy rule on a per-unit table: rejects ``value > limit``."""

    limit: float
    name: ClassVar[str] = "above"

    def judge(self, table: pd.DataFrame) -> SC.Verdict:
        t = table.set_index("id")
        return SC.Verdict(self.name, t["value"] > self.limit, t[["value"]].rename(columns={"value": "v"}))


@dataclass(frozen=True)
class _Odd:
    name: ClassVar[str] = "odd"

    def judge(self, table: pd.DataFrame) -> SC.Verdict:
        t = table.set_index("id")
        return SC.Verdict(self.name, t["value"] % 2 == 1)


def _screen(rules) -> SC.Screening:
    units = pd.DataFrame({"id": ["a", "b", "c", "d"], "value": [1, 4, 5, 2]})
    rules = SC.check_rules(rules, "toy")
    index = pd.Index(units["id"])
    verdicts = SC.judge_all(rules, units, index)
    removed = SC.removed_by(verdicts, index)
    status = SC.status_table(units[["id"]], verdicts, removed)
    return SC.Screening(status, pd.DataFrame(), ("id",), tuple(r.name for r in rules), SC.parameters_of(rules))


def test_first_rejecting_rule_removes_and_every_verdict_is_kept():
    s = _screen([_Above(3), _Odd()])
    assert list(s.status["removed_by"]) == ["odd", "above", "above", SC.KEPT]
    assert list(s.status["rejected_odd"]) == [True, False, True, False]
    assert list(s.status["v"]) == [1, 4, 5, 2]
    assert list(s.kept["id"]) == ["d"] and list(s.removed["id"]) == ["a", "b", "c"]
    assert s.parameters == {"above": {"limit": 3}, "odd": {}}
    assert list(_screen([_Odd(), _Above(3)]).status["removed_by"]) == ["odd", "above", "odd", SC.KEPT]


def test_check_rules():
    with pytest.raises(ValueError, match="two rules are named 'odd'"):
        SC.check_rules([_Odd(), _Odd()], "toy")
    with pytest.raises(ValueError, match=r"rules\[1\] must be a toy rule"):
        SC.check_rules([_Odd(), "above"], "toy")
    with pytest.raises(ValueError, match="sequence of toy rules"):
        SC.check_rules("odd", "toy")


def test_drop_removed_single_and_two_id_columns():
    s = _screen([_Above(3)])
    rows = pd.DataFrame({"unit": ["a", "b", "b", "d"], "score": [1.0, 2, 3, 4]}, index=[10, 11, 12, 13])
    with pytest.warns(UserWarning, match=r"dropped 1 of 3 units \(2 of 4 rows\)"):
        kept = SC.drop_removed(rows, s, id_columns="unit", what="rows")
    assert list(kept.index) == [10, 13] and kept.attrs["screening"]["units_dropped"] == 1
    with pytest.raises(ValueError, match=r"rows: missing column\(s\) \['id'\]"):
        SC.drop_removed(rows, s, what="rows")
    two = SC.Screening(
        pd.DataFrame({"campaign": ["free", "iqa"], "worker_id": ["w", "w"], "removed_by": ["kept", "quiz"]}),
        pd.DataFrame(),
        ("campaign", "worker_id"),
        ("quiz",),
    )
    r = pd.DataFrame({"campaign": ["free", "iqa", "iqa"], "rater_id": ["w", "w", "w"], "score": [1, 2, 3]})
    with pytest.warns(UserWarning):
        kept = SC.drop_removed(r, two, id_columns=["campaign", "rater_id"])
    assert kept["score"].tolist() == [1]
    with pytest.raises(ValueError, match="must name 2 column"):
        SC.drop_removed(r, two, id_columns="rater_id")
    assert np.all(SC.drop_removed(r.iloc[:1], two, id_columns=["campaign", "rater_id"])["score"] == [1])
