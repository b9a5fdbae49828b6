"""A local stand-in for the model server's OpenAI-compatible API, for process-level tests and
the load benchmark of the Slack bot (loopback only).

It answers `POST /v1/chat/completions` from a script: the reply for a request is the next of
the replies listed under the first script key found in the conversation's first user message
(the question), or `default`. A reply of `HANG` holds the request open until `release()`, so
a test can stop the bot while a model call is in flight. `GET /v1/models` lists one model.
The real model is tested elsewhere (llama.cpp in the end-to-end tests).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG = "<hang>"


class ModelStandIn:
    """`with ModelStandIn({"reboot": [call, "Done."]}) as model:`; `model.base_url`."""

    def __init__(self, scripts: Mapping[str, list[str]], default: str = "OK.") -> None:
        self.scripts = {key: list(replies) for key, replies in scripts.items()}
        self.default = default
        self.requests: list[list[dict[str, Any]]] = []
        self.hanging = threading.Event()  # set while a HANG reply holds a request
        self._released = threading.Event()
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> ModelStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()
        self.httpd.shutdown()
        self.httpd.server_close()

    def release(self) -> None:
        self._released.set()

    def reply_for(self, messages: list[dict[str, Any]]) -> str:
        question = next((str(m["content"]) for m in messages if m["role"] == "user"), "")
        with self._lock:
            self.requests.append(messages)
            for key, replies in self.scripts.items():
                if key in question and replies:
                    return replies.pop(0)
        return self.default

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._send({"object": "list", "data": [{"id": "halops", "object": "model"}]})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                text = standin.reply_for(body.get("messages") or [])
                if text == HANG:
                    standin.hanging.set()
                    standin._released.wait()
                    text = standin.default
                self._send(
                    {
                        "id": "chatcmpl-standin",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body.get("model", "halops"),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": text},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    }
                )

            def _send(self, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(ConnectionError):  # the caller stopped waiting
                    self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
