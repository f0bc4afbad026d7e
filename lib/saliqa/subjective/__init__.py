"""Subjective ratings -> MOS, rater screening and inter-subject consistency.

Follows the processing of PaQ-2-PiQ (seed 003, Sec. 3.4 "Processing subjective scores"), which
itself follows LIVE (Sheikh et al., IEEE TIP 2006, its ref. [24]) and LIVE Challenge / CLIVE
(Ghadiyaram & Bovik, IEEE TIP 2016, its ref. [17]). One module per computation; every public name
is re-exported here:

* :mod:`saliqa.subjective.mos` -- "The labels supplied by each subject were converted into
  normalized Z scores, averaged (by content), then scaled to [0, 100]":
  :func:`zscore_ratings`, :func:`mos_from_ratings`;
* :mod:`saliqa.subjective.screening` -- rater screening within a HIT on "the difference of the
  repeated content scores compared with overall standard deviation" and "whether more than 50%
  of their scores were identical", with "gold" contents as a check: the statistics
  :func:`repeat_consistency`, :func:`identical_scores`, :func:`gold_accuracy`, the rules
  :class:`RepeatConsistency`, :class:`IdenticalScores`, :class:`GoldAccuracy` and
  :func:`screen_raters`, which returns a :class:`saliqa.screening.Screening`;
  :func:`drop_removed` (from :mod:`saliqa.screening`) drops the removed raters' ratings;
* :mod:`saliqa.subjective.consistency` -- subjects split randomly into two disjoint equal sets,
  one MOS per set, LCC between them, averaged over 25 splits: :func:`split_half_consistency`;
* :mod:`saliqa.subjective.process` -- the whole of Sec. 3.4 in one call: worker screening
  (acceptance rate), rater screening per HIT (with :class:`GoldCorrelation` for the gold
  contents), MOS and split-half consistency: :func:`process_ratings`;
* :mod:`saliqa.subjective.ratings` -- the checks of the ratings table these share.

Crowd *worker* screening from the platform's records (seed 000's accuracy > 80 %, quiz, 70 %
test questions) is :func:`saliqa.crowd.screen_workers`; both screenings share the vocabulary of
:mod:`saliqa.screening`.

Tables
------
``ratings`` is the canonical table (``saliqa.datasets.tables``): ``image_id``, ``rater_id``,
``score`` and optionally ``is_gold`` / ``is_repeat`` (booleans); see
:mod:`saliqa.subjective.ratings`.
"""

from saliqa.screening import Screening as Screening
from saliqa.screening import drop_removed as drop_removed
from saliqa.subjective import consistency, mos, process, screening
from saliqa.subjective.consistency import (
    SplitHalfResult as SplitHalfResult,
)
from saliqa.subjective.consistency import (
    split_half_consistency as split_half_consistency,
)
from saliqa.subjective.mos import mos_from_ratings as mos_from_ratings
from saliqa.subjective.mos import zscore_ratings as zscore_ratings
from saliqa.subjective.process import SEED003_WORKER_RULES as SEED003_WORKER_RULES
from saliqa.subjective.process import GoldCorrelation as GoldCorrelation
from saliqa.subjective.process import ProcessedRatings as ProcessedRatings
from saliqa.subjective.process import process_ratings as process_ratings
from saliqa.subjective.screening import (
    SEED003_RATER_RULES as SEED003_RATER_RULES,
)
from saliqa.subjective.screening import (
    GoldAccuracy as GoldAccuracy,
)
from saliqa.subjective.screening import (
    IdenticalScores as IdenticalScores,
)
from saliqa.subjective.screening import (
    RepeatConsistency as RepeatConsistency,
)
from saliqa.subjective.screening import (
    gold_accuracy as gold_accuracy,
)
from saliqa.subjective.screening import (
    identical_scores as identical_scores,
)
from saliqa.subjective.screening import (
    repeat_consistency as repeat_consistency,
)
from saliqa.subjective.screening import (
    screen_raters as screen_raters,
)

__all__ = [*mos.__all__, *screening.__all__, *consistency.__all__, *process.__all__, "Screening", "drop_removed"]
