"""Paths as the kernel will resolve them, judged before the command runs.

A word naming a file is resolved against what the walk knows: the working directory (after a
`cd` earlier in the same command; unknown otherwise), `..`, `~`, `~user`, `~+`,
`/proc/<pid>/root`. The result is a set of *candidates*, each a list of path components that
may hold glob patterns: `*/` at the front stands for "any directory" (a relative path under an
unknown working directory, or the part after a `..` that a symlink could redirect).

The credential table lists every file whose content is a secret: reading one puts it in front
of the model and the channel (the scrubber is a second line, not the first). A candidate hits
an entry when the two *may* name the same file — a glob like `/etc/shado?` hits `/etc/shadow`,
an unknown base hits by suffix — and a recursive read hits every entry below its directory.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

ANY_DIR = "**"  # a component that stands for any number of directories

# (pattern, what it is). Components are fnmatch patterns; `**` is any number of directories.
CREDENTIALS: tuple[tuple[str, str], ...] = (
    ("/etc/shadow", "the password hashes"),
    ("/etc/shadow-", "the password hashes (backup)"),
    ("/etc/gshadow", "the group password hashes"),
    ("/etc/gshadow-", "the group password hashes (backup)"),
    ("/etc/security/opasswd", "old password hashes"),
    ("/etc/ssh/ssh_host_*_key", "an SSH host private key"),
    ("/**/.ssh/id_*", "an SSH private key"),
    ("/**/.ssh/*_rsa", "an SSH private key"),
    ("/**/.ssh/*_ed25519", "an SSH private key"),
    ("/**/.ssh/*_ecdsa", "an SSH private key"),
    ("/etc/pve/priv/**", "Proxmox private cluster data (auth keys, tokens, storage passwords)"),
    ("/etc/pve/priv", "Proxmox private cluster data"),
    ("/etc/pve/nodes/*/pve-ssl.key", "a Proxmox node TLS key"),
    ("/etc/pve/local/pve-ssl.key", "the Proxmox node TLS key"),
    ("/etc/pve/pve-www.key", "the Proxmox web key"),
    ("/etc/corosync/authkey", "the corosync cluster auth key"),
    ("/var/lib/pve-cluster/config.db", "the Proxmox cluster database"),
    ("/var/lib/pve-cluster/config.db-*", "the Proxmox cluster database"),
    ("/etc/ceph/*keyring*", "a Ceph keyring"),
    ("/var/lib/ceph/**/keyring", "a Ceph daemon keyring"),
    ("/**/.kube/config", "a kubeconfig with cluster credentials"),
    ("/etc/kubernetes/*.conf", "a kubeconfig with cluster credentials"),
    ("/etc/kubernetes/pki/**", "Kubernetes PKI keys"),
    ("/etc/rancher/k3s/k3s.yaml", "the k3s kubeconfig"),
    ("/var/lib/rancher/k3s/server/token", "the k3s join token"),
    ("/var/lib/rancher/k3s/server/node-token", "the k3s node token"),
    ("/var/lib/rancher/k3s/server/cred/**", "k3s credentials"),
    ("/var/lib/rancher/k3s/server/tls/**", "k3s TLS keys"),
    ("/etc/wireguard/**", "a WireGuard configuration with private keys"),
    ("/etc/wireguard", "WireGuard configurations with private keys"),
    ("/proc/*/environ", "a process environment (the bot's holds its tokens)"),
    ("/proc/kcore", "kernel memory"),
    ("/dev/mem", "physical memory"),
    ("/dev/kmem", "kernel memory"),
    ("/dev/port", "I/O ports"),
    ("/dev/sd*", "a raw disk"),
    ("/dev/hd*", "a raw disk"),
    ("/dev/vd*", "a raw disk"),
    ("/dev/xvd*", "a raw disk"),
    ("/dev/nvme*", "a raw disk"),
    ("/dev/mmcblk*", "a raw disk"),
    ("/dev/md*", "a raw RAID device"),
    ("/dev/dm-*", "a raw device-mapper device"),
    ("/dev/mapper/*", "a raw device-mapper device"),
    ("/dev/zd*", "a raw ZFS volume"),
    ("/dev/zvol/**", "a raw ZFS volume"),
    ("/dev/disk/**", "a raw disk"),
    ("/dev/block/*", "a raw disk"),
    ("/dev/loop*", "a raw loop device"),
    ("/dev/rbd*", "a raw Ceph block device"),
    ("/dev/nbd*", "a raw network block device"),
    ("/dev/pve/*", "a raw LVM volume"),
    ("/**/.netrc", "saved logins"),
    ("/**/.pgpass", "PostgreSQL passwords"),
    ("/**/.my.cnf", "MySQL credentials"),
    ("/etc/mysql/debian.cnf", "MySQL maintenance credentials"),
    ("/**/.aws/credentials", "cloud credentials"),
    ("/**/.docker/config.json", "registry credentials"),
    ("/**/.git-credentials", "git credentials"),
    ("/**/.vault-token", "a Vault token"),
    ("/etc/ssl/private/**", "TLS private keys"),
    ("/etc/letsencrypt/**/privkey*", "a TLS private key"),
    ("/**/*.key", "a private key"),
    ("/**/*privkey*", "a private key"),
    ("/**/*.keytab", "a Kerberos keytab"),
    ("/etc/krb5.keytab", "the Kerberos host keytab"),
    ("/etc/munge/munge.key", "the munge key"),
    ("/etc/slurm/slurmdbd.conf", "the Slurm database password"),
    ("/etc/libvirt/secrets/**", "libvirt secrets"),
    ("/var/lib/libvirt/secrets/**", "libvirt secrets"),
    ("/etc/grafana/grafana.ini", "Grafana's admin password and secret key"),
    ("/var/lib/grafana/grafana.db", "Grafana's database (users, API keys)"),
    ("/etc/zfs/keys/**", "ZFS encryption keys"),
    ("/etc/ipsec.secrets", "IPsec secrets"),
    ("/etc/ppp/*-secrets", "PPP secrets"),
    ("/etc/NetworkManager/system-connections/**", "network passwords"),
    ("/var/lib/samba/private/**", "Samba secrets"),
    ("/etc/postfix/sasl_passwd", "mail relay password"),
    ("/**/.bash_history", "a shell history (commands with secrets)"),
    ("/**/.zsh_history", "a shell history (commands with secrets)"),
    ("/**/.mysql_history", "a client history"),
    ("/**/.psql_history", "a client history"),
    ("/etc/sudoers.d/*secret*", "secrets"),
)  # fmt: skip
# Names under ~/.ssh and elsewhere that match the patterns above but are public.
PUBLIC = re.compile(r"(\.pub|/known_hosts(\.old)?|/authorized_keys2?|\.ssh/config)$")


@dataclass(frozen=True)
class Candidate:
    """One way a word may resolve: components, and whether the start is unknown."""

    parts: tuple[str, ...]
    floating: bool = False  # the path may sit under any directory (unknown base)

    def text(self) -> str:
        return ("*/" if self.floating else "/") + "/".join(self.parts)


_HOMES = ("/root", "/home/*")


def candidates(word: str, cwd: Sequence[str | None] = (None,)) -> list[Candidate]:
    """Every way `word` may resolve, given the candidate working directories."""
    if not word or word in ("-",) or word.startswith(("/dev/fd/", "/proc/self/fd/")):
        return []
    out: list[Candidate] = []
    for base in _bases(word, cwd):
        out.extend(_normalise(base))
    return list(dict.fromkeys(out))


def _bases(word: str, cwd: Sequence[str | None]) -> Iterable[str | None]:
    """The word as absolute text (None: relative to an unknown directory, with the word)."""
    if word.startswith("~"):
        head, sep, rest = word.partition("/")
        if head in ("~", "~root") or (head == "~" and not sep):
            homes = _HOMES if head == "~" else ("/root",)
        elif head == "~+":
            yield from _bases(rest or ".", cwd)
            return
        elif head == "~-":
            homes = ("",)  # OLDPWD: unknown
        else:
            homes = (f"/home/{head[1:]}", f"/{head[1:]}")
        for home in homes:
            yield f"{home}/{rest}" if home else f"*/{rest}"
        return
    if word.startswith("/"):
        yield word
        return
    for directory in cwd:
        if directory is None:
            yield f"*/{word}"
        elif directory.startswith("~"):
            yield from _bases(posixpath.join(directory, word), (None,))
        else:
            yield posixpath.join(directory, word)


def _normalise(text: str | None) -> list[Candidate]:
    if text is None:
        return []
    floating = text.startswith("*/")
    raw = [p for p in text.removeprefix("*/").split("/") if p not in ("", ".")]
    raw = _proc_root(raw)
    out = [Candidate(tuple(_lexical(raw, floating)), floating)]
    # `a/../b`: lexically `b`, but `a` may be a symlink to anywhere, so `b` may also sit
    # under any directory.
    for i, part in enumerate(raw):
        if part == ".." and i > 0 and raw[i - 1] != "..":
            tail = [p for p in raw[i + 1 :] if p != ".."]
            if tail:
                out.append(Candidate(tuple(tail), True))
    if floating or (raw and raw[0] == ".."):
        tail = [p for p in raw if p != ".."]
        if tail:
            out.append(Candidate(tuple(tail), True))
    return out


def _proc_root(parts: list[str]) -> list[str]:
    """`/proc/<pid>/root/X` is `/X` (the process's root); `/proc/<pid>/cwd/X` is anywhere."""
    if len(parts) >= 3 and parts[0] == "proc" and parts[2] in ("root", "cwd"):
        rest = parts[3:]
        return rest if parts[2] == "root" else ["..", *rest]
    return parts


def _lexical(parts: list[str], floating: bool) -> list[str]:
    out: list[str] = []
    for part in parts:
        if part == "..":
            if out:
                out.pop()
        else:
            out.append(part)
    return out


# --- matching -------------------------------------------------------------------------------


def _component_may_match(a: str, b: str) -> bool:
    """May two components (either may be a glob) name the same file name?"""
    if a == b:
        return True
    a_glob, b_glob = _is_glob(a), _is_glob(b)
    if not a_glob and not b_glob:
        return False
    if a_glob and not b_glob:
        return fnmatchcase(b, a)
    if b_glob and not a_glob:
        return fnmatchcase(a, b)
    # Both patterns: compatible fixed prefixes and suffixes (an over-approximation).
    head_a, head_b = _fixed_prefix(a), _fixed_prefix(b)
    tail_a, tail_b = _fixed_suffix(a), _fixed_suffix(b)
    heads = head_a.startswith(head_b) or head_b.startswith(head_a)
    tails = tail_a.endswith(tail_b) or tail_b.endswith(tail_a)
    return heads and tails


def _is_glob(text: str) -> bool:
    return any(c in text for c in "*?[")


def _fixed_prefix(text: str) -> str:
    match = re.match(r"[^*?\[]*", text)
    return match.group() if match else ""


def _fixed_suffix(text: str) -> str:
    match = re.search(r"[^*?\]]*$", text)
    return match.group() if match else ""


def _parts_may_match(path: Sequence[str], pattern: Sequence[str]) -> bool:
    """Component-wise, with `**` for any number of directories — in the pattern, and in the
    path too (a shell with `globstar` set, which a remote `.bashrc` may do, reads it so)."""
    if path and path[0] == ANY_DIR:
        return any(_parts_may_match(path[1:], pattern[i:]) for i in range(len(pattern) + 1))
    if not pattern:
        return not path
    if pattern[0] == ANY_DIR:
        return any(_parts_may_match(path[i:], pattern[1:]) for i in range(len(path) + 1))
    if not path:
        return False
    return _component_may_match(path[0], pattern[0]) and _parts_may_match(path[1:], pattern[1:])


def _pattern_parts(pattern: str) -> tuple[str, ...]:
    return tuple(p for p in pattern.split("/") if p)


_CREDENTIAL_PARTS = [(_pattern_parts(p), what) for p, what in CREDENTIALS]


def credential_hit(candidate: Candidate, tree: bool = False) -> str | None:
    """What secret `candidate` may read (None: none). `tree`: a recursive read of it."""
    text = candidate.text()
    if PUBLIC.search(text) and not tree:
        return None
    for pattern, what in _CREDENTIAL_PARTS:
        if _candidate_hits(candidate.parts, candidate.floating, pattern, tree):
            return what
    return None


# Where "anywhere" credentials (`/**/.ssh/id_*`, `*.key`) are looked for when a whole tree is
# read: homes and the TLS folders, not every directory (`grep -r listen /etc/nginx`). Files
# named one by one (`cat /etc/nginx/ssl/site.key`) are matched everywhere.
_TREE_ROOTS = (("root",), ("home", "*"), ("etc", "ssl"), ("etc", "pki"), ("srv",))


def _candidate_hits(
    parts: tuple[str, ...], floating: bool, pattern: tuple[str, ...], tree: bool
) -> bool:
    if floating:
        # Under an unknown directory: the path may be any tail of the pattern (with at least
        # one fixed component, or every relative path would match `/etc/pve/priv/**`).
        targets = [
            pattern[i:]
            for i in range(len(pattern))
            if pattern[i] != ANY_DIR and any(re.sub(r"[*?\[\]]", "", c) for c in pattern[i:])
        ]
    else:
        targets = [pattern]
    globbed = any(_is_glob(p) for p in parts)
    for target in targets:
        if globbed and target and target[0] == ANY_DIR and not floating:
            # A glob may expand to anything in its directory: "anywhere" credentials count
            # only where they live (homes, TLS folders), as for a recursive read.
            if any(_parts_may_match(parts, (*root, ANY_DIR, *target[1:])) for root in _TREE_ROOTS):
                return True
            continue
        if _parts_may_match(parts, target):
            return True
        if tree and _tree_may_hold(parts, target, floating):
            return True
    return False


def _tree_may_hold(directory: tuple[str, ...], pattern: tuple[str, ...], floating: bool) -> bool:
    if pattern and pattern[0] == ANY_DIR:
        if floating and not directory:
            return True  # `grep -r x .` in an unknown directory
        rooted = [(*root, ANY_DIR, *pattern[1:]) for root in _TREE_ROOTS]
        return any(_prefix_may_match(directory, r) for r in rooted)
    return _prefix_may_match(directory, pattern)


def _prefix_may_match(directory: Sequence[str], pattern: Sequence[str]) -> bool:
    """May something under `directory` match `pattern`?"""
    if not directory:
        return True
    if not pattern:
        return False
    if pattern[0] == ANY_DIR:
        return True
    return _component_may_match(directory[0], pattern[0]) and _prefix_may_match(
        directory[1:], pattern[1:]
    )


def secret_read(word: str, cwd: Sequence[str | None], tree: bool = False) -> str | None:
    """`word` read as a file (or a tree): the secret it may expose, or None."""
    for candidate in candidates(word, cwd):
        hit = credential_hit(candidate, tree)
        if hit:
            return hit
    return None


def protected_hit(word: str, cwd: Sequence[str | None], protected: Iterable[str]) -> str | None:
    """The protected path that `word` may name, a glob counting for the directory it expands
    in (`/*` hits `/`, `/etc/*` hits `/etc`)."""
    targets = [(_pattern_parts(p) if p != "~" else ("~",), p) for p in protected]
    for candidate in candidates(word, cwd) + _home_candidates(word):
        parts = list(candidate.parts)
        while parts and _is_glob(parts[-1]):
            parts.pop()  # `/etc/*`: everything in /etc
        if candidate.floating:
            continue
        for target, name in targets:
            if tuple(parts) == target:
                return name
    return None


def _home_candidates(word: str) -> list[Candidate]:
    if word in ("~", "~/") or (word.startswith("~/") and _is_glob(word[2:].split("/")[0])):
        return [Candidate(("~",))]
    return []


def is_device(word: str) -> bool:
    """A device node that stores data (not /dev/null and friends)."""
    normal = posixpath.normpath(word) if word.startswith("/") else word
    return (
        normal.startswith("/dev/")
        and normal not in HARMLESS_DEVICES
        and not normal.startswith(("/dev/fd/", "/dev/pts/", "/dev/shm/", "/dev/tcp/", "/dev/udp/"))
    )


HARMLESS_DEVICES = frozenset(
    [
        "/dev/null",
        "/dev/zero",
        "/dev/stdout",
        "/dev/stderr",
        "/dev/stdin",
        "/dev/tty",
        "/dev/random",
        "/dev/urandom",
        "/dev/full",
        "/dev/console",
        "/dev/ptmx",
    ]
)
