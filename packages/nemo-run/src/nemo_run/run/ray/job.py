"""``nemo_run.run.ray.job``: ``RayJob`` under NeMo-Run's import path."""

from nemo_run.run.ray import RayJob

__all__ = ["RayJob"]
