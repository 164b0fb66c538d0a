"""Legal, export and sanctions rule effects, pluggable by name.

A rule in a scenario has a selector (who it applies to), a gate (``application``,
``screening``, ``agreement`` or ``shipping``) and an effect. An effect is a small class that turns a
rule plus the proposal's pre-drawn random numbers into a :class:`RuleDecision`. Add your own
with :func:`register_effect`; the engine needs no change::

    @register_effect("embargo_window")
    class EmbargoWindow(Effect):
        def decide(self, rule, country, draw):
            return RuleDecision("pass", delay=90.0, detail="waits out the embargo")

Effects never draw random numbers themselves: ``draw`` carries a uniform ``u`` and the
rule's ``delay`` and ``fallback_delay`` samples for that proposal (or, for a rule of ``scope``
``call`` / ``run``, the one draw shared by the call / run), pre-drawn from the rule's own
stream (keyed by the rule's name), so removing one rule leaves the others' draws alone.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import attrs

from samplesim.scenario.schema import Rule
from samplesim.stages import GATES

__all__ = [
    "EFFECTS",
    "GATES",
    "Effect",
    "RuleDecision",
    "RuleDraw",
    "register_effect",
]

Outcome = Literal["pass", "block", "condition"]


@attrs.frozen
class RuleDraw:
    """The pre-drawn random numbers of one proposal for one rule."""

    u: float
    delay: float
    fallback_delay: float


@attrs.frozen
class RuleDecision:
    """What a rule did to a proposal: outcome, the time it cost (days) and why."""

    outcome: Outcome
    delay: float = 0.0
    detail: str = ""


class Effect:
    """Base class of rule effects. ``decide`` must be a pure function of its arguments."""

    name: ClassVar[str] = ""
    #: Whether the effect uses the rule's ``delay``/``success_probability`` keys.
    uses_delay: ClassVar[bool] = True

    def decide(self, rule: Rule, country: str, draw: RuleDraw) -> RuleDecision:
        """Decide for one proposal whose lead institution is in ``country``."""
        raise NotImplementedError


EFFECTS: dict[str, Effect] = {}


def register_effect(name: str):
    """Class decorator registering an :class:`Effect` subclass under ``name``."""

    def deco(cls: type[Effect]) -> type[Effect]:
        cls.name = name
        EFFECTS[name] = cls()
        return cls

    return deco


def _failure(rule: Rule, draw: RuleDraw, what: str) -> RuleDecision:
    if rule.on_failure == "condition":
        text = rule.condition or "proceeds under a condition"
        return RuleDecision("condition", draw.delay + draw.fallback_delay, f"{what} failed; {text}")
    return RuleDecision("block", draw.delay, f"{what} failed; {rule.reason or 'blocked'}")


@register_effect("ban")
class Ban(Effect):
    """The proposal is blocked outright (sanctions, embargo)."""

    uses_delay = False

    def decide(self, rule: Rule, country: str, draw: RuleDraw) -> RuleDecision:
        return RuleDecision("block", 0.0, rule.reason or "banned")


@register_effect("certification")
class Certification(Effect):
    """A certification (e.g. the Wolf Amendment exception): a delay, then success with
    ``success_probability``; on failure the proposal is blocked or, with
    ``on_failure = "condition"``, proceeds under ``condition`` after ``fallback_delay``."""

    def decide(self, rule: Rule, country: str, draw: RuleDraw) -> RuleDecision:
        if draw.u < rule.success_probability:
            return RuleDecision("pass", draw.delay, "certified")
        return _failure(rule, draw, "certification")


@register_effect("licence")
class Licence(Effect):
    """An export or import licence: a delay, success with a probability per destination
    (``by_country``, else ``success_probability``)."""

    def decide(self, rule: Rule, country: str, draw: RuleDraw) -> RuleDecision:
        p = rule.by_country.get(country, rule.success_probability)
        if draw.u < p:
            return RuleDecision("pass", draw.delay, f"licence granted for {country}")
        return _failure(rule, draw, f"licence for {country}")


@register_effect("condition")
class Condition(Effect):
    """The proposal proceeds under a recorded condition (e.g. without NASA funds)."""

    def decide(self, rule: Rule, country: str, draw: RuleDraw) -> RuleDecision:
        return RuleDecision("condition", draw.delay, rule.condition or rule.reason or "condition")


@register_effect("deterrence")
class Deterrence(Effect):
    """At the ``application`` gate: a selected application is made only with probability
    ``application_multiplier`` (0: selected institutions do not apply at all); a deterred
    one never enters the workflow (terminal state ``deterred``)."""

    uses_delay = False

    def decide(self, rule: Rule, country: str, draw: RuleDraw) -> RuleDecision:
        m = 1.0 if rule.application_multiplier is None else rule.application_multiplier
        if draw.u < m:
            return RuleDecision("pass", 0.0, "applied despite the rule")
        return RuleDecision("block", 0.0, f"deterred: {rule.reason or 'did not apply'}")
