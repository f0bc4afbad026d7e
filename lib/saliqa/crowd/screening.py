"""Crowd worker screening from the platform's records (seed 000, section 2).

Seed 000 ran two CrowdFlower campaigns on the 160 TUD image versions: free viewing (clicks only,
no quiz, no test questions) and an IQA task (5-point rating + clicks, a qualification quiz,
hidden test questions on the rating). Its quality-control rules, each a rule object here with
its threshold as a field (the vocabulary of :mod:`saliqa.screening`):

* :class:`PlatformAccuracy` -- only workers with a cumulative platform accuracy of *more than*
  80 % take part (both campaigns; seed 003's "acceptance rates > 75 %" is
  ``PlatformAccuracy(0.75, column="acceptance_rate")``);
* :class:`QualificationQuiz` -- IQA: a qualification quiz must be passed before working;
* :class:`TestAccuracy` -- IQA: "Whenever a contributor fell below 70% accuracy in answering
  test questions he was not allowed to continue. In this case all his previous ratings were
  discarded" -- here the worker loses all ratings *and* clicks. The one definition of "fell
  below" (:meth:`TestAccuracy.rejects`) also serves :func:`screen_by_test_questions` (accuracy
  from per-answer records, :func:`test_question_accuracy`) and the campaign summary;
* the answer cap -- at most 50 answers per worker (both): not a rule on workers but on their
  answers (:func:`cap_answers`), applied after the rules.

:func:`screen_workers` applies them in that order to a ``workers`` table and the canonical
``ratings`` / ``fixations`` tables (:mod:`saliqa.crowd.workers`) and returns a
:class:`WorkerScreening`: the :class:`saliqa.screening.Screening` of the workers plus the rating
and click rows kept (nothing is removed silently).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from saliqa.checks import (
    check_bool_column,
    check_choice,
    check_finite_column,
    check_int,
    check_probability,
    require_columns,
)
from saliqa.crowd.workers import KEY, check_known, check_workers, click_units, ratings_units, worker_index
from saliqa.screening import KEPT, Rule, Screening, Verdict, apply_rules

__all__ = [
    "PlatformAccuracy",
    "QualificationQuiz",
    "TestAccuracy",
    "SEED000_WORKER_RULES",
    "seed000_worker_rules",
    "ANSWER_CAP",
    "WorkerScreening",
    "screen_workers",
    "cap_answers",
    "test_question_accuracy",
    "screen_by_test_questions",
]

ANSWER_CAP = "answer_cap"
"""The step name of the answer cap in :class:`WorkerScreening` ``counts`` / ``removed_by`` of rows."""


def _warn(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=4)


def _column_absent(workers: pd.DataFrame, rule: str, column: str) -> Verdict | None:
    """A not-applied verdict (with a warning) when ``workers`` lacks the rule's column."""
    if column in workers.columns:
        return None
    _warn(f"screen_workers: workers has no {column!r} column; rule {rule!r} not applied")
    return Verdict(rule, pd.Series(False, index=workers.index), applied=False)


# --------------------------------------------------------------------------------------------
# the rules
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlatformAccuracy:
    """Keep workers whose platform record is *more than* ``min_accuracy`` (seed 000: 80 %).

    "a cumulative accuracy rating of more than 80%": exactly ``min_accuracy`` is removed. NaN =
    unknown: kept, with a warning giving the count.

    Attributes
    ----------
    min_accuracy : float = 0.8
        Threshold in [0, 1].
    column : str = "platform_accuracy"
        Column of ``workers`` holding the record; also the rule's name (seed 003:
        ``"acceptance_rate"`` with 0.75).
    """

    min_accuracy: float = 0.8
    column: str = "platform_accuracy"

    def __post_init__(self) -> None:
        check_probability(self.min_accuracy, "PlatformAccuracy.min_accuracy")

    @property
    def name(self) -> str:
        """The rule's step name: its column."""
        return self.column

    def judge(self, workers: pd.DataFrame) -> Verdict:
        """Judge every worker of ``workers`` (one row per worker, indexed by the worker's id)."""
        absent = _column_absent(workers, self.name, self.column)
        if absent is not None:
            return absent
        acc = check_finite_column(workers[self.column], "workers", self.column, allow_nan=True)
        n_nan = int(np.isnan(acc).sum())
        if n_nan:
            _warn(f"screen_workers: {n_nan} workers have no {self.column}; kept by that rule")
        return Verdict(self.name, pd.Series(~np.isnan(acc) & (acc <= self.min_accuracy), index=workers.index))


