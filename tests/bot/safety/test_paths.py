"""Paths resolved before judgement and the credential table (issue 10, class 5): every entry,
every way of naming it, every way of reading it."""

from __future__ import annotations

import pytest

from bot.safety import CommandPolicy
from bot.safety.paths import CREDENTIALS, candidates, protected_hit, secret_read
from bot.safety.settings import CORE_PROTECTED_PATHS


def _example(pattern: str) -> str:
    """A concrete file matching a credential pattern."""
    text = pattern.replace("/**/", "/root/").replace("/**", "/x").replace("**", "x")
    return text.replace("*", "a").replace("?", "a")


EXAMPLES = sorted({_example(p) for p, _ in CREDENTIALS})


@pytest.mark.parametrize("path", EXAMPLES)
def test_every_credential_entry_is_a_secret(path: str) -> None:
    assert secret_read(path, (None,)) is not None


@pytest.mark.parametrize("path", EXAMPLES)
def test_reading_any_credential_needs_a_person(policy: CommandPolicy, path: str) -> None:
    for reader in (f"cat {path}", f"head -c 100 {path}", f"grep -i x {path}", f"base64 {path}",
                   f"cat < {path}", f"strings {path}"):  # fmt: skip
        verdict = policy.evaluate(reader)
        assert (verdict.decision, verdict.rule_id) == ("confirm", "fs.read_secret"), reader


@pytest.mark.parametrize(
    "command",
    [
        "cd /etc && cat shadow",
        "cd /etc; cat ./shadow",
        "cd /etc/pve; cat priv/authkey.key",
        "cd /root && cat .ssh/id_rsa",
        "cat /etc/../etc/shadow",
        "cat /tmp/../etc/shadow",
        "cat /var/run/../etc/shadow",
        "cat ../../etc/shadow",
        "cat ~/.ssh/id_ed25519",
        "cat ~root/.kube/config",
        "cat ~+/../etc/shadow",
        "cat /etc/shado?",
        "cat /etc/sha*",
        "cat /etc/[s]hadow",
        "cat /root/.ssh/*",
        "cat /etc/pve/priv/*",
        "cat /proc/self/root/etc/shadow",
        "cat /proc/1/root/etc/gshadow",
        "cat /proc/*/environ",
        "cat /proc/self/environ",
        "cat /proc/self/cwd/.ssh/id_rsa",
        "journalctl --file=/etc/shadow",
        "grep -f /etc/shadow x",
        "sort --random-source=/etc/shadow x",
        "grep -r pass /etc",
        "grep -R BEGIN /root",
        "grep -rl key /home",
        "grep -r x /etc/pve",
        "grep -r x .",
        "getent shadow",
        "getent gshadow root",
        "ps e",
        "ps auxe",
        "ps eww 1",
        "kubectl get secret -o yaml",
        "kubectl get secrets/x -o json",
        "kubectl config view --raw",
        "ceph auth get client.admin",
        "ceph auth export",
        "ceph config-key get mgr/x",
        "virsh secret-get-value 1234",
        "f=/etc/shadow; cat $f",
        "for f in /etc/shadow; do cat $f; done",
        "x=/etc; cat $x/shadow",
        "dd if=/dev/sda count=1",
        "cat /dev/sda",
        "hexdump -C /dev/nvme0n1",
        "strings /dev/mem",
        "cat /dev/disk/by-id/ata-x",
        "xxd /dev/zd16",
        "cat /var/lib/pve-cluster/config.db",
        "cat /etc/corosync/authkey",
        "cat /etc/ceph/ceph.client.admin.keyring",
        "cat /etc/wireguard/wg0.conf",
        "cat /var/lib/rancher/k3s/server/node-token",
        "cat /etc/kubernetes/admin.conf",
    ],
)
def test_every_way_of_naming_a_secret_is_seen(policy: CommandPolicy, command: str) -> None:
    verdict = policy.evaluate(command)
    assert verdict.decision != "allow", command
    assert verdict.rule_id == "fs.read_secret", (command, verdict.rule_id, verdict.reason)


@pytest.mark.parametrize(
    "command",
    [
        "cat /etc/hosts",
        "cat ~/.ssh/id_rsa.pub",
        "ls -la /root/.ssh",
        "cat /etc/ssh/ssh_host_rsa_key.pub",
        "grep -r listen /etc/nginx",
        "grep -r error /var/log",
        "ls /etc/pve/priv",
        "du -sh /dev",
        "stat /etc/shadow",
        "cat /etc/pve/storage.cfg",
        "smartctl -a /dev/sda",
        "cat notes.txt",
        "md5sum /var/lib/vz/template/iso/*.iso",
        "ls -la /proc/1/environ",
    ],
)
def test_what_is_not_a_secret_read_stays_allowed(policy: CommandPolicy, command: str) -> None:
    assert policy.evaluate(command).decision == "allow", command


@pytest.mark.parametrize(
    ("word", "cwd", "expected"),
    [
        ("shadow", ("/etc",), "/etc/shadow"),
        ("../shadow", ("/etc/x",), "/etc/shadow"),
        ("/proc/self/root/etc/shadow", (None,), "/etc/shadow"),
        ("/etc//./shadow", (None,), "/etc/shadow"),
        ("x", ("~",), "/root/x"),
    ],
)
def test_candidates(word: str, cwd: tuple, expected: str) -> None:
    assert expected in [c.text() for c in candidates(word, cwd)]


@pytest.mark.parametrize(
    ("word", "cwd", "hit"),
    [("/", (None,), "/"), ("/etc/", (None,), "/etc"), ("/etc/*", (None,), "/etc"),
     ("*", ("/",), "/"), ("../..", ("/tmp",), "/"), ("~", (None,), "/root"),
     ("/usr/../etc", (None,), "/etc"), ("//", (None,), "/"), ("/tmp/x", (None,), None),
     ("*", (None,), None), ("x/y", ("/var",), None)],
)  # fmt: skip
def test_protected_paths(word: str, cwd: tuple, hit: str | None) -> None:
    assert protected_hit(word, cwd, CORE_PROTECTED_PATHS) == hit
