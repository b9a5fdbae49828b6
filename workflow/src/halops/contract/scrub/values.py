"""Is a candidate value a secret? Every detector proposes values; these tests turn most of the
false positives away, the same way for all of them.

A value is *not* a secret when it is
- a reference to where the secret lives (``$PASSWORD``, ``${DB_PASS}``, ``"$(pass show bmc)"``,
  ``{{ vault_pw }}``, ``env:VAR``, ``args.password``, ``os.environ["X"]``);
- a documented placeholder (``AKIAIOSFODNN7EXAMPLE``, ``xxxx``, ``your-token-here``,
  ``REPLACE_ME``, ``changeme``, ``<password>``);
- text that is already redacted, by this scrubber (``<REDACTED:rule>``) or by anyone else
  (``***``, ``[REDACTED]``, ``<hidden>``, ``sk-...abcd``);
- a file name or path (``--client-key=/etc/kubernetes/pki/admin.key``).

Prose is judged harder (:func:`is_passwordish`): "the password is stored in Vault" names no
password, "the password is hunter2" does.
"""

from __future__ import annotations

import base64
import binascii
import re

OWN_MARKER_RE = re.compile(r"<REDACTED:[\w:.-]+>")

_REFERENCE_RE = re.compile(
    r"""(?x)
    ^\$(?!'|(?:1|2[abxy]?|5|6|7|y|gy|apr1|md5|sha1|argon2i?d?|pbkdf2[-\w]*)\$)
                                  # $VAR ${VAR} $(cmd): not bash's $'ansi' nor a hash $6$..
    | \$[({]                      # a substitution anywhere inside
    | `
    | ^%\w+%$ | %\(\w+\)[sd]      # %VAR% (cmd.exe), %(name)s (Python)
    | \{\{.*\}\} | \{%.*%\} | <%=? | \#\{.*\} | @\{.*\}   # Jinja/Go/ERB/Ruby/PowerShell
    | ^(?:env|file|fd|stdin|keychain|keyring|vault|op|secret|secretref|ssm|arn):
    | ^op://                      # 1Password references
    | ^ENC\[ | ^!vault            # sops / ansible-vault: encrypted, not the plaintext
    | ^![A-Za-z]+$                # YAML tags: `password: !ENV ${X}`, `!secret db_pw`
    | ^(?:lookup|getenv|os\.environ|process\.env|env)\b
    | ^(?:Get|ConvertTo|ConvertFrom|Read|New|Import)-[A-Z]\w+$   # PowerShell cmdlets
    | ^(?:cat|pass|gopass|vault|op|security|secret-tool|bw|lpass|sops|doppler|aws|gcloud|az
        |kubectl|head|base64|jq|yq|keyring|systemd-creds)[ \t]+\S   # a command that prints it
    """
)
# `args.password`, `self.cfg.token`, `settings.DB_PASSWORD`: attribute paths in code.
# Each part snake_case, camelCase or a CONSTANT: `hvs.CAESIk8...` (a Vault token) is not one.
_IDENTIFIER = r"(?:[a-z_][a-z0-9_]*|[a-z]+(?:[A-Z][a-z]+)+|[A-Z_][A-Z0-9_]*)"
_DOTTED_NAME_RE = re.compile(rf"^{_IDENTIFIER}(?:\.{_IDENTIFIER})+$")
# `db_password`, `api_token`, `dbPassword`: a variable named after a secret, not the secret.
_SECRET_NAMED_IDENTIFIER_RE = re.compile(
    r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$|^[a-z]+(?:[A-Z][a-z]+)+$"
)
_SECRET_WORD_RE = re.compile(r"(?i)pass|pwd|secret|token|key|cred|auth")
_CALL_RE = re.compile(r"^[A-Za-z_][\w.]*\(.*\)?$|^[A-Za-z_][\w.]*\[.*\]$")

