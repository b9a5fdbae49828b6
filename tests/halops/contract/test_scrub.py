"""The credential scrubber, by class: every form of a secret is found and removed, everything
else comes through byte-identical, and scrubbing is a fixed point.

The cases live in `secrets/*.yaml` (fake values only); the properties below build more of them:
a secret of each kind embedded in random surrounding text is always removed, scrubbing twice
changes nothing, and ops output generated from a grammar is never touched.
"""

from __future__ import annotations

import io
import json
import string
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from halops.contract import scrub
from halops.contract.scrub import Finding, cli_main, scan_text, scrub_messages, scrub_text
from halops.contract.scrub.values import not_a_secret
from tests.conftest import REPO

FIXTURES = Path(__file__).with_name("secrets")


def _load() -> tuple[list[tuple[str, str, list[str]]], list[tuple[str, str]]]:
    positives, negatives = [], []
    for path in sorted(FIXTURES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in data.get("secrets") or []:
            positives.append((path.stem, case["text"], [str(s) for s in case["secrets"]]))
        negatives += [(path.stem, text) for text in data.get("clean") or []]
    return positives, negatives


POSITIVES, NEGATIVES = _load()


def test_fixtures_are_well_formed() -> None:
    assert len(POSITIVES) >= 200 and len(NEGATIVES) >= 200
    for name, text, secrets in POSITIVES:
        assert isinstance(text, str) and secrets, f"{name}: {text!r}"
        assert all(secret in text for secret in secrets), f"{name}: secret not in {text!r}"
    assert all(isinstance(text, str) for _, text in NEGATIVES)


@pytest.mark.parametrize(("kind", "text", "secrets"), POSITIVES, ids=lambda v: str(v)[:60])
def test_every_secret_is_removed(kind: str, text: str, secrets: list[str]) -> None:
    result = scrub_text(text)
    assert result.findings
    for secret in secrets:
        assert secret not in result.text, f"{kind}: {secret!r} left in {result.text!r}"
    assert "<REDACTED:" in result.text
    assert scan_text(result.text) == []  # the re-scan of scrubbed text is quiet
    assert scrub_text(result.text).text == result.text


@pytest.mark.parametrize(("kind", "text"), NEGATIVES, ids=lambda v: str(v)[:60])
def test_clean_text_is_untouched(kind: str, text: str) -> None:
    assert scan_text(text) == []
    assert scrub_text(text).text == text


# An identifier after an id key is not a secret however random it looks, wherever the key stands
# on its line: the key is looked for in a window just before the value, and a window computed
# wrongly at some columns (found by mutation testing, `start - 40` -> `start & 40`) cut the key
# off and redacted the id there. Keys that detect-secrets' own `_id` heuristic does not cover.
ID_KEY_LINES = [
    '"request-id" => ["{v}"]',
    'X-Request-Id: "{v}"',
    '"uuid": "{v}"',
    "vm-guid='{v}'",
    'nonce="{v}"',
    '{{\\"session-id\\": \\"{v}\\"}}',
]
RANDOM_ID = "req_011CY4p6wvSLjiJyWSJ2VXzB"


@pytest.mark.parametrize("template", ID_KEY_LINES)
def test_an_identifier_after_an_id_key_is_untouched_at_every_column(template: str) -> None:
    for column in range(130):
        indent = " " * column
        # The same value after a plain key is flagged at this column: the id key is what keeps it.
        assert RANDOM_ID not in scrub_text(f'{indent}"label": "{RANDOM_ID}"').text
        line = indent + template.format(v=RANDOM_ID)
        assert scrub_text(line).text == line, f"column {column}"


# --- exact behaviour -----------------------------------------------------------------------------

PEM = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACBKkq7dXr4fXlZ0mEJ3cyw0pMoKWbe1sTyJ6t9aWvQRnwAAAJgvA9nNLwPZ\n"
    "-----END OPENSSH PRIVATE KEY-----"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "ipmitool -I lanplus -H bmc01 -U admin -P Sup3rS3cret! power status",
            "ipmitool -I lanplus -H bmc01 -U admin -P <REDACTED:ipmitool-password> power status",
        ),
        (
            "racadm -r idrac01 -u root -p 'Vq7m Rx2' getsysinfo",
            "racadm -r idrac01 -u root -p '<REDACTED:racadm-password>' getsysinfo",
        ),
        ("curl -u admin:Gr4f4naPw9 http://x", "curl -u admin:<REDACTED:curl-user> http://x"),
        (
            "smbclient //nas01/b -U backup%Sm8bPw3Kx",
            "smbclient //nas01/b -U backup%<REDACTED:smb-password>",
        ),
        (
            "openssl rsa -passin pass:Rs4Pq8Wz -in a",
            "openssl rsa -passin pass:<REDACTED:openssl-passphrase> -in a",
        ),
        ("mysql -uroot -pZabb1xDbPw zabbix", "mysql -uroot -p<REDACTED:mysql-password> zabbix"),
        (
            "echo 'root:Ch4ngeMe9' | chpasswd",
            "echo 'root:<REDACTED:chpasswd>' | chpasswd",
        ),
        (
            "the BMC is still admin / Cv8dBm3Xq",
            "the BMC is still admin / <REDACTED:prose-credential-pair>",
        ),
        (
            "kubeadm join x --token q7w2ke.9x4mzr8t1vbn6lp3 --discovery-token-ca-cert-hash h",
            "kubeadm join x --token <REDACTED:cluster-join-token> --discovery-token-ca-cert-hash h",
        ),
    ],
)
def test_the_command_stays_readable(text: str, expected: str) -> None:
    assert scrub_text(text).text == expected


