"""The IPMI executor against pyghmi's BMC simulator in a subprocess (see ipmi_simulator.py)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.tools.base import HostEntry, ToolResult
from bot.tools.ipmi import IpmiExecutor

PASSWORD = "lab-bmc-secret"  # conftest.IPMI_PASSWORD; the simulator's only account is admin
ENV = {"HALOPS_IPMI_PASSWORD": PASSWORD, "WRONG_PW": "not-the-password"}
TIMEOUT_S = 5.0


@pytest.fixture(scope="module")
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
    # One test, because the simulated chassis keeps its state between calls.
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


class StuckCommand:
    """A pyghmi `Command` stand-in that logs in, then never answers until released."""

    release = threading.Event()

    def __init__(self, **kwargs: Any) -> None:
        self.ipmi_session = self

    def get_power(self) -> dict[str, str]:
        self.release.wait(10)
        return {"powerstate": "on"}

    def logout(self) -> None:
        pass


def test_timeout_after_login_and_busy_bmc() -> None:
    entry = HostEntry("bmc-slow", "192.0.2.1", 623, "admin")
    stuck = IpmiExecutor({"bmc-slow": entry}, environ=ENV, command_factory=StuckCommand)
    args = {"host": "bmc-slow", "action": "power_status"}
    try:
        first = stuck.execute(args, 0.2)
        assert (first.error_kind, first.output) == ("timeout", "IPMI action timed out after 0.2 s")
        second = stuck.execute(args, 0.2)  # the first call still holds the BMC
        assert second.error_kind == "timeout" and "still running" in second.output
    finally:
        StuckCommand.release.set()
    assert stuck.execute(args, 2).output == "power: on"


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


def test_silent_bmc_is_host_down(closed_udp_port: int) -> None:
    # Last in the module on purpose: pyghmi keeps retrying the abandoned login for ~5 s in
    # the background, and meanwhile other sessions' answers can wait up to 1.6 s.
    entry = HostEntry("bmc-gone", "127.0.0.1", closed_udp_port, "admin")
    result = IpmiExecutor({"bmc-gone": entry}, environ=ENV).execute(
        {"host": "bmc-gone", "action": "power_status"}, 1.0
    )
    assert (result.ok, result.error_kind) == (False, "host_down")
    assert 1.0 <= result.duration_s < 2.0
