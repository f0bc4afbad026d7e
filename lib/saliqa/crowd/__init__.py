"""Crowdsourcing quality control and campaign bookkeeping (seed 000, section 2).

Seed 000 ran two CrowdFlower campaigns on the 160 TUD image versions: free viewing (clicks only,
no quiz, no test questions) and an IQA task (5-point rating + clicks, a qualification quiz,
hidden test questions on the rating). One module per concern; every public name is re-exported
here:

* :mod:`saliqa.crowd.workers` -- the ``workers`` table and the worker rows of ``ratings`` /
  ``fixations`` (a worker is ``(campaign, worker_id)``);
* :mod:`saliqa.crowd.screening` -- worker screening from the platform's records, in the
  vocabulary of :mod:`saliqa.screening`: the rules :class:`PlatformAccuracy` (> 80 %),
  :class:`QualificationQuiz`, :class:`TestAccuracy` (falling below 70 % discards *all* of the
  worker's answers), the answer cap (50), :func:`screen_workers` (returns a
  :class:`WorkerScreening`: ``status`` per worker with ``removed_by``, ``kept``, ``counts`` per
  step and campaign, the kept rating / click rows), and :func:`screen_by_test_questions` from
  per-answer test records;
* :mod:`saliqa.crowd.campaigns` -- :func:`answers_table`, :func:`campaign_summary` (section
  2's numbers at the pay rates of :data:`SEED000_PAY`), :func:`seed000_reported_campaigns` and
  :func:`check_reported_campaigns` (the paper's costs do not follow from its pay rates; the check
  reports by how much);
* :mod:`saliqa.crowd.countries` -- Figure 1's shares, :func:`country_distribution`.

Rater screening from the ratings themselves (seed 003: repeats, identical scores, gold) is
:func:`saliqa.subjective.screen_raters`.
"""

from saliqa.crowd import campaigns, countries, screening
from saliqa.crowd.campaigns import (
    SEED000_DURATION_HOURS as SEED000_DURATION_HOURS,
)
from saliqa.crowd.campaigns import (
    SEED000_PAY as SEED000_PAY,
)
from saliqa.crowd.campaigns import (
    answers_table as answers_table,
)
from saliqa.crowd.campaigns import (
    campaign_summary as campaign_summary,
)
from saliqa.crowd.campaigns import (
    check_reported_campaigns as check_reported_campaigns,
)
from saliqa.crowd.campaigns import (
    seed000_reported_campaigns as seed000_reported_campaigns,
)
from saliqa.crowd.countries import country_distribution as country_distribution
from saliqa.crowd.screening import (
    ANSWER_CAP as ANSWER_CAP,
)
from saliqa.crowd.screening import (
    SEED000_WORKER_RULES as SEED000_WORKER_RULES,
)
from saliqa.crowd.screening import (
    PlatformAccuracy as PlatformAccuracy,
)
from saliqa.crowd.screening import (
    QualificationQuiz as QualificationQuiz,
)
from saliqa.crowd.screening import (
    TestAccuracy as TestAccuracy,
)
from saliqa.crowd.screening import (
    WorkerScreening as WorkerScreening,
)
from saliqa.crowd.screening import (
    cap_answers as cap_answers,
)
from saliqa.crowd.screening import (
    screen_by_test_questions as screen_by_test_questions,
)
from saliqa.crowd.screening import (
    screen_workers as screen_workers,
)
from saliqa.crowd.screening import (
    seed000_worker_rules as seed000_worker_rules,
)
from saliqa.crowd.screening import (
    test_question_accuracy as test_question_accuracy,
)
from saliqa.crowd.workers import check_workers as check_workers

__all__ = [*campaigns.__all__, *countries.__all__, *screening.__all__, "check_workers"]
