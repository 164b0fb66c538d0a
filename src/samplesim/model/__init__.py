"""The simpy model: one module per stage, wired by :class:`~samplesim.model.world.World`.

Outside this package, run the model with :func:`run_world` and read its
:class:`~samplesim.model.record.RunRecord`; nothing else depends on the model's internals.
"""

from samplesim.model.record import RunRecord
from samplesim.model.world import run_world

__all__ = ["RunRecord", "run_world"]
