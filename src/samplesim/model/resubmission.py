"""Resubmission (``[resubmission]``): a proposal that ends in one of ``resubmission.states``
(declined or not shortlisted by default) comes back to a later call.

When row ``i`` (attempt ``k`` of proposal ``P``) ends in a listed state on day ``t`` and
``k + 1 < max_attempts``, it is resubmitted with ``probability`` (a uniform drawn for the row
up front, stream ``resubmission``). It goes to the *next call open to it*: the first call, in
order of ``open_day`` (then file order), that closes after ``t``, is open to the applicant
(``eligible_countries``, ``eligible_kinds``, ``applies_to``) and, if it is a rolling call,
still holds meetings; its own call counts again only if it is rolling (``same_call``). The
new row is submitted on a day uniform in ``[max(t, first), close_day]`` (``first``: the
call's first day for full proposals, :func:`full_proposals_from`) as a full
proposal (no notice of intent), with the same applicant, team, request and destructiveness,
and true merit ``merit + merit_gain``. Its call's desk waits for it (a batch call is not
decided before it has been reviewed).

Rows: first attempts are rows ``0..n-1`` (as without resubmission); room for
``n × max_attempts`` rows is reserved up front and each resubmission takes the next row, so
attempt rows follow the first attempts in the order they were resubmitted; the record keeps
the rows used. Draws: everything random about the new row (screening, review, panel, rules,
feasibility, logistics, its own resubmission) comes from its own entity, named by the first
attempt's call and institution, the proposal's ordinal and the attempt number: first
attempts draw exactly what they drew without resubmission.
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING, Any

import numpy as np

from samplesim.model.agencies import applies
from samplesim.model.arrivals import ProposalTable
from samplesim.model.keyed import draw_keyed
from samplesim.model.reviewer_traits import subjects
from samplesim.model.stage_draws import draw_stages
from samplesim.model.typed import floats

if TYPE_CHECKING:
    from samplesim.model.world import World
    from samplesim.scenario.schema import Call

__all__ = ["ROW_DRAWS", "Resubmissions", "capacity", "full_proposals_from"]

#: The world's per-row stage draws (lists or arrays, first axis the row).
ROW_DRAWS = (
    "incomplete", "screen_delay", "seen_merit", "review_noise", "review_scores", "declines",
    "review_durations", "review_mean", "review_se", "panel_score", "discussion", "tiebreak",
    "ship_delay", "loan_days", "agreement_delay",
)  # fmt: skip
#: The proposal table's per-row arrays and lists, with the value of a reserved row.
_TABLE = {
    "call": 0, "submit": np.nan, "applicant": 0, "merit": 0.0, "requested": 0.0,
    "destructive": False, "n_members": 1, "ordinal": 0, "intent": np.nan, "fate": "",
    "team_countries": frozenset(), "partner_countries": frozenset(),
    "team_funders": frozenset(), "team_institutions": frozenset(),
}  # fmt: skip


def full_proposals_from(call: Call) -> float:
    """The first day ``call`` takes full proposals: ``open_day``, or with notices of intent
    once the invitations are known (intent deadline + ``outline_days``)."""
    it = call.intent
    return call.open_day if it is None else max(call.open_day, it.deadline_day + it.outline_days)


def capacity(w: World) -> int:
    """Rows to reserve for ``w``'s run: every attempt a proposal may make."""
    rs = w.sc.resubmission
    return w.n * rs.max_attempts if rs.enabled else w.n


def padded(x: Any, extra: int, fill: Any) -> Any:
    """``x`` with ``extra`` more rows of ``fill``: a list or typed array grows in place
    (whoever holds it sees the rows), a numpy array is copied; None stays None."""
    if isinstance(x, list):
        x.extend([fill] * extra)
        return x
    if isinstance(x, array):
        x.extend(array(x.typecode, [fill]) * extra)
        return x
    if isinstance(x, np.ndarray):
        return np.concatenate([x, np.full((extra, *x.shape[1:]), fill, dtype=x.dtype)])
    return x


class _OneRow:
    """A stand-in world of one new row: what :func:`draw_stages` reads (and then sets)."""

    def __init__(self, w: World, q: ProposalTable, country: str) -> None:
        self.sc, self.streams, self.props, self.n = w.sc, w.streams, q, 1
        self.applicants, self.grades, self.country_of = w.applicants, w.grades, [country]
        self.call_review, self.call_panel = w.call_review, w.call_panel


