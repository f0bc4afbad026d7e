"""Tests of saliqa.crowd on constructed workers with exactly known outcomes (seed 000, section 2)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from saliqa import crowd


def _study() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """IQA workers A..F and one free-viewing worker G, with ratings and 2 clicks per answer.

    A: platform 0.79 (excluded); B: 0.801 (kept); F: exactly 0.80 (excluded, "more than 80%");
    C: failed the quiz; D: 69 % test accuracy (loses everything, gold included);
    E: 60 answers (keeps its first 50 by answer_order); G: free viewing, no quiz / tests.
    """
    workers = pd.DataFrame(
        {
            "worker_id": ["A", "B", "C", "D", "E", "F", "G"],
            "campaign": ["iqa"] * 6 + ["free"],
            "country": ["USA", "IND", "VEN", "VEN", "SRB", "USA", "VEN"],
            "platform_accuracy": [0.79, 0.801, 0.95, 0.95, 0.95, 0.80, 0.9],
            "passed_quiz": pd.array([True, True, False, True, True, True, pd.NA], dtype="boolean"),
            "test_accuracy": [1.0, 1.0, np.nan, 0.69, 0.9, 1.0, np.nan],
        }
    )
    n_answers = {"A": 4, "B": 5, "C": 0, "D": 6, "E": 60, "F": 3}
    rows, clicks = [], []
    rng = np.random.default_rng(0)
    for w, n in n_answers.items():
        order = rng.permutation(n) if w == "E" else np.arange(n)
        for k in range(n):
            img = f"img{k:02d}"
            rows.append(
                {
                    "image_id": img,
                    "rater_id": w,
                    "score": 3,
                    "is_gold": False,
                    "campaign": "iqa",
                    "answer_order": int(order[k]),
                }
            )
            for _ in range(2):
                clicks.append(
                    {
                        "image_id": img,
                        "observer_id": w,
                        "x": 1.0,
                        "y": 1.0,
                        "source": "click",
                        "task": "iqa",
                        "answer_order": int(order[k]),
                    }
                )
    # two gold answers for A, B and D
    for w in ("A", "B", "D"):
        for g in range(2):
            rows.append(
                {
                    "image_id": f"gold{g}",
                    "rater_id": w,
                    "score": 4,
                    "is_gold": True,
                    "campaign": "iqa",
                    "answer_order": 1000 + g,
                }
            )
    # G: 7 free-viewing answers with 3 clicks each; plus eye fixations that are never screened
    for k in range(7):
        for _ in range(3):
            clicks.append(
                {
                    "image_id": f"img{k:02d}",
                    "observer_id": "G",
                    "x": 2.0,
                    "y": 2.0,
                    "source": "click",
                    "task": "free",
                    "answer_order": k,
                }
            )
    for _ in range(4):
        clicks.append(
            {
                "image_id": "img00",
                "observer_id": "eye01",
                "x": 0.0,
                "y": 0.0,
                "source": "eye",
                "task": "free",
                "answer_order": pd.NA,
            }
        )
    ratings = pd.DataFrame(rows)
    fixations = pd.DataFrame(clicks).astype({"answer_order": "Int64"})
    return workers, ratings, fixations


def _count(res: crowd.WorkerScreening, step: str, campaign: str) -> dict:
    c = res.counts
    return c.loc[(c["step"] == step) & (c["campaign"] == campaign)].iloc[0].to_dict()


def test_screening_rules_exact_counts():
    workers, ratings, fixations = _study()
    res = crowd.screen_workers(workers, ratings, fixations)
    status = dict(zip(res.status["worker_id"], res.status["removed_by"]))
    assert status == {
        "A": "platform_accuracy",
        "B": "kept",
        "C": "quiz",
        "D": "test_accuracy",
        "E": "kept",
        "F": "platform_accuracy",
        "G": "kept",
    }
    assert _count(res, "input", "iqa") == {
        "step": "input",
        "campaign": "iqa",
        "applied": True,
        "workers": 6,
        "answers": 78,
        "ratings": 78,
        "gold_ratings": 6,
        "clicks": 156,
    }
    assert _count(res, "platform_accuracy", "iqa") | {} == {
        "step": "platform_accuracy",
        "campaign": "iqa",
        "applied": True,
        "workers": 2,
        "answers": 7,
        "ratings": 7,
        "gold_ratings": 2,
        "clicks": 14,
    }
    assert _count(res, "quiz", "iqa")["workers"] == 1 and _count(res, "quiz", "iqa")["answers"] == 0
    d = _count(res, "test_accuracy", "iqa")
    assert (d["workers"], d["answers"], d["ratings"], d["gold_ratings"], d["clicks"]) == (1, 6, 6, 2, 12)
    cap = _count(res, "answer_cap", "iqa")
    assert (cap["workers"], cap["answers"], cap["ratings"], cap["gold_ratings"], cap["clicks"]) == (0, 10, 10, 0, 20)
    kept = _count(res, "kept", "iqa")
    assert (kept["workers"], kept["answers"], kept["ratings"], kept["gold_ratings"], kept["clicks"]) == (
        2,
        55,
        55,
        2,
        110,
    )
    # bookkeeping: input = removed by every rule + kept
    for col in ("workers", "answers", "ratings", "gold_ratings", "clicks"):
        c = res.counts.loc[res.counts["campaign"] == "iqa"].set_index("step")[col]
        assert c["input"] == c[list(res.rules)].sum() + c["kept"]
    free = _count(res, "kept", "free")
    assert (free["workers"], free["answers"], free["clicks"]) == (1, 7, 21)


def test_failing_test_questions_loses_all_ratings_and_clicks():
    workers, ratings, fixations = _study()
    res = crowd.screen_workers(workers, ratings, fixations)
    assert not (res.ratings["rater_id"] == "D").any()
    assert not ((res.fixations["observer_id"] == "D") & (res.fixations["source"] == "click")).any()
    assert (ratings["rater_id"] == "D").sum() == 8  # 6 answers + 2 gold, all gone


def test_answer_cap_keeps_first_fifty_by_answer_order():
    workers, ratings, fixations = _study()
    res = crowd.screen_workers(workers, ratings, fixations)
    e = res.ratings.loc[res.ratings["rater_id"] == "E"]
    assert len(e) == 50
    assert sorted(e["answer_order"]) == list(range(50))
    e_clicks = res.fixations.loc[res.fixations["observer_id"] == "E"]
    assert len(e_clicks) == 100 and e_clicks["answer_order"].max() == 49
    ws = res.status.set_index("worker_id")
    assert ws.at["E", "answers_capped"] == 10 and ws.at["B", "answers_capped"] == 0


def test_answer_cap_without_order_column_uses_row_order_and_warns():
    workers, ratings, fixations = _study()
    with pytest.warns(UserWarning, match="first appearance"):
        res = crowd.screen_workers(
            workers, ratings.drop(columns="answer_order"), fixations.drop(columns="answer_order")
        )
    e = res.ratings.loc[res.ratings["rater_id"] == "E", "image_id"]
    assert list(e) == [f"img{k:02d}" for k in range(50)]


def test_eye_fixations_pass_through():
    workers, ratings, fixations = _study()
    res = crowd.screen_workers(workers, ratings, fixations)
    assert (res.fixations["source"] == "eye").sum() == 4


def test_rules_can_be_disabled():
    workers, ratings, fixations = _study()
    res = crowd.screen_workers(
        workers, ratings, fixations, rules=crowd.seed000_worker_rules(None, False, None), max_answers_per_worker=None
    )
    assert len(res.kept) == 7 and len(res.ratings) == len(ratings)
    assert res.rules == ("answer_cap",)
    assert list(res.counts.loc[res.counts["campaign"] == "iqa", "step"]) == ["input", "answer_cap", "kept"]
    assert not res.counts.loc[res.counts["step"] == "answer_cap", "applied"].any()


def test_rule_without_its_column_is_not_applied():
    workers, ratings, fixations = _study()
    with pytest.warns(UserWarning, match="no 'passed_quiz' column; rule 'quiz' not applied"):
        res = crowd.screen_workers(workers.drop(columns="passed_quiz"), ratings, fixations)
    quiz = res.counts.loc[res.counts["step"] == "quiz"]
    assert not quiz["applied"].any() and quiz["workers"].sum() == 0
    assert res.status.set_index("worker_id").at["C", "removed_by"] == "kept"


def test_rules_compose_with_their_thresholds():
    """Seed 003's "acceptance rates > 75 %" is the platform rule on another column."""
    workers, ratings, fixations = _study()
    workers = workers.assign(acceptance_rate=[0.70, 0.76, 0.9, 0.9, 0.75, 0.9, 0.9])
    res = crowd.screen_workers(
        workers,
        ratings,
        fixations,
        max_answers_per_worker=None,
        rules=(crowd.PlatformAccuracy(0.75, column="acceptance_rate"),),
    )
    status = dict(zip(res.status["worker_id"], res.status["removed_by"]))
    assert status == {
        "A": "acceptance_rate",
        "B": "kept",
        "C": "kept",
        "D": "kept",
        "E": "acceptance_rate",
        "F": "kept",
        "G": "kept",
    }
    assert res.rules == ("acceptance_rate", "answer_cap")
    assert res.parameters["acceptance_rate"] == {"min_accuracy": 0.75, "column": "acceptance_rate"}
    assert list(res.kept["worker_id"]) == ["B", "C", "D", "F", "G"]
    # every rule's own verdict is kept beside removed_by
    strict = crowd.screen_workers(workers, ratings, fixations)
    st = strict.status.set_index("worker_id")
    assert st.at["A", "rejected_platform_accuracy"] and not st.at["A", "rejected_test_accuracy"]
    with pytest.raises(ValueError, match=r"rules\[0\] must be a worker rule"):
        crowd.screen_workers(workers, ratings, rules=("platform_accuracy",))
    with pytest.raises(ValueError, match="min_accuracy"):
        crowd.PlatformAccuracy(80)


