"""Which hosts a shell command reaches: every form of each tool, and ssh checked by `ssh -G`."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halops.discover.commands import Touch, command_touches, is_host, url_touch


def hosts(command: str) -> list[tuple[str, str, str | None, int | None]]:
    return [(t.host, t.method, t.user, t.port) for t in command_touches(command)]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        # ssh: destination forms, user and port options, jump hosts, remote commands
        ("ssh pve01", [("pve01", "ssh", None, None)]),
        ("ssh root@pve01 uptime", [("pve01", "ssh", "root", None)]),
        ("ssh -l ops -p 2222 pve01", [("pve01", "ssh", "ops", 2222)]),
        ("ssh -p2222 -lops pve01", [("pve01", "ssh", "ops", 2222)]),
        ("ssh -tt -i ~/.ssh/k -o StrictHostKeyChecking=no nas01", [("nas01", "ssh", None, None)]),
        ("ssh -o Port=2200 -o User=x mon01", [("mon01", "ssh", "x", 2200)]),
        ("ssh ssh://ops@10.0.0.5:2201", [("10.0.0.5", "ssh", "ops", 2201)]),
        ("ssh -J jump@j1:2022 pve01", [("j1", "ssh", "jump", 2022), ("pve01", "ssh", None, None)]),
        ("ssh -- pve01 ls", [("pve01", "ssh", None, None)]),
        ("ssh pve01.lab.internal", [("pve01.lab.internal", "ssh", None, None)]),
        ("ssh -6 [fd00::5] true", [("fd00::5", "ssh", None, None)]),
        (
            "ssh pve03 'ping -c 3 10.30.0.20'",
            [("pve03", "ssh", None, None), ("10.30.0.20", "ping", None, None)],
        ),
        ("ssh-copy-id -i k.pub root@pve02", [("pve02", "ssh", "root", None)]),
        # copies
        ("scp a.txt mon01:/etc/a.txt", [("mon01", "scp", None, None)]),
        ("scp -P 2200 -r bob@h2:/x ./y", [("h2", "scp", "bob", 2200)]),
        ("scp ./local /abs/path other", []),
        ("rsync -av ./a backup@nas01:/tank/", [("nas01", "rsync", "backup", None)]),
        ("rsync -a -e 'ssh -p 22' nas01::module/ .", [("nas01", "rsync", None, None)]),
        ("rsync rsync://mirror.lab/x .", [("mirror.lab", "rsync", None, None)]),
        ("sftp ops@nas01", [("nas01", "sftp", "ops", None)]),
        # BMCs
        (
            "ipmitool -I lanplus -H bmc-pve03 -U admin -P s3cr3t power status",
            [("bmc-pve03", "ipmi", "admin", None)],
        ),
        ("ipmitool -H10.20.1.11 -Uadmin -p 6230 sdr", [("10.20.1.11", "ipmi", "admin", 6230)]),
        ("ipmitool sel list", []),  # the local BMC through the kernel driver
        ("ipmitool -c -H bmc1 -E -U op sensor", [("bmc1", "ipmi", "op", None)]),
        # reachability probes
        ("ping -c 3 -W 2 10.20.0.13", [("10.20.0.13", "ping", None, None)]),
        ("traceroute -n gw01", [("gw01", "ping", None, None)]),
        ("mtr -r -c 5 pve01", [("pve01", "ping", None, None)]),
        ("nc -zv -w 3 10.40.0.21 9100", [("10.40.0.21", "tcp", None, 9100)]),
        ("telnet sw-core01 23", [("sw-core01", "tcp", None, 23)]),
        # URLs (credentials never kept)
        ("curl -s http://mon01:9090/api/v1/targets", [("mon01", "http", None, 9090)]),
        ("curl -sk https://backup:pw@nas01:8007/api2/json", [("nas01", "http", None, 8007)]),
        ("wget -qO- https://grafana.lab/api/health", [("grafana.lab", "http", None, 443)]),
        ("http GET http://mon01/x#frag", [("mon01", "http", None, 80)]),
        # wrappers, shells, lists, substitutions, loops, comments
        ("sudo -u ops ssh pve01", [("pve01", "ssh", None, None)]),
        ("env A=1 B=2 timeout -s KILL 5 nice -n 10 ssh pve01", [("pve01", "ssh", None, None)]),
        ("sshpass -p 'pw' ssh deploy@pve01 true", [("pve01", "ssh", "deploy", None)]),
        ("bash -c 'ssh pve01 uptime'", [("pve01", "ssh", None, None)]),
        (
            "uptime; ssh pve01 && ssh pve02 || ping -c1 pve03",
            [
                ("pve01", "ssh", None, None),
                ("pve02", "ssh", None, None),
                ("pve03", "ping", None, None),
            ],
        ),
        ("x=$(ssh pve01 hostname)", [("pve01", "ssh", None, None)]),
        (
            "for h in pve01 pve02; do ssh root@$h uptime; done",
            [
                ("pve01", "ssh", "root", None),
                ("pve02", "ssh", "root", None),
            ],
        ),
        ("ssh pve01 true # then ssh pve02", [("pve01", "ssh", None, None)]),
        ("echo ssh pve01; grep pve02 /etc/hosts; cat nas01.log", []),
        ("ssh $HOST uptime; ssh user@${H} ls; ssh 'host*'", []),
        ("ssh pve01 'unbalanced", [("pve01", "ssh", None, None)]),
        ("ssh al@h1:22", []),  # ssh reads `h1:22` as a host name, not as a port
    ],
)
def test_command_forms(command: str, expected: list) -> None:
    assert hosts(command) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://mon01:9093/api/v2/alerts?active=true", Touch("mon01", "http", None, 9093, "http")),
        ("HTTPS://User:Pw@FW01/api", Touch("fw01", "http", None, 443, "https")),
        ("http://[fd00::1]:8080/", Touch("fd00::1", "http", None, 8080, "http")),
        ("ftp://mirror/x", None),
        ("http://mon01:99999/", None),
        ("http:///nohost", None),
    ],
)
def test_urls(url: str, expected: Touch | None) -> None:
    assert url_touch(url) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("pve01", True),
        ("10.20.0.1", True),
        ("fd00::1", True),
        ("a.b-c.d", True),
        ("-p", False),
        ("$HOST", False),
        ("host*", False),
        ("10.20", False),
        ("", False),
        ("a..b", False),
        ("-bad", False),
    ],
)
def test_what_counts_as_a_host(word: str, expected: bool) -> None:
    assert is_host(word) is expected


# --- ssh's own reading of its command line, as the oracle ------------------------------------

names = st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4})?", fullmatch=True)
users = st.from_regex(r"[a-z][a-z0-9]{0,5}", fullmatch=True)
ports = st.integers(1, 65535)
options = st.lists(
    st.one_of(
        st.tuples(st.just("-l"), users),
        st.tuples(st.just("-p"), ports.map(str)),
        st.tuples(st.just("-o"), users.map(lambda u: f"User={u}")),
        st.tuples(st.just("-o"), ports.map(lambda p: f"Port={p}")),
        st.tuples(st.sampled_from(["-4", "-v", "-T", "-A", "-C"])),
        st.tuples(st.just("-i"), st.just("/tmp/key")),
    ),
    max_size=4,
)
destinations = st.one_of(
    names,
    st.builds(lambda u, h: f"{u}@{h}", users, names),
    st.builds(lambda u, h, p: f"ssh://{u}@{h}:{p}", users, names, ports),
    st.builds(lambda h: f"ssh://{h}", names),
)


def ssh_g(argv: list[str]) -> dict[str, str]:
    out = subprocess.run(
        ["ssh", "-F", "/dev/null", "-G", *argv], capture_output=True, text=True, check=True
    ).stdout
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


@pytest.mark.skipif(shutil.which("ssh") is None, reason="no OpenSSH client")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(options=options, destination=destinations, remote=st.sampled_from(["", "uptime"]))
def test_ssh_arguments_read_as_ssh_reads_them(options, destination, remote) -> None:
    argv = [word for option in options for word in option] + [destination]
    argv += [remote] if remote else []
    resolved = ssh_g(argv)  # -G prints the configuration it would use; it connects nowhere
    [touch] = command_touches("ssh " + " ".join(argv))
    assert touch.host == resolved["hostname"]
    assert (touch.port or 22) == int(resolved["port"])
    if touch.user is not None:
        assert touch.user == resolved["user"]
    else:
        assert not any(o[0] == "-l" or o[-1].startswith("User=") for o in options)
        assert "@" not in destination
