"""The project's regex rules: what detect-secrets and the Betterleaks catalogue miss in
infrastructure work. One rule per shape, grouped by class:

- keyword assignments and flags (`DB_PASS=x`, `--cipassword x`, `password: x`, `"token": "x"`);
- credential files as `cat` shows them (.pgpass, .netrc, docker config.json, ceph keyrings,
  kubeconfig, k3s node-token, WireGuard, wpa_supplicant, shadow and htpasswd hashes, PEM);
- cluster join tokens and keys (kubeadm, k3s, swarm, Vault init output), pager/alerting keys;
- secrets handed to stdin (`echo X | sudo -S`), SQL `IDENTIFIED BY 'x'`, network-device config;
- plain prose in chat ("the BMC is still admin / X", "the password is X").

A rule's named groups starting with ``secret`` mark the value (one per quoting style; the first
that matched wins). ``prose`` rules judge their value harder (:func:`values.is_passwordish`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from halops.contract.scrub.values import OWN_MARKER_RE, is_passwordish, not_a_secret

Span = tuple[str, int, int]


@dataclass(frozen=True)
class Rule:
    id: str
    pattern: re.Pattern[str]
    # Lower-case substrings of which one must occur for the rule to run at all: a cheap `in`
    # test that skips most regex work on most text (empty: always run).
    needles: tuple[str, ...] = ()
    # Prose: the value must read like a password, not like the next English word.
    prose: bool = False
    # An extra test on the value (decoded key material, a token's shape...).
    check: Callable[[str], bool] | None = None
    # Values that are documented defaults of this context, not secrets.
    defaults: frozenset[str] = frozenset()
    # Prose: a plain word (letters only) counts only when its line also matches this.
    context: re.Pattern[str] | None = None
    # The value may be a code expression (`password = args.password`), not the secret itself.
    code: bool = False


def _rule(
    rule_id: str,
    pattern: str,
    needles: tuple[str, ...] = (),
    flags: int = 0,
    **kwargs: object,
) -> Rule:
    return Rule(rule_id, re.compile(pattern, flags), needles, **kwargs)  # type: ignore[arg-type]


def value(suffix: str = "", bare: str = r"[^\s\"'`;|&(),<>\\](?:[^\s\"'`;|&(),\\]|\\.)*") -> str:
    """A value in any quoting: "double" (with \\" escapes), 'single', $'ansi-c' or bare. Group
    names carry ``suffix`` so one pattern can hold several values."""
    return (
        rf"""(?:"(?P<secret_dq{suffix}>(?:[^"\\\n]|\\.)+)\""""
        rf"""|'(?P<secret_sq{suffix}>[^'\n]+)'"""
        rf"""|\$'(?P<secret_ansi{suffix}>(?:[^'\\\n]|\\.)+)'"""
        rf"""|(?P<secret{suffix}>{bare}))"""
    )


_VALUE = value()
# YAML / INI values may hold commas and parentheses; they end at the line's end or a comment.
_LINE_VALUE = value(bare=r"[^\s\"'#][^\s#]*")
# The end of a key: `_pass`, `Password`, `community`... (`bypass` and `compass` are not keys).
_KEYWORD = (
    r"(?:passw(?:or)?d|passphrase|(?<!by)(?<!com)(?<!sur)(?<!tres)(?<!over)(?<!under)pass"
    r"|pwd|pw|(?<!existing)(?<!existing[_-])secret|token|api[_-]?key|apikey|access[_-]?key"
    r"|secret[_-]?key"
    r"|private[_-]?key|auth[_-]?key|authkey|routing[_-]?key|service[_-]?key"
    r"|integration[_-]?key|setup[_-]?key|master[_-]?key|encryption[_-]?key|signing[_-]?key"
    r"|(?:pre[_-]?)?shared[_-]?key|psk|community|credentials?|secret[_-]?id|webhook[_-]?url"
    r"|account[_-]?key|user[_-]?key|app[_-]?key|license[_-]?key|unseal[_-]?key|join[_-]?key)"
)
# Prose values may also be `backticked` (Markdown), and lose a sentence's full stop.
_PROSE_VALUE = (
    r"(?:`(?P<secret_bt>[^`\n]+)`|" + value(bare=r"[^\s\"'`<>]+?(?=[.,;:!?)]*(?:\s|$))") + ")"
)
_PROSE_PAIR_VALUE = (
    r"(?:`(?P<secret_bt>[^`\n]+)`|" + value(bare=r"[^\s\"'`<>/]+?(?=[.,;:!?)]*(?:\s|$))") + ")"
)
_CREDENTIAL_CONTEXT = re.compile(
    r"(?i)\b(?:bmc|idrac|ilo|ipmi|imm|xcc|ipmitool|racadm|login|log in|creds?|credentials"
    r"|password|passwd|pw|default|still|console|web ?ui|gui|account|user(?:name)?)\b"
)


