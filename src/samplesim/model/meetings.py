"""Meeting schedules and per-meeting request deadlines (``calls[i].decision``).

``request_deadline_days = N``: a proposal is considered at a meeting only if it was submitted
at least ``N`` days before it (:func:`considered`); ``rush = "meetings"``: the deadline rush
tilts submissions towards each meeting's request deadline instead of ``close_day``
(:func:`rush_times`).
"""

from __future__ import annotations

import numpy as np

from samplesim.scenario.schema import Call

__all__ = ["considered", "meeting_schedule", "request_deadlines", "rush_times"]


def meeting_schedule(call: Call, horizon: float) -> list[float]:
    """The call's meeting days before ``horizon`` (a meeting on the horizon is not held):
    ``meeting_days``, then every ``meeting_every_days`` from the last of them, else from
    ``first_meeting_day`` or ``close_day``."""
    d = call.decision
    days = [m for m in d.meeting_days if m < horizon]
    if d.meeting_every_days:
        if d.meeting_days:
            t = d.meeting_days[-1] + d.meeting_every_days
        elif d.first_meeting_day is not None:
            t = d.first_meeting_day
        else:
            t = call.close_day
        while t < horizon:
            days.append(t)
            t += d.meeting_every_days
    return days


def request_deadlines(call: Call) -> list[float]:
    """The request deadlines (meeting day minus ``request_deadline_days``) strictly inside
    the call's submission window, increasing."""
    gap = call.decision.request_deadline_days or 0.0
    meetings = meeting_schedule(call, call.close_day + gap)
    return sorted({m - gap for m in meetings if call.open_day < m - gap < call.close_day})


def rush_times(u: np.ndarray, call: Call, rush: float) -> np.ndarray:
    """Submission days from uniform draws ``u``: the window is cut at every request deadline
    and, within each piece, a draw is tilted towards the piece's end (Beta(1 + rush, 1) by
    its inverse CDF ``f ** (1 / (1 + rush))``); the last piece ends at ``close_day``."""
    a, b = call.open_day, call.close_day
    cuts = np.array([a, *request_deadlines(call), b])
    x = a + (b - a) * u
    k = np.clip(np.searchsorted(cuts, x, side="right") - 1, 0, len(cuts) - 2)
    lo, hi = cuts[k], cuts[k + 1]
    f = (x - lo) / (hi - lo)
    return lo + (hi - lo) * f ** (1.0 / (1.0 + rush))


def considered(submitted: float, meeting: float, call: Call) -> bool:
    """Whether a proposal submitted on day ``submitted`` may be considered at ``meeting``."""
    gap = call.decision.request_deadline_days
    return gap is None or submitted <= meeting - gap + 1e-9
