"""The promo and festival calendar shipped with livelens, as daily regressors.

Chinese shopping festivals (双11 on 11-11, 618 on 06-18, 双12 on 12-12) and Western ones (Black
Friday, the fourth Friday of November; Christmas, with the weeks before it). Online Retail II is a
UK retailer's data, so 双11/618/双12 matter little there; Black Friday and the run-up to
Christmas do.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Final

import numpy as np
import numpy.typing as npt

FESTIVALS: Final = ("双11", "618", "双12", "black_friday", "christmas")


def _black_friday(year: int) -> date:
    first = date(year, 11, 1)
    first_friday = first + timedelta(days=(4 - first.weekday()) % 7)
    return first_friday + timedelta(weeks=3)


def festival_of(day: date) -> str | None:
    """The festival ``day`` belongs to (the day itself, or its lead-up), else ``None``."""
    if day.month == 11 and 9 <= day.day <= 11:
        return "双11"
    if day.month == 6 and 16 <= day.day <= 18:
        return "618"
    if day.month == 12 and 10 <= day.day <= 12:
        return "双12"
    if 0 <= (day - _black_friday(day.year)).days <= 3:  # Black Friday to Cyber Monday
        return "black_friday"
    if day.month == 12 and 1 <= day.day <= 24:  # the Christmas run-up
        return "christmas"
    return None


def calendar_regressors(
    days: Sequence[date], trend_heat: Sequence[float] | None = None
) -> npt.NDArray[np.float64]:
    """Daily regressors: one 0/1 column per festival, then trend heat (scaled) when given."""
    columns = np.zeros((len(days), len(FESTIVALS)), dtype=np.float64)
    for row, day in enumerate(days):
        name = festival_of(day)
        if name is not None:
            columns[row, FESTIVALS.index(name)] = 1.0
    if trend_heat is None:
        return columns
    heat = np.asarray(trend_heat, dtype=np.float64)
    if heat.shape != (len(days),):
        msg = f"trend_heat needs one value per day ({len(days)}), got {heat.shape}"
        raise ValueError(msg)
    scale = float(np.abs(heat).max()) or 1.0
    return np.column_stack([columns, heat / scale])
