"""HTTP requests: which host, which port, which endpoint — and whether a GET there only reads.

GET is read-only by convention, not by law: Grafana deletes a snapshot on
`GET /api/snapshots-delete/<key>`, and a logout or a reload can hang off a GET too. So a GET
is allowed only on endpoints known to be read-only for that kind of service (built in below
for Prometheus, Alertmanager, Grafana and node-exporter; an inventory service may list its own
`read_only_paths`). Paths are normalised first (percent-decoding, `//`, `.`, `..`).

Shared by the http transport and by `curl`/`wget` on the command line.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from urllib.parse import unquote, urlsplit

from bot.safety.inventory import Host, Inventory, Service
from bot.safety.verdict import Decision, RuleFinding

BLOCK, CONFIRM, ALLOW = Decision.BLOCK, Decision.CONFIRM, Decision.ALLOW

# Endpoints that only read, per service kind (path patterns; `*` is one path segment).
READ_ONLY_PATHS: dict[str, tuple[str, ...]] = {
    "prometheus": (
        "/", "/graph", "/alerts", "/targets", "/rules", "/config", "/flags", "/status",
        "/tsdb-status", "/service-discovery", "/-/healthy", "/-/ready", "/metrics",
        "/federate", "/api/v1/query", "/api/v1/query_range", "/api/v1/query_exemplars",
        "/api/v1/format_query", "/api/v1/series", "/api/v1/labels", "/api/v1/label/*/values",
        "/api/v1/targets", "/api/v1/targets/metadata", "/api/v1/metadata", "/api/v1/rules",
        "/api/v1/alerts", "/api/v1/alertmanagers", "/api/v1/status/*",
    ),
    "alertmanager": (
        "/", "/-/healthy", "/-/ready", "/metrics", "/api/v2/status", "/api/v2/receivers",
        "/api/v2/alerts", "/api/v2/alerts/groups", "/api/v2/silences", "/api/v2/silence/*",
        "/api/v1/status", "/api/v1/alerts", "/api/v1/alerts/groups", "/api/v1/silences",
        "/api/v1/receivers",
    ),
    "grafana": (
        "/", "/api/health", "/api/search", "/api/dashboards/uid/*", "/api/dashboards/home",
        "/api/dashboards/tags", "/api/datasources", "/api/datasources/uid/*",
        "/api/datasources/name/*", "/api/datasources/id/*", "/api/folders", "/api/folders/*",
        "/api/org", "/api/annotations", "/api/alerts", "/api/alerts/*", "/api/frontend/settings",
        "/api/snapshots", "/api/snapshots/*", "/api/plugins", "/api/user", "/metrics",
        "/api/v1/provisioning/alert-rules", "/api/v1/provisioning/alert-rules/*",
        "/api/prometheus/grafana/api/v1/alerts", "/api/prometheus/grafana/api/v1/rules",
        "/d/*", "/d/*/*",
    ),
    "node-exporter": ("/", "/metrics"),
    # Proxmox VE's API: GET only reads (changes are POST/PUT/DELETE), except the console
    # upgrades, which open a terminal.
    "proxmox": (
        "/api2/json/version", "/api2/json/cluster/**", "/api2/json/nodes",
        "/api2/json/nodes/*", "/api2/json/nodes/*/status", "/api2/json/nodes/*/version",
        "/api2/json/nodes/*/qemu", "/api2/json/nodes/*/qemu/*/status/current",
        "/api2/json/nodes/*/qemu/*/config", "/api2/json/nodes/*/qemu/*/pending",
        "/api2/json/nodes/*/qemu/*/snapshot", "/api2/json/nodes/*/lxc",
        "/api2/json/nodes/*/lxc/*/status/current", "/api2/json/nodes/*/lxc/*/config",
        "/api2/json/nodes/*/storage", "/api2/json/nodes/*/storage/*/status",
        "/api2/json/nodes/*/storage/*/content", "/api2/json/nodes/*/tasks",
        "/api2/json/nodes/*/tasks/*/status", "/api2/json/nodes/*/tasks/*/log",
        "/api2/json/nodes/*/disks/list", "/api2/json/nodes/*/disks/zfs",
        "/api2/json/nodes/*/network", "/api2/json/nodes/*/services", "/api2/json/nodes/*/rrddata",
        "/api2/json/nodes/*/ceph/status", "/api2/json/storage", "/api2/json/pools",
    ),
}  # fmt: skip
READ_ONLY_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    scheme: str
    hostname: str
    port: int
    path: str  # normalised


def parse_url(url: str, method: str = "GET") -> HttpRequest | None:
    """An http(s) URL, or None when it is something else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    path = normalise_path(parts.path)
    return HttpRequest(method.upper(), url, parts.scheme, parts.hostname, port or default, path)