@dataclass(frozen=True)
class QualificationQuiz:
    """Remove workers who failed the qualification quiz (seed 000, IQA campaign).

    ``passed_quiz`` False removes; NA means the campaign had no quiz (rule not applicable).

    Attributes
    ----------
    column : str = "passed_quiz"
        Boolean column of ``workers``.
    """

    column: str = "passed_quiz"
    name: ClassVar[str] = "quiz"

    def judge(self, workers: pd.DataFrame) -> Verdict:
        """Judge every worker of ``workers`` (one row per worker, indexed by the worker's id)."""
        absent = _column_absent(workers, self.name, self.column)
        if absent is not None:
            return absent
        failed = (workers[self.column].astype("boolean") == False).fillna(False)  # noqa: E712 (NA-aware)
        return Verdict(self.name, pd.Series(failed.to_numpy(dtype=bool), index=workers.index))


@dataclass(frozen=True)
class TestAccuracy:
    """Remove workers whose test-question accuracy fell below ``min_accuracy`` (seed 000: 70 %).

    "Whenever a contributor fell below 70% accuracy in answering test questions he was not
    allowed to continue. In this case all his previous ratings were discarded." Exactly
    ``min_accuracy`` passes; NaN = the worker had no test questions (not judged).

    Attributes
    ----------
    min_accuracy : float = 0.7
        Smallest accepted accuracy, in [0, 1].
    column : str = "test_accuracy"
        Column of ``workers`` holding the accuracy (e.g. from :func:`test_question_accuracy`).
    """

    __test__: ClassVar[bool] = False  # not a pytest test class
    min_accuracy: float = 0.7
    column: str = "test_accuracy"
    name: ClassVar[str] = "test_accuracy"

    def __post_init__(self) -> None:
        check_probability(self.min_accuracy, "TestAccuracy.min_accuracy")

    def rejects(self, accuracy: ArrayLike) -> np.ndarray:
        """The rule itself: ``accuracy < min_accuracy``; NaN (no test questions) is not rejected."""
        a = np.asarray(accuracy, dtype=np.float64)
        return ~np.isnan(a) & (a < self.min_accuracy)

    def judge(self, workers: pd.DataFrame) -> Verdict:
        """Judge every worker of ``workers`` (one row per worker, indexed by the worker's id)."""
        absent = _column_absent(workers, self.name, self.column)
        if absent is not None:
            return absent
        acc = check_finite_column(workers[self.column], "workers", self.column, allow_nan=True)
        return Verdict(self.name, pd.Series(self.rejects(acc), index=workers.index))


def seed000_worker_rules(
    min_platform_accuracy: float | None = 0.8,
    require_quiz: bool = True,
    min_test_accuracy: float | None = 0.7,
) -> tuple[Rule, ...]:
    """Seed 000's worker rules in its order; ``None`` (or ``require_quiz=False``) leaves one out."""
    rules: list[Rule] = []
    if min_platform_accuracy is not None:
        rules.append(PlatformAccuracy(min_platform_accuracy))
    if require_quiz:
        rules.append(QualificationQuiz())
    if min_test_accuracy is not None:
        rules.append(TestAccuracy(min_test_accuracy))
    return tuple(rules)


SEED000_WORKER_RULES: tuple[Rule, ...] = seed000_worker_rules()
"""Platform accuracy > 80 %, qualification quiz, test-question accuracy >= 70 % (seed 000, 2)."""


# --------------------------------------------------------------------------------------------
# the answer cap
# --------------------------------------------------------------------------------------------


