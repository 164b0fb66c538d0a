"""Calibration: fit scenario parameters to observed facts by ABC-SMC (pyabc).

pyabc is an optional dependency (``pip install "samplesim[calibrate]"``); importing this
package does not need it, calling :func:`calibrate` does.
"""

from samplesim.calibration.api import CalibrationResult, calibrate

__all__ = ["CalibrationResult", "calibrate"]
