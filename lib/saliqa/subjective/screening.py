"""Rater screening from the ratings themselves (seed 003, Sec. 3.4 "Processing subjective scores").

Seed 003 "accepted or rejected each rater's scores within a HIT based on two factors: the
difference of the repeated content scores compared with overall standard deviation, and whether
more than 50% of their scores were identical"; "gold" contents rated in the lab check the
raters ("nearly all the non-rejected subjects had a positive SRCC with the golden pictures").

Each factor is a statistic per rater (:func:`repeat_consistency`, :func:`identical_scores`,
:func:`gold_accuracy`) and a rule with its threshold as a field (:class:`RepeatConsistency`,
:class:`IdenticalScores`, :class:`GoldAccuracy`). :func:`screen_raters` applies a list of rules
and returns a :class:`saliqa.screening.Screening` (``status`` per rater with ``removed_by``,
``kept``, ``counts`` per step); :func:`saliqa.screening.drop_removed` then drops the removed
raters' ratings. Seed 003 screens "each rater's scores within a HIT": make ``rater_id`` the
(worker, HIT) pair. Worker-level records (the platform's acceptance rate, > 75 % in seed 003)
are screened before, by :func:`saliqa.crowd.screen_workers` with
``PlatformAccuracy(0.75, column="acceptance_rate")``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from saliqa.checks import check_choice, check_positive, check_probability, check_real, first_row
from saliqa.screening import Rule, Screening, Verdict, apply_rules
from saliqa.subjective.ratings import check_ratings, group_stats, pair_keys, rater_order, sorted_codes, warn

__all__ = [
    "repeat_consistency",
    "identical_scores",
    "gold_accuracy",
    "RepeatConsistency",
    "IdenticalScores",
    "GoldAccuracy",
    "SEED003_RATER_RULES",
    "screen_raters",
]


def repeat_consistency(
    ratings: pd.DataFrame,
    threshold: float = 1.0,
    reference: Literal["overall", "image"] = "overall",
    ddof: int = 1,
) -> pd.DataFrame:
    """Repeated-content consistency of each rater against the spread of all ratings.

    Seed 003, Sec. 3.4: raters were accepted or rejected on "the difference of the repeated
    content scores compared with overall standard deviation". The paper gives no formula; this
    reading is used: for every repeated presentation (row with ``is_repeat=True``) the absolute
    difference ``|score_repeat - score_first|`` from the same rater's first presentation of that
    image is divided by a reference standard deviation, and the rater's statistic ``ratio`` is
    the mean of these over their repeats. The rater is rejected when ``ratio > threshold``
    (default 1: the repeats disagree by more than one standard deviation on average).

    ``reference="overall"``: the std of all scores in the table (every rater, every row);
    ``"image"``: the std of all ratings of the repeated image, across raters.

    Parameters
    ----------
    ratings : DataFrame
        Canonical ratings table with an ``is_repeat`` column.
    threshold : float
        Rejection threshold on ``ratio`` (> 0).
    reference : {"overall", "image"}
        Which standard deviation the differences are compared with.
    ddof : int
        Of the reference std.

    Returns
    -------
    DataFrame
        One row per rater (first-appearance order): ``rater_id``, ``n_repeats``,
        ``mean_abs_diff``, ``reference_std`` (mean over the rater's repeats), ``ratio``,
        ``rejected``. A rater without repeats has NaN statistics and ``rejected=False``; a
        ``UserWarning`` counts them.

    Raises
    ------
    ValueError
        Missing ``is_repeat`` column; a repeat row without the same rater's first presentation
        of that image, or with several (the row is named); a zero or undefined reference std.
    """
    check_positive(threshold, "threshold")
    check_choice(reference, "reference", ("overall", "image"))
    df = check_ratings(ratings, extra=("is_repeat",))
    r_codes, r_ids = pd.factorize(df["rater_id"])
    i_codes, i_ids = pd.factorize(df["image_id"])
    pair_codes, pairs = sorted_codes(pair_keys(i_codes, r_codes, len(r_ids)))
    score = df["score"].to_numpy(dtype=float)
    is_rep = df["is_repeat"].to_numpy()
    firsts = np.flatnonzero(~is_rep)
    n_first = np.bincount(pair_codes[firsts], minlength=pairs.size)
    first_score = np.full(pairs.size, np.nan)
    first_score[pair_codes[firsts]] = score[firsts]
    rows = np.flatnonzero(is_rep)
    pc = pair_codes[rows]
    for problem in ("orphan", "several"):
        hit = n_first[pc] == 0 if problem == "orphan" else n_first[pc] > 1
        if hit.any():
            row = int(rows[first_row(hit)])
            who = f"rater_id={df.at[row, 'rater_id']!r}, image_id={df.at[row, 'image_id']!r}"
            if problem == "orphan":
                raise ValueError(
                    f"ratings: row {row} ({who}) has is_repeat=True but the rater has no first "
                    "presentation (is_repeat=False) of that image"
                )
            raise ValueError(
                f"ratings: row {row} ({who}): the rater has {int(n_first[pc][hit][0])} rows with "
                "is_repeat=False for this image; mark all but the first presentation "
                "is_repeat=True"
            )
    if reference == "overall":
        ref = np.full(rows.size, float(np.std(score, ddof=ddof)) if score.size > ddof else np.nan)
    else:
        ref = group_stats(i_codes, score, len(i_ids), ddof)[2][i_codes[rows]]
    bad_ref = ~(ref > 0)
    if bad_ref.any():
        row = int(rows[first_row(bad_ref)])
        raise ValueError(
            f"ratings: the {reference} reference std for repeat row {row} (image_id="
            f"{df.at[row, 'image_id']!r}) is zero or undefined; expected spread in the scores"
        )
    diff = np.abs(score[rows] - first_score[pc])
    rc = r_codes[rows]
    n_rep = np.bincount(rc, minlength=len(r_ids))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {
                "rater_id": r_ids,
                "n_repeats": n_rep.astype(np.int64),
                "mean_abs_diff": np.bincount(rc, weights=diff, minlength=len(r_ids)) / n_rep,
                "reference_std": np.bincount(rc, weights=ref, minlength=len(r_ids)) / n_rep,
                "ratio": np.bincount(rc, weights=diff / ref, minlength=len(r_ids)) / n_rep,
            }
        )
    out["rejected"] = (out["ratio"] > threshold).to_numpy()
    n_none = int((out["n_repeats"] == 0).sum())
    if n_none:
        warn(f"repeat_consistency: {n_none} of {len(out)} raters have no repeated images; not judged (kept)")
    return out


def identical_scores(ratings: pd.DataFrame, max_fraction: float = 0.5) -> pd.DataFrame:
    """Fraction of each rater's scores equal to their most frequent score.

    Seed 003, Sec. 3.4: raters were rejected when "more than 50% of their scores were
    identical". The statistic is ``count(mode) / n_ratings`` over all of the rater's rows (gold
    and repeats included), compared exactly (no rounding); rejected when it is
    ``> max_fraction``.

    Parameters
    ----------
    ratings : DataFrame
        Canonical ratings table.
    max_fraction : float
        Largest accepted fraction of identical scores, in (0, 1]; 0.5 in seed 003.

    Returns
    -------
    DataFrame
        One row per rater: ``rater_id``, ``n_ratings``, ``mode_score`` (the most frequent score;
        the smallest of equally frequent ones), ``identical_fraction``, ``rejected``.
    """
    check_real(max_fraction, "max_fraction", low=0.0, high=1.0, low_open=True)
    df = check_ratings(ratings)
    r_codes, r_ids = pd.factorize(df["rater_id"])
    score = df["score"].to_numpy(dtype=float)
    # runs of equal (rater, score) after sorting; per rater the longest run, smallest score first
    order = np.lexsort((score, r_codes))
    sr, ss = r_codes[order], score[order]
    start = np.ones(sr.size, dtype=bool)
    start[1:] = (sr[1:] != sr[:-1]) | (ss[1:] != ss[:-1])
    run_len = np.bincount(np.cumsum(start) - 1)
    run_rater, run_score = sr[start], ss[start]
    best = np.lexsort((run_score, -run_len, run_rater))
    first_of_rater = np.ones(best.size, dtype=bool)
    first_of_rater[1:] = run_rater[best][1:] != run_rater[best][:-1]
    top = best[first_of_rater]  # one run per rater, in rater-code order
    n = np.bincount(r_codes, minlength=len(r_ids))
    out = pd.DataFrame(
        {
            "rater_id": r_ids,
            "n_ratings": n.astype(np.int64),
            "mode_score": run_score[top],
            "identical_fraction": run_len[top] / n,
        }
    )
    out["rejected"] = (out["identical_fraction"] > max_fraction).to_numpy()
    return out


def _gold_series(gold: Mapping[Hashable, float] | pd.Series) -> pd.Series:
    series = gold.copy() if isinstance(gold, pd.Series) else pd.Series(dict(gold), dtype=float)
    if len(series) == 0:
        raise ValueError("gold is empty; expected image_id -> gold score")
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        i = first_row(bad)
        raise ValueError(f"gold[{series.index[i]!r}] = {series.iloc[i]!r} is not a finite number")
    if series.index.has_duplicates:
        dup = series.index[series.index.duplicated()][0]
        raise ValueError(f"gold has image_id {dup!r} more than once")
    return pd.Series(values, index=series.index)


def gold_accuracy(
    ratings: pd.DataFrame,
    gold: Mapping[Hashable, float] | pd.Series,
    *,
    tolerance: float,
    min_accuracy: float,
) -> pd.DataFrame:
    """Accuracy of each rater on "gold" contents of known quality.

    Seed 003, Sec. 3.4: 5 of the N contents of a HIT were "gold" ones, rated beforehand in a lab
    study; "nearly all the non-rejected subjects had a positive SRCC with the golden pictures".
    A gold rating is a hit when ``|score - gold[image_id]| <= tolerance``; ``accuracy`` is the
    rater's fraction of hits, and the rater is rejected when ``accuracy < min_accuracy``. The
    rater's Spearman correlation with the gold values (``gold_srcc``) is reported too (NaN with
    fewer than 3 gold ratings or constant scores). The paper states neither the tolerance nor
    the accuracy threshold, so both are required.

    Parameters
    ----------
    ratings : DataFrame
        Canonical ratings table. Gold rows are those with ``is_gold=True`` when the column
        exists (each must have a gold value), else those whose ``image_id`` is in ``gold``.
    gold : mapping or Series
        image_id -> gold score, on the scale of ``score``.
    tolerance : float
        Largest accepted absolute deviation (>= 0), in score units.
    min_accuracy : float
        Smallest accepted fraction of hits, in [0, 1].

    Returns
    -------
    DataFrame
        One row per rater: ``rater_id``, ``n_gold``, ``accuracy``, ``mean_abs_error``,
        ``gold_srcc``, ``rejected``. Raters without gold ratings have NaN statistics and
        ``rejected=False``; a ``UserWarning`` counts them.
    """
    check_positive(tolerance, "tolerance", allow_zero=True)
    check_probability(min_accuracy, "min_accuracy")
    df = check_ratings(ratings)
    values = _gold_series(gold)
    if "is_gold" in df.columns:
        mask = df["is_gold"].to_numpy()
        unknown = mask & ~df["image_id"].isin(values.index).to_numpy()
        if unknown.any():
            row = first_row(unknown)
            raise ValueError(
                f"ratings: row {row} has is_gold=True but image_id={df.at[row, 'image_id']!r} has no value in gold"
            )
    else:
        mask = df["image_id"].isin(values.index).to_numpy()
    if not mask.any():
        raise ValueError("ratings: no gold ratings found (no is_gold=True rows / no image_id in gold)")
    g = df.loc[mask, ["rater_id", "score"]].copy()
    g["gold"] = df.loc[mask, "image_id"].map(values).to_numpy()
    g["err"] = (g["score"] - g["gold"]).abs()
    g["hit"] = g["err"] <= tolerance
    per = g.groupby("rater_id", sort=False).agg(
        n_gold=("hit", "size"), accuracy=("hit", "mean"), mean_abs_error=("err", "mean")
    )
    per["gold_srcc"] = _grouped_spearman(g, "rater_id", "score", "gold")
    out = per.reindex(rater_order(df))
    out["n_gold"] = out["n_gold"].fillna(0).astype(int)
    out["rejected"] = (out["accuracy"] < min_accuracy).to_numpy()
    n_none = int((out["n_gold"] == 0).sum())
    if n_none:
        warn(f"gold_accuracy: {n_none} of {len(out)} raters have no gold ratings; not judged (kept)")
    return out.reset_index()


def _grouped_spearman(df: pd.DataFrame, by: str, x: str, y: str) -> pd.Series:
    """Spearman correlation of ``x`` and ``y`` within each group (average ranks for ties).

    NaN for groups with fewer than 3 rows or a constant variable.
    """
    g = df.groupby(by, sort=False)
    rx = g[x].rank(method="average")
    ry = g[y].rank(method="average")
    cx = rx - rx.groupby(df[by], sort=False).transform("mean")
    cy = ry - ry.groupby(df[by], sort=False).transform("mean")
    parts = pd.DataFrame({by: df[by], "xy": cx * cy, "xx": cx * cx, "yy": cy * cy})
    sums = parts.groupby(by, sort=False).sum()
    n = g.size()
    denom = np.sqrt(sums["xx"] * sums["yy"])
    rho = sums["xy"] / denom.where(denom > 0)
    return rho.where(n >= 3)


# --------------------------------------------------------------------------------------------
# the rules and their combination
# --------------------------------------------------------------------------------------------


def _verdict(name: str, table: pd.DataFrame, stats: Mapping[str, str]) -> Verdict:
    """A :class:`~saliqa.screening.Verdict` from a per-rater statistics table.

    ``table`` has ``rater_id`` and ``rejected``; the columns of ``stats`` are kept, renamed as there.
    """
    t = table.set_index("rater_id")
    return Verdict(name, t["rejected"].astype(bool), t[list(stats)].rename(columns=dict(stats)))


@dataclass(frozen=True)
class RepeatConsistency:
    """Seed 003's repeated-content rule: :func:`repeat_consistency` ``ratio > threshold`` rejects.

    Attributes
    ----------
    threshold : float = 1.0
        Mean ``|repeat - first| / reference std`` above which a rater is rejected.
    reference : {"overall", "image"} = "overall"
        The std the differences are compared with ("compared with overall standard deviation").
    ddof : int = 1
        Of the reference std.
    """

    threshold: float = 1.0
    reference: Literal["overall", "image"] = "overall"
    ddof: int = 1
    name: ClassVar[str] = "repeat"

    def judge(self, ratings: pd.DataFrame) -> Verdict:
        """Judge every rater of ``ratings`` (needs ``is_repeat``)."""
        r = repeat_consistency(ratings, self.threshold, self.reference, self.ddof)
        return _verdict(self.name, r, {"n_repeats": "n_repeats", "ratio": "repeat_ratio"})


@dataclass(frozen=True)
class IdenticalScores:
    """Seed 003's identical-scores rule: more than ``max_fraction`` identical scores rejects.

    Attributes
    ----------
    max_fraction : float = 0.5
        Largest accepted share of a rater's scores equal to their most frequent one ("more than
        50% of their scores were identical" is rejected; exactly 50 % is kept).
    """

    max_fraction: float = 0.5
    name: ClassVar[str] = "identical"

    def judge(self, ratings: pd.DataFrame) -> Verdict:
        """Judge every rater of ``ratings``."""
        r = identical_scores(ratings, self.max_fraction)
        return _verdict(self.name, r, {"identical_fraction": "identical_fraction"})


@dataclass(frozen=True)
class GoldAccuracy:
    """Gold-content rule: a rater with ``accuracy < min_accuracy`` on gold contents is rejected.

    The paper states neither the tolerance nor the accuracy threshold, so both are required
    (:func:`gold_accuracy`).

    Attributes
    ----------
    gold : mapping or Series
        image_id -> gold score, on the scale of ``score``.
    tolerance : float
        Largest accepted absolute deviation from the gold score.
    min_accuracy : float
        Smallest accepted fraction of gold ratings within ``tolerance``.
    """

    gold: Mapping[Hashable, float] | pd.Series
    tolerance: float
    min_accuracy: float
    name: ClassVar[str] = "gold"

    def judge(self, ratings: pd.DataFrame) -> Verdict:
        """Judge every rater of ``ratings`` that rated gold contents (the others are kept)."""
        r = gold_accuracy(ratings, self.gold, tolerance=self.tolerance, min_accuracy=self.min_accuracy)
        return _verdict(self.name, r, {"n_gold": "n_gold", "accuracy": "gold_accuracy", "gold_srcc": "gold_srcc"})


SEED003_RATER_RULES: tuple[Rule, ...] = (RepeatConsistency(), IdenticalScores())
"""Seed 003's two factors with this project's reading of them: repeats within one overall std
on average (the paper gives no number), at most 50 % identical scores (the paper's)."""


def screen_raters(ratings: pd.DataFrame, rules: Sequence[Rule] = SEED003_RATER_RULES) -> Screening:
    """Screen raters by their ratings: apply ``rules`` in order (seed 003, Sec. 3.4).

    Every rule judges every rater independently; a rater is removed by the first rule (in
    ``rules`` order) that rejects them. Compose the screening from :class:`RepeatConsistency`,
    :class:`IdenticalScores`, :class:`GoldAccuracy` (or any object with a ``name`` and a
    ``judge(ratings) -> Verdict``), e.g. ``(RepeatConsistency(threshold=1.0),
    IdenticalScores(0.5), GoldAccuracy(gold, tolerance=10, min_accuracy=0.6))``.

    Parameters
    ----------
    ratings : DataFrame
        Canonical ratings table (``is_repeat`` needed by :class:`RepeatConsistency`).
    rules : sequence of rules
        Default :data:`SEED003_RATER_RULES`.

    Returns
    -------
    Screening
        ``status``: one row per rater (first-appearance order): ``rater_id``, ``n_ratings``,
        each rule's statistics (``n_repeats``, ``repeat_ratio``; ``identical_fraction``;
        ``n_gold``, ``gold_accuracy``, ``gold_srcc``), ``rejected_<rule>`` and ``removed_by``.
        ``counts``: ``step``, ``applied``, ``raters``, ``ratings`` per step (``input``, the
        rules, ``kept``).

    Raises
    ------
    ValueError
        Bad table (see the rules' statistics functions), no rules, or an object that is not a
        rule.
    """
    if not isinstance(rules, (str, bytes)) and isinstance(rules, Sequence) and not rules:
        raise ValueError("rules is empty; expected at least one rater rule, e.g. SEED003_RATER_RULES")
    df = check_ratings(ratings)
    order = rater_order(df)
    n_ratings = df.groupby("rater_id", sort=False).size().reindex(order).astype(int).to_numpy()
    applied = apply_rules(rules, df, pd.DataFrame({"rater_id": order, "n_ratings": n_ratings}), order, "rater")
    counts = pd.DataFrame(
        [
            {"step": step, "applied": ok, "raters": int(mask.sum()), "ratings": int(n_ratings[mask].sum())}
            for step, ok, mask in applied.steps()
        ]
    )
    return Screening(applied.status, counts, ("rater_id",), tuple(r.name for r in applied.rules), applied.parameters)