def _answer_order(
    r_units: pd.DataFrame, ratings: pd.DataFrame | None, c_units: pd.DataFrame, fixations: pd.DataFrame | None
) -> tuple[pd.Series, pd.Series]:
    """Order key of each rating / click row: ``answer_order`` when present, else row position."""
    have = (ratings is None or "answer_order" in ratings.columns) and (
        fixations is None or c_units.empty or "answer_order" in fixations.columns
    )
    if have:
        ro = (
            pd.to_numeric(ratings.loc[r_units.index, "answer_order"], errors="coerce")
            if ratings is not None
            else pd.Series(dtype=float)
        )
        co = (
            pd.to_numeric(fixations.loc[c_units.index, "answer_order"], errors="coerce")
            if fixations is not None and not c_units.empty
            else pd.Series(dtype=float)
        )
        bad = ro[~r_units["_gold"]].isna().sum() + co.isna().sum()
        if bad:
            raise ValueError(
                f"answer_order is missing on {int(bad)} non-gold rating / click rows; fill it or drop "
                "the column to order answers by row position"
            )
        return ro.astype(float), co.astype(float)
    _warn(
        "screen_workers: no 'answer_order' column; a worker's answers are ordered by first appearance "
        "(ratings rows first, then clicks) for the answer cap"
    )
    n_r = len(r_units)
    return (
        pd.Series(np.arange(n_r, dtype=float), index=r_units.index),
        pd.Series(n_r + np.arange(len(c_units), dtype=float), index=c_units.index),
    )


def cap_answers(
    r_units: pd.DataFrame,
    r_order: pd.Series,
    r_rule: np.ndarray,
    c_units: pd.DataFrame,
    c_order: pd.Series,
    c_rule: np.ndarray,
    max_answers: int,
) -> pd.Series:
    """Mark each kept worker's answers beyond the ``max_answers``-th as removed by the cap.

    Of a worker's non-gold answers in a campaign (units ``(image_id)`` of the rating and click
    rows still :data:`~saliqa.screening.KEPT`, ordered by their smallest order key), those of
    rank ``>= max_answers`` are removed: ``r_rule`` / ``c_rule`` (per-row ``removed_by``,
    modified in place) become :data:`ANSWER_CAP` on their rows. Gold rows are not answers.

    Returns
    -------
    Series
        Answers removed per worker, indexed by ``(campaign, worker_id)`` (workers with none are
        absent).
    """
    both = pd.concat(
        [r_units.assign(_ord=r_order.to_numpy(), _rule=r_rule), c_units.assign(_ord=c_order.to_numpy(), _rule=c_rule)]
    )
    live = both.loc[(both["_rule"] == KEPT) & ~both["_gold"].astype(bool)]
    answer = ["campaign", "worker_id", "image_id"]
    units = live.groupby(answer, sort=False)["_ord"].min().reset_index()
    units = units.sort_values(["campaign", "worker_id", "_ord"], kind="stable")
    units["_rank"] = units.groupby(["campaign", "worker_id"], sort=False).cumcount()
    over = units.loc[units["_rank"] >= max_answers, answer]
    if over.empty:
        return pd.Series(dtype=np.int64)
    over_idx = pd.MultiIndex.from_frame(over.astype(object))
    for rows, rule in ((r_units, r_rule), (c_units, c_rule)):
        if rows.empty:
            continue
        hit = (
            pd.MultiIndex.from_frame(rows[answer].astype(object)).isin(over_idx)
            & ~rows["_gold"].to_numpy(dtype=bool)
            & (rule == KEPT)
        )
        rule[hit] = ANSWER_CAP
    per_worker = over.groupby(["campaign", "worker_id"]).size()
    per_worker.index = pd.MultiIndex.from_tuples([tuple(i) for i in per_worker.index])
    return per_worker


# --------------------------------------------------------------------------------------------
# worker screening
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerScreening(Screening):
    """Outcome of :func:`screen_workers`: a :class:`~saliqa.screening.Screening` of the workers.

    Attributes
    ----------
    status : DataFrame
        Every input worker (the ``workers`` columns) with ``rejected_<rule>``, ``removed_by``
        (the first rule that removed them, or ``"kept"``) and ``answers_capped`` (answers
        removed by the cap).
    counts : DataFrame
        One row per (step, campaign), steps ``input``, the rules in order, ``answer_cap``,
        ``kept``: ``applied``, ``workers``, ``answers``, ``ratings`` (non-gold rows),
        ``gold_ratings``, ``clicks`` (points). For ``input`` / ``kept`` the numbers present, for
        a step the numbers it removed from what the previous steps left.
    ratings, fixations : DataFrame or None
        Rows kept (eye fixations are never screened).
    """

    ratings: pd.DataFrame | None = None
    fixations: pd.DataFrame | None = None


