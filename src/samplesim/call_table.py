"""The per-call table of one run (``calls.csv``, ``result.calls``): one row per call.

Built from the run's :class:`~samplesim.model.record.RunRecord` alone. Rows of the record are
``proposal × attempt``; each row counts for the call it answered. "Approved" means what the
summary's ``approved`` metric means (granted material at a decision, waiting list included:
``awarded > 0``), so the calls' ``approved`` add up to the summary's ``ALL`` row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from samplesim.model.record import RunRecord
from samplesim.scenario.units import scenario_unit

__all__ = ["CALL_COLUMNS", "calls_frame"]

CALL_COLUMNS: dict[str, str] = {
    "call": "the call's name, in scenario order",
    "deadline_date": "calendar date of the call's close_day",
    "submitted": "proposals submitted to the call (deterred applications excluded)",
    "approved": "proposals granted material at a decision (as the summary's approved)",
    "acceptance_rate": "approved / submitted (NaN with none submitted)",
    "grams_granted": "total finally granted, in the resource's unit (column unit)",
    "median_days_deadline_to_decision": "median of decision_day - close_day over the approved",
    "median_days_deadline_to_samples": "median of samples_day - close_day over the approved "
    "with samples in hand (NaN with none)",
    "applicant_countries": "distinct lead countries among the submitted",
    "awardee_countries": "distinct lead countries among the approved",
    "applicant_country_list": "those countries, sorted and ';'-joined ('' for none)",
    "awardee_country_list": "those countries, sorted and ';'-joined ('' for none)",
    "unit": "unit of grams_granted (the inventory's unit, e.g. g or shifts)",
}


def _median(x: np.ndarray) -> float:
    x = x[~np.isnan(x)]
    return float(np.median(x)) if len(x) else float("nan")


def calls_frame(record: RunRecord) -> pd.DataFrame:
    """One row per call of the run's scenario (``CALL_COLUMNS``), calls without proposals
    included (zero counts, NaN rates and medians)."""
    sc, r = record.scenario, record
    days = r.days
    submitted = ~np.isnan(days["submitted"])
    approved = np.asarray(r.awarded, dtype=float) > 0
    granted = r.granted.sum(axis=1) if r.n else np.zeros(0)
    country = np.asarray(r.country, dtype=object)
    rows = []
    for k, call in enumerate(sc.calls):
        mine = np.asarray(r.call) == k
        sub, app = mine & submitted, mine & approved
        n_sub, n_app = int(sub.sum()), int(app.sum())
        applicants = sorted(set(country[sub].tolist()))
        awardees = sorted(set(country[app].tolist()))
        rows.append(
            {
                "call": call.name,
                "deadline_date": pd.Timestamp(sc.date_of(call.close_day)),
                "submitted": n_sub,
                "approved": n_app,
                "acceptance_rate": n_app / n_sub if n_sub else float("nan"),
                "grams_granted": float(granted[mine].sum()),
                "median_days_deadline_to_decision": _median(days["decision"][app] - call.close_day),
                "median_days_deadline_to_samples": _median(days["samples"][app] - call.close_day),
                "applicant_countries": len(applicants),
                "awardee_countries": len(awardees),
                "applicant_country_list": ";".join(applicants),
                "awardee_country_list": ";".join(awardees),
                "unit": scenario_unit(sc),
            }
        )
    df = pd.DataFrame(rows, columns=list(CALL_COLUMNS))
    df["deadline_date"] = df["deadline_date"].astype("datetime64[s]")
    return df
