"""HTTP mode: Bolt's WSGI adapter under a threaded stdlib server bound where we say (loopback
by default; a reverse proxy terminates TLS in front of it)."""

from __future__ import annotations

import logging
import threading
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a stuck client must not keep the process alive at shutdown


class _LoggingHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class SlackHTTPServer:
    """`with SlackHTTPServer(app, port=0) as server:` serves in a thread; `server.url`."""

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 3000) -> None:
        handler = SlackRequestHandler(app, path=EVENTS_PATH)
        self.httpd = make_server(
            host, port, handler, server_class=_ThreadingWSGIServer, handler_class=_LoggingHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}{EVENTS_PATH}"

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.05)

    def __enter__(self) -> SlackHTTPServer:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
