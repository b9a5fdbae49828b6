"""The HTTP executor against a real http.server on 127.0.0.1."""

from __future__ import annotations

import pytest

from bot.tools.http import HttpExecutor

TIMEOUT_S = 5.0


@pytest.fixture
def http() -> HttpExecutor:
    return HttpExecutor(cap_bytes=4096)


def test_get_returns_status_headers_and_body(http: HttpExecutor, http_base: str) -> None:
    result = http.execute({"url": f"{http_base}/api/health"}, TIMEOUT_S)
    assert (result.ok, result.exit_status, result.error_kind) == (True, 200, None)
    head, body = result.output.split("\n\n", 1)
    assert head.splitlines()[0] == "HTTP 200 OK"
    assert "Content-Type: text/plain; charset=utf-8" in head
    assert body == "GET /api/health token= body="


def test_head_has_no_body(http: HttpExecutor, http_base: str) -> None:
    result = http.execute({"url": f"{http_base}/api/health", "method": "HEAD"}, TIMEOUT_S)
    assert result.ok and "\n\n" not in result.output
    assert result.output.startswith("HTTP 200 OK\n")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_methods_with_body_and_headers(http: HttpExecutor, http_base: str, method: str) -> None:
    args = {
        "url": f"{http_base}/api/vm/101",
        "method": method,
        "body": '{"state": "stopped"}',
        "headers": {"X-Token": "t1", "Content-Type": "application/json"},
    }
    result = http.execute(args, TIMEOUT_S)
    assert result.ok
    assert result.output.endswith(f'{method} /api/vm/101 token=t1 body={{"state": "stopped"}}')


def test_method_is_case_insensitive(http: HttpExecutor, http_base: str) -> None:
    assert http.execute({"url": http_base + "/x", "method": "post"}, TIMEOUT_S).output.endswith(
        "POST /x token= body="
    )


def test_error_status_is_a_nonzero_exit(http: HttpExecutor, http_base: str) -> None:
    result = http.execute({"url": f"{http_base}/missing"}, TIMEOUT_S)
    assert (result.ok, result.exit_status, result.error_kind) == (False, 404, "nonzero_exit")
    assert result.output.startswith("HTTP 404 Not Found") and "no such thing" in result.output


def test_redirects_are_reported_not_followed(http: HttpExecutor, http_base: str) -> None:
    result = http.execute({"url": f"{http_base}/redirect"}, TIMEOUT_S)
    assert (result.ok, result.exit_status) == (True, 302)
    assert "Location: http://203.0.113.9/elsewhere" in result.output


def test_body_is_capped(http: HttpExecutor, http_base: str) -> None:
    result = http.execute({"url": f"{http_base}/big"}, TIMEOUT_S)
    assert result.ok and len(result.output.encode()) <= 4096
    assert "bytes cut by the output cap" in result.output


def test_slow_server_times_out(http: HttpExecutor, http_base: str) -> None:
    result = http.execute({"url": f"{http_base}/slow"}, 0.5)
    # /slow answers only when the fixture is torn down: without the timeout this would hang.
    assert (result.ok, result.error_kind) == (False, "timeout")
    assert result.duration_s >= 0.5


def test_closed_port_is_host_down(http: HttpExecutor, closed_tcp_port: int) -> None:
    result = http.execute({"url": f"http://127.0.0.1:{closed_tcp_port}/"}, TIMEOUT_S)
    assert (result.ok, result.error_kind, result.exit_status) == (False, "host_down", None)


def test_proxy_variables_are_ignored(
    http: HttpExecutor, http_base: str, closed_tcp_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{closed_tcp_port}")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert HttpExecutor().execute({"url": f"{http_base}/x"}, TIMEOUT_S).ok


@pytest.mark.parametrize(
    "args",
    [
        {"url": "file:///etc/passwd"},
        {"url": "ftp://127.0.0.1/"},
        {"url": "http://"},
        {"url": "http://127.0.0.1/", "method": "PATCH"},
        {"url": "http://127.0.0.1/", "headers": {"X-N": 1}},
        {},
    ],
    ids=["file", "ftp", "no-host", "bad-method", "bad-header", "no-url"],
)
def test_bad_arguments(http: HttpExecutor, args: dict[str, object]) -> None:
    assert http.execute(args, TIMEOUT_S).error_kind == "bad_arguments"