def _row_status(rows: pd.DataFrame, units: pd.MultiIndex, removed: np.ndarray) -> np.ndarray:
    """``removed_by`` of the worker of each row."""
    if rows.empty:
        return np.zeros(0, dtype=object)
    return pd.Series(removed, index=units).reindex(worker_index(rows)).to_numpy(dtype=object).copy()


def _tally(
    r_units: pd.DataFrame, c_units: pd.DataFrame, r_sel: np.ndarray, c_sel: np.ndarray, n_workers: int
) -> dict[str, int]:
    """Workers, answers, ratings, gold ratings and clicks of the selected rows."""
    rsel, csel = r_units.loc[r_sel], c_units.loc[c_sel]
    gold = rsel["_gold"].astype(bool)
    answers = pd.concat([rsel.loc[~gold, ["worker_id", "image_id"]], csel[["worker_id", "image_id"]]])
    return {
        "workers": n_workers,
        "answers": int(len(answers.drop_duplicates())),
        "ratings": int((~gold).sum()),
        "gold_ratings": int(gold.sum()),
        "clicks": int(len(csel)),
    }


def _counts(
    workers: pd.DataFrame,
    removed: np.ndarray,
    steps: Sequence[tuple[str, bool]],
    r_units: pd.DataFrame,
    r_rule: np.ndarray,
    c_units: pd.DataFrame,
    c_rule: np.ndarray,
) -> pd.DataFrame:
    """The ``counts`` table of :class:`WorkerScreening`."""
    wcamp = workers["campaign"].to_numpy()
    r_camp, c_camp = r_units["campaign"].to_numpy(), c_units["campaign"].to_numpy()
    rows = []
    for camp in dict.fromkeys(wcamp):
        rc, cc = r_camp == camp, c_camp == camp
        rows.append(
            {
                "step": "input",
                "campaign": camp,
                "applied": True,
                **_tally(r_units, c_units, rc, cc, int((wcamp == camp).sum())),
            }
        )
        for step, applied in [*steps, (KEPT, True)]:
            n_w = int(((wcamp == camp) & (removed == step)).sum())
            rows.append(
                {
                    "step": step,
                    "campaign": camp,
                    "applied": applied,
                    **_tally(r_units, c_units, rc & (r_rule == step), cc & (c_rule == step), n_w),
                }
            )
    return pd.DataFrame(
        rows, columns=["step", "campaign", "applied", "workers", "answers", "ratings", "gold_ratings", "clicks"]
    )


