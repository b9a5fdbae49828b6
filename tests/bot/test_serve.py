"""The model server: config validation, process handling, and a real llama.cpp round trip."""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.serve import (
    DEFAULT_CONFIG,
    LlamaServer,
    ServeConfigError,
    ServerConfig,
    ServerStartError,
    default_serve_config,
    embedded_base_gguf,
    free_port,
    health_check,
    load_serve_config,
    normalise_base_url,
    openai_client,
    port_is_open,
    resolve_model,
    served_models,
    server_command,
)
from tests.conftest import LLAMA_TEST_THREADS, REPO


def write_config(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load(DEFAULT_CONFIG.read_text())
    data.update(changes)
    path = tmp_path / "config" / "serve.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data))
    return path


def small_config(**changes: object) -> ServerConfig:
    base = ServerConfig(
        embedded_base_gguf(),
        port=free_port(),
        n_ctx=1024,
        n_threads=LLAMA_TEST_THREADS,
        startup_timeout_s=60,
    )
    return dataclasses.replace(base, **changes)


# --- configuration ---------------------------------------------------------------------------


def test_shipped_config_is_valid_and_serves_on_loopback() -> None:
    config = load_serve_config()
    assert config.host == "127.0.0.1"
    assert config.model_path.is_file()
    assert config.base_url == f"http://127.0.0.1:{config.port}/v1"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"port": "8080"}, "port: '8080' is not of type 'integer'"),
        ({"port": 80}, "port: 80 is less than the minimum of 1024"),
        ({"host": "0.0.0.0"}, "host: '0.0.0.0' is not one of"),
        ({"n_threads": 0}, "n_threads: 0 is less than the minimum of 1"),
        ({"alias": ""}, "alias: '' does not match"),
        ({"n_gpu": 1}, "(top level): Additional properties are not allowed ('n_gpu' was"),
    ],
)
def test_bad_serve_yaml_is_rejected_naming_file_and_field(
    tmp_path: Path, changes: dict[str, object], message: str
) -> None:
    path = write_config(tmp_path, **changes)
    with pytest.raises(ServeConfigError) as error:
        load_serve_config(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_missing_required_key_is_rejected(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    data = yaml.safe_load(path.read_text())
    del data["n_ctx"]
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ServeConfigError, match="'n_ctx' is a required property"):
        load_serve_config(path)


def test_model_resolution_prefers_the_pipeline_gguf_when_built(tmp_path: Path) -> None:
    pipeline = "results/model/model.Q8_0.gguf"
    assert resolve_model(None, pipeline, tmp_path) == embedded_base_gguf()
    (tmp_path / pipeline).parent.mkdir(parents=True)
    (tmp_path / pipeline).write_bytes(b"GGUF")
    assert resolve_model(None, pipeline, tmp_path) == tmp_path / pipeline
    with pytest.raises(FileNotFoundError, match=r"other\.gguf: model file not found"):
        resolve_model("other.gguf", pipeline, tmp_path)


def test_relative_paths_resolve_against_the_folder_above_config(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "x.gguf").write_bytes(b"GGUF")
    config = load_serve_config(write_config(tmp_path, model="models/x.gguf", port=9001))
    assert (config.model_path, config.port) == (tmp_path / "models" / "x.gguf", 9001)
    assert embedded_base_gguf().name == "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_server_command_passes_every_setting() -> None:
    config = ServerConfig(Path("/m.gguf"), port=9000, n_ctx=2048, n_threads=3, alias="a")
    assert server_command(config)[1:] == [
        "-m", "llama_cpp.server", "--model", "/m.gguf", "--host", "127.0.0.1", "--port", "9000",
        "--n_ctx", "2048", "--n_threads", "3", "--model_alias", "a", "--verbose", "False",
    ]  # fmt: skip
    chatml = dataclasses.replace(config, chat_format="chatml")
    assert server_command(chatml)[-2:] == ["--chat_format", "chatml"]


# --- process handling without a model --------------------------------------------------------


def test_health_check_is_false_when_nothing_listens() -> None:
    assert health_check(f"http://127.0.0.1:{free_port()}/v1", timeout=0.5) is False
    assert served_models(f"http://127.0.0.1:{free_port()}/v1", timeout=0.5) == []


@pytest.mark.parametrize(
    "typed",
    [
        "http://127.0.0.1:8080/v1",
        "http://127.0.0.1:8080/v1/",
        "http://127.0.0.1:8080",
        "http://127.0.0.1:8080/",
        " 127.0.0.1:8080 ",
        "127.0.0.1:8080/v1",
    ],
)
def test_a_base_url_with_or_without_v1_means_the_same_server(typed: str) -> None:
    assert normalise_base_url(typed) == "http://127.0.0.1:8080/v1"


def test_other_paths_and_schemes_are_kept() -> None:
    assert normalise_base_url("https://llm.lab:443/openai") == "https://llm.lab:443/openai/v1"
    assert normalise_base_url("http://[::1]:9000/v1") == "http://[::1]:9000/v1"


def test_free_port_is_bindable() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_serve_yaml_is_found_in_the_working_directory_or_the_config_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert default_serve_config() == tmp_path / "config" / "serve.yaml"
    assert default_serve_config(Path("elsewhere")) == tmp_path / "elsewhere" / "serve.yaml"


def test_cli_reads_serve_yaml_from_the_config_dir(tmp_path: Path) -> None:
    path = write_config(tmp_path, port=80)
    code = "import sys; from bot.serve import cli_main; sys.exit(cli_main(sys.argv[1:]))"
    proc = subprocess.run(
        [sys.executable, "-c", code, "--config-dir", str(path.parent)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.returncode == 2
    assert f"{path}: port: 80 is less than the minimum" in proc.stderr


def test_a_port_in_use_is_refused_before_starting() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        server = LlamaServer(small_config(port=busy.getsockname()[1]))
        with pytest.raises(ServerStartError, match="already in use"):
            server.start()
        assert server.process is None


def test_a_server_that_dies_fails_with_its_output_tail(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"not a gguf file")
    server = LlamaServer(small_config(model_path=broken))
    with pytest.raises(ServerStartError) as error, server:
        pass
    assert "exited with status" in str(error.value)
    assert "broken.gguf" in str(error.value)  # llama-cpp-python names the file it cannot load
    assert server.process is not None and server.process.poll() is not None


# --- the real server -------------------------------------------------------------------------


@pytest.fixture
def running() -> Iterator[LlamaServer]:
    with LlamaServer(small_config()) as server:
        yield server


@pytest.mark.slow
def test_real_server_answers_a_chat_completion_and_stops_cleanly(running: LlamaServer) -> None:
    assert health_check(running.base_url)
    assert served_models(running.base_url) == [running.config.alias]
    # A second server on the same port is refused, and told how to reuse the first.
    with pytest.raises(ServerStartError, match=f"reuse it: --base-url {running.base_url}"):
        LlamaServer(running.config).start()
    reply = openai_client(running.base_url, timeout=60).chat.completions.create(
        model=running.config.alias,
        messages=[{"role": "user", "content": "Say hello in five words."}],
        max_tokens=16,
        temperature=0,
    )
    choice = reply.choices[0]
    assert choice.finish_reason in {"stop", "length"}
    assert choice.message.content and choice.message.content.strip()
    process = running.process
    assert process is not None
    running.stop()
    assert process.poll() is not None
    assert not port_is_open(running.config.host, running.config.port)
    assert not health_check(running.base_url, timeout=0.5)


@pytest.mark.slow
def test_cli_serves_until_interrupted(tmp_path: Path) -> None:
    port = free_port()
    # The shipped serve.yaml (one llama.cpp thread, tests/conftest.py) in a project without
    # results/: the base model.
    write_config(tmp_path, n_threads=LLAMA_TEST_THREADS)
    code = "import sys; from bot.serve import cli_main; sys.exit(cli_main(sys.argv[1:]))"
    cli = subprocess.Popen(
        [sys.executable, "-c", code, "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        banner = cli.stdout.readline() if cli.stdout else ""
        assert banner.startswith("serving ") and f"127.0.0.1:{port}/v1" in banner
        assert health_check(f"http://127.0.0.1:{port}/v1")
        cli.send_signal(signal.SIGINT)
        assert cli.wait(timeout=30) == 0
    finally:
        if cli.poll() is None:
            cli.kill()
    deadline = time.monotonic() + 5
    while port_is_open("127.0.0.1", port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not port_is_open("127.0.0.1", port)
