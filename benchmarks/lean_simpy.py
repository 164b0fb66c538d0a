"""A lean hand-written SimPy model of the workflow of ``scenarios/examples/lean-equivalent.toml``.

The reference ``bench_lean.py`` compares samplesim with: plain SimPy, numpy and pandas, no
samplesim import. Poisson arrivals from four institutions over a one-year call, a formal
screening delay, 60 reviewers (one review each at a time) giving 3 independent reviews per
proposal, a batch decision once the call is closed and every proposal reviewed (merit rank:
best mean review score first while the grams last), a certification for US and RU teams
before the loan agreement (a failure withdraws the grant), shipping and a one-year loan
(destructive analyses consume the grams). It returns a proposals table and a per-country
summary like ``SimulationResult.proposals`` and ``.summary`` (fewer columns).

    python benchmarks/lean_simpy.py --n 1000
"""

from __future__ import annotations

import argparse
import math

import numpy as np
import pandas as pd
import simpy

#: The workflow's numbers; keep them in step with lean-equivalent.toml (``scale`` multiplies
#: the propensities, reviewers and grams, as bench_lean.py scales the scenario).
PARAMS = {
    "institutions": [
        ("US laboratory", "US"),
        ("Russian institute", "RU"),
        ("French laboratory", "FR"),
        ("German university", "DE"),
    ],
    "propensity": 250.0,
    "close_day": 365.0,
    "horizon": 1200.0,
    "grams": 150.0,
    "request_median": 0.3,
    "request_sigma": 0.6,
    "destructive_probability": 0.5,
    "screen_low": 3.0,
    "screen_high": 14.0,
    "certified_countries": ("US", "RU"),
    "cert_median": 30.0,
    "cert_sigma": 0.5,
    "cert_success": 0.5,
    "reviewers": 60,
    "reviews": 3,
    "review_median": 5.0,
    "review_sigma": 0.5,
    "reliability": 0.2,
    "agreement_low": 5.0,
    "agreement_high": 20.0,
    "ship_median": 21.0,
    "ship_sigma": 0.3,
    "loan_days": 365.0,
}


class Lean:
    """One replication of the lean model with ``scale`` times the base size."""

    def __init__(self, seed: int, scale: float = 1.0) -> None:
        self.p = p = dict(PARAMS)
        self.rng = np.random.default_rng(seed)
        self.env = simpy.Environment()
        self.reviewers = simpy.Resource(self.env, capacity=max(1, round(p["reviewers"] * scale)))
        self.stock = p["grams"] * scale
        self.rate = p["propensity"] * scale * len(p["institutions"]) / p["close_day"]
        self.rows: list[dict] = []
        self.pending_review = 0
        self.closed = False
        self.reviewed: list[int] = []
        self.decided = self.env.event()

    # -- processes ----------------------------------------------------------------------
    def arrivals(self):
        env, p, rng = self.env, self.p, self.rng
        insts = p["institutions"]
        while True:
            dt = rng.exponential(1 / self.rate)
            if env.now + dt >= p["close_day"]:
                yield env.timeout(p["close_day"] - env.now)
                break
            yield env.timeout(dt)
            name, country = insts[rng.integers(len(insts))]
            row = {
                "proposal": len(self.rows), "institution": name, "country": country,
                "submitted_day": env.now, "merit": rng.standard_normal(),
                "requested": rng.lognormal(math.log(p["request_median"]), p["request_sigma"]),
                "destructive": rng.random() < p["destructive_probability"],
                "state": "pending", "awarded": 0.0, "granted": 0.0,
            }  # fmt: skip
            self.rows.append(row)
            self.pending_review += 1
            env.process(self.proposal(row))
        self.closed = True
        self._maybe_decide()

    def review(self, row: dict, k: int):
        p = self.p
        with self.reviewers.request() as req:
            yield req
            dur = self.rng.lognormal(math.log(p["review_median"]), p["review_sigma"])
            yield self.env.timeout(dur)
        rho = p["reliability"]
        row["scores"][k] = math.sqrt(rho) * row["merit"] + math.sqrt(1 - rho) * (
            self.rng.standard_normal()
        )

    def proposal(self, row: dict):
        env, p, rng = self.env, self.p, self.rng
        yield env.timeout(rng.uniform(p["screen_low"], p["screen_high"]))
        row["screened_day"] = env.now
        row["scores"] = [0.0] * p["reviews"]
        yield env.all_of([env.process(self.review(row, k)) for k in range(p["reviews"])])
        row["reviewed_day"] = env.now
        row["score"] = sum(row["scores"]) / p["reviews"]
        self.reviewed.append(row["proposal"])
        self.pending_review -= 1
        self._maybe_decide()
        yield self.decided
        row["decision_day"] = env.now
        if row["granted"] <= 0:
            row["state"] = "declined"
            return
        if row["country"] in p["certified_countries"]:
            yield env.timeout(rng.lognormal(math.log(p["cert_median"]), p["cert_sigma"]))
            if rng.random() >= p["cert_success"]:
                row["state"] = "blocked"
                self.stock += row["granted"]
                row["granted"] = 0.0
                return
        yield env.timeout(rng.uniform(p["agreement_low"], p["agreement_high"]))
        row["agreement_day"] = env.now
        yield env.timeout(rng.lognormal(math.log(p["ship_median"]), p["ship_sigma"]))
        row["samples_day"] = env.now
        row["state"] = "delivered"
        yield env.timeout(p["loan_days"])
        if not row["destructive"]:
            self.stock += row["granted"]
        row["returned_day"] = env.now

    def _maybe_decide(self) -> None:
        """Merit rank once the call is closed and everything submitted is reviewed."""
        if not self.closed or self.pending_review or self.decided.triggered:
            return
        rows = self.rows
        for i in sorted(self.reviewed, key=lambda i: -rows[i]["score"]):
            if rows[i]["requested"] <= self.stock:
                self.stock -= rows[i]["requested"]
                rows[i]["awarded"] = rows[i]["granted"] = rows[i]["requested"]
        self.decided.succeed()

    # -- run and tables -----------------------------------------------------------------
    def run(self) -> Lean:
        self.env.process(self.arrivals())
        self.env.run(until=self.p["horizon"])
        return self

    @property
    def proposals(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows).drop(columns=["scores"], errors="ignore")
        df["days_to_decision"] = df["decision_day"] - df["submitted_day"]
        df["days_to_samples"] = df.get("samples_day", np.nan) - df["submitted_day"]
        return df

    @property
    def summary(self) -> pd.DataFrame:
        df = self.proposals
        df = df.assign(
            approved=df["awarded"] > 0,
            delivered=df["state"] == "delivered",
            blocked=df["state"] == "blocked",
        )
        g = df.groupby("country")
        out = g[["approved", "delivered", "blocked"]].sum()
        out.insert(0, "submitted", g.size())
        out["grams_requested"] = g["requested"].sum()
        out["grams_granted"] = g["granted"].sum()
        out["median_days_to_decision"] = g["days_to_decision"].median()
        out["median_days_to_samples"] = g["days_to_samples"].median()
        out["approval_rate"] = out["approved"] / out["submitted"]
        return out.reset_index()


def simulate_lean(seed: int = 0, scale: float = 1.0) -> Lean:
    """Run the lean model once (``scale`` × ~1,000 proposals)."""
    return Lean(seed, scale).run()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="expected proposals")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    m = simulate_lean(a.seed, a.n / 1000)
    print(m.summary.to_string())
    print(f"simpy events: {next(m.env._eid)} for {len(m.rows)} proposals")