def test_findings_carry_position_not_secret() -> None:
    text = "uptime\nsshpass -p 'hunter2!x' ssh root@pve01"
    [finding] = scan_text(text)
    assert finding == Finding(start=19, end=28, rule="sshpass-password", line=2)
    assert text[finding.start : finding.end] == "hunter2!x"
    assert "hunter2" not in repr(finding) and "hunter2" not in json.dumps(finding.as_dict())


def test_multiline_private_key_is_removed_whole() -> None:
    text = f"here is the key:\n{PEM}\nand that was it"
    result = scrub_text(text)
    assert result.text == "here is the key:\n<REDACTED:private-key>\nand that was it"
    assert [(f.rule, f.line) for f in result.findings] == [("private-key", 2)]


def test_truncated_private_key_is_removed_to_the_end_of_its_body() -> None:
    truncated = PEM.rsplit("\n", 2)[0]  # tool output cut before END
    result = scrub_text(f"{truncated}\n... (output truncated)")
    assert "b3BlbnNzaC1rZXkt" not in result.text
    assert result.text.endswith("... (output truncated)")


def test_allowlist_pragma_cannot_switch_the_scrubber_off() -> None:
    result = scrub_text('password = "Zq8!vT3#pL"  # pragma: allowlist secret')
    assert "Zq8!vT3#pL" not in result.text


def test_secret_repeated_elsewhere_is_redacted_everywhere() -> None:
    text = "DB_PASSWORD=Xy7-longSecret ./run.sh\necho Xy7-longSecret"
    result = scrub_text(text)
    assert "Xy7-longSecret" not in result.text
    assert [f.line for f in result.findings] == [1, 2]


def test_a_secret_revealed_by_redaction_is_found_in_the_same_pass() -> None:
    # The key is found on line 2 and propagated to line 3, where it was glued to `helm`; only
    # once it is a placeholder does `helm registry login -p` stand as a command of its own.
    key = "3f8a1c5e7b9d2f4a6c8e0b1d3f5a7c9e2b4d6f8a0c1e3b5d7f9a2c4e6b8d0f1a"
    text = f"Using certificate key:\n{key}\n{key}helm registry login h -u ci -p Hm3lRb8Zq"
    result = scrub_text(text)
    assert "Hm3lRb8Zq" not in result.text and key not in result.text
    assert [text[f.start : f.end] for f in result.findings] == [key, key, "Hm3lRb8Zq"]
    assert scrub_text(result.text).text == result.text


def test_a_nul_byte_does_not_hide_what_follows_it() -> None:
    # The catalogue's engine reads a C string; what follows a NUL must still be scanned.
    token = "glpat-Rt4Yz1Vn7Hb2Jc5Gd6Sa9"
    result = scrub_text(f"binary\x00junk\nGITLAB={token}\n")
    assert token not in result.text


def test_lone_surrogates_are_scanned_not_fatal() -> None:
    text = 'bad "\ud800" escape\nsshpass -p Ss8hPw3x ssh root@pve01'
    assert "Ss8hPw3x" not in scrub_text(text).text


