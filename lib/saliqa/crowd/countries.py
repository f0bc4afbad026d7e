"""Seed 000's Figure 1: the share of workers per country and campaign.

"Countries with less than 1% participants are grouped into OTH" (:func:`country_distribution`).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from saliqa.checks import check_choice, check_real, require_columns
from saliqa.crowd.workers import check_workers

__all__ = ["country_distribution"]


def country_distribution(
    workers: pd.DataFrame,
    min_share: float = 0.01,
    *,
    basis: Literal["any", "each", "pooled"] = "any",
    other: str = "OTH",
) -> pd.DataFrame:
    """Share of workers per country and campaign, small countries grouped into ``"OTH"`` (Fig. 1).

    Seed 000, Figure 1: "Countries with less than 1% participants are grouped into OTH". A
    country is *small* when its share is ``< min_share`` (exactly 1 % is kept):

    * ``basis="any"`` (default): kept when it reaches ``min_share`` in at least one campaign, so
      the grouped bars show the same countries for both campaigns with their true shares;
    * ``basis="each"``: decided per campaign (a country may be shown for one campaign and be in
      OTH for the other);
    * ``basis="pooled"``: decided on all campaigns' workers together.

    Returns
    -------
    DataFrame
        ``campaign, country, n_workers, share`` (share of the campaign's workers; the shares of
        a campaign sum to 1), countries by decreasing pooled count, ``OTH`` last. Countries with
        no worker in a campaign appear with 0 under ``"any"`` / ``"pooled"``.

    Raises
    ------
    ValueError
        No ``country`` column, missing countries, bad ``min_share`` / ``basis``.
    """
    workers = check_workers(workers)
    require_columns(workers, ["country"], "workers")
    if workers["country"].isna().any():
        row = int(np.flatnonzero(workers["country"].isna().to_numpy())[0])
        raise ValueError(
            f"workers: row {row} has no country ({int(workers['country'].isna().sum())} such rows); "
            "fill them (e.g. 'unknown') explicitly"
        )
    check_real(min_share, "min_share", low=0.0, high=1.0, high_open=True)
    check_choice(basis, "basis", ("any", "each", "pooled"))
    counts = workers.groupby(["campaign", "country"], sort=False).size().unstack(fill_value=0)
    counts = counts.reindex(index=list(dict.fromkeys(workers["campaign"])))
    shares = counts.div(counts.sum(axis=1), axis=0)
    pooled = counts.sum(axis=0)
    eps = 1e-12
    order = sorted(counts.columns, key=lambda c: (-int(pooled[c]), str(c)))
    if other in counts.columns:
        raise ValueError(f"a country is literally named {other!r}; pass another `other` label")
    rows = []
    if basis == "each":
        for camp in counts.index:
            keep = [c for c in order if counts.at[camp, c] > 0 and shares.at[camp, c] >= min_share - eps]
            small = [c for c in order if c not in keep]
            for c in keep:
                rows.append((camp, c, int(counts.at[camp, c])))
            rows.append((camp, other, int(counts.loc[camp, small].sum())))
    else:
        if basis == "any":
            keep = [c for c in order if (shares[c] >= min_share - eps).any()]
        else:
            keep = [c for c in order if pooled[c] / pooled.sum() >= min_share - eps]
        small = [c for c in order if c not in keep]
        for camp in counts.index:
            for c in keep:
                rows.append((camp, c, int(counts.at[camp, c])))
            rows.append((camp, other, int(counts.loc[camp, small].sum())))
    out = pd.DataFrame(rows, columns=["campaign", "country", "n_workers"])
    out["share"] = out["n_workers"] / out.groupby("campaign")["n_workers"].transform("sum")
    return out
