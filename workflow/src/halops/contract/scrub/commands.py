"""Passwords on the command lines of ops tools: `racadm -p X`, `curl -u user:X`,
`smbclient -U user%X`, `htpasswd -b file user X`, `ipmitool user set password 2 X`...

Each tool is a row in a table: which options carry a secret (and how to cut it out of their
argument), or at which position after which sub-command words it stands. The command is read
the way a shell reads words (quotes, backslash escapes, `\\<newline>` continuations), because the
same password comes quoted in five ways.

Why not a shell parser (bashlex, tree-sitter-bash): the text is not a script. It is tool output,
chat, a command quoted inside a sentence or a JSON string, often not valid shell at all, and a
parser that gives up on the sentence loses the password in it. Only words with their offsets are
needed, which one regex gives; it never fails, it only stops at the end of the simple command.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from halops.contract.scrub.values import not_a_secret

# (rule id, start, end) of one secret value, offsets into the scanned text.
Span = tuple[str, int, int]
# A cutter maps the unquoted argument of an option to the secret's span inside it, or None.
Cutter = Callable[[str], tuple[int, int] | None]

# One shell word: unquoted characters, escapes, quoted runs (never across a line: an unmatched
# quote in prose is a literal), and `<placeholder>` runs so that `-p <password>` or our own
# `<REDACTED:rule>` stay one word.
_WORD_RE = re.compile(
    r"""(?x)
    (?: [^\s'"`\\;|&()<>]
      | \\[^\n]
      | '[^'\n]*'
      | \$'(?:[^'\\\n]|\\.)*'
      | "(?:[^"\\\n]|\\.)*"
      | <[\w.:/@-][\w .:/@-]*>
      | ['"<>]
    )+"""
)
# Where a simple command ends: a newline that is not escaped, or a control operator.
_COMMAND_END_RE = re.compile(r"(?<!\\)\n|[;|&`()]")
_REDIRECT_RE = re.compile(r"^\d*(?:[<>]{1,2}|&>|>&|<<<?)$")


@dataclass(frozen=True)
class Word:
    text: str  # the raw word as written, quotes included
    start: int
    end: int

    def value(self, skip: int = 0) -> tuple[str, int, int]:
        """The word without its outer quotes, from character ``skip`` on, with its span."""
        start, raw = self.start + skip, self.text[skip:]
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
            return raw[1:-1], start + 1, self.end - 1
        if raw.startswith("$'") and raw.endswith("'") and len(raw) >= 3:
            return raw[2:-1], start + 2, self.end - 1
        return raw, start, self.end


def command_words(text: str, start: int) -> list[Word]:
    """The words of the simple command that begins at ``start`` (up to `;`, `|`, `&&`, a
    newline...). Line continuations are blanked to spaces first: same length, same offsets."""
    scan = text.replace("\\\n", "  ")
    words: list[Word] = []
    position = start
    while True:
        match = _WORD_RE.search(scan, position)
        end = _COMMAND_END_RE.search(scan, position)
        if not match or (end and end.start() < match.start()):
            return words
        words.append(Word(text[match.start() : match.end()], match.start(), match.end()))
        position = match.end()


def _without_redirections(words: list[Word]) -> list[Word]:
    kept: list[Word] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif _REDIRECT_RE.match(word.text):
            skip = True
        elif not re.match(r"^\d*[<>]", word.text) or re.match(r"^<[^<>]+>$", word.text):
            kept.append(word)
    return kept


# --- cutters -------------------------------------------------------------------------------------


def whole(value: str) -> tuple[int, int] | None:
    return (0, len(value)) if value else None


def after(separator: str) -> Cutter:
    """`user:secret` (curl), `user%secret` (Samba), `user,secret` (lftp): no separator means the
    tool will prompt, so there is no secret."""

    def cut(value: str) -> tuple[int, int] | None:
        index = value.find(separator)
        return (index + 1, len(value)) if index >= 0 and index + 1 < len(value) else None

    return cut


def between(first: str, last: str) -> Cutter:
    """`user:secret@host` (govc, Lenovo onecli --bmc): from ``first`` to the last ``last``."""

    def cut(value: str) -> tuple[int, int] | None:
        start, end = value.find(first), value.rfind(last)
        return (start + 1, end) if 0 <= start < end - 1 else None

    return cut


def openssl_passphrase(value: str) -> tuple[int, int] | None:
    """openssl's pass phrase arguments: only `pass:X` holds the secret; `env:`, `file:`, `fd:`
    and `stdin` say where it is."""
    return (5, len(value)) if value.startswith("pass:") and len(value) > 5 else None


# --- option rules ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionRule:
    """Options of ``programs`` whose argument holds a secret, in every spelling: `-p X`, `-pX`
    (short options only), `--password=X`, `--password X`, `-xw X` (a short-flag cluster)."""

    id: str
    programs: tuple[str, ...]
    options: tuple[str, ...]
    cut: Cutter = whole
    # Only after this sub-command word (`docker login -p`, not `docker run -p 80:80`).
    subcommand: str | None = None
    # mysql's `-p secret` means "prompt, then use database secret": only `-psecret` counts.
    attached_only: bool = False
    # Single-dash long options (openssl's `-k` next to `-keyout`) take no attached value.
    attached: bool = True
    # Values that are this tool's documented default, not a secret (`snmpwalk -c public`).
    defaults: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PositionalRule:
    """A secret given as a plain argument: the ``index``-th plain word (``-1``: the last) after
    the sub-command words ``path`` (regexes, matched whole and case-insensitively, standing
    anywhere among the plain words), skipping options and the arguments of ``valued``."""

    id: str
    programs: tuple[str, ...]
    path: tuple[str, ...]
    index: int
    valued: frozenset[str] = frozenset()
    # The rule applies only when a short-flag cluster holds this letter (`htpasswd -b`).
    needs_flag: str | None = None
    # ... or when some word (an option's argument too) matches this (`-o cfgUserAdminPassword`).
    needs_word: str | None = None
    # At least this many plain words after the path (`htpasswd -nb user pass`: 2).
    min_words: int = 1
    # With this flag the secret moves to stdin (`openssl passwd -stdin`).
    unless_flag: str | None = None


_IPMITOOL_VALUED = frozenset(
    [
        "-I",
        "-H",
        "-U",
        "-P",
        "-p",
        "-L",
        "-A",
        "-C",
        "-k",
        "-y",
        "-f",
        "-o",
        "-O",
        "-e",
        "-t",
        "-b",
        "-T",
        "-B",
        "-m",
        "-N",
        "-R",
        "-z",
        "-S",
        "-D",
        "-Y",
        "-l",
        "-s",
    ]
)

OPTION_RULES: tuple[OptionRule, ...] = (
    OptionRule("ipmitool-password", ("ipmitool", "ipmiutil"), ("-P", "-k", "-y")),
    OptionRule(
        "freeipmi-password",
        (
            "ipmi-sensors",
            "ipmi-sel",
            "ipmi-chassis",
            "ipmipower",
            "ipmiconsole",
            "ipmi-config",
            "bmc-info",
            "ipmi-fru",
            "ipmi-oem",
            "ipmi-raw",
            "ipmi-dcmi",
            "bmc-device",
            "ipmimonitoring",
            "ipmi-pef-config",
            "ipmi-sensors-config",
            "ipmiping",
            "ipmi-pet",
        ),
        ("-p", "--password", "-k", "--k-g"),
    ),
    OptionRule("racadm-password", ("racadm", "racadm.exe"), ("-p",)),
    OptionRule("bmc-cli-password", ("ilorest", "redfishtool", "sum", "hponcfg"), ("-p",)),
    OptionRule("sshpass-password", ("sshpass",), ("-p",)),
    OptionRule("putty-password", ("plink", "pscp", "psftp", "putty", "kitty"), ("-pw",)),
    OptionRule(
        "mysql-password",
        (
            "mysql",
            "mysqldump",
            "mysqladmin",
            "mysqlimport",
            "mysqlshow",
            "mysqlcheck",
            "mysqlpump",
            "mysqlsh",
            "mysqlbinlog",
            "mysqlslap",
            "mysql_upgrade",
            "mariadb",
            "mariadb-dump",
            "mariadb-admin",
            "mariadb-check",
            "mariadb-import",
            "mariadb-backup",
            "mariabackup",
            "xtrabackup",
            "innobackupex",
        ),
        ("-p",),
        attached_only=True,
    ),
    OptionRule("mysql-password", ("mydumper", "myloader"), ("-p",)),
    OptionRule(
        "mongodb-password",
        (
            "mongo",
            "mongosh",
            "mongodump",
            "mongorestore",
            "mongoexport",
            "mongoimport",
            "mongostat",
            "mongotop",
            "mongofiles",
        ),
        ("-p", "--password"),
    ),
    OptionRule(
        "redis-password",
        ("redis-cli", "redis-benchmark", "keydb-cli", "valkey-cli", "redis-sentinel"),
        ("-a", "--pass"),
    ),
    OptionRule(
        "ldap-password",
        (
            "ldapsearch",
            "ldapadd",
            "ldapmodify",
            "ldapdelete",
            "ldapmodrdn",
            "ldapcompare",
            "ldapwhoami",
            "ldapexop",
            "ldapvc",
            "ldapurl",
        ),
        ("-w",),
    ),
    OptionRule("ldap-password", ("ldappasswd",), ("-w", "-s", "-a")),
    OptionRule("slappasswd-secret", ("slappasswd",), ("-s",)),
    OptionRule(
        "smb-password",
        (
            "smbclient",
            "rpcclient",
            "smbcacls",
            "smbget",
            "smbtree",
            "smbcquotas",
            "net",
            "winexe",
            "wmic",
            "samba-tool",
            "pth-winexe",
            "pth-smbclient",
            "pth-wmic",
            "smbspool",
            "mount.smb3",
        ),
        ("-U", "--user", "--username"),
        cut=after("%"),
    ),
    OptionRule(
        "smb-password",
        (
            "smbmap",
            "crackmapexec",
            "cme",
            "nxc",
            "netexec",
            "evil-winrm",
            "hydra",
            "medusa",
            "ncrack",
            "kerbrute",
            "enum4linux",
            "enum4linux-ng",
            "rdesktop",
            "ncftp",
            "ncftpget",
            "ncftpput",
            "ncftpls",
        ),
        ("-p", "-H", "--password", "--hash", "--hashes"),
    ),
    OptionRule(
        "curl-user",
        ("curl",),
        ("-u", "--user", "-U", "--proxy-user", "-E", "--cert", "--proxy-cert"),
        cut=after(":"),
    ),
    OptionRule("curl-user", ("curl",), ("--pass", "--proxy-pass", "--oauth2-bearer")),
    OptionRule(
        "wget-password",
        ("wget", "wget2"),
        (
            "--password",
            "--http-password",
            "--http-passwd",
            "--ftp-password",
            "--ftp-passwd",
            "--proxy-password",
            "--proxy-passwd",
        ),
    ),
    OptionRule("lftp-password", ("lftp", "open"), ("-u", "--user"), cut=after(",")),
    OptionRule(
        "registry-login-password",
        (
            "docker",
            "podman",
            "buildah",
            "nerdctl",
            "skopeo",
            "crane",
            "oras",
            "helm",
            "regctl",
            "finch",
            "singularity",
            "apptainer",
            "cosign",
        ),
        ("-p", "--password"),
        subcommand="login",
    ),
    OptionRule(
        "registry-login-password",
        ("skopeo", "buildah", "podman", "crane"),
        ("--creds", "--src-creds", "--dest-creds", "--screds", "--dcreds", "--from-creds"),
        cut=after(":"),
    ),
    OptionRule("az-login-password", ("az",), ("-p", "--password"), subcommand="login"),
    OptionRule(
        "snmp-community",
        (
            "snmpwalk",
            "snmpget",
            "snmpgetnext",
            "snmpbulkwalk",
            "snmpbulkget",
            "snmpset",
            "snmptable",
            "snmptrap",
            "snmpinform",
            "snmpstatus",
            "snmpdf",
            "snmpnetstat",
            "snmpdelta",
            "snmptest",
            "snmpusm",
            "snmpvacm",
            "snmp-check",
            "snmpcheck",
            "braa",
            "snmptranslate",
        ),
        ("-c",),
        defaults=frozenset({"public"}),
    ),
    OptionRule(
        "snmp-v3-secret",
        (
            "snmpwalk",
            "snmpget",
            "snmpgetnext",
            "snmpbulkwalk",
            "snmpbulkget",
            "snmpset",
            "snmptable",
            "snmptrap",
            "snmpinform",
            "snmpstatus",
            "snmpdf",
            "snmpnetstat",
            "snmpdelta",
            "snmptest",
            "snmpusm",
            "snmpvacm",
            "net-snmp-create-v3-user",
            "net-snmp-config",
        ),
        ("-A", "-X", "-3m", "-3M", "-3k", "-3K"),
    ),
    OptionRule(
        "openssl-passphrase",
        ("openssl",),
        ("-passin", "-passout", "-pass", "-password", "-passphrase", "-kpass"),
        cut=openssl_passphrase,
    ),
    OptionRule("openssl-passphrase", ("openssl",), ("-k",), attached=False),
    OptionRule("ssh-keygen-passphrase", ("ssh-keygen",), ("-N", "-P")),
    OptionRule(
        "keytool-password",
        ("keytool",),
        (
            "-storepass",
            "-keypass",
            "-srcstorepass",
            "-deststorepass",
            "-srckeypass",
            "-destkeypass",
            "-new",
        ),
    ),
    OptionRule(
        "archive-password", ("7z", "7za", "7zr", "rar", "unrar"), ("-p",), attached_only=True
    ),
    OptionRule("archive-password", ("zip", "unzip", "zipcloak"), ("-P", "--password")),
    OptionRule("rdp-password", ("xfreerdp", "xfreerdp3", "wlfreerdp", "sdl-freerdp"), ("/p:",)),
    OptionRule("rdp-password", ("xfreerdp", "xfreerdp3", "wlfreerdp", "sdl-freerdp"), ("/pth:",)),
    OptionRule("vnc-password", ("x11vnc", "vncviewer", "tigervnc"), ("-passwd", "-viewpasswd")),
    OptionRule("password-hash", ("useradd", "usermod", "adduser"), ("-p", "--password")),
    OptionRule("mqtt-password", ("mosquitto_pub", "mosquitto_sub", "mosquitto_rr"), ("-P", "--pw")),
    OptionRule("sqlserver-password", ("sqlcmd", "bcp", "osql"), ("-P",)),
    OptionRule("influx-credential", ("influx",), ("-password", "-p", "-t", "--token")),
    OptionRule("doveadm-password", ("doveadm",), ("-p",)),
    OptionRule("cassandra-password", ("cqlsh", "nodetool"), ("-p", "-pw", "--password")),
    OptionRule("rabbitmq-password", ("rabbitmqadmin",), ("-p", "--password")),
    OptionRule("etcd-password", ("etcdctl",), ("--user",), cut=after(":")),
    OptionRule("smb-password", ("wbinfo",), ("--set-auth-user",), cut=after("%")),
    OptionRule("bmc-cli-password", ("onecli", "OneCli"), ("--bmc", "--imm"), cut=between(":", "@")),
    OptionRule("vsphere-password", ("govc",), ("-u",), cut=between(":", "@")),
    OptionRule("windows-password", ("psexec", "psexec.exe", "PsExec", "PsExec64.exe"), ("-p",)),
    OptionRule("windows-password", ("schtasks", "schtasks.exe"), ("/RP", "/rp"), attached=False),
    OptionRule("windows-password", ("cmdkey", "cmdkey.exe"), ("/pass:",)),
    OptionRule("ansible-password", ("ansible", "ansible-playbook"), ("--vault-password",)),
    OptionRule("wifi-passphrase", ("iwctl",), ("--passphrase",)),
    OptionRule("vault-token", ("vault", "consul", "nomad", "boundary"), ("-token", "--token")),
    OptionRule("kubeadm-certificate-key", ("kubeadm", "kubeadm.exe"), ("--certificate-key",)),
    OptionRule(
        "cluster-join-token",
        ("kubeadm", "kubeadm.exe", "k3s", "rke2", "k0s", "microk8s"),
        ("--token", "--agent-token", "--cluster-secret", "--token-file-content"),
    ),
)

_SMBCLIENT_VALUED = frozenset(
    [
        "-U",
        "-W",
        "-p",
        "-I",
        "-m",
        "-O",
        "-R",
        "-s",
        "-l",
        "-d",
        "-n",
        "-i",
        "-t",
        "-T",
        "-D",
        "-c",
        "-b",
        "-A",
        "-E",
        "-M",
        "-L",
        "--user",
        "--workgroup",
        "--port",
        "--command",
        "--directory",
        "--authentication-file",
        "--configfile",
        "--debuglevel",
    ]
)

POSITIONAL_RULES: tuple[PositionalRule, ...] = (
    # ipmitool [options] user set password <id> <password> [16|20]
    PositionalRule(
        "ipmitool-password", ("ipmitool",), ("user", "set", "password", r"\d+"), 0, _IPMITOOL_VALUED
    ),
    PositionalRule(
        "ipmitool-password", ("ipmitool",), ("lan", "set", r"\d+", "password"), 0, _IPMITOOL_VALUED
    ),
    # htpasswd -b[c|n|B|m|s|p|C N] [passwordfile] username password
    PositionalRule(
        "htpasswd-password",
        ("htpasswd",),
        (),
        -1,
        frozenset({"-C", "-r"}),
        needs_flag="b",
        min_words=2,
    ),
    PositionalRule("htpasswd-password", ("mosquitto_passwd",), (), -1, needs_flag="b", min_words=3),
    PositionalRule(
        "password-hash-input",
        ("openssl",),
        ("passwd",),
        -1,
        frozenset({"-salt", "-in", "-table"}),
        unless_flag="-stdin",
    ),
    PositionalRule(
        "password-hash-input",
        ("mkpasswd",),
        (),
        0,
        frozenset({"-m", "-S", "-R", "--method", "--salt", "--rounds", "-P"}),
        unless_flag="--stdin",
    ),
    PositionalRule(
        "mysqladmin-password",
        ("mysqladmin", "mariadb-admin"),
        ("password",),
        0,
        frozenset({"-u", "-h", "-P", "-S", "--user", "--host", "--port"}),
    ),
    PositionalRule(
        "rabbitmq-password", ("rabbitmqctl",), ("add_user|change_password",), 1, min_words=2
    ),
    PositionalRule("wifi-passphrase", ("wpa_passphrase",), (), 1, min_words=2),
    PositionalRule("windows-net-user", ("net", "net.exe"), ("user",), 1, min_words=2),
    PositionalRule("supermicro-password", ("SMCIPMITool", "smcipmitool"), (), 2, min_words=3),
    PositionalRule(
        "ceph-dashboard-password", ("ceph",), ("dashboard", "set-login-credentials"), 1, min_words=2
    ),
    PositionalRule(
        "racadm-password",
        ("racadm",),
        ("set", r"idrac\.users\.\d+\.password"),
        0,
        frozenset({"-r", "-u", "-p"}),
    ),
    PositionalRule(
        "racadm-password",
        ("racadm",),
        ("config",),
        -1,
        frozenset({"-g", "-i", "-o", "-r", "-u", "-p"}),
        needs_word=r"(?i)cfg\w*passw(?:or)?d",
    ),
    PositionalRule(
        "vault-token",
        ("vault",),
        ("login",),
        0,
        frozenset({"-method", "-path", "-address", "-namespace"}),
    ),
    PositionalRule("smb-password", ("smbclient",), (r"//\S+|\\\\\S+",), 0, _SMBCLIENT_VALUED),
    PositionalRule("smb-password", ("net",), ("rpc", "password", r"\S+"), 0),
    PositionalRule("s3-secret-key", ("mc", "mcli"), ("alias", "set", r"\S+", r"\S+", r"\S+"), 0),
    PositionalRule(
        "s3-secret-key", ("mc", "mcli"), ("config", "host", "add", r"\S+", r"\S+", r"\S+"), 0
    ),
    PositionalRule("vault-unseal-key", ("vault",), ("operator", "unseal"), 0),
    PositionalRule("ngrok-token", ("ngrok",), ("add-authtoken|authtoken",), 0),
    PositionalRule(
        "grafana-admin-password", ("grafana-cli", "grafana"), ("admin", "reset-admin-password"), 0
    ),
    PositionalRule(
        "aws-configure-secret",
        ("aws",),
        ("configure", "set", r"\S*(?:secret|token|password)\S*"),
        0,
    ),
)


# Candidate program words: a word not glued to a preceding word (a path before it is fine:
# `/opt/dell/srvadmin/sbin/racadm`). One C-level pass finds them; a set lookup picks the known
# programs. (An alternation of 200 names in one regex was three times slower.)
_CANDIDATE_RE = re.compile(r"(?<![\w.\-$])[A-Za-z0-9][\w.+-]*")
_PROGRAMS = frozenset(name for rule in (*OPTION_RULES, *POSITIONAL_RULES) for name in rule.programs)
_OPTION_RULES_BY_PROGRAM: dict[str, list[OptionRule]] = {}
_POSITIONAL_RULES_BY_PROGRAM: dict[str, list[PositionalRule]] = {}
for _rule in OPTION_RULES:
    for _name in _rule.programs:
        _OPTION_RULES_BY_PROGRAM.setdefault(_name, []).append(_rule)
for _prule in POSITIONAL_RULES:
    for _name in _prule.programs:
        _POSITIONAL_RULES_BY_PROGRAM.setdefault(_name, []).append(_prule)


def _secret(
    rule_id: str, word: Word, cut: Cutter, skip: int = 0, defaults: frozenset[str] = frozenset()
) -> Span | None:
    value, start, _ = word.value(skip)
    piece = cut(value)
    if piece is None:
        return None
    secret = value[piece[0] : piece[1]]
    if not_a_secret(secret, code=False) or secret in defaults:
        return None
    return rule_id, start + piece[0], start + piece[1]


def _option_value(rule: OptionRule, words: list[Word], index: int) -> Span | None:
    """The secret carried by ``words[index]`` (and maybe the next word) under ``rule``."""
    text = words[index].text
    following = words[index + 1] if index + 1 < len(words) else None
    for option in rule.options:
        long_form = option.startswith("--") or len(option) > 2
        if text == option and not rule.attached_only:
            if following is None or (following.text.startswith("-") and len(following.text) > 1):
                return None
            return _secret(rule.id, following, rule.cut, defaults=rule.defaults)
        if long_form and text.startswith(option + "="):
            return _secret(rule.id, words[index], rule.cut, len(option) + 1, rule.defaults)
        if option.endswith(":") and text.startswith(option) and len(text) > len(option):
            return _secret(rule.id, words[index], rule.cut, len(option), rule.defaults)
        attachable = not long_form and rule.attached
        if attachable and text.startswith(option) and len(text) > len(option):
            return _secret(rule.id, words[index], rule.cut, len(option), rule.defaults)
        cluster = re.fullmatch(rf"-[A-Za-z]+{re.escape(option[1:])}", text)
        takes_next = not long_form and cluster and not rule.attached_only
        if takes_next and following is not None and not following.text.startswith("-"):
            return _secret(rule.id, following, rule.cut, defaults=rule.defaults)
    return None


def _option_spans(program: str, words: list[Word]) -> Iterator[Span]:
    for rule in _OPTION_RULES_BY_PROGRAM.get(program, ()):
        if rule.subcommand and not any(w.text == rule.subcommand for w in words):
            continue
        for index in range(len(words)):
            span = _option_value(rule, words, index)
            if span:
                yield span


def _plain_words(words: list[Word], valued: frozenset[str]) -> list[Word]:
    plain: list[Word] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word.text.startswith("-") and len(word.text) > 1:
            skip = word.text in valued
        else:
            plain.append(word)
    return plain


def _path_end(plain: list[Word], path: tuple[str, ...]) -> int | None:
    """Index in ``plain`` just after the sub-command words ``path``, which may stand anywhere."""
    patterns = [re.compile(part, re.IGNORECASE) for part in path]
    for start in range(len(plain) - len(path) + 1):
        window = plain[start : start + len(path)]
        if all(p.fullmatch(w.text) for p, w in zip(patterns, window, strict=True)):
            return start + len(path)
    return None


def _positional_spans(program: str, words: list[Word]) -> Iterator[Span]:
    for rule in _POSITIONAL_RULES_BY_PROGRAM.get(program, ()):
        flags = [w.text for w in words if re.match(r"^-[A-Za-z]+$", w.text)]
        if rule.needs_flag and not any(rule.needs_flag in flag[1:] for flag in flags):
            continue
        if rule.needs_word and not any(re.fullmatch(rule.needs_word, w.text) for w in words):
            continue
        if rule.unless_flag and any(w.text == rule.unless_flag for w in words):
            continue
        plain = _plain_words(words, rule.valued)
        after_path = _path_end(plain, rule.path)
        if after_path is None:
            continue
        rest = plain[after_path:]
        if len(rest) < rule.min_words or rule.index >= len(rest):
            continue
        span = _secret(rule.id, rest[rule.index], whole)
        if span:
            yield span


def command_spans(text: str, lowered: str) -> Iterator[Span]:
    """Secrets in the command lines of known ops tools anywhere in ``text``."""
    for match in _CANDIDATE_RE.finditer(text):
        program = match.group().rstrip(".")
        if program not in _PROGRAMS:
            continue
        words = _without_redirections(command_words(text, match.start() + len(program)))
        yield from _option_spans(program, words)
        yield from _positional_spans(program, words)
