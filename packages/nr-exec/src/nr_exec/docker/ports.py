"""Published ports: ``DockerExecutor.ports`` items and the SDK's ``ports`` mapping.

An item is a port number (``8080``: the container's 8080/tcp on the host's 8080, as in
NeMo-Run's ``ports: list[int]``) or a string ``[host_ip:]host_port:container_port[/protocol]``
(``"8080:80"``, ``"127.0.0.1:8080:80/udp"``), as ``docker run -p`` spells it.
"""

import ipaddress
import re
from dataclasses import dataclass

__all__ = ["PROTOCOLS", "PortMapping", "parse_port", "port_bindings"]

#: The protocols a published port may use.
PROTOCOLS = frozenset({"tcp", "udp", "sctp"})
_PORT = re.compile(
    r"(?:(?P<ip>[0-9a-fA-F.:\[\]]+):)?(?P<host>\d{1,5}):(?P<container>\d{1,5})(?:/(?P<proto>\w+))?"
)


@dataclass(frozen=True)
class PortMapping:
    """One published port.

    Attributes:
        container_port: The port inside the container.
        host_port: The port on the host.
        protocol: ``tcp``, ``udp`` or ``sctp``.
        host_ip: The host address to bind, or ``""`` for all.
    """

    container_port: int
    host_port: int
    protocol: str = "tcp"
    host_ip: str = ""

    @property
    def key(self) -> str:
        """The SDK's key for the container side (``"80/tcp"``)."""
        return f"{self.container_port}/{self.protocol}"


def _port(text: str) -> int:
    number = int(text)
    if not 1 <= number <= 65535:
        raise ValueError(text)
    return number


def parse_port(item: object) -> PortMapping:
    """Parse a ``ports`` item (a port number, or ``[ip:]host:container[/protocol]``).

    Raises:
        ValueError: The item is not a port in 1-65535 nor such a string (a bad protocol or
            address too).
    """
    if isinstance(item, int) and not isinstance(item, bool):
        number = _port(str(item))
        return PortMapping(number, number)
    if not isinstance(item, str):
        raise ValueError(item)
    match = _PORT.fullmatch(item)
    if match is None:
        raise ValueError(item)
    protocol = match["proto"] or "tcp"
    if protocol not in PROTOCOLS:
        raise ValueError(item)
    host_ip = (match["ip"] or "").strip("[]")
    if host_ip:
        ipaddress.ip_address(host_ip)  # raises ValueError
    return PortMapping(_port(match["container"]), _port(match["host"]), protocol, host_ip)


def port_bindings(items: tuple[int | str, ...]) -> dict[str, int | tuple[str, int]]:
    """The SDK's ``ports`` argument of ``containers.create`` for ``items``.

    ``{"80/tcp": 8080}``, or ``{"80/tcp": ("127.0.0.1", 8080)}`` with an address.

    Raises:
        ValueError: An item is invalid, or two items publish the same container port.
    """
    bindings: dict[str, int | tuple[str, int]] = {}
    for item in items:
        mapping = parse_port(item)
        if mapping.key in bindings:
            raise ValueError(f"container port {mapping.key} is published twice")
        bindings[mapping.key] = (
            (mapping.host_ip, mapping.host_port) if mapping.host_ip else mapping.host_port
        )
    return bindings
