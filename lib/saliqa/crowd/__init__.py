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

from saliqa.crowd.campaigns import (
    SEED000_DURATION_HOURS,
    SEED000_PAY,
    answers_table,
    campaign_summary,
    check_reported_campaigns,
    seed000_reported_campaigns,
)
from saliqa.crowd.countries import country_distribution
from saliqa.crowd.screening import (
    ANSWER_CAP,
    SEED000_WORKER_RULES,
    PlatformAccuracy,
    QualificationQuiz,
    TestAccuracy,
    WorkerScreening,
    cap_answers,
    screen_by_test_questions,
    screen_workers,
    seed000_worker_rules,
    test_question_accuracy,
)
from saliqa.crowd.workers import check_workers

__all__ = [
    "SEED000_PAY",
    "SEED000_DURATION_HOURS",
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
    "check_workers",
    "answers_table",
    "campaign_summary",
    "seed000_reported_campaigns",
    "check_reported_campaigns",
    "country_distribution",
]