class Resubmissions:
    """The resubmissions of one run: which rows come back, where, and their new rows."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.rs = rs = w.sc.resubmission
        n, self.capacity = w.n, capacity(w)
        #: Rows in use (first attempts, then each resubmission).
        self.used = n
        #: Per row: the proposal (its first attempt's row) and the attempt (0 = first).
        self.proposal = np.arange(self.capacity, dtype=np.int64)
        self.attempt = np.zeros(self.capacity, dtype=np.int64)
        #: Per row: the uniform that decides whether it comes back, and where in the window.
        self.back = padded(floats(self._uniforms(w.props, 0)), self.capacity - n, 1.0)
        self.when = padded(floats(self._uniforms(w.props, 1)), self.capacity - n, 0.0)
        self.states = frozenset(rs.states)
        calls = w.sc.calls
        self.order = sorted(range(len(calls)), key=lambda k: (calls[k].open_day, k))
        self.open_to = [applies(w.sc, c, len(w.applicants)) for c in calls]

    def _uniforms(self, p: ProposalTable, attribute: int) -> np.ndarray:
        return draw_keyed(p, self.w.streams, "resubmission", attribute, lambda r, m: r.random(m))

    # -- set-up -----------------------------------------------------------------------
    def reserve(self) -> None:
        """Give every per-row structure of the world room for the reserved rows (before
        the call desks, the feasibility review and the consequences are built on them)."""
        w, extra = self.w, self.capacity - self.w.n
        if extra <= 0:
            return
        p = w.props
        for name, fill in _TABLE.items():
            setattr(p, name, padded(getattr(p, name), extra, fill))
        padded(w.country_of, extra, "")
        padded(w.subject, extra, 0)
        for name in ROW_DRAWS:
            setattr(w, name, padded(getattr(w, name), extra, 0))
        if w.conflicted is not None:
            w.conflicted.extend([] for _ in range(extra))
        w.rulebook.reserve(extra)
        if w.panels is not None:
            w.panels.reserve(extra)

    # -- during the run ---------------------------------------------------------------
    def ended(self, i: int) -> None:
        """Row ``i`` ended in its terminal state now: resubmit it if it comes back."""
        w = self.w
        tr = w.trace
        k = int(self.attempt[i])
        if (
            tr.state[i] not in self.states
            or k + 1 >= self.rs.max_attempts
            or self.back[i] >= self.rs.probability
        ):
            return
        now = w.env.now
        target = self._target(i, now)
        if target is None:
            detail = f"attempt {k + 2}: no later call open to it"
            tr.event(i, now, "resubmission", "no_call", detail)
            return
        call = w.sc.calls[target]
        lo = max(now, full_proposals_from(call))
        day = lo + (call.close_day - lo) * self.when[i]
        j = self._add(i, target, day)
        detail = f"attempt {k + 2} to {call.name}, submitted on day {day:g}"
        tr.event(i, now, "resubmission", "resubmitted", detail)
        if not w.rulebook.deterred[j]:  # a deterred attempt never reaches the desk
            w.desks[target].expect()
        w.env.timeout(day - now).callbacks.append(lambda _e: w.arrive(j))

    def _target(self, i: int, now: float) -> int | None:
        """The next call open to row ``i``'s proposal on day ``now`` (None: none left)."""
        w = self.w
        p, sc = w.props, w.sc
        own, a = int(p.call[i]), int(p.applicant[i])
        app = w.applicants[a]
        for k in self.order:
            call = sc.calls[k]
            rolling = call.decision.mode == "rolling"
            if k == own and not (rolling and self.rs.same_call):
                continue
            if call.close_day <= now or (rolling and w.desks[k].closed):
                continue
            if call.eligible_countries and app.country not in call.eligible_countries:
                continue
            if call.eligible_kinds and app.kind not in call.eligible_kinds:
                continue
            if np.ndim(self.open_to[k]) and not self.open_to[k][a]:
                continue
            return k
        return None

    def _add(self, i: int, target: int, day: float) -> int:
        """Fill the next reserved row with row ``i``'s proposal resubmitted to ``target``."""
        w = self.w
        p, sc, j = w.props, w.sc, self.used
        assert j < self.capacity, "more attempts than reserved rows"
        self.used += 1
        first, k = int(self.proposal[i]), int(self.attempt[i]) + 1
        self.proposal[j], self.attempt[j] = first, k
        app = w.applicants[int(p.applicant[i])]
        # Its own entity: the first attempt's (call, institution), ordinal and attempt number.
        entity = f"{app.name}\x1f#{int(p.ordinal[first])}\x1f@{k}"
        q = ProposalTable(
            call=np.array([target], dtype=np.int64),
            submit=np.array([day]),
            applicant=p.applicant[i : i + 1].copy(),
            merit=p.merit[i : i + 1] + self.rs.merit_gain,
            requested=p.requested[i : i + 1].copy(),
            destructive=p.destructive[i : i + 1].copy(),
            team_countries=[p.team_countries[i]],
            partner_countries=[p.partner_countries[i]],
            team_funders=[p.team_funders[i]],
            team_institutions=[p.team_institutions[i]],
            n_members=p.n_members[i : i + 1].copy(),
            ordinal=np.zeros(1, dtype=np.int64),
            groups=[(sc.calls[int(p.call[first])].name, entity, np.zeros(1, dtype=np.int64))],
            intent=np.full(1, np.nan),
            fate=np.array([""], dtype=object),
        )
        for name in _TABLE:
            col = getattr(p, name)
            col[j] = getattr(q, name)[0]
        w.country_of[j] = app.country
        one = _OneRow(w, q, app.country)
        draw_stages(one)  # type: ignore[arg-type]
        if w.panels is not None:
            w.panels.add_row(w, one, j)
        elif w.conflicted is not None:  # conflicts follow the applicant and the team
            w.conflicted[j] = w.conflicted[i]
        for name in ROW_DRAWS:
            got = getattr(one, name)
            if got is not None:
                getattr(w, name)[j] = got[0]
        if w.call_review[target].ties != "random":  # ties: in row order
            w.tiebreak[j] = float(j)
        w.subject[j] = subjects(q.requested)[0]
        w.asked[j] = q.requested[0]
        w.rulebook.add_row(j, q, app.country)
        w.feasibility.add_row(j, q)
        w.consequences.add_row(j, q)
        self.back[j] = float(self._uniforms(q, 0)[0])
        self.when[j] = float(self._uniforms(q, 1)[0])
        return j