def test_the_catalogue_finds_provider_formats_the_rules_do_not_know() -> None:
    # DigitalOcean and Doppler tokens have no project rule: only the Betterleaks catalogue.
    text = "DO=dop_v1_3c9a7e1f5b2d4f8a9e6c1d4b7a2f9e3c8f2c4e6a1b3d5f7a9c0e2b4d6f8a1c3e"
    rules = {f.rule for f in scan_text(text)}
    assert any(rule.startswith("bl:") for rule in rules), rules


def test_the_catalogue_generic_rules_are_off() -> None:
    # Betterleaks' generic-api-key flags kubeadm's CA hash; ours knows it is not a secret.
    text = "--discovery-token-ca-cert-hash sha256:" + "5e1f0c3a9b7d2e4f" * 4
    assert scan_text(text) == []


def test_excluded_plugins_are_documented_choices() -> None:
    names = {type(p).__name__ for p in scrub.detect_secrets_plugins()}
    assert "IPPublicDetector" not in names
    assert {"AWSKeyDetector", "KeywordDetector", "PrivateKeyDetector", "JwtTokenDetector"} <= names


# --- chat messages -------------------------------------------------------------------------------


def _tool_call(arguments: dict[str, str]) -> dict:
    function = {"name": "Bash", "arguments": json.dumps(arguments)}
    return {"id": "call_1", "type": "function", "function": function}


def test_scrub_messages_covers_content_and_tool_call_arguments() -> None:
    messages = [
        {"role": "user", "content": "power-cycle pve02 via its BMC"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                _tool_call({"command": "ipmitool -H bmc-pve02 -U admin -P Bmc!Pass99 power cycle"})
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "call_1",
            "name": "Bash",
            "content": "Chassis Power Control: Cycle",
        },
        {"role": "assistant", "content": f"done; the key was\n{PEM}"},
    ]
    scrubbed, findings = scrub_messages(messages)
    dumped = json.dumps(scrubbed)
    assert "Bmc!Pass99" not in dumped and "b3BlbnNzaC1rZXkt" not in dumped
    arguments = json.loads(scrubbed[1]["tool_calls"][0]["function"]["arguments"])
    assert arguments["command"] == (
        "ipmitool -H bmc-pve02 -U admin -P <REDACTED:ipmitool-password> power cycle"
    )
    assert sorted(f.rule for f in findings) == ["ipmitool-password", "private-key"]
    assert scrubbed[0] == messages[0] and scrubbed[2] == messages[2]
    assert messages[1]["tool_calls"][0]["function"]["arguments"].count("Bmc!Pass99") == 1


def test_scrub_messages_uses_json_keys_as_context() -> None:
    # Only the raw JSON shows that "s3cr" is a password; the short value is redacted where it is
    # a whole string, and nowhere else.
    call = _tool_call({"password": "s3cr", "note": "s3cr is short"})
    scrubbed, _ = scrub_messages([{"role": "assistant", "content": "", "tool_calls": [call]}])
    arguments = json.loads(scrubbed[0]["tool_calls"][0]["function"]["arguments"])
    assert arguments["password"].startswith("<REDACTED:")
    assert arguments["note"] == "s3cr is short"


def test_scrub_messages_propagates_across_messages() -> None:
    call = _tool_call({"command": "redis-cli -a Loooong-Secret-1 ping"})
    echoed = {"role": "tool", "tool_call_id": "call_1", "content": "auth as Loooong-Secret-1"}
    scrubbed, _ = scrub_messages(
        [{"role": "assistant", "content": "", "tool_calls": [call]}, echoed]
    )
    assert "Loooong-Secret-1" not in json.dumps(scrubbed)


def test_json_content_is_scanned_decoded_too() -> None:
    # A tool result that is JSON: the PEM's newlines are "\n" escapes in the raw text.
    content = json.dumps({"path": "/root/.ssh/id_ed25519", "body": PEM})
    scrubbed, findings = scrub_messages([{"role": "tool", "tool_call_id": "c", "content": content}])
    assert "b3BlbnNzaC1rZXkt" not in scrubbed[0]["content"]
    assert findings


def test_every_string_field_is_scrubbed() -> None:
    message = {"role": "tool", "tool_call_id": "c", "name": "DB_PASSWORD=hunter22", "content": "ok"}
    scrubbed, _ = scrub_messages([message])
    assert scrubbed[0]["name"] == "DB_PASSWORD=<REDACTED:secret-assignment>"


# --- the CLI -----------------------------------------------------------------------------------