def test_screening_input_errors():
    workers, ratings, fixations = _study()
    with pytest.raises(ValueError, match="not in the workers table"):
        crowd.screen_workers(workers.iloc[1:], ratings, fixations)
    with pytest.raises(ValueError, match="duplicates"):
        crowd.screen_workers(pd.concat([workers, workers.iloc[:1]]), ratings)
    bad = workers.assign(platform_accuracy=[79.0, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9])
    with pytest.raises(ValueError, match="platform_accuracy"):
        crowd.screen_workers(bad, ratings)
    with pytest.raises(ValueError, match="missing column"):
        crowd.screen_workers(workers.drop(columns="campaign"), ratings)


def test_answers_table_merges_rating_and_clicks():
    workers, ratings, fixations = _study()
    a = crowd.answers_table(ratings, fixations)
    assert len(a) == 78 + 7
    assert a["has_rating"].sum() == 78 and a["has_clicks"].all()
    assert len(crowd.answers_table(ratings, include_gold=True)) == 78 + 6  # A, B, D x 2 gold items


def test_campaign_summary_arithmetic():
    workers, ratings, fixations = _study()
    answers = crowd.answers_table(ratings, fixations)
    res = crowd.screen_workers(workers, ratings, fixations)
    trusted = crowd.answers_table(res.ratings, res.fixations)
    s = crowd.campaign_summary(
        workers, answers, pay=crowd.SEED000_PAY, duration_hours=crowd.SEED000_DURATION_HOURS, trusted_answers=trusted
    ).set_index("campaign")
    iqa, free = s.loc["iqa"], s.loc["free"]
    assert iqa["workers"] == 6 and iqa["countries"] == 4
    assert iqa["passed_quiz"] == 5 and iqa["passed_quiz_pct"] == pytest.approx(500 / 6)
    assert iqa["above_threshold"] == 4 and iqa["above_threshold_pct"] == pytest.approx(400 / 6)
    assert iqa["answers"] == 78 and iqa["mean_answers_per_worker"] == pytest.approx(13.0)
    assert iqa["n_stimuli"] == 60 and iqa["answers_per_stimulus"] == pytest.approx(78 / 60)
    assert iqa["trusted_answers"] == 55
    assert iqa["mean_test_accuracy"] == pytest.approx((1 + 1 + 0.69 + 0.9 + 1) / 5)
    assert iqa["total_cost"] == pytest.approx(78 / 5 * 0.02)
    assert free["total_cost"] == pytest.approx(7 / 10 * 0.01)
    assert math.isnan(free["passed_quiz"]) and math.isnan(free["mean_test_accuracy"])
    assert free["duration_hours"] == 1.5


