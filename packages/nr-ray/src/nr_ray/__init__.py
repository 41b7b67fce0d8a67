"""RayCluster and RayJob on local Ray, Slurm and KubeRay."""

from nr_ray.__about__ import __version__
from nr_ray.errors import RayError

__all__ = ["RayError", "__version__"]