# Whole values that are placeholders (case-insensitive).
_PLACEHOLDER_WORDS = frozenset(
    [
        "password",
        "passwd",
        "pass",
        "pwd",
        "pw",
        "passphrase",
        "secret",
        "secrets",
        "token",
        "tokens",
        "key",
        "apikey",
        "api_key",
        "api-key",
        "credential",
        "credentials",
        "creds",
        "auth",
        "community",
        "changeme",
        "change_me",
        "change-me",
        "changeit",
        "change_it",
        "replaceme",
        "replace_me",
        "replace-me",
        "placeholder",
        "example",
        "sample",
        "dummy",
        "fake",
        "todo",
        "tbd",
        "fixme",
        "notset",
        "unset",
        "undefined",
        "none",
        "null",
        "nil",
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "required",
        "optional",
        "prompt",
        "empty",
        "blank",
        "default",
        "value",
        "foo",
        "bar",
        "baz",
        "qux",
        "foobar",
        "include",
        "omit",
        "same-origin",
        "username",
        "user",
        "login",
        "redacted",
        "hidden",
        "masked",
        "removed",
        "filtered",
        "omitted",
        "secret_here",
    ]
)
_PLACEHOLDER_RE = re.compile(
    r"""(?xi)
    ^<[^<>]*>$ | ^\[[^\[\]]*\]$ | ^\{[^{}]*\}$ | ^\([^()]*\)$    # <password> [token] {key} (pw)
    | ^(?:your|my|the|some|a|an|enter|insert|put|paste|add|new|example|sample|test|dummy|fake)
      [-_ ]?[a-z0-9_ -]*(?:pass(?:word)?|passwd|pwd|pw|secret|token|key|api[-_ ]?key
      |here|value|name|id|creds?|credentials?|community)s?$
    | [-_]here$ | ^here$
    | replace | changeme | change[-_]me | placeholder | redacted
    | example                                                     # AWS' documented example keys
    | x{4,} | ^x{3}$ | \*{3,} | •{2,} | \.{3} | …                 # masks: xxxx  ****  sk-...ab
    | ^(.)\1+$                                                    # aaaaaaa  00000000
    | ^[-_.=:/\\|#*~+!?,;]+$                                        # punctuation only
    """
)
_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "9876543210",
    "qwertyuiopasdfghjklzxcvbnm",
)
_REDACTION_WORDS_RE = re.compile(
    r"(?i)redacted|\bfiltered\b|\bmasked\b|\bhidden\b|\bremoved\b|\bcensored\b|\bscrubbed\b"
    r"|\bomitted\b|\bsanitized\b|\bsnip(?:ped)?\b|\bsecret\b"
)
_PATH_RE = re.compile(
    r"""(?xi)
    ^(?:/|~/|\./|\.\./|[a-z]:\\|\\\\)                       # absolute, home, relative, Windows
    | ^[\w.-]+\.(?:key|pem|crt|cer|csr|der|p12|pfx|jks|keystore|keytab|gpg|asc|pub|txt|json
                |ya?ml|toml|conf|cfg|ini|env|properties|secret|token|pass(?:word)?|kdbx)$
    """
)


def is_reference(value: str, code: bool = True) -> bool:
    """A variable, command substitution or template: where a secret is. With ``code``, also an
    expression (`args.password`, `getpass()`, `db_password`); after a tool's password option
    (`racadm -p a.b`) such a shape is just the password."""
    if _REFERENCE_RE.search(value):
        return True
    if not code:
        return False
    if _DOTTED_NAME_RE.match(value) or _CALL_RE.match(value):
        return True
    return bool(_SECRET_NAMED_IDENTIFIER_RE.match(value) and _SECRET_WORD_RE.search(value))


def is_redacted(value: str) -> bool:
    """Already masked: our own marker or a common one (``***``, ``[REDACTED]``, ``<hidden>``)."""
    if OWN_MARKER_RE.search(value):
        return True
    return bool(_REDACTION_WORDS_RE.search(value) and re.search(r"[\[<({*]", value)) or (
        value.upper() in {"REDACTED", "HIDDEN", "MASKED", "FILTERED", "CENSORED", "SCRUBBED"}
    )


def is_sequential(value: str) -> bool:
    lowered = value.lower()
    return len(lowered) >= 6 and any(lowered in sequence for sequence in _SEQUENCES)


def is_placeholder(value: str) -> bool:
    """A documented placeholder or mask, never a real credential."""
    stripped = value.strip()
    return (
        stripped.lower() in _PLACEHOLDER_WORDS
        or bool(_PLACEHOLDER_RE.search(stripped))
        or is_sequential(stripped)
    )


def looks_like_path(value: str) -> bool:
    return bool(_PATH_RE.match(value))