def parse_http_request(request: str) -> HttpRequest | None:
    """`"GET http://mon01:9090/…"` or a bare URL (GET); None when it is neither."""
    parts = request.split()
    if len(parts) == 1:
        parts = ["GET", parts[0]]
    if len(parts) != 2 or not re.fullmatch(r"[A-Za-z]+", parts[0]):
        return None
    return parse_url(parts[1], parts[0])


def normalise_path(path: str) -> str:
    """Percent-decoded (twice, against double encoding), `//`, `.` and `..` resolved."""
    decoded = unquote(unquote(path or "/"))
    normal = posixpath.normpath("/" + decoded.lstrip("/"))
    return "/" if normal in ("/", "//", ".") else normal.rstrip("/") or "/"


def _path_matches(path: str, pattern: str) -> bool:
    """Segment by segment: `*` is one segment, a final `**` any number of them."""
    if pattern == "/":
        return path == "/"
    got, want = path.strip("/").split("/"), pattern.strip("/").split("/")
    if want[-1] == "**":
        head = want[:-1]
        return len(got) > len(head) and _segments(got[: len(head)], head)
    return len(got) == len(want) and _segments(got, want)


def _segments(got: Sequence[str], want: Sequence[str]) -> bool:
    return all(fnmatchcase(g, w) for g, w in zip(got, want, strict=True))


def read_only_paths(service: Service) -> Sequence[str]:
    if service.read_only_paths is not None:
        return service.read_only_paths
    return READ_ONLY_PATHS.get(service.kind, ())


def check_request(
    request: HttpRequest, inventory: Inventory | None, subject: str, via: str = "http"
) -> list[RuleFinding]:
    """Inventory host (allowing http), inventory port, read-only method and endpoint."""
    host = inventory.lookup(request.hostname) if inventory else None
    if inventory is None:
        reason = f"no inventory loaded, so {request.hostname!r} cannot be checked"
        return [RuleFinding("host.no_inventory", BLOCK, reason, subject)]
    if host is None:
        reason = f"{via} reaches {request.hostname!r}, which is not an inventory host"
        return [RuleFinding("host.not_in_inventory", BLOCK, reason, subject)]
    if not host.allows("http"):
        reason = f"{host.name} does not allow http (allows: {sorted(host.transports)})"
        return [RuleFinding("host.transport_not_allowed", BLOCK, reason, subject)]
    return _service_rules(request, host, subject)


def _service_rules(request: HttpRequest, host: Host, subject: str) -> list[RuleFinding]:
    service = host.service_on(request.port)
    if service is None:
        reason = f"port {request.port} is not an inventory service of {host.name}"
        return [RuleFinding("http.port_not_in_inventory", CONFIRM, reason, subject)]
    if request.method not in READ_ONLY_METHODS:
        reason = f"HTTP {request.method} can change state on {host.name} ({service.name})"
        return [RuleFinding("http.method_not_get", CONFIRM, reason, subject)]
    if not any(_path_matches(request.path, p) for p in read_only_paths(service)):
        reason = (
            f"{request.method} {request.path} on {service.name} is not a known read-only "
            "endpoint (some services change state on GET)"
        )
        return [RuleFinding("http.endpoint_not_read_only", CONFIRM, reason, subject)]
    reason = f"{request.method} {request.path} reads {service.name} on {host.name}"
    return [RuleFinding("http.read_only", ALLOW, reason, subject)]
