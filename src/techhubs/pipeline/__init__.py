"""The reproducible build: ``techhubs build`` from raw records to a ranking.

Stages (each cached on disk, keyed by its inputs, parameters and code)::

    ingest -> aggregate -> clusters -> indicators -> index -> robustness -> outputs

:func:`load_config` reads the project TOML into a :class:`BuildConfig`;
:func:`build` runs it and returns a :class:`BuildResult` saying which stages
ran and which were reused. See :mod:`techhubs.pipeline.cache` for the cache
and its crash safety, :mod:`techhubs.pipeline.demo` for the synthetic demo.
"""

from techhubs.pipeline._build import BuildResult, StageRun, build
from techhubs.pipeline._stages import STAGE_NAMES
from techhubs.pipeline.project import (
           BuildConfig,
           ClusteringSpec,
           InputSpec,
           config_from_dict,
           load_config,
)

__all__ = ["STAGE_NAMES", "BuildConfig", "BuildResult", "ClusteringSpec", "InputSpec",
           "StageRun", "build", "config_from_dict", "load_config"]
