"""The parser: every simple command, wherever it hides, with wrappers peeled."""

from __future__ import annotations

import pytest

from bot.safety.shell_parse import (
    MAX_SIMPLE_COMMANDS,
    NestingTooDeep,
    ParseError,
    Redirect,
    parse_command,
)


def _argvs(command: str, *, variants: bool = False) -> list[tuple[str, ...]]:
    return [c.argv for c in parse_command(command) if variants or not c.variant]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("ls -la", [("ls", "-la")]),
        ("a | b | c", [("a",), ("b",), ("c",)]),
        ("a; b && c || d &", [("a",), ("b",), ("c",), ("d",)]),
        ("(a; b)", [("a",), ("b",)]),
        ("{ a; b; }", [("a",), ("b",)]),
        ("echo $(a) `b`", [("a",), ("b",), ("echo", "$(a)", "`b`")]),
        ("diff <(a) >(b)", [("a",), ("b",), ("diff", "<(a)", ">(b)")]),
        ("if a; then b; else c; fi", [("a",), ("b",), ("c",)]),
        ("for x in $(a); do b; done", [("a",), ("b",)]),
        ("while a; do b; done", [("a",), ("b",)]),
        ("f() { a; }", [("a",)]),
        ("bash -c 'a; b'", [("a",), ("b",)]),
        ("sh -ec 'a | b'", [("a",), ("b",)]),
        ("eval 'a && b'", [("a",), ("b",)]),
        ("! a", [("a",)]),
        ("a # comment", [("a",)]),
        ("time a -x", [("a", "-x")]),
    ],
)
def test_flattens_every_construct(command: str, expected: list[tuple[str, ...]]) -> None:
    assert _argvs(command) == expected


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
        ("/usr/bin/time -f %e ls", ("ls",), ("time",)),
        ("command -p ls", ("ls",), ("command",)),
        ("exec -a name ls", ("ls",), ("exec",)),
        ("xargs -0 -n 1 -P4 ls -l", ("ls", "-l"), ("xargs",)),
        ("xargs", ("echo",), ("xargs",)),
        ("sudo timeout 5 nice ls", ("ls",), ("sudo", "timeout", "nice")),
    ],
)
def test_peels_wrappers(command: str, argv: tuple[str, ...], wrappers: tuple[str, ...]) -> None:
    [simple] = parse_command(command)
    assert (simple.argv, simple.wrappers) == (argv, wrappers)


@pytest.mark.parametrize(
    "command", ["sudo -l", "sudo -v", "env", "command -v ls", "ionice -p 123", "nice"]
)
def test_a_wrapper_with_nothing_wrapped_is_itself_the_command(command: str) -> None:
    [simple] = parse_command(command)
    assert simple.argv == tuple(command.split()) and simple.wrappers == ()


def test_xargs_marks_arguments_from_stdin() -> None:
    [first, second] = parse_command("find . -name x | xargs rm")
    assert not first.args_from_stdin
    assert second.args_from_stdin and second.stdin_from == ("find",)


def test_pipeline_records_upstream_commands() -> None:
    commands = parse_command("curl x | base64 -d | sh")
    assert [c.stdin_from for c in commands] == [(), ("curl",), ("curl", "base64")]
    assert [c.pipeline_stage for c in commands] == [0, 1, 2]


def test_redirections_are_recorded_with_their_targets() -> None:
    [simple] = parse_command("ls > /tmp/out 2>&1 < /etc/hosts")
    assert simple.redirects == (
        Redirect(">", "/tmp/out"),
        Redirect(">&", "1"),
        Redirect("<", "/etc/hosts"),
    )
    assert [r.writes for r in simple.redirects] == [True, False, False]


def test_group_redirections_apply_to_every_command_inside() -> None:
    commands = parse_command("{ a; b; } > /dev/sda")
    assert all(Redirect(">", "/dev/sda") in c.redirects for c in commands)


@pytest.mark.parametrize(
    ("command", "literal"),
    [
        ("ls /tmp", True),
        ("ls '/tmp'", True),
        ("ls ~/x", True),
        ("ls $HOME", False),
        ("ls ${x}", False),
        ("ls $(pwd)", False),
        ("$'ls'", False),
        ('$"ls"', False),
        ("ls > $out", False),
        ("x=$(id) ls", False),
        ("cat <<EOF\n$x\nEOF", False),
        ("cat <<EOF\nplain\nEOF", True),
    ],
)
def test_literal_flag(command: str, literal: bool) -> None:
    main = [c for c in parse_command(command) if not c.variant and c.argv][-1]
    assert main.literal is literal


