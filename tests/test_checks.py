"""Tests of saliqa.checks: the shared validators and their messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from saliqa import checks as C


def test_real_positive_probability():
    assert C.check_real(np.float32(1.5), "x") == 1.5
    assert C.check_real(0.5, "p", low=0, high=1, low_open=True) == 0.5
    for bad in (np.nan, np.inf, True, "1", None):
        with pytest.raises(ValueError, match="x must be a finite number, got"):
            C.check_real(bad, "x")
    with pytest.raises(ValueError, match=r"p must be a finite number in \(0, 1\], got 0"):
        C.check_real(0, "p", low=0, high=1, low_open=True)
    assert C.check_positive(0, "d", allow_zero=True) == 0.0
    with pytest.raises(ValueError, match="sigma must be a positive finite number of pixels, got 0"):
        C.check_positive(0, "sigma", unit="pixels")
    with pytest.raises(ValueError, match="w must be a non-negative finite number"):
        C.check_positive(-1, "w", allow_zero=True)
    assert C.check_probability(1, "p") == 1.0
    with pytest.raises(ValueError, match=r"p must be a finite number in \[0, 1\], got 1.5"):
        C.check_probability(1.5, "p")


def test_int_seed_choice_shape():
    assert C.check_int(np.int64(3), "n", low=1) == 3
    assert C.check_int(30.0, "quality", low=1, high=100, integral_float=True) == 30
    with pytest.raises(ValueError, match=r"quality must be an integer in 1\.\.100, got 30.5"):
        C.check_int(30.5, "quality", low=1, high=100, integral_float=True)
    with pytest.raises(ValueError, match="n must be an integer >= 1, got True"):
        C.check_int(True, "n", low=1)
    assert C.check_seed(np.uint32(7)) == 7
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got -1"):
        C.check_seed(-1)
    assert C.check_choice("b", "mode", ("a", "b")) == "b"
    with pytest.raises(ValueError, match=r"mode must be one of \('a', 'b'\), got 'c'"):
        C.check_choice("c", "mode", ("a", "b"))
    with pytest.raises(ValueError, match="mode must be one of"):
        C.check_choice(np.array([1, 2]), "mode", ("a",))
    assert C.check_shape((np.int64(2), 3)) == (2, 3)
    for bad in ((0, 3), (2,), 5, (2.0, 3), (True, 2)):
        with pytest.raises(ValueError, match=r"size must be a pair \(H, W\) of positive ints"):
            C.check_shape(bad, "size")


def test_vector():
    np.testing.assert_array_equal(C.check_vector([1, 2], "x"), [1.0, 2.0])
    with pytest.raises(ValueError, match="x contains 1 non-finite values \\(first at position 1\\)"):
        C.check_vector([1.0, np.nan], "x")
    with pytest.raises(ValueError, match="1-D"):
        C.check_vector([[1.0]], "x")
    with pytest.raises(ValueError, match="numeric"):
        C.check_vector(["a"], "x")
    with pytest.raises(ValueError, match="at least 2 values"):
        C.check_vector([1.0], "x", min_size=2)


def test_table_checks_name_the_table_row_and_field():
    t = pd.DataFrame({"worker_id": ["a", "b", "c"], "ok": [True, 1, None], "acc": [0.5, np.nan, 1.5]})
    assert C.require_columns(t, ["worker_id"], "workers") is t
    with pytest.raises(ValueError, match=r"workers: missing column\(s\) \['campaign'\]; expected columns"):
        C.require_columns(t, ["worker_id", "campaign"], "workers")
    with pytest.raises(ValueError, match="workers must be a pandas DataFrame, got list"):
        C.require_columns([], ["worker_id"], "workers")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"answers: row 2 field 'ok' = None; expected a boolean"):
        C.check_bool_column(t["ok"], "answers", "ok")
    assert C.check_bool_column(t["ok"].iloc[:2], "answers", "ok").tolist() == [True, True]
    with pytest.raises(ValueError, match=r"workers: row 1 field 'acc' = nan is not a finite number"):
        C.check_finite_column(t["acc"], "workers", "acc")
    with pytest.raises(ValueError, match=r"row 2 field 'acc' = 1.5 is not a finite number in \[0, 1\]"):
        C.check_finite_column(t["acc"], "workers", "acc", low=0, high=1, allow_nan=True)
    v = C.check_finite_column(t["acc"].iloc[:2], "workers", "acc", low=0, high=1, allow_nan=True)
    assert v[0] == 0.5 and np.isnan(v[1])
    assert C.first_row([False, True, True]) == 1
