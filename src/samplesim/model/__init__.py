"""The simpy model: one module per stage, wired by :class:`~samplesim.model.world.World`."""

from samplesim.model.world import World

__all__ = ["World"]
