"""Distribution vocabulary for every duration and size in a scenario.

Each distribution is a small frozen attrs class that draws vectorised samples from a
``numpy.random.Generator`` and knows its analytic ``mean`` and ``variance`` (so tests
compare samples with theory, as Ciw does).

In a scenario file a distribution is a TOML table with a ``dist`` key::

    duration = { dist = "lognormal", median = 14, sigma = 0.5 }
    delay = { dist = "fixed", value = 10 }

A bare number is shorthand for ``{ dist = "fixed", value = N }``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import attrs
import numpy as np

__all__ = [
    "DISTRIBUTIONS",
    "Distribution",
    "DistributionError",
    "Empirical",
    "Exponential",
    "Fixed",
    "LogNormal",
    "Triangular",
    "Uniform",
    "parse_distribution",
]


class DistributionError(ValueError):
    """A distribution specification is invalid; ``path`` is the offending key (relative)."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


class Distribution:
    """Base class: ``sample(rng, size)`` plus analytic ``mean``/``variance``."""

    kind: ClassVar[str] = ""

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` independent values as a float64 array."""
        raise NotImplementedError

    @property
    def mean(self) -> float:
        """Analytic mean."""
        raise NotImplementedError

    @property
    def variance(self) -> float:
        """Analytic variance."""
        raise NotImplementedError

    @property
    def minimum(self) -> float:
        """Smallest value the distribution can produce."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The TOML-table form of this distribution."""
        d = {"dist": self.kind}
        d.update(attrs.asdict(self))  # type: ignore[call-overload]
        return d


def _positive(name: str) -> Callable[[Any, Any, float], None]:
    def check(_inst: Any, _attr: Any, value: float) -> None:
        if not (value > 0 and math.isfinite(value)):
            raise DistributionError(f"must be a positive number (got {value!r})", name)

    return check


def _finite(name: str) -> Callable[[Any, Any, float], None]:
    def check(_inst: Any, _attr: Any, value: float) -> None:
        if not math.isfinite(value):
            raise DistributionError(f"must be a finite number (got {value!r})", name)

    return check


@attrs.frozen
class Fixed(Distribution):
    """Always ``value``."""

    kind: ClassVar[str] = "fixed"
    value: float = attrs.field(converter=float, validator=_finite("value"))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value, dtype=float)

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    @property
    def minimum(self) -> float:
        return self.value


@attrs.frozen
class Exponential(Distribution):
    """Exponential with the given ``mean``."""

    kind: ClassVar[str] = "exponential"
    mean_value: float = attrs.field(converter=float, validator=_positive("mean"), alias="mean")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_value, size)

    @property
    def mean(self) -> float:
        return self.mean_value

    @property
    def variance(self) -> float:
        return self.mean_value**2

    @property
    def minimum(self) -> float:
        return 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"dist": self.kind, "mean": self.mean_value}


@attrs.frozen
class LogNormal(Distribution):
    """Log-normal given by its ``median`` and log-scale ``sigma``."""

    kind: ClassVar[str] = "lognormal"
    median: float = attrs.field(converter=float, validator=_positive("median"))
    sigma: float = attrs.field(converter=float, validator=_positive("sigma"))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.lognormal(math.log(self.median), self.sigma, size)

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)

    @property
    def variance(self) -> float:
        s2 = self.sigma**2
        return (math.exp(s2) - 1) * self.median**2 * math.exp(s2)

    @property
    def minimum(self) -> float:
        return 0.0


@attrs.frozen
class Uniform(Distribution):
    """Uniform on ``[low, high]``."""

    kind: ClassVar[str] = "uniform"
    low: float = attrs.field(converter=float, validator=_finite("low"))
    high: float = attrs.field(converter=float, validator=_finite("high"))

    def __attrs_post_init__(self) -> None:
        if not self.high > self.low:
            raise DistributionError(f"must be greater than low ({self.low})", "high")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    @property
    def minimum(self) -> float:
        return self.low


@attrs.frozen
class Triangular(Distribution):
    """Triangular with ``low <= mode <= high`` and ``low < high``."""

    kind: ClassVar[str] = "triangular"
    low: float = attrs.field(converter=float, validator=_finite("low"))
    mode: float = attrs.field(converter=float, validator=_finite("mode"))
    high: float = attrs.field(converter=float, validator=_finite("high"))

    def __attrs_post_init__(self) -> None:
        if not self.high > self.low:
            raise DistributionError(f"must be greater than low ({self.low})", "high")
        if not self.low <= self.mode <= self.high:
            raise DistributionError(
                f"must lie between low ({self.low}) and high ({self.high})", "mode"
            )

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, size)

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    @property
    def variance(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18

    @property
    def minimum(self) -> float:
        return self.low


def _to_float_tuple(values: Any) -> tuple[float, ...]:
    if not isinstance(values, list | tuple) or not values:
        raise DistributionError("must be a non-empty list of numbers", "values")
    out = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise DistributionError(f"must be a finite number (got {v!r})", f"values[{i}]")
        out.append(float(v))
    return tuple(out)


@attrs.frozen
class Empirical(Distribution):
    """Resamples the listed ``values`` (with optional ``weights``)."""

    kind: ClassVar[str] = "empirical"
    values: tuple[float, ...] = attrs.field(converter=_to_float_tuple)
    weights: tuple[float, ...] | None = attrs.field(default=None)

    def __attrs_post_init__(self) -> None:
        if self.weights is None:
            return
        w = _to_float_tuple(self.weights)
        if len(w) != len(self.values):
            raise DistributionError(
                f"must have as many entries as values ({len(self.values)})", "weights"
            )
        if any(x < 0 for x in w) or sum(w) <= 0:
            raise DistributionError("must be non-negative with a positive sum", "weights")
        object.__setattr__(self, "weights", w)

    @property
    def _p(self) -> np.ndarray | None:
        if self.weights is None:
            return None
        w = np.asarray(self.weights)
        return w / w.sum()

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values), size=size, p=self._p)

    @property
    def mean(self) -> float:
        v = np.asarray(self.values)
        p = self._p
        return float(v.mean() if p is None else (v * p).sum())

    @property
    def variance(self) -> float:
        v = np.asarray(self.values)
        p = self._p if self._p is not None else np.full(len(v), 1 / len(v))
        m = float((v * p).sum())
        return float(((v - m) ** 2 * p).sum())

    @property
    def minimum(self) -> float:
        return min(self.values)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"dist": self.kind, "values": list(self.values)}
        if self.weights is not None:
            d["weights"] = list(self.weights)
        return d


DISTRIBUTIONS: dict[str, type[Distribution]] = {
    cls.kind: cls for cls in (Fixed, Exponential, LogNormal, Uniform, Triangular, Empirical)
}

_PARAMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (required keys, optional keys)
    "fixed": (("value",), ()),
    "exponential": (("mean",), ()),
    "lognormal": (("median", "sigma"), ()),
    "uniform": (("low", "high"), ()),
    "triangular": (("low", "mode", "high"), ()),
    "empirical": (("values",), ("weights",)),
}


def parse_distribution(spec: Any) -> Distribution:
    """Build a distribution from its scenario form (a number or a ``{dist = ...}`` table).

    Raises:
        DistributionError: with ``path`` naming the offending key relative to ``spec``.
    """
    if isinstance(spec, Distribution):
        return spec
    if isinstance(spec, bool):
        raise DistributionError("must be a number or a distribution table, not a boolean")
    if isinstance(spec, int | float):
        return Fixed(spec)
    if not isinstance(spec, Mapping):
        raise DistributionError(
            f'must be a number or a distribution table like {{ dist = "exponential", '
            f"mean = 5 }} (got {type(spec).__name__})"
        )
    kind = spec.get("dist")
    if kind is None:
        raise DistributionError(f"missing key (one of: {', '.join(DISTRIBUTIONS)})", "dist")
    if kind not in DISTRIBUTIONS:
        raise DistributionError(
            f"unknown distribution {kind!r} (known: {', '.join(DISTRIBUTIONS)})", "dist"
        )
    required, optional = _PARAMS[kind]
    for key in spec:
        if key != "dist" and key not in required and key not in optional:
            raise DistributionError(
                f"unknown key for a {kind} distribution (expected: "
                f"{', '.join(required + optional)})",
                key,
            )
    kwargs: dict[str, Any] = {}
    for key in required + optional:
        if key not in spec:
            if key in required:
                raise DistributionError(f"missing key for a {kind} distribution", key)
            continue
        value = spec[key]
        if key not in ("values", "weights") and (
            isinstance(value, bool) or not isinstance(value, int | float)
        ):
            raise DistributionError(f"must be a number (got {value!r})", key)
        kwargs[key] = value
    return DISTRIBUTIONS[kind](**kwargs)
