"""Seed 003's whole processing of subjective scores (Sec. 3.4) in one call: screen, then MOS.

:func:`process_ratings` chains the pieces of :mod:`saliqa.subjective` and
:mod:`saliqa.crowd` in the paper's order:

1. **workers** (optional): the platform's records, e.g. "We only accepted workers with
   acceptance rates > 75 %" -- :func:`saliqa.crowd.screen_workers` with
   ``PlatformAccuracy(0.75, column="acceptance_rate")`` (:data:`SEED003_WORKER_RULES`), no
   answer cap;
2. **raters**: "We accepted or rejected each rater's scores within a HIT" on the repeated
   contents and the share of identical scores, with the gold contents as a check --
   :func:`saliqa.subjective.screen_raters` with the given rules, judged per *unit*
   (``unit=("rater_id", "hit_id")`` judges each worker's HITs separately), then
   :func:`saliqa.screening.drop_removed`;
3. **MOS**: "converted into normalized Z scores, averaged (by content), then scaled to
   [0, 100]" -- :func:`saliqa.subjective.mos_from_ratings` on the kept ratings (Z-scores per
   ``rater_id``, over all of a worker's kept HITs; gold rows left out of the MOS);
4. **inter-subject consistency** (optional): :func:`saliqa.subjective.split_half_consistency`
   on the kept ratings (25 random splits in the paper).

:class:`GoldCorrelation` is the gold-content rule read as the paper reports it ("nearly all
the non-rejected subjects had a positive SRCC with the golden pictures"): a unit whose scores
of the gold contents do not correlate positively (Spearman) with the lab scores is rejected.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

import pandas as pd

from saliqa.checks import check_int, check_real, require_columns
from saliqa.crowd.screening import PlatformAccuracy, WorkerScreening, screen_workers
from saliqa.screening import Rule, Screening, Verdict, drop_removed
from saliqa.subjective.consistency import SplitHalfResult, split_half_consistency
from saliqa.subjective.mos import mos_from_ratings
from saliqa.subjective.ratings import check_ratings
from saliqa.subjective.screening import SEED003_RATER_RULES, gold_accuracy, screen_raters

__all__ = ["SEED003_WORKER_RULES", "GoldCorrelation", "ProcessedRatings", "process_ratings"]

SEED003_WORKER_RULES: tuple[Rule, ...] = (PlatformAccuracy(0.75, column="acceptance_rate"),)
"""Seed 003's worker rule: acceptance rate on the platform *more than* 75 %."""


@dataclass(frozen=True)
class GoldCorrelation:
    """Gold-content rule on the rank correlation with the lab scores (seed 003, Sec. 3.4).

    A unit (rater, or rater within a HIT) is kept when the Spearman correlation of its scores of
    the gold contents with their lab scores is *more than* ``min_srcc`` (``gold_srcc`` of
    :func:`saliqa.subjective.gold_accuracy`). Units with fewer than 3 gold ratings or constant
    gold scores have no correlation (NaN) and are not judged (kept; a constant scorer is the
    identical-scores rule's to judge).

    Attributes
    ----------
    gold : mapping or Series
        image_id -> lab score of each gold content.
    min_srcc : float = 0.0
        Threshold in [-1, 1); the default keeps only positive correlations.
    """

    gold: Mapping[Hashable, float] | pd.Series
    min_srcc: float = 0.0
    name: ClassVar[str] = "gold"

    def __post_init__(self) -> None:
        check_real(self.min_srcc, "GoldCorrelation.min_srcc", low=-1.0, high=1.0, high_open=True)

    def judge(self, ratings: pd.DataFrame) -> Verdict:
        """Judge every rater of ``ratings`` that rated gold contents (the others are kept)."""
        r = gold_accuracy(ratings, self.gold, tolerance=0.0, min_accuracy=0.0).set_index("rater_id")
        rho = r["gold_srcc"].astype(float)
        rejected = rho.notna() & (rho <= self.min_srcc)
        return Verdict(self.name, rejected, r[["n_gold", "gold_srcc"]])


@dataclass(frozen=True)
class ProcessedRatings:
    """Outcome of :func:`process_ratings`.

    Attributes
    ----------
    mos : DataFrame
        :func:`~saliqa.subjective.mos_from_ratings` of the kept ratings: ``image_id``, ``mos``,
        ``std``, ``n_ratings``, ``n_raters``.
    screening : Screening
        The rater screening; ``status`` has one row per unit (``rater_id`` = the unit's key,
        ``"<rater_id>/<hit_id>"`` for a two-column unit, and the unit's own columns).
    worker_screening : WorkerScreening or None
        The worker screening (None when no ``workers`` were given).
    ratings : DataFrame
        The ratings kept by both screenings, as checked (flags boolean), indexed by their row
        positions in the input table.
    consistency : SplitHalfResult or None
        Split-half consistency of the kept ratings, when asked for.
    """

    mos: pd.DataFrame
    screening: Screening
    worker_screening: WorkerScreening | None
    ratings: pd.DataFrame
    consistency: SplitHalfResult | None = None


