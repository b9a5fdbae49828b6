"""The credential scrubber: every rule catches and redacts, non-secrets stay untouched."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from halops.contract import scrub
from halops.contract.scrub import Finding, cli_main, scan_text, scrub_messages, scrub_text
from tests.conftest import REPO

PEM = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACBKkq7dXr4fXlZ0mEJ3cyw0pMoKWbe1sTyJ6t9aWvQRnwAAAJgvA9nNLwPZ\n"
    "-----END OPENSSH PRIVATE KEY-----"
)

# (rule that must fire, text, the secret that must disappear)
CAUGHT = [
    (
        "ipmitool-password",
        "ipmitool -I lanplus -H bmc-pve01 -U admin -P Sup3rS3cret! power on",
        "Sup3rS3cret!",
    ),
    (
        "ipmitool-password",
        "ipmitool -I lanplus -H bmc-pve02 -U admin -PSup3rS3cret sel list",
        "Sup3rS3cret",
    ),
    ("sshpass-password", "sshpass -p 'hunter2!x' ssh root@pve01 uptime", "hunter2!x"),
    ("mysql-password", "mysql -uroot -pZabb1xDbPw zabbix -e 'show tables'", "Zabb1xDbPw"),
    ("cli-password-flag", "mysqldump --password=Zabb1xDbPw zabbix > dump.sql", "Zabb1xDbPw"),
    ("cli-password-flag", "pvesh create /access/users --password Tr1cky-Pw", "Tr1cky-Pw"),
    (
        "shadow-hash",
        "root:$6$rounds=5000$saltsalt$Kx9Qm0Yc1Zr7uVd3Wn5bTf8Lh2Jp4Ag6Es9Ct1Rk0Mo.:19700:0:99999:7:::",
        "$6$rounds=5000$saltsalt$Kx9Qm0Yc1Zr7uVd3Wn5bTf8Lh2Jp4Ag6Es9Ct1Rk0Mo.",
    ),
    (
        "authorization-header",
        'curl -H "Authorization: Bearer abcDEF123456ghiJKL" https://x',
        "abcDEF123456ghiJKL",
    ),
    (
        "authorization-header",
        "Authorization: Basic YWRtaW46cGFzc3dvcmQxMjM=",
        "YWRtaW46cGFzc3dvcmQxMjM=",
    ),
    (
        "authorization-header",
        "curl -H 'Authorization: PVEAPIToken=root@pam!mon=5f0c2a9e-1b7d-4c3a-9e8f-0a1b2c3d4e5f' https://pve01:8006/api2/json",
        "5f0c2a9e-1b7d-4c3a-9e8f-0a1b2c3d4e5f",
    ),
    ("url-credentials", "rsync -a https://backup:Pa55w0rdX@nas01/share .", "Pa55w0rdX"),
    ("aws-access-key-id", "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    (
        "aws-secret-access-key",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    ("secret-assignment", "DB_PASSWORD=hunter22 ./migrate.sh", "hunter22"),
    ("secret-assignment", "curl 'https://grafana/api?token=glsa_abc123XYZ&x=1'", "glsa_abc123XYZ"),
    ("secret-yaml", "  smtp_password: m41lP4ss", "m41lP4ss"),
    ("chpasswd", "echo 'root:Ch4ngeMe' | chpasswd", "Ch4ngeMe"),
    ("private-key", f"cat ~/.ssh/id_ed25519\n{PEM}\n", "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUA"),
    (
        "api-token",
        "OPENAI_KEY is sk-proj-abcdefghijklmnopqrstuvwxyz0123456789",
        "sk-proj-abcdefghij",
    ),
    # detect-secrets plugins
    (
        "ds:GitHubTokenDetector",
        "git clone https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/x/y",
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    ),
    (
        "ds:SlackDetector",
        "SLACK=xoxb-123456789012-1234567890123-abcdefghijklmnopqrstuvwx",
        "xoxb-123456789012",
    ),
    (
        "ds:JwtTokenDetector",
        "cookie eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ),
    ("ds:KeywordDetector", 'conf = {"db_pass": "Zq8!vT3#pL"}', "Zq8!vT3#pL"),
    (
        "ds:StripeDetector",
        "stripe key sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    ),
    (
        "ds:Base64HighEntropyString",
        'cfg = {"k": "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo="}',
        "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo=",
    ),
]

# Infrastructure text that must come through byte-identical.
CLEAN = [
    "ipmitool -I lanplus -H bmc-pve01 power status",
    "git show 3f786850e387550fdab836ed7e6dc881de23001b",
    '{"sha": "3f786850e387550fdab836ed7e6dc881de23001b",'
    ' "parent": "da39a3ee5e6b4b0d3255bfef95601890afd80709"}',
    "qm config 104 --current  # vm uuid 123e4567-e89b-12d3-a456-426614174000",
    "mysql -u root -p zabbix",
    "ipmitool -I lanplus -H bmc-pve01 -U admin -E chassis power status",
    "zpool status tank\n  pool: tank\n state: ONLINE",
    "curl -s http://mon01:9090/api/v1/query?query=up",
    "max_tokens=512 token_type=bearer",
    "Password: see the vault entry for it",
    "export IPMI_PASSWORD=$BMC_PW",
    "ping -c 3 8.8.8.8",
    "sha256sum pve.iso\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  pve.iso",
    "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub",
    "journalctl -u pveproxy --since '2025-11-03 08:00' | tail -n 50",
    # values that say where a secret is, not what it is
    "TOKEN=$(cat /run/secrets/grafana_token)",
    "const csrfToken = document.querySelector('meta[name=csrf-token]')",
    "client = Client(password=args.password)",
    "<REDACTED:ipmitool-password> and password=<REDACTED:secret-assignment>",
]


@pytest.mark.parametrize(
    ("rule", "text", "secret"), CAUGHT, ids=[f"{r}-{i}" for i, (r, _, _) in enumerate(CAUGHT)]
)
def test_secret_is_caught_and_redacted(rule: str, text: str, secret: str) -> None:
    result = scrub_text(text)
    assert rule in {f.rule for f in result.findings}
    assert secret not in result.text
    assert f"<REDACTED:{rule}>" in result.text
    assert scan_text(result.text) == []  # scrubbing is a fixed point: the re-scan is quiet


@pytest.mark.parametrize("text", CLEAN)
def test_non_secret_is_untouched(text: str) -> None:
    assert scan_text(text) == []
    assert scrub_text(text).text == text


def test_command_stays_readable() -> None:
    text = "ipmitool -I lanplus -H bmc-pve01 -U admin -P Sup3rS3cret! power status"
    assert scrub_text(text).text == (
        "ipmitool -I lanplus -H bmc-pve01 -U admin -P <REDACTED:ipmitool-password> power status"
    )


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
    assert (
        messages[1]["tool_calls"][0]["function"]["arguments"].count("Bmc!Pass99") == 1
    )  # input kept


def test_scrub_messages_uses_json_keys_as_context() -> None:
    # Only the raw JSON shows that "s3cr" is a password; the short value is redacted where it is
    # a whole string, and nowhere else.
    call = _tool_call({"password": "s3cr", "note": "s3cr is short"})
    scrubbed, _ = scrub_messages([{"role": "assistant", "content": "", "tool_calls": [call]}])
    arguments = json.loads(scrubbed[0]["tool_calls"][0]["function"]["arguments"])
    assert arguments["password"].startswith("<REDACTED:")
    assert arguments["note"] == "s3cr is short"


def test_scrub_messages_propagates_across_messages() -> None:
    call = _tool_call({"command": "export DB_PASSWORD=Loooong-Secret-1"})
    echoed = {"role": "tool", "tool_call_id": "call_1", "content": "value: Loooong-Secret-1"}
    scrubbed, _ = scrub_messages(
        [{"role": "assistant", "content": "", "tool_calls": [call]}, echoed]
    )
    assert "Loooong-Secret-1" not in json.dumps(scrubbed)


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


def test_excluded_plugins_are_documented_choices() -> None:
    names = {type(p).__name__ for p in scrub._detect_secrets_plugins()}
    assert "IPPublicDetector" not in names
    assert {"AWSKeyDetector", "KeywordDetector", "PrivateKeyDetector", "JwtTokenDetector"} <= names


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


def test_halops_scrub_subcommand(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from halops.cli import main

    monkeypatch.setattr(sys, "stdin", io.StringIO("export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"))
    assert main(["scrub"]) == 0
    out, err = capsys.readouterr()
    assert out == "export AWS_ACCESS_KEY_ID=<REDACTED:aws-access-key-id>"
    assert json.loads(err) == [{"rule": "aws-access-key-id", "line": 1}]