def screen_workers(
    workers: pd.DataFrame,
    ratings: pd.DataFrame | None = None,
    fixations: pd.DataFrame | None = None,
    *,
    rules: Sequence[Rule] = SEED000_WORKER_RULES,
    max_answers_per_worker: int | None = 50,
) -> WorkerScreening:
    """Seed 000's quality control (section 2): worker rules in order, then the answer cap.

    1. ``rules`` (default :data:`SEED000_WORKER_RULES`: :class:`PlatformAccuracy` > 80 %,
       :class:`QualificationQuiz`, :class:`TestAccuracy` >= 70 %) judge every worker on their
       record; a worker is removed by the first rule that rejects them and loses every rating
       and click row (gold included). A rule whose column is absent from ``workers`` is not
       applied (with a warning; ``applied = False`` in the counts).
    2. The answer cap (:func:`cap_answers`): of each remaining worker's answers in a campaign
       (non-gold, ordered by ``answer_order`` when the tables have it, else by first appearance),
       those beyond the ``max_answers_per_worker``-th are removed (their rating and clicks);
       ``None`` disables it.

    Each step counts what it removed from what the previous steps left.

    Parameters
    ----------
    workers
        Workers table (:mod:`saliqa.crowd.workers`).
    ratings
        Canonical ratings (``rater_id`` = worker id; optional ``campaign``, ``is_gold``,
        ``answer_order``).
    fixations
        Canonical fixations; ``source == "click"`` rows are screened (``observer_id`` = worker
        id; optional ``campaign``, ``answer_order``), other rows pass through.
    rules
        Worker rules (e.g. :func:`seed000_worker_rules` with other thresholds).
    max_answers_per_worker
        The cap (seed 000: 50), or None.

    Returns
    -------
    WorkerScreening

    Raises
    ------
    ValueError
        Missing columns, duplicated workers, fractions outside [0, 1], rating / click rows of
        workers absent from ``workers``, missing ``answer_order`` values, bad rules or cap.
    """
    workers = check_workers(workers)
    cap = None if max_answers_per_worker is None else check_int(max_answers_per_worker, "max_answers_per_worker", low=1)
    r_units = ratings_units(ratings)
    c_units, is_click = click_units(fixations)
    check_known(r_units, workers, "ratings")
    check_known(c_units, workers, "fixations (clicks)")

    units = worker_index(workers)
    applied = apply_rules(rules, workers.set_index(list(KEY), drop=False), workers, units, "worker")
    removed = applied.removed
    r_rule, c_rule = _row_status(r_units, units, removed), _row_status(c_units, units, removed)
    capped = pd.Series(0, index=units, dtype=np.int64)
    if cap is not None and (len(r_units) or len(c_units)):
        r_order, c_order = _answer_order(r_units, ratings, c_units, fixations)
        per_worker = cap_answers(r_units, r_order, r_rule, c_units, c_order, c_rule, cap)
        capped.loc[per_worker.index] = per_worker.to_numpy()

    steps = [(v.rule, v.applied) for v in applied.verdicts] + [(ANSWER_CAP, cap is not None)]
    counts = _counts(workers, removed, steps, r_units, r_rule, c_units, c_rule)
    status = applied.status
    status["answers_capped"] = capped.to_numpy()
    kept_ratings = None if ratings is None else (ratings.loc[r_rule == KEPT] if len(ratings) else ratings)
    kept_fixations = None
    if fixations is not None:
        keep = np.ones(len(fixations), bool)
        keep[np.flatnonzero(is_click)] = c_rule == KEPT
        kept_fixations = fixations.loc[keep]
    params = {**applied.parameters, ANSWER_CAP: {"max_answers_per_worker": cap}}
    return WorkerScreening(
        status,
        counts,
        ("campaign", "worker_id"),
        tuple(s for s, _ in steps),
        params,
        ratings=kept_ratings,
        fixations=kept_fixations,
    )


# --------------------------------------------------------------------------------------------
# test questions from per-answer records
# --------------------------------------------------------------------------------------------