def test_campaign_summary_scalar_pay_and_missing_campaign():
    workers, ratings, fixations = _study()
    answers = crowd.answers_table(ratings, fixations)
    s = crowd.campaign_summary(workers, answers, pay_per_block=1.0, answers_per_block=2)
    assert s.set_index("campaign").at["free", "total_cost"] == pytest.approx(3.5)
    with pytest.raises(ValueError, match="no entry for campaign"):
        crowd.campaign_summary(workers, answers, pay_per_block={"iqa": 0.02}, answers_per_block=5)
    with pytest.raises(ValueError, match="needs pay="):
        crowd.campaign_summary(workers, answers, pay_per_block=1.0)
    with pytest.raises(ValueError, match="not both"):
        crowd.campaign_summary(workers, answers, pay=crowd.SEED000_PAY, answers_per_block=2)


def test_seed000_reported_numbers():
    r = crowd.seed000_reported_campaigns().set_index("campaign")
    assert r.at["free", "workers"] == 121 and r.at["free", "countries"] == 36
    assert r.at["free", "mean_answers_per_worker"] == 39.7 and r.at["free", "total_cost"] == 5.83
    assert r.at["iqa", "workers"] == 620 and r.at["iqa", "passed_quiz"] == 562
    assert r.at["iqa", "above_threshold"] == 556 and r.at["iqa", "total_cost"] == 56.80
    assert r.at["iqa", "trusted_answers_per_stimulus"] == 51 and r.at["iqa", "duration_hours"] == 44


