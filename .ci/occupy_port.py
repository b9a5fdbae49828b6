"""Another server on the bot's default port, as on a machine where 8080 is already taken.

    python3 .ci/occupy_port.py 8080

Listens on 127.0.0.1:PORT and 0.0.0.0:PORT at once (SO_REUSEPORT lets the two coexist; a
connection to 127.0.0.1 reaches the more specific one) and answers like someone else's
OpenAI-compatible server (llama.cpp's default port is 8080): `/models` lists a model that is
not halops, every other request gets an unrelated HTTP 200 page. A test that silently relied
on a free 8080, or on its own server there, fails instead of passing by luck. `.ci/run` holds
it for the whole test run. Standard library only: it starts before setup.sh has built the
venv. Prints "listening" once both sockets listen.
"""

from __future__ import annotations

import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = b"<html><body>another service owns this port</body></html>\n"
MODELS = b'{"object": "list", "data": [{"id": "another-service", "object": "model"}]}'


class NotHalops(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        models = self.path.rstrip("/").endswith("/models")
        body = MODELS if models else PAGE
        self.send_response(200)
        self.send_header("Content-Type", "application/json" if models else "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write(f"occupy_port: {self.address_string()} {format % args}\n")


class SharedPortServer(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()


def main(port: int) -> None:
    servers = [SharedPortServer((host, port), NotHalops) for host in ("0.0.0.0", "127.0.0.1")]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"occupy_port: listening on 127.0.0.1:{port} and 0.0.0.0:{port}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main(int(sys.argv[1]))
