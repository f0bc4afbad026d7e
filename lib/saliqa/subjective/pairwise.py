"""Pairwise comparisons: a simulated Subjectify.us-like study, assessor screening, Bradley-Terry scores.

Seed 002, Sec. III-D: "Assessors were presented with 3 verification and 25 random pairs of images
with different picture qualities and were asked [...] to select the image that has the most
acceptable quality for viewing, or note that the quality in this pair is almost the same". The
paper gives no more detail; the choices made here are stated below.

The comparisons table
---------------------
One row per answer: ``assessor_id`` (str), ``reference`` (the group: both items are versions of
this picture), ``left``, ``right`` (item ids, different), ``answer`` in ``{"left", "right",
"same"}``, ``is_verification`` (bool) and, for verification rows, ``expected`` (``"left"`` or
``"right"``: the side of the obviously better item; empty elsewhere). :func:`check_comparisons`
validates it.

Simulated assessors (:func:`simulate_comparisons`)
--------------------------------------------------
Each item has a latent quality ``u`` (log-strength; :func:`saliqa.simulate.sacid.latent_quality`).
An assessor answers a pair from ``x = u_left - u_right + e`` with ``e`` logistic of scale
``noise_scale`` drawn per answer: ``"same"`` when ``|x| < same_band``, else the side with the
larger quality (a Bradley-Terry / Thurstone observer with an indifference band, the
Rao-Kupper form: ``P(left) = sigmoid((du - same_band) / noise_scale)``). A share
``spammer_fraction`` of the assessors answer uniformly at random among the three answers. Each
assessor sees ``pairs_per_assessor`` random pairs (a uniformly random group among the groups
with at least two study items, then two distinct study items of it, uniformly) and
``verification_per_assessor`` verification pairs (drawn without replacement from the
verification list), shuffled together, each shown in a random left / right order.

Screening (:func:`screen_assessors`)
------------------------------------
An assessor who gives the wrong answer (the worse item, or "same") to more than
``max_failures`` verification pairs is removed (:class:`VerificationPairs`, a rule of
:mod:`saliqa.screening`, whose :class:`~saliqa.screening.Screening` counts input / removed /
kept assessors and answers).

Scores (:func:`bradley_terry_scores`)
-------------------------------------
Per group, the Bradley-Terry model ``P(i beats j) = 1 / (1 + exp(s_j - s_i))`` is fitted by
maximum likelihood with choix's iterative Luce spectral ranking on the group's dense win matrix
(``choix.ilsr_pairwise_dense``, Maystre & Grossglauser 2015; it converges to the ML estimate),
regularised by ``alpha`` (see :func:`bradley_terry_scores`; ML diverges when an item never
loses). ``"same"`` answers count as half a win for each side (``same="half"``: the win matrix
holds 0.5 for each) or are dropped (``same="drop"``). Scores are natural-log strengths
centred to mean zero within each group: only differences within a group are meaningful, so
cross-group comparisons of the scores (an overall SROCC) mix groups on a common zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

import choix
import numpy as np
import pandas as pd

from saliqa.checks import check_choice, check_int, check_positive, check_probability, check_seed
from saliqa.screening import Rule, Screening, Verdict, apply_rules

__all__ = [
    "ANSWERS",
    "COMPARISON_COLUMNS",
    "SimulatedStudy",
    "VerificationPairs",
    "check_comparisons",
    "simulate_comparisons",
    "screen_assessors",
    "bradley_terry_scores",
]

ANSWERS: tuple[str, ...] = ("left", "right", "same")
"""The three answers of a comparison."""
COMPARISON_COLUMNS: tuple[str, ...] = ("assessor_id", "reference", "left", "right", "answer", "is_verification")
"""Required columns of the comparisons table."""


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def check_comparisons(comparisons: pd.DataFrame, name: str = "comparisons") -> pd.DataFrame:
    """Validate a comparisons table (module docstring) and return it unchanged.

    Parameters
    ----------
    comparisons : DataFrame
        The table.
    name : str
        Its name in messages.

    Returns
    -------
    DataFrame

    Raises
    ------
    ValueError
        Not a DataFrame, missing columns, empty, missing ids, an answer not in
        ``{"left", "right", "same"}``, an item compared with itself, a non-boolean
        ``is_verification``, or a verification row whose ``expected`` is not left / right; the
        message names the first offending row (0-based position) and its value.
    """
    if not isinstance(comparisons, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(comparisons).__name__}")
    missing = [c for c in COMPARISON_COLUMNS if c not in comparisons.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {missing}; expected columns {list(COMPARISON_COLUMNS)}")
    if comparisons.empty:
        raise ValueError(f"{name} has no rows")
    for col in ("assessor_id", "reference", "left", "right"):
        bad = comparisons[col].isna().to_numpy()
        if bad.any():
            raise ValueError(f"{name}: row {_first_bad(bad)} field {col!r} is missing; every row needs an id")
    answer = comparisons["answer"]
    bad = ~answer.isin(ANSWERS).to_numpy()
    if bad.any():
        i = _first_bad(bad)
        raise ValueError(
            f"{name}: row {i} field 'answer' = {answer.iloc[i]!r}; expected one of {ANSWERS} "
            f"({int(bad.sum())} such rows)"
        )
    same = (comparisons["left"].astype(str) == comparisons["right"].astype(str)).to_numpy()
    if same.any():
        i = _first_bad(same)
        raise ValueError(
            f"{name}: row {i} compares item {comparisons['left'].iloc[i]!r} with itself; left and right must differ"
        )
    ver = comparisons["is_verification"]
    if not (pd.api.types.is_bool_dtype(ver) and not ver.isna().any()):
        raise ValueError(f"{name}: column 'is_verification' must be boolean (True / False), got dtype {ver.dtype}")
    if ver.any():
        if "expected" not in comparisons.columns:
            raise ValueError(f"{name}: verification rows need an 'expected' column ('left' or 'right')")
        bad = ver.to_numpy() & ~comparisons["expected"].isin(("left", "right")).to_numpy()
        if bad.any():
            i = _first_bad(bad)
            raise ValueError(
                f"{name}: row {i} is a verification pair with expected = {comparisons['expected'].iloc[i]!r}; "
                "expected 'left' or 'right'"
            )
    return comparisons


# ------------------------------------------------------------------------------ simulation


@dataclass(frozen=True)
class SimulatedStudy:
    """A simulated pairwise study (:func:`simulate_comparisons`).

    Attributes
    ----------
    comparisons : DataFrame
        The comparisons table (module docstring), in presentation order per assessor, with a
        ``position`` column (0-based) and the latent difference ``latent_diff`` (left - right).
    assessors : DataFrame
        ``assessor_id``, ``kind`` (``"diligent"`` or ``"spammer"``).
    """

    comparisons: pd.DataFrame
    assessors: pd.DataFrame


def _check_items(items: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(items, pd.DataFrame):
        raise ValueError(f"items must be a pandas DataFrame, got {type(items).__name__}")
    missing = [c for c in ("item", "reference", "latent") if c not in items.columns]
    if missing:
        raise ValueError(f"items: missing column(s) {missing}; expected columns item, reference, latent (in_study)")
    dup = items["item"].duplicated().to_numpy()
    if dup.any():
        i = _first_bad(dup)
        raise ValueError(f"items: row {i} repeats item {items['item'].iloc[i]!r}; item ids must be unique")
    lat = pd.to_numeric(items["latent"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(lat)
    if bad.any():
        i = _first_bad(bad)
        raise ValueError(f"items: row {i} field 'latent' = {items['latent'].iloc[i]!r}; expected a finite number")
    out = items.assign(item=items["item"].astype(str), reference=items["reference"].astype(str), latent=lat)
    if "in_study" not in out.columns:
        out["in_study"] = True
    return out.reset_index(drop=True)


def _check_verification(verification: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("reference", "better", "worse") if c not in verification.columns]
    if missing:
        raise ValueError(f"verification: missing column(s) {missing}; expected columns reference, better, worse")
    known = set(items["item"])
    for col in ("better", "worse"):
        bad = ~verification[col].astype(str).isin(known).to_numpy()
        if bad.any():
            i = _first_bad(bad)
            raise ValueError(f"verification: row {i} field {col!r} = {verification[col].iloc[i]!r} is not an item")
    return verification.astype({"reference": str, "better": str, "worse": str}).reset_index(drop=True)


def _answers(
    diff: np.ndarray, spam: np.ndarray, same_band: float, noise: float, rng: np.random.Generator
) -> np.ndarray:
    """Answer codes (0 left, 1 right, 2 same) of observers with latent differences ``diff``."""
    x = diff + rng.logistic(0.0, noise, size=diff.size)
    code = np.where(np.abs(x) < same_band, 2, np.where(x > 0, 0, 1))
    random_code = rng.integers(0, 3, size=diff.size)
    return np.where(spam, random_code, code)


def simulate_comparisons(
    items: pd.DataFrame,
    verification: pd.DataFrame,
    *,
    n_assessors: int = 400,
    pairs_per_assessor: int = 25,
    verification_per_assessor: int = 3,
    same_band: float = 0.5,
    noise_scale: float = 1.0,
    spammer_fraction: float = 0.1,
    seed: int = 0,
) -> SimulatedStudy:
    """Simulate the paper's pairwise study (module docstring, "Simulated assessors").

    Parameters
    ----------
    items : DataFrame
        ``item`` (unique id), ``reference`` (group), ``latent`` (log-strength) and optionally
        ``in_study`` (bool; False items appear only in verification pairs, e.g. the reference
        picture). :func:`saliqa.simulate.sacid.study_items` builds it.
    verification : DataFrame
        ``reference``, ``better``, ``worse``: the verification pairs (items of ``items``).
    n_assessors : int
        Assessors.
    pairs_per_assessor : int
        Random study pairs per assessor (the paper: 25).
    verification_per_assessor : int
        Verification pairs per assessor (the paper: 3), at most ``len(verification)``.
    same_band : float
        Half-width of the "same" band on the latent scale (>= 0).
    noise_scale : float
        Scale of the logistic answer noise.
    spammer_fraction : float
        Share of random answerers.
    seed : int
        Seed; the same seed gives the same table.

    Returns
    -------
    SimulatedStudy

    Raises
    ------
    ValueError
        Bad tables (naming the row), no group with two study items, or more verification pairs
        per assessor than there are.
    """
    it = _check_items(items)
    ver = _check_verification(verification, it)
    n_assessors = check_int(n_assessors, "n_assessors", low=1)
    k = check_int(pairs_per_assessor, "pairs_per_assessor", low=0)
    kv = check_int(verification_per_assessor, "verification_per_assessor", low=0, high=len(ver))
    check_positive(same_band, "same_band", allow_zero=True)
    check_positive(noise_scale, "noise_scale")
    check_probability(spammer_fraction, "spammer_fraction")
    rng = np.random.default_rng(check_seed(seed))

    study = it.loc[it["in_study"].astype(bool)]
    groups = [g.index.to_numpy() for _, g in study.groupby("reference", sort=False) if len(g) >= 2]
    if k and not groups:
        raise ValueError("items: no reference has two study items (in_study True) to compare")
    sizes = np.array([len(g) for g in groups])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]) if groups else np.zeros(0, int)
    flat = np.concatenate(groups) if groups else np.zeros(0, int)

    n = n_assessors * k
    g = rng.integers(0, len(groups), size=n) if n else np.zeros(0, int)
    a = rng.integers(0, sizes[g]) if n else np.zeros(0, int)
    b = rng.integers(0, sizes[g] - 1) if n else np.zeros(0, int)
    b = b + (b >= a)  # a second, distinct item of the group
    first, second = flat[offsets[g] + a], flat[offsets[g] + b]

    v_idx = np.argsort(rng.random((n_assessors, len(ver))), axis=1)[:, :kv].ravel()
    pos_of = pd.Series(it.index.to_numpy(), index=it["item"])
    v_first = pos_of.loc[ver["better"].to_numpy()[v_idx]].to_numpy()
    v_second = pos_of.loc[ver["worse"].to_numpy()[v_idx]].to_numpy()

    per = k + kv
    assessor = np.repeat(np.arange(n_assessors), per)
    is_ver = np.tile(np.r_[np.zeros(k, bool), np.ones(kv, bool)], n_assessors)
    x = np.empty(n_assessors * per, dtype=np.int64)
    y = np.empty_like(x)
    x[~is_ver], y[~is_ver] = first, second
    x[is_ver], y[is_ver] = v_first, v_second
    order = np.argsort(rng.random((n_assessors, per)), axis=1) + np.arange(n_assessors)[:, None] * per
    order = order.ravel()
    x, y, is_ver = x[order], y[order], is_ver[order]
    swap = rng.random(x.size) < 0.5
    left, right = np.where(swap, y, x), np.where(swap, x, y)

    spammer = rng.random(n_assessors) < spammer_fraction
    lat = it["latent"].to_numpy()
    diff = lat[left] - lat[right]
    code = _answers(diff, spammer[assessor], same_band, noise_scale, rng)
    expected = np.where(is_ver, np.where(swap, "right", "left"), "")
    ids = np.array([f"a{i:05d}" for i in range(n_assessors)])
    comparisons = pd.DataFrame(
        {
            "assessor_id": ids[assessor],
            "reference": it["reference"].to_numpy()[left],
            "left": it["item"].to_numpy()[left],
            "right": it["item"].to_numpy()[right],
            "answer": np.asarray(ANSWERS)[code],
            "is_verification": is_ver,
            "expected": expected,
            "position": np.tile(np.arange(per), n_assessors),
            "latent_diff": diff,
        }
    )
    assessors = pd.DataFrame({"assessor_id": ids, "kind": np.where(spammer, "spammer", "diligent")})
    return SimulatedStudy(check_comparisons(comparisons), assessors)


# ------------------------------------------------------------------------------ screening


@dataclass(frozen=True)
class VerificationPairs:
    """Rule: an assessor who fails more than ``max_failures`` verification pairs is removed.

    A verification pair is failed when the answer is not its ``expected`` side ("same" fails
    too). Assessors without verification rows are kept (``n_verification = 0``).

    Attributes
    ----------
    max_failures : int
        Failures tolerated (the paper's screening is unstated; 0 = every pair must be right).
    """

    max_failures: int = 0
    name: ClassVar[str] = "verification"

    def judge(self, comparisons: pd.DataFrame) -> Verdict:
        """Judge every assessor of ``comparisons`` (a checked comparisons table)."""
        check_int(self.max_failures, "max_failures", low=0)
        ver = comparisons.loc[comparisons["is_verification"].to_numpy(dtype=bool)]
        failed = (ver["answer"] != ver["expected"]).groupby(ver["assessor_id"]).agg(["size", "sum"])
        units = pd.Index(pd.unique(comparisons["assessor_id"]), name="assessor_id")
        failed = failed.reindex(units, fill_value=0)
        stats = pd.DataFrame(
            {"n_verification": failed["size"].astype(int), "n_failed": failed["sum"].astype(int)}, index=units
        )
        return Verdict(self.name, stats["n_failed"] > self.max_failures, stats)


def screen_assessors(comparisons: pd.DataFrame, rules: Sequence[Rule] = (VerificationPairs(),)) -> Screening:
    """Screen assessors by their verification answers (module docstring, "Screening").

    Parameters
    ----------
    comparisons : DataFrame
        A comparisons table (:func:`check_comparisons`).
    rules : sequence of rules
        Default: :class:`VerificationPairs` with no failure tolerated.

    Returns
    -------
    Screening
        ``status``: one row per assessor (``assessor_id``, ``n_answers``, ``n_verification``,
        ``n_failed``, ``rejected_verification``, ``removed_by``); ``counts``: ``step``,
        ``applied``, ``assessors``, ``answers`` for ``input``, each rule, ``kept``. Remove the
        screened-out answers with :func:`saliqa.screening.drop_removed`.
    """
    df = check_comparisons(comparisons)
    order = pd.Index(pd.unique(df["assessor_id"]), name="assessor_id")
    n_answers = df.groupby("assessor_id", sort=False).size().reindex(order).to_numpy(dtype=int)
    applied = apply_rules(rules, df, pd.DataFrame({"assessor_id": order, "n_answers": n_answers}), order, "assessor")
    counts = pd.DataFrame(
        [
            {"step": step, "applied": ok, "assessors": int(mask.sum()), "answers": int(n_answers[mask].sum())}
            for step, ok, mask in applied.steps()
        ]
    )
    return Screening(applied.status, counts, ("assessor_id",), tuple(r.name for r in applied.rules), applied.parameters)


# ------------------------------------------------------------------------------ Bradley-Terry


def _win_matrix(group: pd.DataFrame, same: str) -> tuple[list[str], np.ndarray]:
    """Item ids (order of first appearance) and ``W[i, j]`` = wins of ``i`` over ``j`` ("same" = 1/2 each)."""
    items = list(pd.unique(np.concatenate([group["left"].to_numpy(str), group["right"].to_numpy(str)])))
    code = {item: i for i, item in enumerate(items)}
    li = group["left"].astype(str).map(code).to_numpy()
    ri = group["right"].astype(str).map(code).to_numpy()
    ans = group["answer"].to_numpy()
    wins = np.zeros((len(items), len(items)))
    decisive = ans != "same"
    win, lose = np.where(ans == "left", li, ri), np.where(ans == "left", ri, li)
    np.add.at(wins, (win[decisive], lose[decisive]), 1.0)
    if same == "half":
        tie = ~decisive
        np.add.at(wins, (li[tie], ri[tie]), 0.5)
        np.add.at(wins, (ri[tie], li[tie]), 0.5)
    return items, wins


def bradley_terry_scores(
    comparisons: pd.DataFrame,
    *,
    same: Literal["half", "drop"] = "half",
    alpha: float = 0.01,
    include_verification: bool = False,
    max_iter: int = 1000,
    tol: float = 1e-10,
) -> pd.DataFrame:
    """Bradley-Terry log-strengths per group, centred within each group (module docstring, "Scores").

    Parameters
    ----------
    comparisons : DataFrame
        A comparisons table (screened already, if wanted).
    same : {"half", "drop"}
        A "same" answer counts as half a win for each item, or is ignored.
    alpha : float
        ``choix.ilsr_pairwise_dense``'s regularisation, >= 0: the rate every transition of the
        LSR Markov chain starts from, i.e. about ``alpha`` virtual comparisons between every
        two items, which pulls the strengths together and keeps them finite when an item never
        loses. ``0`` is plain maximum likelihood.
    include_verification : bool
        Also fit the verification pairs (default: only the study pairs).
    max_iter, tol : int, float
        Of the ILSR iterations (``tol``: L1 change of successive iterates).

    Returns
    -------
    DataFrame
        ``item``, ``reference``, ``score`` (natural-log strength, mean 0 per reference),
        ``n_comparisons`` (answers the item took part in, "same" included); groups in order of
        first appearance, items in order of first appearance within their group.

    Raises
    ------
    ValueError
        A bad table (see :func:`check_comparisons`), a bad option, an item that appears in two
        groups (naming it), or no comparison left to fit.
    """
    df = check_comparisons(comparisons)
    check_choice(same, "same", ("half", "drop"))
    alpha = check_positive(alpha, "alpha", allow_zero=True)
    max_iter = check_int(max_iter, "max_iter", low=1)
    tol = check_positive(tol, "tol")
    if not include_verification:
        df = df.loc[~df["is_verification"].to_numpy(dtype=bool)]
    if same == "drop":
        df = df.loc[df["answer"] != "same"]
    if df.empty:
        raise ValueError("comparisons: no comparison left to fit (all verification, or all 'same' with same='drop')")
    owner = pd.concat(
        [
            df[["left", "reference"]].set_axis(["item", "reference"], axis=1),
            df[["right", "reference"]].set_axis(["item", "reference"], axis=1),
        ]
    )
    owner = owner.astype(str).drop_duplicates()
    dup = owner["item"].duplicated(keep=False).to_numpy()
    if dup.any():
        item = owner["item"].iloc[_first_bad(dup)]
        raise ValueError(f"comparisons: item {item!r} appears under two references; each item belongs to one group")
    parts = []
    for reference, group in df.groupby("reference", sort=False):
        items, wins = _win_matrix(group, same)
        params = choix.ilsr_pairwise_dense(wins, alpha=alpha, max_iter=max_iter, tol=tol)
        counts = pd.concat([group["left"], group["right"]]).astype(str).value_counts()
        parts.append(
            pd.DataFrame(
                {
                    "item": items,
                    "reference": str(reference),
                    "score": params - params.mean(),
                    "n_comparisons": counts.reindex(items).to_numpy(dtype=int),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
