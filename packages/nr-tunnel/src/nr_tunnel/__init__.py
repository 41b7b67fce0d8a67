"""SSH and local tunnels that reuse connections and survive drops, usable alone."""

from nr_tunnel.__about__ import __version__
from nr_tunnel.errors import TunnelError

__all__ = ["TunnelError", "__version__"]
