"""Review routes (issue 10): the world's entry points to the feasibility review
(:mod:`~samplesim.model.feasibility`), conflicts and identity bias
(:mod:`~samplesim.model.conflicts`) and several review panels (:mod:`~samplesim.model.panels`)."""

from __future__ import annotations

from samplesim.model.conflicts import perceived_merit
from samplesim.model.feasibility import feasibility_desk
from samplesim.model.panels import review_panels

__all__ = ["feasibility_desk", "perceived_merit", "review_panels"]