def test_question_accuracy(
    answers: pd.DataFrame,
    *,
    mode: Literal["running", "final"] = "running",
    min_answered: int = 1,
    worker_col: str = "worker_id",
    correct_col: str = "correct",
    order_col: str | None = None,
) -> pd.DataFrame:
    """Each worker's accuracy on hidden test questions, from one row per test answer.

    Seed 000 stops a worker "whenever" they fall below 70 %: ``mode="running"`` follows this,
    the judged ``test_accuracy`` is the lowest cumulative accuracy after each test answer (in
    ``order_col`` order, else table order) from the ``min_answered``-th answer on;
    ``mode="final"`` judges the accuracy over all of the worker's test answers. A worker with
    fewer than ``min_answered`` answers is not judged (``test_accuracy`` NaN; a ``UserWarning``
    counts them). Judge the result with :class:`TestAccuracy` (e.g. through
    :func:`screen_by_test_questions`, or as the ``test_accuracy`` column of ``workers``).

    Parameters
    ----------
    answers : DataFrame
        One row per test-question answer: ``worker_col`` and ``correct_col`` (boolean: the
        answer was among the question's allowed answers).
    mode : {"running", "final"}
        Which accuracy ``test_accuracy`` is.
    min_answered : int
        Test answers before the accuracy is judged (e.g. the length of a qualification quiz).
    worker_col, correct_col : str
        Column names.
    order_col : str or None
        Column giving the answering order (finite numbers); None: the table order.

    Returns
    -------
    DataFrame
        One row per worker (first-appearance order): ``worker_col``, ``n_answered``,
        ``n_correct``, ``accuracy`` (final), ``min_running_accuracy`` (NaN if ``min_answered``
        is never reached), ``test_accuracy`` (the judged one).
    """
    check_choice(mode, "mode", ("running", "final"))
    check_int(min_answered, "min_answered", low=1)
    require_columns(answers, [worker_col, correct_col] + ([order_col] if order_col is not None else []), "answers")
    if len(answers) == 0:
        raise ValueError("answers is empty; expected at least one test-question answer")
    df = answers.reset_index(drop=True)
    null = df[worker_col].isna().to_numpy()
    if null.any():
        raise ValueError(f"answers: row {int(np.flatnonzero(null)[0])} field {worker_col!r} is missing")
    correct = check_bool_column(df[correct_col], "answers", correct_col)
    work = pd.DataFrame({"worker": df[worker_col], "correct": correct.astype(int)})
    if order_col is not None:
        order = check_finite_column(df[order_col], "answers", order_col)
        work = work.iloc[np.argsort(order, kind="stable")]
    g = work.groupby("worker", sort=False)["correct"]
    k = g.cumcount() + 1
    work = work.assign(running=(g.cumsum() / k).where(k >= min_answered))
    per = work.groupby("worker", sort=False).agg(
        n_answered=("correct", "size"), n_correct=("correct", "sum"), min_running_accuracy=("running", "min")
    )
    per = per.reindex(pd.unique(df[worker_col]))
    per["accuracy"] = per["n_correct"] / per["n_answered"]
    judged = per["n_answered"] >= min_answered
    per["test_accuracy"] = (per["min_running_accuracy"] if mode == "running" else per["accuracy"]).where(judged)
    n_unjudged = int((~judged).sum())
    if n_unjudged:
        warnings.warn(
            f"test_question_accuracy: {n_unjudged} of {len(per)} workers answered fewer than "
            f"min_answered={min_answered} test questions; not judged (kept)",
            UserWarning,
            stacklevel=2,
        )
    per.index.name = worker_col
    return per.reset_index()[
        [worker_col, "n_answered", "n_correct", "accuracy", "min_running_accuracy", "test_accuracy"]
    ]


def screen_by_test_questions(
    answers: pd.DataFrame,
    min_accuracy: float = 0.7,
    *,
    mode: Literal["running", "final"] = "running",
    min_answered: int = 1,
    worker_col: str = "worker_id",
    correct_col: str = "correct",
    order_col: str | None = None,
) -> Screening:
    """Screen workers by their hidden test questions alone (seed 000, 2.2): accuracy, then the rule.

    :func:`test_question_accuracy` (``mode``, ``min_answered``, column names) judged by
    :class:`TestAccuracy` (``min_accuracy``; exactly the threshold passes). A removed worker's
    ratings are all discarded with :func:`saliqa.screening.drop_removed`.

    Returns
    -------
    Screening
        ``status``: the columns of :func:`test_question_accuracy`, ``rejected_test_accuracy``,
        ``removed_by``; ``counts``: ``step``, ``applied``, ``workers``.
    """
    acc = test_question_accuracy(
        answers,
        mode=mode,
        min_answered=min_answered,
        worker_col=worker_col,
        correct_col=correct_col,
        order_col=order_col,
    )
    applied = apply_rules(
        [TestAccuracy(min_accuracy)], acc.set_index(worker_col, drop=False), acc, pd.Index(acc[worker_col]), "worker"
    )
    counts = pd.DataFrame(
        [{"step": step, "applied": ok, "workers": int(mask.sum())} for step, ok, mask in applied.steps()]
    )
    params = {**applied.parameters, "test_question_accuracy": {"mode": mode, "min_answered": min_answered}}
    return Screening(applied.status, counts, (worker_col,), (TestAccuracy.name,), params)
