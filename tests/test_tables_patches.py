"""The canonical ``patches`` table contract of saliqa.datasets.tables."""

from __future__ import annotations

import pandas as pd
import pytest

from saliqa.datasets.tables import OPTIONAL, REQUIRED, validate


def _table(**change) -> pd.DataFrame:
    base = {
        "image_id": ["a", "a"],
        "patch_id": ["a#1", "a#2"],
        "left": [0, 10],
        "top": [0, 5],
        "right": [20, 30],
        "bottom": [10, 25],
        "mos": [50.0, None],
    }
    base.update(change)
    return pd.DataFrame(base)


def test_patches_contract():
    assert REQUIRED["patches"] == ("image_id", "patch_id", "left", "top", "right", "bottom")
    assert OPTIONAL["patches"] == ("mos",)
    t = _table()
    assert validate(t, "patches") is t
    validate(_table().drop(columns="mos"), "patches")  # mos is optional


def test_patches_errors_name_row_and_form():
    with pytest.raises(ValueError, match=r"missing column\(s\) \['bottom'\]"):
        validate(_table().drop(columns="bottom"), "patches", origin="p.csv")
    with pytest.raises(ValueError, match=r"p.csv: row 1 field 'right'"):
        validate(_table(right=[20, float("nan")]), "patches", origin="p.csv")
    with pytest.raises(ValueError, match=r"p.csv: row 1 box .* = \(10.0, 5.0, 10.0, 25.0\).*0 <= left < right"):
        validate(_table(right=[20, 10]), "patches", origin="p.csv")
    with pytest.raises(ValueError, match=r"row 0 box .*0 <= top < bottom"):
        validate(_table(top=[-1, 5]), "patches")
