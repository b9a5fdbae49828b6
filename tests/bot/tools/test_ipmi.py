"""The IPMI executor against pyghmi's BMC simulator in a subprocess (see ipmi_simulator.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.tools.base import HostEntry, ToolResult
from bot.tools.ipmi import IpmiExecutor
from tests.conftest import REPO

PASSWORD = "lab-bmc-secret"  # conftest.IPMI_PASSWORD; the simulator's only account is admin
ENV = {"HALOPS_IPMI_PASSWORD": PASSWORD, "WRONG_PW": "not-the-password"}
TIMEOUT_S = 5.0


@pytest.fixture
def bmc(bmc_port: int) -> IpmiExecutor:
    hosts = {
        "bmc-pve01": HostEntry("bmc-pve01", "127.0.0.1", bmc_port, "admin"),
        "bmc-wrongpw": HostEntry("bmc-wrongpw", "127.0.0.1", bmc_port, "admin", "WRONG_PW"),
        "bmc-nopw": HostEntry("bmc-nopw", "127.0.0.1", bmc_port, "admin", "UNSET_PW"),
    }
    return IpmiExecutor(hosts, environ=ENV)


def call(bmc: IpmiExecutor, action: str, **extra: Any) -> ToolResult:
    result = bmc.execute({"host": "bmc-pve01", "action": action, **extra}, TIMEOUT_S)
    assert PASSWORD not in result.output
    return result


def test_power_status_on_off_cycle(bmc: IpmiExecutor) -> None:
    # One test, because the simulated chassis keeps its state between calls (a fresh
    # simulator per test starts powered off).
    assert call(bmc, "power_status").output == "power: off"
    assert call(bmc, "power_on").output == "power: on requested"
    assert call(bmc, "power_status").output == "power: on"
    assert call(bmc, "power_on").output == "power: already on"
    assert call(bmc, "power_off").output == "power: off requested"
    assert call(bmc, "power_status").output == "power: off"
    cycled = call(bmc, "power_cycle")
    assert (cycled.ok, cycled.exit_status, cycled.output) == (True, 0, "power: cycle requested")
    assert call(bmc, "power_status").output == "power: on"  # a cycled chassis comes back on
    assert call(bmc, "power_reset").output == "power: reset requested"


def test_sensors_are_listed_with_units_and_health(bmc: IpmiExecutor) -> None:
    result = call(bmc, "sensors")
    assert result.ok
    assert result.output.splitlines() == [
        "CPU Temp: 45 °C (ok)",
        "Fan 1: 6000 RPM (ok)",
        "12V: 12 V (ok)",
    ]


def test_boot_device_set_then_get(bmc: IpmiExecutor) -> None:
    assert call(bmc, "bootdev_set", bootdev="network").output == (
        "boot device: network set (next boot only)"
    )
    assert call(bmc, "bootdev_get").output == "boot device: network (next boot only)"


def test_wrong_password_is_refused(bmc: IpmiExecutor) -> None:
    result = bmc.execute({"host": "bmc-wrongpw", "action": "power_status"}, TIMEOUT_S)
    assert (result.ok, result.error_kind) == (False, "refused")
    assert "Incorrect password" in result.output
    assert "not-the-password" not in result.output


def test_missing_password_is_refused_without_contacting_the_bmc(bmc: IpmiExecutor) -> None:
    result = bmc.execute({"host": "bmc-nopw", "action": "power_status"}, TIMEOUT_S)
    assert result.error_kind == "refused" and "$UNSET_PW" in result.output


def test_a_call_after_a_failure_still_works(bmc: IpmiExecutor) -> None:
    # pyghmi would hand a failed login's dead session to the next call with the same
    # credentials; the executor drops it.
    bmc.execute({"host": "bmc-wrongpw", "action": "power_status"}, TIMEOUT_S)
    bmc.execute({"host": "bmc-wrongpw", "action": "power_status"}, TIMEOUT_S)
    assert call(bmc, "sensors").ok
    assert call(bmc, "sensors").ok


def test_concurrent_calls_to_one_bmc_take_turns(bmc: IpmiExecutor) -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: call(bmc, "sensors"), range(3)))
    assert all(r.ok and r.output.startswith("CPU Temp: 45") for r in results)


def stuck_command_factory(release: threading.Event) -> type:
    """A pyghmi `Command` stand-in that logs in, then never answers until `release` is set.

    A new class per test, so no released event leaks from one test into the next."""

    class StuckCommand:
        def __init__(self, **kwargs: Any) -> None:
            self.ipmi_session = self

        def get_power(self) -> dict[str, str]:
            release.wait(60)
            return {"powerstate": "on"}

        def logout(self) -> None:
            pass

    return StuckCommand


def test_timeout_after_login_and_busy_bmc() -> None:
    release = threading.Event()
    entry = HostEntry("bmc-slow", "192.0.2.1", 623, "admin")
    stuck = IpmiExecutor(
        {"bmc-slow": entry}, environ=ENV, command_factory=stuck_command_factory(release)
    )
    args = {"host": "bmc-slow", "action": "power_status"}
    try:
        first = stuck.execute(args, 0.2)
        assert (first.error_kind, first.output) == ("timeout", "IPMI action timed out after 0.2 s")
        second = stuck.execute(args, 0.2)  # the first call still holds the BMC
        assert second.error_kind == "timeout" and "still running" in second.output
    finally:
        release.set()
    assert stuck.execute(args, 30).output == "power: on"


@pytest.mark.parametrize(
    "args",
    [
        {"host": "bmc-unknown", "action": "power_status"},
        {"host": "bmc-pve01", "action": "power_explode"},
        {"host": "bmc-pve01"},
        {"host": "bmc-pve01", "action": "bootdev_set"},
        {"host": "bmc-pve01", "action": "bootdev_set", "bootdev": "floppy-of-doom"},
    ],
    ids=["unknown-host", "unknown-action", "no-action", "no-bootdev", "bad-bootdev"],
)
def test_bad_arguments(bmc: IpmiExecutor, args: dict[str, str]) -> None:
    assert bmc.execute(args, TIMEOUT_S).error_kind == "bad_arguments"


SILENT_BMC_PROBE = """
import json, sys
from bot.tools.base import HostEntry
from bot.tools.ipmi import IpmiExecutor
entry = HostEntry("bmc-gone", "127.0.0.1", int(sys.argv[1]), "admin")
result = IpmiExecutor({"bmc-gone": entry}, environ={"HALOPS_IPMI_PASSWORD": "pw"}).execute(
    {"host": "bmc-gone", "action": "power_status"}, 1.0
)
print(json.dumps([result.ok, result.error_kind, result.duration_s]))
"""


def test_silent_bmc_is_host_down(closed_udp_port: int) -> None:
    # In a process of its own: pyghmi keeps retrying an abandoned login for seconds in a
    # process-wide background loop, which would slow whatever IPMI test runs next.
    proc = subprocess.run(
        [sys.executable, "-c", SILENT_BMC_PROBE, str(closed_udp_port)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    ok, error_kind, duration_s = json.loads(proc.stdout.splitlines()[-1])
    assert (ok, error_kind) == (False, "host_down")
    assert duration_s >= 1.0  # it waited out its timeout instead of giving up at once