def _not_a_port(value: str) -> bool:
    """`host:5000` is an address, not `user:password`."""
    return not value.isdigit()


# An Authorization header with its scheme and nothing after it carries no secret.
_AUTH_SCHEMES = frozenset(
    [
        "bearer",
        "basic",
        "token",
        "bot",
        "digest",
        "apikey",
        "ssws",
        "negotiate",
        "geniekey",
        "key",
        "sso-key",
        "ntlm",
    ]
)
KEYWORD_NEEDLES = (
    "pass",
    "pwd",
    "pw",
    "secret",
    "token",
    "key",
    "psk",
    "community",
    "cred",
    "webhook",
)
# Flags that switch a behaviour on, not options that take the secret (`--ask-become-pass`).
_FLAG_PREFIXES = (
    r"(?!(?:no|ask|prompt|without|use|save|skip|remember|reset|show|print|store|allow|require"
    r"|read|generate|random|empty|insecure|change|expire|force)-)"
)

RULES: tuple[Rule, ...] = (
    # --- keyword assignments and flags (any program, any file format) -------------------------
    # `--password X`, `--cipassword=X`, `-storepass X`, `--token X`; not `--password-file`,
    # `--no-password`, `--ask-pass` (flags), nor `--discovery-token-ca-cert-hash` (not the end).
    _rule(
        "cli-secret-flag",
        # The option name is lower case (PowerShell's `-Password` aside): `-pS3cretPw` is
        # mysql's attached password, not an option named "...pw".
        rf"(?<![\w-])--?(?!-){_FLAG_PREFIXES}[A-Za-z]?[a-z0-9_-]*?(?i:{_KEYWORD})"
        rf"(?:=|[ \t]+(?!-)){_VALUE}",
        KEYWORD_NEEDLES,
        code=True,
    ),
    # `DB_PASS=x`, `password = "x"`, `?token=x`, `Password=x;` (connection strings).
    _rule(
        "secret-assignment",
        # Matched from the keyword on (the key's start does not matter, and a lazy prefix
        # before it made this the costliest rule).
        rf"(?i){_KEYWORD}[ \t]*=[ \t]*{_VALUE}",
        KEYWORD_NEEDLES,
        code=True,
    ),
    # YAML / INI / LDIF lines `db_password: x`, `userPassword:: e1NTSEF9...`; anchored on the
    # line so that prose ("Password: see the vault entry") is left to the prose rules.
    _rule(
        "secret-yaml",
        rf"(?im)^[ \t]*(?:-[ \t]+)?[\"']?[\w.-]*?{_KEYWORD}[\"']?[ \t]*:{{1,2}}[ \t]*{_LINE_VALUE}"
        r"[ \t]*,?[ \t]*(?:#.*)?$",
        KEYWORD_NEEDLES,
        code=True,
    ),
    # JSON / Python dict entries on one line: `{"password": "x", ...}`.
    _rule(
        "secret-json",
        rf"""(?i)["'][\w.-]*?{_KEYWORD}["'][ \t]*:[ \t]*{value(bare=r"(?!)")}""",
        KEYWORD_NEEDLES,
        code=True,
    ),
    # `requirepass x`, `masterauth x` (redis.conf, `CONFIG SET requirepass x`).
    _rule(
        "redis-password",
        rf"(?i)\bconfig[ \t]+set[ \t]+(?:requirepass|masterauth)[ \t]+{_VALUE}",
        ("requirepass", "masterauth"),
    ),
    _rule(
        "redis-password",
        rf"(?im)^[ \t]*(?:requirepass|masterauth)[ \t]+{_VALUE}[ \t]*$",
        ("requirepass", "masterauth"),
    ),
    # `AUTH x` / `AUTH user x` typed at a redis-cli prompt (`127.0.0.1:6379>`); a bare `auth`
    # line is PAM's (`auth required pam_unix.so`).
    _rule(
        "redis-password",
        rf"(?im)^\S*:\d+(?:\[\d+\])?>[ \t]*auth[ \t]+(?:[\w.-]+[ \t]+)?{_VALUE}[ \t]*$",
        ("auth",),
    ),
    # SQL: `IDENTIFIED BY 'x'`, `PASSWORD 'x'`, `SET PASSWORD = PASSWORD('x')`.
    _rule(
        "sql-password",
        r"(?i)\b(?:identified\s+(?:with\s+\w+\s+)?by|(?:encrypted\s+)?password\s*(?:=\s*)?"
        r"(?:password\s*\()?)\s*(?:'(?P<secret_sq>[^'\n]+)'|\"(?P<secret_dq>[^\"\n]+)\")",
        ("identified", "password"),
    ),
    # --- credential files --------------------------------------------------------------------
    # ~/.pgpass: hostname:port:database:username:password
    _rule(
        "pgpass",
        r"(?m)^[ \t]*(?:[^:\s#]|\\:)+:(?:\d{1,5}|\*):(?:[^:\s]|\\:)+:(?:[^:\s]|\\:)+:"
        r"(?P<secret>(?:[^:\s]|\\:)+)[ \t]*$",
        (":",),
    ),
    # ~/.netrc: tokens in any order, across lines: `machine h login u password p`.
    _rule(
        "netrc-password",
        r"(?i)\b(?:machine\s+\S+|default)(?:\s+(?:login|account|port)\s+\S+)*\s+password\s+"
        r"(?P<secret>\S+)",
        ("machine", "default"),
    ),
    _rule("netrc-password", r"(?i)\blogin[ \t]+\S+[ \t]+password[ \t]+(?P<secret>\S+)", ("login",)),
    # docker / podman config.json: `"auth": "dXNlcjpwYXNz"`, identity and registry tokens.
    _rule(
        "registry-auth",
        r"(?i)[\"'](?:auth|identitytoken|registrytoken|\.dockerconfigjson|\.dockercfg)[\"']?"
        r"[ \t]*:[ \t]*[\"']?(?P<secret>[A-Za-z0-9+/_=.-]{12,})",
        ("auth", "identitytoken", "registrytoken", "dockercfg", "dockerconfigjson"),
    ),
    # ceph keyrings (`key = AQ...==`) and bare ceph secrets anywhere (`secret=AQ...`).
    _rule(
        "ceph-key", r"(?im)^[ \t]*key[ \t]*=[ \t]*(?P<secret>[A-Za-z0-9+/]{20,}={0,2})", ("key",)
    ),
    _rule("ceph-key", r"\b(?P<secret>AQ[A-Za-z0-9+/]{36}==)", ("aq",)),
    # kubeconfig: client-key-data, and any base64 that decodes to a PEM private key.
    _rule(
        "kubeconfig-key-data",
        r"(?i)\bclient-key-data[\"']?[ \t]*:[ \t]*[\"']?(?P<secret>[A-Za-z0-9+/=]{16,})",
        ("client-key-data",),
    ),
    _rule(
        "base64-private-key",
        r"(?P<secret>LS0tLS1CRUdJTi[A-Za-z0-9+/]{20,}={0,2})",
        ("ls0tls1crudjti",),
        check=lambda v: b"PRIVATE KEY" in _b64_prefix(v),
    ),
    # k3s / rke2 node-token: K10<sha256 of the CA>::<user>:<password>
    _rule("k3s-token", r"\b(?P<secret>K10[0-9a-f]{32,64}::[\w.-]+:[A-Za-z0-9]{8,})", ("k10",)),
    _rule("k3s-token", r"\b(?P<secret>K10[0-9a-f]{32,64}::[A-Za-z0-9]{8,})", ("k10",)),
    # kubeadm bootstrap tokens ([a-z0-9]{6}.[a-z0-9]{16}) wherever they stand (token list,
    # join commands, kubeconfig); the mixed letters-and-digits test keeps host names out.
    _rule(
        "kubeadm-token",
        r"(?<![\w.-])(?P<secret>[a-z0-9]{6}\.[a-z0-9]{16})(?![\w.-])",
        (".",),
        check=lambda v: len(re.findall(r"\d", v)) >= 2 and len(re.findall(r"[a-z]", v)) >= 4,
    ),
    _rule(
        "kubeadm-certificate-key",
        r"(?i)certificate[ _-]key[\"']?\s*[:=]?\s*(?P<secret>[0-9a-f]{64})\b",
        ("certificate",),
    ),
    _rule(
        "swarm-token", r"\b(?P<secret>SWM(?:TKN|KEY)-1-[A-Za-z0-9+/_-]{20,})", ("swmtkn", "swmkey")
    ),
    _rule(
        "microk8s-join",
        r"\bmicrok8s\s+join\s+[\w.:-]+/(?P<secret>[0-9a-f]{16,}(?:/\S+)?)",
        ("microk8s",),
    ),
    # `vault operator init`: `Unseal Key 1: ...`, `Initial Root Token: hvs...`.
    _rule(
        "vault-init",
        r"(?i)\b(?:unseal key \d+|recovery key \d+|initial root token)\s*(?:\(\w+\))?\s*:\s*"
        r"(?P<secret>\S+)",
        ("unseal", "recovery", "root token"),
    ),
    _rule(
        "vault-token",
        r"(?<![\w.])(?P<secret>hv[sbr]\.[A-Za-z0-9_-]{20,})",
        ("hvs.", "hvb.", "hvr."),
    ),
    # Consul / Nomad / Vault AppRole: `Secret ID = <uuid>`, `SecretID: <uuid>`.
    _rule(
        "secret-id",
        r"(?i)\bsecret[ _-]?id[\"']?\s*[=:]\s*[\"']?(?P<secret>[0-9a-f]{8}(?:-[0-9a-f]{4}){3}"
        r"-[0-9a-f]{12})",
        ("secret",),
    ),
    # Proxmox `pveum user token add` prints the secret once, in a box table row `value`.
    _rule(
        "pve-token-value",
        r"(?im)^[\s│|]*value[\s│|]+(?P<secret>[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})",
        ("value",),
    ),
    # slurmdbd.conf StoragePass, chap-secrets, ipsec.secrets, WireGuard, wpa_supplicant...
    _rule(
        "wireguard-key",
        r"(?im)^[ \t]*(?:PrivateKey|PresharedKey)[ \t]*=[ \t]*(?P<secret>[A-Za-z0-9+/]{42,43}=)",
        ("privatekey", "presharedkey"),
    ),
    _rule(
        "wifi-psk",
        rf"(?im)^[ \t]*(?:wpa_)?(?:psk|passphrase|sae_password)[ \t]*=[ \t]*{_VALUE}",
        ("psk", "passphrase", "sae_password"),
    ),
    _rule("ipsec-psk", r"(?i):\s*PSK\s+\"(?P<secret_dq>[^\"\n]+)\"", ("psk",)),
    _rule(
        "ppp-chap-secret",
        r"(?m)^[ \t]*(?:\"[^\"\n]+\"|[\w.@-]+)[ \t]+(?:\*|[\w.-]+)[ \t]+\"(?P<secret_dq>[^\"\n]+)\""
        r"[ \t]+(?:\*|[\d.]+(?:/\d+)?)[ \t]*$",
        ('"',),
    ),
    _rule(
        "shadow-hash",
        r"(?m)(?:^|[\s'\"])[a-z_][\w.-]*\$?:(?P<secret_hash>\$(?:1|2[abxy]?|5|6|7|y|gy|apr1|md5"
        r"|sha1|argon2id?|pbkdf2[-\w]*)\$[^:\s'\"]+|\{(?:SSHA|SHA|SMD5|MD5|CRYPT|SSHA256|SSHA512)"
        r"\}[^:\s'\"]+)(?=:|\s|$|['\"])",
        ("$", "{"),
    ),
    _rule(
        "kickstart-rootpw", r"(?im)^[ \t]*rootpw[ \t]+(?:--\w+[ \t]+)*(?P<secret>\S+)", ("rootpw",)
    ),
    _rule(
        "preseed-password",
        r"(?i)passwd/[\w-]*password(?:-again)?[ \t]+password[ \t]+(?P<secret>\S+)",
        ("passwd/",),
    ),
    # Network devices: `enable secret 5 $1$..`, `username admin privilege 15 password 0 x`,
    # `snmp-server community x RO`, `tacacs-server key 7 x`, `key-string x`, `pre-shared-key x`.
    _rule(
        "network-device-secret",
        r"(?m)^[ \t]*(?:enable[ \t]+(?:secret|password)|username[ \t]+\S+(?:[ \t]+privilege"
        r"[ \t]+\d+)?[ \t]+(?:secret|password)|(?:tacacs|radius)-server[ \t]+(?:host[ \t]+\S+"
        r"[ \t]+)?key|key-string|pre-shared-key|wpa-psk[ \t]+ascii|ppp[ \t]+chap[ \t]+password"
        r"|.*\b(?:plain-text-password|encrypted-password|pre-shared-secret))"
        r"(?:[ \t]+(?:[0-9]|ascii|hex))?[ \t]+(?P<secret>\S+)[ \t]*$",
        ("secret", "password", "key", "psk"),
    ),
    # NetworkManager: `nmcli dev wifi connect SSID password X`, `wifi-sec.psk X`.
    _rule(
        "nmcli-secret",
        r"\bnmcli\b[^\n|;&]*?[ \t](?:password|wifi-sec\.psk|802-1x\.password"
        r"|802-1x\.private-key-password|wifi-sec\.wep-key\d|vpn\.secrets\.[\w.-]+)[ \t]+" + _VALUE,
        ("nmcli",),
    ),
    # snmpd.conf: `rocommunity X 10.0.0.0/8`, `com2sec name source X`, `createUser u SHA "a"`.
    _rule(
        "snmpd-community",
        rf"(?im)^[ \t]*r[ow]community6?[ \t]+{_VALUE}",
        ("community",),
        defaults=frozenset({"public"}),
    ),
    _rule(
        "snmpd-community",
        rf"(?im)^[ \t]*com2sec6?[ \t]+\S+[ \t]+\S+[ \t]+{_VALUE}",
        ("com2sec",),
        defaults=frozenset({"public"}),
    ),
    _rule(
        "snmpd-v3-user",
        r"(?im)^[ \t]*createUser[ \t]+(?:-e[ \t]+\S+[ \t]+)?\S+[ \t]+(?:MD5|SHA\S*)[ \t]+" + _VALUE,
        ("createuser",),
    ),
    _rule(
        "snmpd-v3-user",
        r"(?im)^[ \t]*createUser[ \t]+.*?[ \t](?:DES|AES\S*)[ \t]+" + _VALUE,
        ("createuser",),
    ),
    # cloud-init `chpasswd: list:` blocks: indented `user:password` lines.
    _rule(
        "cloud-init-chpasswd",
        r"(?m)^[ \t]+(?:-[ \t]+)?[a-z_][\w.-]*:(?P<secret>[^\s:]{3,})[ \t]*$",
        ("chpasswd",),
    ),
    _rule(
        "network-device-secret",
        r"(?m)^[ \t]*snmp-server[ \t]+community[ \t]+(?P<secret>\S+)(?=[ \t]+(?:RO|RW|view)\b|"
        r"[ \t]+\d|[ \t]*$)",
        ("snmp-server",),
        defaults=frozenset({"public"}),
    ),
    # PowerShell, expect scripts, Python one-liners that hash a password.
    _rule(
        "powershell-secure-string",
        r"(?i)ConvertTo-SecureString[ \t]+(?:-String[ \t]+)?" + _VALUE + r"[ \t]+-AsPlainText",
        ("convertto-securestring",),
    ),
    _rule(
        "expect-send-password",
        r"(?is)expect[ \t]+(?:-\w+[ \t]+)?[\"'{][^\"'}\n]*(?:password|passphrase|pin)[^\"'}\n]*"
        r"[\"'}].{0,40}?send[ \t]+(?:--[ \t]+)?[\"{](?P<secret>[^\"}\n\\]+?)(?:\\r|\\n)?[\"}]",
        ("send",),
    ),
    _rule(
        "password-hash-input",
        r"\b(?:crypt\.crypt|bcrypt\.hashpw|passlib\.\w+\.hash|sha512_crypt\.hash)"
        r"\(\s*b?[\"'](?P<secret>[^\"'\n]{3,})[\"']",
        ("crypt", "hashpw", "passlib"),
    ),
    _rule(
        "mongodb-password",
        r"changeUserPassword\(\s*[\"'][^\"']+[\"']\s*,\s*[\"'](?P<secret>[^\"'\n]+)[\"']",
        ("changeuserpassword",),
    ),
    _rule(
        "sql-password",
        r"(?i)\bset[ \t]+password[ \t]+for[ \t]+\S+[ \t]*=[ \t]*(?:password[ \t]*\([ \t]*)?"
        r"'(?P<secret_sq>[^'\n]+)'",
        ("password",),
    ),
    _rule(
        "grub-password",
        r"(?m)^[ \t]*password(?:_pbkdf2)?[ \t]+[\w.-]+[ \t]+(?P<secret>\S+)[ \t]*$",
        ("password",),
    ),
    _rule(
        "rclone-config-secret",
        r"\brclone[ \t]+config[ \t]+(?:create|update)\b[^\n|;&]*?[ \t](?:pass|password|token"
        r"|secret_access_key|client_secret|key)[ \t]+" + _VALUE,
        ("rclone",),
    ),
    # WireGuard keys printed bare: `wg genkey`, `wg show wg0 private-key`.
    _rule(
        "wireguard-key",
        r"(?m)\bwg[ \t]+(?:genkey|show[ \t]+\S+[ \t]+(?:private-key|preshared-keys))\b[^\n]*\n"
        r"(?:\S*[ \t])?(?P<secret>[A-Za-z0-9+/]{42,43}=)[ \t]*$",
        ("wg ",),
    ),
    _rule("ntfy-token", r"\b(?P<secret>tk_[a-z0-9]{29})\b", ("tk_",)),
    _rule("healthchecks-ping-key", r"hc-ping\.com/(?P<secret>[\w-]{20,})", ("hc-ping",)),
    _rule(
        "url-signature",
        r"[?&](?:sig|signature|X-Amz-Signature|X-Goog-Signature)=(?P<secret>[^&\s\"'<>]{16,})",
        ("sig",),
    ),
    # --- headers and URLs -------------------------------------------------------------------
    _rule(
        "authorization-header",
        r"(?i)\b(?:proxy-)?authorization[\"']?[ \t]*[:=][ \t]*[\"']?"
        r"(?:(?:bearer|basic|token|bot|digest|apikey|ssws|negotiate|geniekey|key|sso-key)[ \t]+"
        r"|P[VB][ES]APIToken[= ])?(?:token=)?(?P<secret>[^\s\"',;]+)",
        ("authorization",),
        check=lambda v: v.lower() not in _AUTH_SCHEMES,
    ),
    _rule(
        "api-key-header",
        r"(?i)\bx-(?:[\w-]*-)?(?:api-?key|auth-token|vault-token|access-token|token|secret"
        r"|consul-token|nomad-token|auth-key|routing-key|registry-auth|gitlab-token|api-token)"
        r"[\"']?[ \t]*[:=][ \t]*[\"']?(?P<secret>[^\s\"',;]+)",
        ("x-",),
    ),
    _rule(
        "api-key-header",
        r"(?i)(?<![\w-])(?:private-token|api-key|apikey|api-token|auth-token)[\"']?[ \t]*:[ \t]*"
        r"[\"']?(?P<secret>[^\s\"',;]+)",
        ("private-token", "api-key", "apikey", "api-token", "auth-token"),
    ),
    _rule(
        "url-credentials",
        r"(?i)\b[a-z][a-z0-9+.-]*://[^\s/:@\"'<>]*:(?P<secret>[^\s/@\"'<>]+)@",
        ("://",),
    ),
    # sqlplus / impacket: `user/password@db`, `DOMAIN/user:password@host`.
    _rule(
        "oracle-connect",
        r"\b(?:sqlplus|rman|exp|imp|expdp|impdp|sqlldr)(?:\s+-\S+)*\s+"
        r"[\w$#]+/(?P<secret>[^\s@/]+)(?:@|\s|$)",
        ("sqlplus", "rman", "exp", "imp", "sqlldr"),
    ),
    _rule(
        "impacket-target",
        r"(?<![\w/:@.-])[\w.-]+/[\w.$-]+:(?P<secret>[^@\s/:]+)@(?!sha\d*:)[\w.-]+",
        ("@",),
        check=lambda v: not re.fullmatch(r"v?[\d.]+(?:-[\w.]+)?|latest|stable|main", v),
    ),
    # Pager and chat webhooks whose path is the key.
    _rule(
        "pagerduty-key",
        r"(?i)events\.pagerduty\.com/(?:integration|x-ere)/(?P<secret>\w{20,})",
        ("pagerduty",),
    ),
    _rule(
        "webhook-url",
        r"(?i)https?://[^\s\"'<>]*?/(?:hooks|webhooks|webhookb2|api/webhooks|services"
        r"|triggers|hook)/(?P<secret>[A-Za-z0-9_\-/@.]{16,}[A-Za-z0-9_-])",
        ("hook", "services", "triggers"),
        check=lambda v: len(re.findall(r"\d", v)) >= 2 and len(re.findall(r"[A-Za-z]", v)) >= 4,
    ),
    # Tokens by their own shape (the catalogue's gaps).
    _rule(
        "api-token",
        r"\b(?P<secret>(?:sk-(?:ant-|proj-|svcacct-|admin-)?|hf_)"
        r"[A-Za-z0-9_\-]{20,})",
        ("sk-", "hf_"),
    ),
    _rule(
        "aws-access-key-id",
        r"\b(?P<secret>(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA)[0-9A-Z]{16})\b",
        ("akia", "asia", "abia", "acca", "agpa", "aida", "aroa"),
    ),
    _rule(
        "aws-secret-access-key",
        r"(?i)aws_?secret_?(?:access_?)?key[\"']?[ \t]*[:=][ \t]*[\"']?"
        r"(?P<secret>[A-Za-z0-9/+]{40})\b",
        ("aws",),
    ),
    _rule("grafana-token", r"\b(?P<secret>gl(?:sa|c)_[A-Za-z0-9_+/=-]{24,})", ("glsa_", "glc_")),
    _rule("tailscale-key", r"\b(?P<secret>tskey-[a-z]+-[A-Za-z0-9_-]{10,})", ("tskey-",)),
    _rule("docker-hub-token", r"\b(?P<secret>dckr_pat_[A-Za-z0-9_-]{20,})", ("dckr_pat_",)),
    _rule(
        "gitlab-token",
        r"\b(?P<secret>gl(?:pat|dt|rt|ptt|ft|cbt|imt|agent|soat|oas)-"
        r"[A-Za-z0-9_-]{20,})",
        ("gl",),
    ),
    _rule(
        "chpasswd",
        r"[\w.-]+:(?P<secret>[^\s'\":|<>]+)['\"]?\s*\|\s*(?:sudo\s+)?chpasswd\b",
        ("chpasswd",),
    ),
    # --- secrets handed to a program's stdin -----------------------------------------------
    _rule(
        "stdin-password",
        r"(?i)\b(?:echo|printf|yes)(?:[ \t]+-[neE]+)*(?:[ \t]+(?:'[^'\n]*%s[^'\n]*'|"
        r"\"[^\"\n]*%s[^\"\n]*\"))?[ \t]+"
        + value(bare=r"[^\s\"'`;|&()<>\\](?:[^\s\"'`;|&()\\]|\\.)*")
        + r"[ \t]*\|[ \t]*(?:(?:sudo|doas)\b[^\n|;&]*?[ \t]-[A-Za-z]*S[A-Za-z]*\b"
        r"|(?:(?:sudo|doas)(?:[ \t]+-[\w-]+)*[ \t]+)?(?:passwd|kinit|cryptsetup|smbpasswd|pdbedit"
        r"|vncpasswd|realm|adcli|ipa|htpasswd[ \t]+-\w*i|zfs[ \t]+(?:load-key|create|change-key))\b"
        r"|[^\n|;&]*?(?:--password-stdin|--stdin|-passin[ \t]+stdin|--password-from-stdin)\b)",
        ("|",),
    ),
    _rule(
        "stdin-password",
        r"(?i)(?:sudo\b[^\n|;&]*?[ \t]-\w*S\b|--stdin|--password-stdin|passwd\b|kinit\b)"
        r"[^\n|;&]*<<<[ \t]*" + _VALUE,
        ("<<<",),
    ),
    _rule(
        "stdin-password",
        r"(?i)(?:sudo\b[^\n|;&]*?[ \t]-\w*S\b|--password-stdin|passwd\b|kinit\b)[^\n|;&]*<<-?"
        r"[ \t]*['\"]?(?P<tag>\w+)['\"]?[^\n]*\n(?P<secret>[^\n]+)\n",
        ("<<",),
    ),
    # --- private key material ------------------------------------------------------------
    _rule(
        "private-key",
        r"-----BEGIN (?P<kind>[A-Z0-9 ]*)PRIVATE KEY(?: BLOCK)?-----"
        r"(?:.*?-----END (?P=kind)PRIVATE KEY(?: BLOCK)?-----"
        # A truncated block (tool output cut short): take the base64 / header lines that follow.
        r"|(?:\n(?:[A-Za-z0-9+/=]*|[A-Za-z-]+:[^\n]*))*)",
        ("private key",),
        re.DOTALL,
    ),
    _rule(
        "private-key",
        r"-----BEGIN OpenVPN Static key V1-----.*?(?:-----END OpenVPN Static key V1-----|\Z)",
        ("openvpn static key",),
        re.DOTALL,
    ),
    _rule(
        "putty-private-key",
        r"PuTTY-User-Key-File-\d:.*?(?:Private-MAC: \S+|\Z)",
        ("putty-user-key-file",),
        re.DOTALL,
    ),
    _rule("age-secret-key", r"\b(?P<secret>AGE-SECRET-KEY-1[0-9A-Z]{58})\b", ("age-secret-key",)),
    # --- prose ---------------------------------------------------------------------------------
    # "the password is X", "pw: X", "password for pve01 was changed to X", "creds are u:p".
    _rule(
        "prose-password",
        r"(?i)\b(?:password|passwd|passphrase|passcode|pw|pwd|pin|secret|token|api key"
        r"|creds?|credentials)\b(?:[ \t]+(?:for|of|on|to)[ \t]+[\w.@/-]+)?[ \t]*"
        r"(?:(?:(?:is|was|has been|have been|got|were|are)[ \t]+)?(?:changed|set|reset|updated"
        r"|rotated)[ \t]+to|is now|now is|should be|will be|became|is|was|are|were|=|:|->|→)"
        r"[ \t]*(?:now[ \t]+|still[ \t]+|just[ \t]+)?" + _PROSE_VALUE,
        ("pass", "pw", "pin", "secret", "token", "api key", "cred"),
        prose=True,
    ),
    # "log in as root with password X": no connector word, so the value must look the part.
    _rule(
        "prose-password",
        r"(?i)\b(?:with|using|and|via|,)[ \t]+(?:the[ \t]+)?(?:password|passwd|pw|pwd|passphrase)"
        r"[ \t]+" + _PROSE_VALUE,
        ("pass", "pw"),
        prose=True,
        check=lambda v: bool(re.search(r"\d|[^\w\s]|[a-z][A-Z]", v)),
    ),
    # "the BMC is still admin / X", "root / calvin": a well-known account, a spaced slash.
    _rule(
        "prose-credential-pair",
        r"(?i)(?<![\w/.~-])(?:root|admin|administrator|USERID|operator|ubuntu|pi|postgres|sa"
        r"|guest|cisco|ubnt|superuser|sysadmin|manager|maint|supervisor|support|debian|vagrant"
        r"|oracle|elastic|grafana|zabbix|nagios|icinga|proxmox|ceph|netbox)(?:@[\w.-]+)?"
        r"[ \t]+/[ \t]+" + _PROSE_PAIR_VALUE,
        (" / ",),
        prose=True,
        check=_not_a_port,
        context=_CREDENTIAL_CONTEXT,
    ),
    # "creds: bmcadmin/X", "default login root:calvin".
    _rule(
        "prose-credential-pair",
        r"(?i)\b(?:creds?|credentials|login|logins|logon|user/pass(?:word)?|username/password"
        r"|default[ \t]+(?:login|creds?|credentials|account|user))\b(?:[ \t:]+(?:is|are|was"
        r"|were|with|as|using|via))*[ \t:]*(?<![\w/.~-])[\w.@\\-]{1,32}[ \t]*[/:][ \t]*"
        + _PROSE_PAIR_VALUE,
        ("cred", "login", "logon", "default", "user/"),
        prose=True,
        check=_not_a_port,
    ),
    # "user admin pass X", "username: admin, password: X".
    _rule(
        "prose-credential-pair",
        r"(?i)\buser(?:name)?[ \t]*[:=]?[ \t]*[\w.@\\-]+[ \t]*[,;/]?[ \t]*(?:and[ \t]+)?"
        r"(?:password|passwd|pass|pw|pwd)(?:[ \t]*[:=][ \t]*|[ \t]+)" + _PROSE_VALUE,
        ("user",),
        prose=True,
        check=_not_a_port,
    ),
)


