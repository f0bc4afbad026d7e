"""Tests of saliqa.subjective.process: seed 003's Sec. 3.4 pipeline and the gold-correlation rule."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from saliqa import subjective as S

IMAGES = ["a", "b", "c", "d", "e", "f"]
GOLD = {"g1": 10.0, "g2": 50.0, "g3": 90.0}


def _hit(worker: str, hit: str, scores: list[float], repeat: tuple[str, float], gold: list[float]) -> pd.DataFrame:
    """One worker's HIT: the six images, one repeat, three gold contents."""
    rows = [(img, worker, s, False, False, hit) for img, s in zip(IMAGES, scores, strict=True)]
    rows.append((repeat[0], worker, repeat[1], False, True, hit))
    rows += [(g, worker, s, True, False, hit) for g, s in zip(GOLD, gold, strict=True)]
    return pd.DataFrame(rows, columns=["image_id", "rater_id", "score", "is_gold", "is_repeat", "hit_id"])


def _study() -> pd.DataFrame:
    good = [20.0, 30.0, 40.0, 50.0, 60.0, 70.0]
    return pd.concat(
        [
            _hit("w1", "h1", good, ("a", 22.0), [15.0, 45.0, 85.0]),
            _hit("w2", "h1", [v + 5 for v in good], ("b", 34.0), [20.0, 55.0, 80.0]),
            _hit("w3", "h2", [25.0, 28.0, 45.0, 47.0, 66.0, 72.0], ("c", 44.0), [5.0, 60.0, 95.0]),
            _hit("w4", "h2", [50.0] * 6, ("a", 50.0), [50.0, 50.0, 50.0]),  # constant: identical scores
            _hit("w5", "h3", good[::-1], ("a", 70.0), [90.0, 50.0, 10.0]),  # reversed: gold SRCC -1
            _hit("w1", "h4", [90.0, 10.0, 80.0, 5.0, 95.0, 0.0], ("a", 0.0), [30.0, 35.0, 60.0]),  # bad repeat
        ],
        ignore_index=True,
    )


def _quiet(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return call(*args, **kwargs)


def test_gold_correlation_rule() -> None:
    verdict = S.GoldCorrelation(GOLD).judge(_study())
    assert verdict.rule == "gold"
    assert verdict.rejected.to_dict() == {"w1": False, "w2": False, "w3": False, "w4": False, "w5": True}
    assert verdict.stats.loc["w5", "gold_srcc"] == pytest.approx(-1.0)
    assert np.isnan(verdict.stats.loc["w4", "gold_srcc"])  # constant gold scores: not judged
    strict = S.GoldCorrelation(GOLD, min_srcc=0.96).judge(_study())
    assert strict.stats.loc["w1", "gold_srcc"] == pytest.approx(0.9562, abs=1e-4)  # both HITs, ties averaged
    assert strict.rejected["w1"] and not strict.rejected["w3"]  # w3: SRCC 1
    with pytest.raises(ValueError, match="min_srcc"):
        S.GoldCorrelation(GOLD, min_srcc=1.0)


def test_process_ratings_per_hit_units_match_the_pieces() -> None:
    ratings = _study()
    rules = (*S.SEED003_RATER_RULES, S.GoldCorrelation(GOLD))
    out = _quiet(S.process_ratings, ratings, rules, unit=("rater_id", "hit_id"))
    status = out.screening.status.set_index("rater_id")
    assert status["removed_by"].to_dict() == {
        "w1/h1": "kept",
        "w2/h1": "kept",
        "w3/h2": "kept",
        "w4/h2": "identical",
        "w5/h3": "gold",
        "w1/h4": "repeat",
    }
    assert status.loc["w1/h4", "unit_hit_id"] == "h4" and status.loc["w1/h4", "unit_rater_id"] == "w1"
    kept = ratings.loc[ratings["hit_id"].isin(["h1", "h2"]) & (ratings["rater_id"] != "w4")]
    assert out.ratings.index.tolist() == kept.index.tolist()
    expected = S.mos_from_ratings(kept)
    pd.testing.assert_frame_equal(out.mos.reset_index(drop=True), expected.reset_index(drop=True))
    assert out.worker_screening is None and out.consistency is None
    assert out.mos["mos"].min() == 0 and out.mos["mos"].max() == 100  # "scaled to [0, 100]"


def test_process_ratings_default_unit_is_the_rater() -> None:
    ratings = _study()
    one_hit = ratings.loc[ratings["hit_id"] != "h4"]
    out = _quiet(S.process_ratings, one_hit)  # default unit: the worker, default rules
    assert out.screening.status.set_index("rater_id")["removed_by"].to_dict() == {
        "w1": "kept",
        "w2": "kept",
        "w3": "kept",
        "w4": "identical",
        "w5": "kept",
    }
    # a worker who saw an image in two HITs can only be judged per HIT
    with pytest.raises(ValueError, match="is_repeat=False"):
        _quiet(S.process_ratings, ratings)


def test_process_ratings_worker_screening_and_consistency() -> None:
    ratings = _study()
    workers = pd.DataFrame(
        {"worker_id": ["w1", "w2", "w3", "w4", "w5"], "campaign": "iqa", "acceptance_rate": [0.9, 0.75, 0.8, 1, 1]}
    )
    out = _quiet(S.process_ratings, ratings, workers=workers, unit=("rater_id", "hit_id"), n_splits=5, seed=3)
    ws = out.worker_screening.status.set_index("worker_id")["removed_by"]
    assert ws["w2"] == "acceptance_rate" and (ws.drop("w2") == "kept").all()  # exactly 75 % is out
    assert "w2" not in set(out.ratings["rater_id"])
    assert "w2/h1" not in set(out.screening.status["rater_id"])  # screened before the rater rules
    expected = _quiet(S.split_half_consistency, out.ratings, n_splits=5, seed=3)
    np.testing.assert_array_equal(out.consistency.values, expected.values)


def test_process_ratings_errors() -> None:
    ratings = _study()
    with pytest.raises(ValueError, match="hit"):
        S.process_ratings(ratings, unit=("rater_id", "hit"))
    with pytest.raises(ValueError, match="unit"):
        S.process_ratings(ratings, unit=())
    bad = ratings.loc[ratings["rater_id"].isin(["w4", "w5"])]
    with pytest.raises(ValueError, match="removed every rating"):
        _quiet(S.process_ratings, bad, (S.IdenticalScores(), S.GoldCorrelation(GOLD)))
