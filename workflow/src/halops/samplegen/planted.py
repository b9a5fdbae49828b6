"""Fake credentials planted in the generated sessions.

They look real on purpose (right prefixes, lengths and alphabets) so that the scrubber is tested
against what a leaked credential actually looks like; none of them was ever valid anywhere.
Tests assert every entry appears in the raw corpus and none reaches the final splits.
"""

from __future__ import annotations

# The OpenSSH private key printed by `cat ~/.ssh/id_ed25519`. The first base64 line is the
# constant `openssh-key-v1` header shared by every key, so only the later lines are secret.
SSH_KEY_LINES: tuple[str, ...] = (
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
    "QyNTUxOQAAACAJl0LRTYrWJSpIZDzz8UTsFsspdgj06im+NAqV/r2mfSa3tszZBw1y3e+E",
    "4ZO8pfmti79GebIIhgh5yT3Jgiti8EDT6SdGt2iCI3Wg5DxIxfyChhuqtOKsRBjcI1CtFH",
    "wrkxUSBt2r1pmzCtJLOEdUcZ9APgMXm1AcxMZ898HHiIN4y7JLLG064N1BGRlTCuixtpxJ",
    "CpcTLqgOvI74OJITRGZL/g3/eQ5Gsc72RN6XJWNkTBCJ70x3kqUIahkqUCry57uSyK9dJs",
    "F3cHtyjMH6iMWucE60YCIHwn7j+S+F5c5J0T/fOviCdhcWJtKFEXjOJJW03uD4tUXLRxvU",
    "99E65JTElbpcc/2Kjk+jUo+Ewm4FL9HBgIYZNqOSmToiCyYhJRSMyxF193bQv78=",
)
SSH_PRIVATE_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    + "\n".join(SSH_KEY_LINES)
    + "\n-----END OPENSSH PRIVATE KEY-----"
)
IPMI_PASSWORD = "27%8wdGmYdiEXl"
GRAFANA_TOKEN = "glsa_mpJqNeNlTZmcNlP0rpyOMGmSEgMpzmVz_c4b832f7"
URL_PASSWORD = "ZQPfCcBdsKmvcgr4"
AWS_ACCESS_KEY_ID = "AKIAKVSWKAJDC4B3R336"
AWS_SECRET_ACCESS_KEY = "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"
SSHPASS_PASSWORD = "C659ApiBkXhP"
MYSQL_PASSWORD = "8uQJovskSlWcF"
SHADOW_HASH = (
    "$6$1NDvLnPpzMjThwsq$wpKOi5qnojyRLz9Q3qI18DKbQvAiFjEIT3cU9OmWxACbsjtQikj7s3qaCHwsmoUXeWUErXw537"
    ".KpbZnfsug.n"
)

# kind -> the exact secret strings of that kind.
PLANTED_SECRET_KINDS: dict[str, tuple[str, ...]] = {
    "ssh_private_key": SSH_KEY_LINES[1:],
    "ipmi_password": (IPMI_PASSWORD,),
    "bearer_token": (GRAFANA_TOKEN,),
    "url_credentials": (URL_PASSWORD,),
    "aws_access_key": (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY),
    "sshpass_password": (SSHPASS_PASSWORD,),
    "mysql_password": (MYSQL_PASSWORD,),
    "shadow_hash": (SHADOW_HASH,),
}

PLANTED_SECRETS: list[str] = [s for group in PLANTED_SECRET_KINDS.values() for s in group]