def test_check_reported_campaigns_flags_cost_inconsistencies():
    c = crowd.check_reported_campaigns()
    cost = c.loc[c["check"] == "cost"].set_index("campaign")
    assert cost.at["free", "implied_paid_annotations"] == pytest.approx(5830)
    assert cost.at["iqa", "implied_paid_annotations"] == pytest.approx(14200)
    assert cost.at["free", "answers_from_workers"] == pytest.approx(4803.7)
    assert cost.at["iqa", "answers_from_workers"] == pytest.approx(9052)
    assert cost.at["free", "computed"] == pytest.approx(4.8037)
    assert not cost["consistent"].any()
    assert "4,800" in cost.at["free", "note"]
    pct = c.loc[c["check"] != "cost"].set_index("check")
    assert not pct.at["passed_quiz_pct", "consistent"] and "truncated" in pct.at["passed_quiz_pct", "note"]
    assert pct.at["above_threshold_pct", "consistent"]


def test_country_distribution_groups_below_one_percent():
    # 200 free workers: X 1 (0.5 % -> OTH), Y 2 (exactly 1 % -> kept), Z 197
    # 100 iqa workers: X 5 (5 %), W 1 (1 %, kept), Z 94
    countries = ["X"] + ["Y"] * 2 + ["Z"] * 197 + ["X"] * 5 + ["W"] + ["Z"] * 94
    workers = pd.DataFrame(
        {"worker_id": [f"w{i}" for i in range(300)], "campaign": ["free"] * 200 + ["iqa"] * 100, "country": countries}
    )
    each = crowd.country_distribution(workers, basis="each")
    f = each.loc[each["campaign"] == "free"].set_index("country")["n_workers"].to_dict()
    assert f == {"Z": 197, "Y": 2, "OTH": 1}
    q = each.loc[each["campaign"] == "iqa"].set_index("country")["n_workers"].to_dict()
    assert q == {"Z": 94, "X": 5, "W": 1, "OTH": 0}
    anyb = crowd.country_distribution(workers)  # "any": X reaches 1 % in iqa, so it is shown for both
    f = anyb.loc[anyb["campaign"] == "free"].set_index("country")
    assert f.at["X", "n_workers"] == 1 and f.at["OTH", "n_workers"] == 0 and f.at["W", "n_workers"] == 0
    assert f.at["X", "share"] == pytest.approx(0.005)
    pooled = crowd.country_distribution(workers, basis="pooled")  # Y 2/300, W 1/300 < 1 % -> OTH
    p = pooled.loc[pooled["campaign"] == "iqa"].set_index("country")["n_workers"].to_dict()
    assert p == {"Z": 94, "X": 5, "OTH": 1}
    p = pooled.loc[pooled["campaign"] == "free"].set_index("country")["n_workers"].to_dict()
    assert p == {"Z": 197, "X": 1, "OTH": 2}
    for df in (each, anyb, pooled):
        assert df.groupby("campaign")["share"].sum().to_numpy() == pytest.approx([1.0, 1.0])
        assert list(df.loc[df["campaign"] == "iqa", "country"])[-1] == "OTH"


def test_country_distribution_errors():
    w = pd.DataFrame({"worker_id": ["a", "b"], "campaign": ["free", "free"], "country": ["X", None]})
    with pytest.raises(ValueError, match="no country"):
        crowd.country_distribution(w)
    with pytest.raises(ValueError, match="min_share"):
        crowd.country_distribution(w.fillna("X"), min_share=1.5)