def _b64_prefix(value: str) -> bytes:
    head = value[:64]
    try:
        return base64.b64decode(head + "=" * (-len(head) % 4))
    except (binascii.Error, ValueError):
        return b""


def _in_context(context: re.Pattern[str], text: str, offset: int) -> bool:
    return context.search(OWN_MARKER_RE.sub("", _line(text, offset))) is not None


def _line(text: str, offset: int) -> str:
    return text[
        text.rfind("\n", 0, offset) + 1 : (text.find("\n", offset) + 1 or len(text) + 1) - 1
    ]


def secret_span(match: re.Match[str]) -> tuple[int, int, bool] | None:
    """(start, end, quoted) of the value a rule matched; the whole match if it names none."""
    groups = match.groupdict()
    for name, found in groups.items():
        if name.startswith("secret") and found is not None:
            start, end = match.span(name)
            return start, end, not name.endswith(("secret", "_hash")) and "_" in name
    if any(name.startswith("secret") for name in groups):
        return None
    return match.start(), match.end(), False


# Every needle is looked for once per text (a C-level substring search each); the rules then
# only ask set questions. (One regex of all needles, or an `any()` per rule, was 5x slower.)
_ALL_NEEDLES = tuple(sorted({n for rule in RULES for n in rule.needles}))
_RULE_NEEDLES = tuple(frozenset(rule.needles) for rule in RULES)


def needles_in(lowered: str) -> set[str]:
    return {needle for needle in _ALL_NEEDLES if needle in lowered}


def rule_spans(text: str, lowered: str) -> Iterator[Span]:
    present = needles_in(lowered)
    for rule, needles in zip(RULES, _RULE_NEEDLES, strict=True):
        if needles and needles.isdisjoint(present):
            continue
        for match in rule.pattern.finditer(text):
            found = secret_span(match)
            if not found or found[1] <= found[0]:
                continue
            start, end, quoted = found
            secret = text[start:end]
            if rule.id == "private-key" or rule.id == "putty-private-key":
                yield rule.id, start, end
                continue
            if secret in rule.defaults or (rule.check and not rule.check(secret)):
                continue
            if rule.prose and not is_passwordish(secret, quoted):
                continue
            # Our own markers are not context: `<REDACTED:rdp-password>` says nothing here.
            if rule.context and secret.isalpha() and not _in_context(rule.context, text, start):
                continue
            # A quoted value is a literal string, never a code expression.
            if not rule.prose and not_a_secret(secret, rule.code and not quoted):
                continue
            yield rule.id, start, end
