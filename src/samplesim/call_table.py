"""The per-call table of one run (``calls.csv``, ``result.calls``): one row per call.

Built from the run's :class:`~samplesim.model.record.RunRecord` alone (the values of
:mod:`samplesim.call_metrics`). An experiment's per-call table is
:mod:`samplesim.experiment.call_tables`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from samplesim.call_metrics import CALL_METRICS, call_countries, call_values
from samplesim.model.record import RunRecord
from samplesim.scenario.units import scenario_unit

__all__ = ["CALL_COLUMNS", "calls_frame"]

CALL_COLUMNS: dict[str, str] = {
    "call": "the call's name, in scenario order",
    "deadline_date": "calendar date of the call's close_day",
    "submitted": "proposals submitted to the call (deterred applications excluded), "
    "resubmissions included",
    "approved": "proposals approved at a decision, data-only included (as the summary's)",
    "acceptance_rate": "approved / submitted (NaN with none submitted)",
    "grams_granted": "total finally granted, in the resource's unit (column unit)",
    "median_days_deadline_to_decision": "median of decision_day - close_day over the approved "
    "(a rolling call: decision_day - submitted_day, each request timed from its arrival)",
    "median_days_deadline_to_samples": "median of samples_day - close_day over the approved "
    "with samples in hand (NaN with none; a rolling call: from submitted_day)",
    "applicant_countries": "distinct lead countries among the submitted",
    "awardee_countries": "distinct lead countries among the approved",
    "resubmitted": "of the submitted, resubmissions of proposals declined earlier ([resubmission])",
    "applicant_country_list": "those countries, sorted and ';'-joined ('' for none)",
    "awardee_country_list": "those countries, sorted and ';'-joined ('' for none)",
    "unit": "unit of grams_granted (the inventory's unit, e.g. g or shifts)",
}


def calls_frame(record: RunRecord) -> pd.DataFrame:
    """One row per call of the run's scenario (``CALL_COLUMNS``), calls without proposals
    included (zero counts, NaN rates and medians)."""
    sc = record.scenario
    values = call_values(record)
    apps, awards = call_countries(record)
    cols: dict[str, object] = {
        "call": [c.name for c in sc.calls],
        "deadline_date": pd.Series(
            [pd.Timestamp(sc.date_of(c.close_day)) for c in sc.calls], dtype="datetime64[s]"
        ),
    }
    for name in CALL_METRICS:
        v = values[name]
        cols[name] = v.astype(np.int64) if CALL_METRICS[name] == "count" else v
    cols["applicant_country_list"] = [";".join(x) for x in apps]
    cols["awardee_country_list"] = [";".join(x) for x in awards]
    cols["unit"] = [scenario_unit(sc)] * len(sc.calls)
    return pd.DataFrame(cols, columns=list(CALL_COLUMNS))