# --------------------------------------------------------------------------------------------
# test questions from per-answer records (seed 000) and dropping the removed workers' ratings
# --------------------------------------------------------------------------------------------


def _answers() -> pd.DataFrame:
    seq = {
        "steady": [1, 1, 1, 0, 1],  # running 1, 1, 1, .75, .8
        "late": [0, 1, 1, 1, 1, 1, 1, 1, 1, 1],  # starts at 0, ends at .9
        "poor": [1, 1, 0, 0, 1, 0],  # ends at .5
        "edge": [1, 1, 1, 0, 1, 1, 0, 1, 0, 1],  # running: 1,1,1,.75,.8,.83,.71,.75,.67,.7
    }
    rows = [(w, bool(c)) for w, cs in seq.items() for c in cs]
    return pd.DataFrame(rows, columns=["worker_id", "correct"])


def _rejected(screening) -> dict:
    return screening.status.set_index("worker_id")["rejected_test_accuracy"].to_dict()


def test_screen_by_test_questions_running_and_final():
    a = _answers()
    run = crowd.screen_by_test_questions(a)
    assert _rejected(run) == {"steady": False, "late": True, "poor": True, "edge": True}
    st = run.status.set_index("worker_id")
    assert st.loc["edge", "min_running_accuracy"] == pytest.approx(6 / 9)
    assert st.loc["late", "accuracy"] == pytest.approx(0.9)
    assert st.loc["poor", "removed_by"] == "test_accuracy" and st.loc["steady", "removed_by"] == "kept"
    assert run.counts.set_index("step")["workers"].to_dict() == {"input": 4, "test_accuracy": 3, "kept": 1}
    fin = crowd.screen_by_test_questions(a, mode="final")
    # "edge" ends at exactly 0.7: passes
    assert _rejected(fin) == {"steady": False, "late": False, "poor": True, "edge": False}
    quiz = crowd.screen_by_test_questions(a, min_answered=5)
    assert not _rejected(quiz)["late"]  # 4/5 after the quiz
    assert quiz.status.set_index("worker_id").loc["late", "min_running_accuracy"] == pytest.approx(0.8)
    # the same rule judges a workers table's test_accuracy column
    acc = crowd.test_question_accuracy(a).assign(campaign="iqa")
    res = crowd.screen_workers(acc, rules=(crowd.TestAccuracy(),), max_answers_per_worker=None)
    assert dict(zip(res.status["worker_id"], res.status["rejected_test_accuracy"])) == _rejected(run)


def test_screen_by_test_questions_order_and_errors():
    a = _answers().assign(t=lambda d: d.groupby("worker_id").cumcount())
    shuffled = a.sample(frac=1.0, random_state=0)
    res = crowd.screen_by_test_questions(shuffled, order_col="t")
    assert _rejected(res) == {"steady": False, "late": True, "poor": True, "edge": True}
    with pytest.raises(ValueError, match=r"missing column\(s\) \['correct'\]"):
        crowd.screen_by_test_questions(a.drop(columns="correct"))
    with pytest.raises(ValueError, match=r"row 2 field 'correct'"):
        crowd.screen_by_test_questions(a.assign(correct=[True, True, None] + [True] * (len(a) - 3)))
    with pytest.warns(UserWarning, match="1 of 4 workers answered fewer"):
        crowd.screen_by_test_questions(a, min_answered=6)


def test_drop_removed_drops_all_ratings_of_removed_workers():
    from saliqa.screening import drop_removed

    ratings = pd.DataFrame(
        {
            "image_id": [1, 2, 1, 2, 3],
            "rater_id": ["steady", "steady", "poor", "poor", "poor"],
            "score": [1.0, 2, 3, 4, 5],
        }
    )
    screening = crowd.screen_by_test_questions(_answers())
    with pytest.warns(UserWarning, match=r"dropped 1 of 2 units \(3 of 5 ratings\)"):
        kept = drop_removed(ratings, screening, id_columns="rater_id")
    assert list(kept["rater_id"]) == ["steady", "steady"]
    assert kept.attrs["screening"]["rows_dropped"] == 3
    with pytest.raises(ValueError, match="not in the screening"):
        drop_removed(ratings.assign(rater_id="nobody"), screening, id_columns="rater_id")
