"""A BMC for the IPMI executor's tests, built on pyghmi's simulator; run as a subprocess.

    python ipmi_simulator.py USER PASSWORD

It binds 127.0.0.1 on a free UDP port (pyghmi binds every interface by default) and prints
that port as its first stdout line. It runs in its own process because pyghmi's client and
server share module-level session tables, and in-process the two hang each other.
"""

from __future__ import annotations

import struct
import sys
import time
from typing import Any

import pyghmi.ipmi.bmc as bmc
import pyghmi.ipmi.private.serversession as serversession
import pyghmi.ipmi.private.session as ipmisession

SHA256_AUTH_ALGORITHM = 3
INVALID_AUTH_ALGORITHM = 0x04  # RMCP+ status code
SDR_VERSION = 0x51
FULL_SENSOR_RECORD = 0x01
THRESHOLD_READING = 0x01
LAST_RECORD = 0xFFFF
# A real BMC answers in milliseconds; pyghmi's client loses the wake-up for an answer that
# arrives within microseconds (loopback) and then sleeps until its 0.5-2 s retry timer.
ANSWER_DELAY_S = 0.003

# (number, name, sensor type, unit code, raw reading, M, result exponent); value = raw*M*10^exp
SENSORS = [
    (1, "CPU Temp", 0x01, 1, 45, 1, 0),  # 45 °C
    (2, "Fan 1", 0x04, 18, 60, 100, 0),  # 6000 RPM
    (3, "12V", 0x02, 4, 120, 1, -1),  # 12.0 V
]

_stock_open_session = serversession.ServerSession.create_open_session_response


def refuse_sha256(self: Any, request: bytearray) -> bytearray:
    """Answer an RMCP+ open-session request that proposes RAKP-HMAC-SHA256 with a refusal.

    pyghmi's client proposes SHA-256 first; the stock simulator says yes but then speaks
    SHA-1, and the client dies with struct.error. A refusal makes the client retry with
    SHA-1, as it does against a real BMC that lacks SHA-256.
    """
    if request[12] == SHA256_AUTH_ALGORITHM:
        return bytearray([request[0], INVALID_AUTH_ALGORITHM, 0, 0]) + request[4:8]
    return _stock_open_session(self, request)


_stock_sendto = ipmisession._io_sendto


def sendto_like_a_bmc(sock: Any, packet: bytes, sockaddr: Any) -> None:
    time.sleep(ANSWER_DELAY_S)
    _stock_sendto(sock, packet, sockaddr)


ipmisession._io_sendto = sendto_like_a_bmc
serversession.ServerSession.create_open_session_response = refuse_sha256


def full_sensor_record(record_id: int, sensor: tuple[int, str, int, int, int, int, int]) -> bytes:
    """An IPMI 2.0 Full Sensor Record (type 01h) for a linear, unsigned threshold sensor."""
    number, name, sensor_type, unit, _raw, m, exponent = sensor
    body = bytearray(43)
    body[0] = 0x20  # owner: the BMC
    body[2] = number
    body[3] = 7  # entity: system board
    body[4] = 1
    body[7] = sensor_type
    body[8] = THRESHOLD_READING
    body[16] = unit
    body[19] = m & 0xFF
    body[20] = (m >> 2) & 0xC0
    body[24] = (exponent & 0x0F) << 4
    body[42] = 0xC0 | len(name)  # 8-bit ASCII id string
    body += name.encode()
    header = struct.pack("<HBBB", record_id, SDR_VERSION, FULL_SENSOR_RECORD, len(body))
    return header + bytes(body)


class LabBmc(bmc.Bmc):
    """Chassis power, boot device, an SDR repository and three sensors."""

    def __init__(self, authdata: dict[str, str], port: int) -> None:
        super().__init__(authdata, port=port, address="127.0.0.1")
        # pyghmi routes session packets by the port it was given; with port 0 (let the kernel
        # choose) only session-less packets would ever arrive, so record the real one.
        self.port = self.serversocket.getsockname()[1]
        self.powerstate = "off"
        self.bootdevice: Any = "default"
        self.records = [full_sensor_record(i + 1, s) for i, s in enumerate(SENSORS)]
        self.readings = {s[0]: s[4] for s in SENSORS}

    def get_power_state(self) -> str:
        return self.powerstate

    def power_off(self) -> None:
        self.powerstate = "off"

    def power_on(self) -> None:
        self.powerstate = "on"

    def power_cycle(self) -> None:
        self.powerstate = "on"

    def power_reset(self) -> None:
        pass

    def power_shutdown(self) -> None:
        self.powerstate = "off"

    def get_boot_device(self) -> Any:
        return self.bootdevice

    def set_boot_device(self, bootdevice: Any) -> None:
        self.bootdevice = bootdevice

    def handle_raw_request(self, request: dict[str, Any], session: Any) -> None:
        netfn, command = request["netfn"], request["command"]
        if netfn == 0x0A and command in (0x20, 0x22, 0x23):
            return self.storage_request(command, request["data"], session)
        if netfn == 0x04 and command == 0x2D:
            return self.sensor_reading(request["data"][0], session)
        return super().handle_raw_request(request, session)

    def storage_request(self, command: int, data: Any, session: Any) -> None:
        if command == 0x20:  # Get SDR Repository Info
            info = struct.pack("<BHHIIB", SDR_VERSION, len(self.records), 0, 1, 1, 0)
            return session.send_ipmi_response(data=list(info))
        if command == 0x22:  # Reserve SDR Repository
            return session.send_ipmi_response(data=[1, 0])
        record_id, offset, size = data[2] | (data[3] << 8), data[4], data[5]
        index = max(record_id - 1, 0)  # record id 0 asks for the first record
        if index >= len(self.records):
            return session.send_ipmi_response(code=0xCB)
        following = index + 2 if index + 1 < len(self.records) else LAST_RECORD
        chunk = self.records[index][offset : offset + size]
        session.send_ipmi_response(data=list(struct.pack("<H", following) + chunk))

    def sensor_reading(self, number: int, session: Any) -> None:
        if number not in self.readings:
            return session.send_ipmi_response(code=0xCB)
        # reading, "scanning enabled", no threshold crossed
        session.send_ipmi_response(data=[self.readings[number], 0x40, 0x00, 0x00])


def main(argv: list[str]) -> int:
    user, password = argv
    sim = LabBmc({user: password}, port=0)
    print(sim.port, flush=True)
    sim.listen(timeout=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
