"""Former location of :mod:`saliqa.attention.scorecard`, kept so that existing imports work.

Import from :mod:`saliqa.attention.scorecard`; this module only re-exports its names.
"""

from saliqa.attention.scorecard import (
    TABLE1_MEASURE_KEYS,
    score_real_agreement,
    score_simulated_effects,
    score_table1,
    table1_claim,
)

__all__ = ["TABLE1_MEASURE_KEYS", "table1_claim", "score_table1", "score_simulated_effects", "score_real_agreement"]