def not_a_secret(value: str, code: bool = True) -> bool:
    """The shared filter: empty, a reference, a placeholder, a mask or a path. ``code``: the
    value may be a code expression (keyword assignments, catalogue hits), see is_reference."""
    value = value.strip()
    if len(value) < 3 or not re.search(r"\w", value):
        return True
    return (
        is_redacted(value)
        or is_reference(value, code)
        or is_placeholder(value)
        or looks_like_path(value)
    )


# --- prose -----------------------------------------------------------------------------------

# Words that follow "the password is" in sentences that do not give the password.
_PROSE_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "in",
        "on",
        "at",
        "of",
        "for",
        "to",
        "from",
        "by",
        "with",
        "without",
        "into",
        "onto",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "not",
        "no",
        "now",
        "still",
        "also",
        "just",
        "only",
        "already",
        "then",
        "there",
        "here",
        "same",
        "different",
        "correct",
        "incorrect",
        "wrong",
        "right",
        "valid",
        "invalid",
        "ok",
        "okay",
        "fine",
        "good",
        "bad",
        "weak",
        "strong",
        "long",
        "short",
        "empty",
        "blank",
        "unknown",
        "known",
        "missing",
        "present",
        "set",
        "unset",
        "required",
        "optional",
        "needed",
        "stored",
        "kept",
        "saved",
        "managed",
        "rotated",
        "expired",
        "locked",
        "hashed",
        "encrypted",
        "changed",
        "reset",
        "available",
        "unavailable",
        "new",
        "old",
        "current",
        "default",
        "usual",
        "standard",
        "complex",
        "simple",
        "secure",
        "insecure",
        "too",
        "very",
        "quite",
        "really",
        "probably",
        "likely",
        "definitely",
        "different",
        "accepted",
        "rejected",
        "and",
        "or",
        "but",
        "if",
        "when",
        "while",
        "because",
        "so",
        "as",
        "see",
        "check",
        "ask",
        "use",
        "try",
        "please",
        "via",
        "under",
        "inside",
        "what",
        "which",
        "who",
        "where",
        "how",
        "why",
        "yes",
        "your",
        "my",
        "our",
        "their",
        "his",
        "her",
        "you",
        "we",
        "they",
        "i",
        "he",
        "she",
        "one",
        "case",
        "sensitive",
        "protected",
        "generated",
        "random",
        "temporary",
        "expiring",
        "pending",
        "working",
    ]
)
_PASSWORDISH_SHAPE = re.compile(r"\d|[^\w\s]|[a-z][A-Z]|^[A-Z]{2,}\d*$")


def is_passwordish(value: str, quoted: bool) -> bool:
    """In prose, does ``value`` read like a password rather than the next English word?"""
    if not_a_secret(value) or re.match(r"(?i)^[a-z][\w+.-]*://", value):
        return False  # a URL is where to get it (URLs with credentials have their own rules)
    if quoted:
        return value == value.strip() and not value.startswith((";", ",", "&", "|"))
    lowered = value.lower()
    if lowered in _PROSE_STOPWORDS or re.search(r"(?:ed|ing|ly|able|ible)$", lowered):
        return _PASSWORDISH_SHAPE.search(value) is not None and not value.isalpha()
    return len(value) >= 4


# --- base64 ------------------------------------------------------------------------------------

_BASE64_RE = re.compile(r"^[A-Za-z0-9+/_-]{12,}={0,2}$")


def decode_base64_text(value: str) -> str | None:
    """The decoded text when ``value`` is base64 of printable UTF-8, else None."""
    if not _BASE64_RE.match(value):
        return None
    padded = value + "=" * (-len(value) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    if not text or any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        return None
    return text


def is_harmless_base64(value: str, has_secret: object) -> bool:
    """Base64 of words or structured text with no credential inside (``SGVsbG8gd29ybGQ=``).
    ``has_secret(text)`` is the scanner itself, so a base64'd ``user:password`` or config with a
    password in it is not harmless."""
    text = decode_base64_text(value)
    if text is None:
        return False
    if re.fullmatch(r"[^\s:]+:\S+", text):  # HTTP basic credentials
        return False
    readable = re.search(r"\s", text) or re.match(r"[\[{<]", text.lstrip())
    return bool(readable) and not has_secret(text)  # type: ignore[operator]