@pytest.mark.parametrize(
    ("command", "variant"),
    [
        ("x=rm; $x -rf /", ("rm", "-rf", "/")),
        ("x=a; x=b; $x", ("a",)),
        ("rm$IFS-rf$IFS/", ("rm", "-rf", "/")),
        ("IFS=:; c=a:b; $c", ("a", "b")),
        ("$(echo rm) -rf /", ("rm", "-rf", "/")),
        ("$'\\x72m' x", ("rm", "x")),
        ("rm -rf $HOME", ("rm", "-rf", "~")),
    ],
)
def test_variant_readings_resolve_what_is_static(command: str, variant: tuple[str, ...]) -> None:
    variants = [c for c in parse_command(command) if c.variant]
    assert variant in [c.argv for c in variants]
    assert all(not c.literal for c in variants)


def test_multiple_assignments_give_one_variant_each() -> None:
    variants = {c.argv for c in parse_command("x=a; x=b; $x") if c.variant}
    assert variants == {("a",), ("b",)}


def test_brace_expansion_is_literal_and_quoted_braces_are_not_expanded() -> None:
    assert _argvs("ls /var/{log,lib}") == [("ls", "/var/log", "/var/lib")]
    assert _argvs("echo {1..3}") == [("echo", "1", "2", "3")]
    assert _argvs("awk '{print $1,$2}' f") == [("awk", "{print $1,$2}", "f")]
    assert _argvs("find . -exec ls {} \\;")[0] == ("find", ".", "-exec", "ls", "{}", ";")


def test_find_exec_runs_its_command_with_each_start_path() -> None:
    argvs = _argvs("find /srv /opt -exec rm -rf {} +")
    assert ("rm", "-rf", "/srv") in argvs and ("rm", "-rf", "/opt") in argvs


def test_ssh_remote_command_is_parsed_and_ssh_kept() -> None:
    commands = parse_command("ssh -p 22 -i key pve01 'uptime; df -h'")
    assert [c.argv for c in commands] == [
        ("ssh", "-p", "22", "-i", "key", "pve01", "uptime; df -h"),
        ("uptime",),
        ("df", "-h"),
    ]
    assert commands[1].context == ("ssh",)


def test_here_string_and_document_to_a_shell_are_parsed() -> None:
    assert _argvs("bash <<< 'a; b'") == [("a",), ("b",)]
    assert _argvs("sh <<EOF\na\nb\nEOF") == [("a",), ("b",)]


def test_function_bodies_know_their_function() -> None:
    body, call = parse_command("f() { g; }; f")
    assert (body.function, body.calls_function) == ("f", False)
    assert (call.function, call.calls_function) == (None, True)


def test_background_flag() -> None:
    first, second = parse_command("a & b")
    assert first.background and not second.background


@pytest.mark.parametrize("command", ["", "   ", "\n", "# only a comment"])
def test_blank_commands_give_nothing(command: str) -> None:
    assert parse_command(command) == []


@pytest.mark.parametrize(
    "command",
    [
        "ls 'unterminated",
        "echo $((1 + 2))",
        "case x in a) ls;; esac",
        "[[ -f x ]] && ls",
        "a=(1 2)",
        "ls \x00",
        "x" * 20_001,
        "echo (",
        "coproc ls",
    ],
)
def test_what_cannot_be_parsed_raises_parse_error(command: str) -> None:
    with pytest.raises(ParseError):
        parse_command(command)


def test_nesting_is_bounded() -> None:
    assert _argvs("eval 'eval \"eval ls\"'") == [("ls",)]
    with pytest.raises(NestingTooDeep):
        parse_command('eval \'eval "eval \\"eval \\\\\\"eval ls\\\\\\"\\""\'')


def test_number_of_simple_commands_is_bounded() -> None:
    with pytest.raises(ParseError, match="simple commands"):
        parse_command("; ".join(["ls"] * (MAX_SIMPLE_COMMANDS + 1)))


def test_non_string_input_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_command(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "command",
    ["'''${'$", "'(a(7{'3;6~~\\5-3\\0x*3x';${09!1-;')8'xab$", "'5a48;${*;\n#95 )(<0<\n4)4'*>>b"],
)
def test_inputs_that_make_bashlex_loop_forever_are_cut_off(command: str) -> None:
    # Found by fuzzing: without the step budget these never return and grow to gigabytes.
    with pytest.raises(ParseError, match="gave up"):
        parse_command(command)


def test_cd_gives_later_commands_a_working_directory() -> None:
    commands = parse_command("ls; cd /var; ls; cd log && ls; cd $x; ls")
    assert [c.cwd for c in commands if c.name == "ls"] == [None, "/var", "/var/log", None]


def test_here_document_substitutions_are_parsed() -> None:
    argvs = _argvs('cat <<EOF\na "quoted" $(id -u) `hostname`\nEOF')
    assert ("id", "-u") in argvs and ("hostname",) in argvs