def test_cli_main_reads_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("ok\nsshpass -p 'hunter2!x' ssh pve01\n"))
    assert cli_main([]) == 0
    out, err = capsys.readouterr()
    assert out == "ok\nsshpass -p '<REDACTED:sshpass-password>' ssh pve01\n"
    assert json.loads(err) == [{"rule": "sshpass-password", "line": 2}]


def test_cli_as_a_process() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "halops.contract.scrub"],
        input="mysql -uroot -pZabb1xDbPw zabbix\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO / "workflow" / "src"), "PATH": ""},
        timeout=60,
        check=True,
    )
    assert proc.stdout == "mysql -uroot -p<REDACTED:mysql-password> zabbix\n"
    assert json.loads(proc.stderr) == [{"rule": "mysql-password", "line": 1}]


def test_halops_scrub_subcommand(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from halops.cli import main

    monkeypatch.setattr(sys, "stdin", io.StringIO("export AWS_ACCESS_KEY_ID=AKIA2E0A8F3B244C9986"))
    assert main(["scrub"]) == 0
    out, err = capsys.readouterr()
    assert out == "export AWS_ACCESS_KEY_ID=<REDACTED:aws-access-key-id>"
    assert json.loads(err) == [{"rule": "aws-access-key-id", "line": 1}]


# --- the validation's re-scan fails closed on every class ----------------------------------------


@pytest.mark.parametrize(("kind", "text", "secrets"), POSITIVES[::7], ids=lambda v: str(v)[:40])
def test_validate_rescan_fails_closed(
    kind: str, text: str, secrets: list[str], tmp_path: Path
) -> None:
    from halops.validate_split import SecretLeakError, rescan

    leaked = tmp_path / "train.jsonl"
    record = {"messages": [{"role": "tool", "content": text}], "metadata": {"id": "x"}}
    leaked.write_text(json.dumps(record) + "\n", encoding="utf-8")
    with pytest.raises(SecretLeakError, match=r"train\.jsonl:1: secret"):
        rescan([leaked])
    scrubbed, _ = scrub_messages(record["messages"])
    leaked.write_text(json.dumps({**record, "messages": scrubbed}) + "\n", encoding="utf-8")
    rescan([leaked])  # the scrubbed record passes


# --- properties ----------------------------------------------------------------------------------

_ALNUM = string.ascii_letters + string.digits


def _password_like(value: str) -> bool:
    return (
        sum(c.isdigit() for c in value) >= 2
        and sum(c.isupper() for c in value) >= 2
        and sum(c.islower() for c in value) >= 2
        and not not_a_secret(value)
    )


PASSWORDS = st.text(_ALNUM, min_size=9, max_size=24).filter(_password_like)
PASSWORDS_WITH_SYMBOLS = st.builds(
    lambda a, b, c: f"{a}{b}{c}", PASSWORDS, st.sampled_from("!#%+,-.@^_~=?"), PASSWORDS
)
QUOTES = st.sampled_from(["{s}", "'{s}'", '"{s}"'])

# (kind, template): `{s}` is the secret, `{q}` the same in a random quoting style.
COMMAND_TEMPLATES = [
    ("racadm", "racadm -r idrac01 -u root -p {q} getsysinfo"),
    ("ipmitool", "ipmitool -I lanplus -H bmc01 -U admin -P {q} power status"),
    ("ipmitool-user", "ipmitool user set password 2 {q}"),
    ("curl", "curl -s -u admin:{s} https://grafana01/api/health"),
    ("curl-long", "curl --user 'admin:{s}' https://grafana01/api/health"),
    ("docker-login", "docker login -u ci -p {q} registry.lab:5000"),
    ("redis", "redis-cli -h cache01 -a {q} ping"),
    ("ldap", "ldapsearch -x -D cn=admin,dc=lab -w {q} -b dc=lab"),
    ("smb", "smbclient //nas01/share -U backup%{s}"),
    ("htpasswd", "htpasswd -b /etc/nginx/.htpasswd alice {q}"),
    ("openssl", "openssl rsa -in a.key -passin pass:{s} -out b.key"),
    ("snmp-community", "snmpwalk -v2c -c {q} 10.20.0.1 system"),
    ("snmp-v3", "snmpget -v3 -u mon -l authPriv -a SHA -A {q} -x AES sw01 sysUpTime.0"),
    ("sudo-stdin", "echo {q} | sudo -S apt-get update"),
    ("mysql", "mysql -uroot -p{s} zabbix"),
    ("sshpass", "sshpass -p {q} ssh root@pve01 uptime"),
    ("env", "DB_PASSWORD={q} ./migrate.sh"),
    ("flag", "pveum user add ops@pve --password {q}"),
    ("yaml", "  smtp_auth_password: {q}"),
    ("pgpass", "db01:5432:zabbix:zabbix:{s}"),
    ("netrc", "machine nas01\n  login backup\n  password {s}"),
    ("slurmdbd", "StoragePass={s}"),
    ("kubeconfig-token", "    token: {s}"),
    ("routing-key", "  - routing_key: {s}"),
    ("header", "curl -H 'Authorization: Bearer {s}' https://netbox/api/"),
    ("url", "rsync -a rsync://backup:{s}@nas01/pve /srv/"),
    ("prose-pair", "the BMC is still admin / {s}"),
    ("prose", "the password is {s}"),
]


@st.composite
def surrounding(draw: st.DrawFn) -> str:
    """A few lines of random text: printable noise or ops-looking output."""
    noise = st.text(string.ascii_letters + string.digits + " .,:/-_=()[]{}#@", max_size=60)
    lines = draw(st.lists(st.one_of(noise, OPS_LINES), max_size=4))
    return "\n".join(lines)


@st.composite
def uuids(draw: st.DrawFn) -> str:
    return str(draw(st.uuids()))


HEX = st.text("0123456789abcdef", min_size=40, max_size=40)
HOSTS = st.sampled_from(["pve01", "pve02", "nas01", "mon01", "bmc-pve01", "sw01", "ceph03"])
NUMBERS = st.integers(min_value=0, max_value=99999).map(str)
OPS_LINES = st.one_of(
    st.builds("commit {}".format, HEX),
    st.builds("{}  pve.iso".format, st.text("0123456789abcdef", min_size=64, max_size=64)),
    st.builds(
        '  integrity: "sha512-{}=="'.format, st.text(_ALNUM + "+/", min_size=86, max_size=86)
    ),
    st.builds(
        "docker pull nginx@sha256:{}".format, st.text("0123456789abcdef", min_size=64, max_size=64)
    ),
    st.builds('/dev/sda1: UUID="{}" TYPE="ext4"'.format, uuids()),
    st.builds("qm config {} --current  # smbios uuid={}".format, NUMBERS, uuids()),
    st.builds("ssh {} uptime".format, HOSTS),
    st.builds("ping -c 3 10.20.{}.{}".format, st.integers(0, 255), st.integers(1, 254)),
    st.builds(
        "{} {}G {}G {}% /".format, st.just("/dev/sda2"), NUMBERS, NUMBERS, st.integers(0, 100)
    ),
    st.builds("ipmitool -I lanplus -H {} -U admin -E power status".format, HOSTS),
    st.builds('curl -s -u "$API_USER:$API_PASS" http://{}:3000/api/health'.format, HOSTS),
    st.builds("export PASSWORD=${{{}}}".format, st.sampled_from(["DB_PASS", "BMC_PW", "X"])),
    st.builds(
        "password: {}".format,
        st.sampled_from(
            [
                "changeme",
                "<password>",
                "REPLACE_ME",
                "xxxx",
                "your-token-here",
                "***",
                "[REDACTED]",
                '"{{ vault_pw }}"',
                "${DB_PASS}",
                "null",
            ]
        ),
    ),
    st.builds("kubectl get pods -n {} -o wide".format, st.sampled_from(["monitoring", "default"])),
    st.builds("zpool status {}\n  state: ONLINE".format, st.sampled_from(["tank", "rpool"])),
    st.builds("journalctl -u {} --since today".format, st.sampled_from(["pveproxy", "ceph-osd@3"])),
    st.builds("{}: {}".format, st.sampled_from(["Request-Id", "X-Request-Id", "Trace"]), uuids()),
    st.builds(
        "git log --oneline\n{} fix".format, st.text("0123456789abcdef", min_size=7, max_size=7)
    ),
    st.builds(
        'echo "{}" | base64 -d'.format,
        st.sampled_from(
            ["SGVsbG8gZnJvbSB0aGUgbGFiIQ==", "VGhpcyBpcyBhIHRlc3Qgb2YgdGhlIGJhY2t1cCBqb2I="]
        ),
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(COMMAND_TEMPLATES),
    st.one_of(PASSWORDS, PASSWORDS_WITH_SYMBOLS),
    QUOTES,
    surrounding(),
    surrounding(),
)
def test_a_secret_in_random_surroundings_is_always_removed(
    case: tuple[str, str], secret: str, quote: str, before: str, after: str
) -> None:
    kind, template = case
    if "{s}" in template or quote == "{s}":
        secret = "".join(c for c in secret if c.isalnum())  # bare: no shell metacharacters
    line = template.format(s=secret, q=quote.format(s=secret))
    text = "\n".join(part for part in (before, line, after) if part)
    result = scrub_text(text)
    assert secret not in result.text, f"{kind}: {result.text!r}"
    assert scrub_text(result.text).text == result.text


_LOWER_ALNUM = string.ascii_lowercase + string.digits
_B64 = string.ascii_letters + string.digits + "+/"


def _mixed(value: str) -> bool:
    return sum(c.isdigit() for c in value) >= 2 and sum(c.isalpha() for c in value) >= 4


# Secrets with a shape of their own: (kind, value strategy, template).
SHAPED = [
    (
        "ceph-key",
        st.text(_B64, min_size=36, max_size=36).map("AQ{}==".format),
        '[client.admin]\n\tkey = {s}\n\tcaps mon = "allow *"',
    ),
    (
        "ceph-key-bare",
        st.text(_B64, min_size=36, max_size=36).map("AQ{}==".format),
        "ceph auth get-key client.rbd\n{s}",
    ),
    (
        "kubeadm-token",
        st.tuples(
            st.text(_LOWER_ALNUM, min_size=6, max_size=6),
            st.text(_LOWER_ALNUM, min_size=16, max_size=16).filter(_mixed),
        ).map(".".join),
        "kubeadm join 10.20.0.10:6443 --token {s} --discovery-token-ca-cert-hash sha256:"
        + "ab" * 32,
    ),
    (
        "kubeadm-token-list",
        st.tuples(
            st.text(_LOWER_ALNUM, min_size=6, max_size=6),
            st.text(_LOWER_ALNUM, min_size=16, max_size=16).filter(_mixed),
        ).map(".".join),
        "TOKEN                     TTL\n{s}   23h",
    ),
    (
        "certificate-key",
        st.text("0123456789abcdef", min_size=64, max_size=64).filter(_mixed),
        "[upload-certs] Using certificate key:\n{s}",
    ),
    (
        "k3s-token",
        st.tuples(
            st.text("0123456789abcdef", min_size=64, max_size=64),
            st.text("0123456789abcdef", min_size=32, max_size=32).filter(_mixed),
        ).map(lambda parts: f"K10{parts[0]}::server:{parts[1]}"),
        "cat /var/lib/rancher/k3s/server/node-token\n{s}",
    ),
    (
        "vault-token",
        st.text(_ALNUM, min_size=24, max_size=90).filter(_password_like).map("hvs.{}".format),
        "export VAULT_TOKEN={s}",
    ),
    (
        "swarm-token",
        st.tuples(
            st.text(_LOWER_ALNUM, min_size=50, max_size=50),
            st.text(_LOWER_ALNUM, min_size=25, max_size=25),
        ).map(lambda parts: f"SWMTKN-1-{parts[0]}-{parts[1]}"),
        "docker swarm join --token {s} 10.20.0.50:2377",
    ),
    (
        "pager-routing-key",
        st.text("0123456789abcdef", min_size=32, max_size=32).filter(_mixed),
        "pagerduty_configs:\n- routing_key: {s}\n  severity: critical",
    ),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from(range(len(SHAPED))), surrounding(), surrounding())
def test_a_shaped_secret_in_random_surroundings_is_always_removed(
    data: st.DataObject, index: int, before: str, after: str
) -> None:
    kind, values, template = SHAPED[index]
    secret = data.draw(values)
    text = "\n".join(part for part in (before, template.format(s=secret), after) if part)
    result = scrub_text(text)
    assert secret not in result.text, f"{kind}: {result.text!r}"
    assert scrub_text(result.text).text == result.text


# Found by this property: random base64 that happens to spell "pwd" is still a hash.
@example(
    ['  integrity: "sha512-0000000000000011112222333344445566778899AABBCCDDEFGHIJKLMNOPWdQR=="']
)
@settings(max_examples=200, deadline=None)
@given(st.lists(OPS_LINES, min_size=1, max_size=6))
def test_ops_output_from_the_grammar_is_untouched(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert scrub_text(text).text == text


# Found by this property: a marker such as `<REDACTED:rdp-password>` was read as the word
# "password" that makes "root / boot" look like a credential pair on the second pass.
@example(
    ["xfreerdp /v:win01 /p:Xf7rDp2Wq /cert:ignore", "the root / boot partitions are on the mirror"],
    " ",
)
@example(["[sudo] password for ops:", 'integrity: "sha512-Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGE="'], "")
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.sampled_from([text for _, text, _ in POSITIVES]),
            st.sampled_from([text for _, text in NEGATIVES]),
            st.text(max_size=80),
        ),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from(["\n", " ", "", "; "]),
)
def test_scrubbing_is_idempotent(pieces: list[str], joiner: str) -> None:
    once = scrub_text(joiner.join(pieces)).text
    assert scrub_text(once).text == once


# --- each engine on its own (the engines overlap, so the whole scrub hides an engine's slip) --


@pytest.mark.parametrize("quoted", ["{}", "'{}'", '"{}"', "$'{}'"])
def test_a_command_secret_span_is_the_value_inside_its_quotes(quoted: str) -> None:
    from halops.contract.scrub.commands import command_spans

    secret = "Zq8vLp2xRt7wNm4k"
    text = f"sshpass -p {quoted.format(secret)} ssh pve01"
    [(rule, start, end)] = command_spans(text, text.lower())
    assert (rule, text[start:end]) == ("sshpass-password", secret)


def test_detect_secrets_runs_the_plugins_after_one_that_cannot_match() -> None:
    """No quote on the line: the entropy plugins are skipped, the basic-auth one still runs."""
    from halops.contract.scrub.engines import detect_secrets_spans

    line = "curl https://admin:Zq8vLp2xRt7wNm4k@mon01.lab/x"
    spans = list(detect_secrets_spans(line, lambda text: False))
    assert [(rule, line[start:end]) for rule, start, end in spans] == [
        ("ds:BasicAuthDetector", "Zq8vLp2xRt7wNm4k")
    ]


def test_hits_of_the_rescan_map_back_to_the_original_text() -> None:
    """Offsets found in the redacted text, before, between and after placeholders."""
    from halops.contract.scrub import PLACEHOLDER, _back_to_original, redact

    text = "head TOKEN_ONE mid TOKEN_TWO tail"
    spans = [("a", 5, 14), ("bb", 19, 28)]
    redacted = redact(text, spans)
    assert (
        redacted == f"head {PLACEHOLDER.format(rule='a')} mid {PLACEHOLDER.format(rule='bb')} tail"
    )
    found = [
        ("x", redacted.index(word), redacted.index(word) + len(word))
        for word in ("head", "mid", "tail")
    ]
    mapped = _back_to_original(spans, found)
    assert [text[s:e] for _, s, e in mapped] == ["head", "mid", "tail"]


def test_a_short_secret_is_redacted_where_found_but_not_searched_for_elsewhere() -> None:
    """Propagation needs 8 characters: a shorter value would also hit ordinary words."""
    text = "sshpass -p Zq8v1x ssh pve01; echo Zq8v1x"
    assert scrub_text(text).text == "sshpass -p <REDACTED:sshpass-password> ssh pve01; echo Zq8v1x"
    longer = "sshpass -p Zq8v1xQ2 ssh pve01; echo Zq8v1xQ2"
    assert scrub_text(longer).text.count("<REDACTED:sshpass-password>") == 2


def test_base64_without_its_padding_is_decoded() -> None:
    import base64

    from halops.contract.scrub.values import decode_base64_text

    for plain in ("password: hunter2", "password: hunter22", "password: hunter222"):
        encoded = base64.b64encode(plain.encode()).decode()
        assert decode_base64_text(encoded.rstrip("=")) == plain == decode_base64_text(encoded)


def test_a_detect_secrets_hit_at_the_start_of_a_line_stays_on_that_line() -> None:
    """Growing a hit to its whole token stops at the line's start (the line ends in a word)."""
    from halops.contract.scrub.engines import detect_secrets_spans

    text = "first line\nAKIAZQ8VLP2XRT7WNM4K rotated"
    spans = list(detect_secrets_spans(text, lambda value: False))
    assert [(rule, text[start:end]) for rule, start, end in spans] == [
        ("ds:AWSKeyDetector", "AKIAZQ8VLP2XRT7WNM4K")
    ]