def _unit_key(ratings: pd.DataFrame, unit: tuple[str, ...]) -> pd.Series:
    """One string per row naming its screening unit (the columns joined by ``/``)."""
    key = ratings[unit[0]].astype(str)
    for col in unit[1:]:
        key = key + "/" + ratings[col].astype(str)
    return key


def process_ratings(
    ratings: pd.DataFrame,
    rules: Sequence[Rule] = SEED003_RATER_RULES,
    *,
    workers: pd.DataFrame | None = None,
    worker_rules: Sequence[Rule] = SEED003_WORKER_RULES,
    unit: str | Sequence[str] = "rater_id",
    scale: tuple[float, float] = (0.0, 100.0),
    rescale: Literal["minmax", "fixed", "none"] | None = None,
    ddof: int = 1,
    n_splits: int | None = None,
    seed: int = 0,
) -> ProcessedRatings:
    """Screen workers and raters, then compute the MOS (seed 003, Sec. 3.4; module docstring).

    Parameters
    ----------
    ratings : DataFrame
        Canonical ratings table (``image_id``, ``rater_id`` = the worker, ``score``; ``is_repeat``
        for :class:`~saliqa.subjective.RepeatConsistency`, ``is_gold`` for the gold rules; a
        ``campaign`` column when ``workers`` has several campaigns).
    rules : sequence of rules
        Rater rules, applied per ``unit`` (default
        :data:`~saliqa.subjective.SEED003_RATER_RULES`: repeats, identical scores; add
        :class:`GoldCorrelation` or :class:`~saliqa.subjective.GoldAccuracy` for the gold
        contents).
    workers : DataFrame, optional
        Worker records (:mod:`saliqa.crowd.workers`: ``worker_id``, ``campaign`` and the
        rules' columns, e.g. ``acceptance_rate``); None skips the worker screening.
    worker_rules : sequence of rules
        Worker rules (default :data:`SEED003_WORKER_RULES`).
    unit : str or sequence of str
        Column(s) of ``ratings`` naming the unit the rater rules judge; ``("rater_id",
        "hit_id")`` judges "each rater's scores within a HIT".
    scale, rescale, ddof
        Of :func:`~saliqa.subjective.mos_from_ratings` (min-max onto [0, 100] by default).
    n_splits : int, optional
        Also compute the split-half consistency with this many splits (25 in seed 003).
    seed : int
        Of the random splits.

    Returns
    -------
    ProcessedRatings

    Raises
    ------
    ValueError
        Bad tables or rules (see the functions named above), unknown ``unit`` columns, or no
        ratings left after screening.
    """
    df = check_ratings(ratings)
    units = (unit,) if isinstance(unit, str) else tuple(unit)
    if not units or not all(isinstance(c, str) for c in units):
        raise ValueError(f"unit must name one or more columns of ratings, e.g. ('rater_id', 'hit_id'); got {unit!r}")
    require_columns(df, units, "ratings")
    worker_screening = None
    if workers is not None:
        worker_screening = screen_workers(workers, df, rules=worker_rules, max_answers_per_worker=None)
        df = worker_screening.ratings
        if df is None or len(df) == 0:
            raise ValueError("ratings: the worker screening removed every rating")
    by_unit = df.copy()
    if units != ("rater_id",):
        by_unit["rater_id"] = _unit_key(df, units).to_numpy()
    screening = screen_raters(by_unit, rules)
    if units != ("rater_id",):
        first = df.assign(_unit=by_unit["rater_id"]).drop_duplicates("_unit").set_index("_unit")[list(units)]
        status = screening.status
        for pos, col in enumerate(units):
            status.insert(1 + pos, f"unit_{col}", first.loc[status["rater_id"], col].to_numpy())
    kept_rows = drop_removed(by_unit, screening).index
    kept = df.loc[kept_rows]
    if len(kept) == 0:
        raise ValueError("ratings: the rater screening removed every rating")
    mos = mos_from_ratings(kept, scale=scale, rescale=rescale, ddof=ddof)
    consistency = None
    if n_splits is not None:
        consistency = split_half_consistency(kept, n_splits=check_int(n_splits, "n_splits", low=2), seed=seed)
    return ProcessedRatings(mos, screening, worker_screening, kept, consistency)
