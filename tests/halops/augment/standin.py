"""A local stand-in for an OpenAI-compatible chat-completions endpoint, with scripted answers.

A real HTTP server on a free 127.0.0.1 port speaking the `/v1/chat/completions` wire format, so
the `openai` client, its error mapping (429, 5xx) and our retries run exactly as against a real
server. Every request body is recorded, so tests can assert what left the process.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Script = Callable[[dict[str, Any]], str]


@dataclass
class StandIn:
    script: Script
    fail_first: list[int] = field(default_factory=list)  # status codes for the first requests
    requests: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def sent_text(self) -> str:
        """Everything the clients sent, as one string."""
        return "\n".join(json.dumps(r, ensure_ascii=False) for r in self.requests)


def _handler(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:  # http.server's naming
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                standin.requests.append(body)
                failure = standin.fail_first.pop(0) if standin.fail_first else None
            if self.path != "/v1/chat/completions":
                self._reply(404, {"error": {"message": f"no route {self.path}"}})
            elif failure is not None:
                self._reply(failure, {"error": {"message": f"scripted {failure}"}})
            else:
                self._reply(200, completion(body, standin.script(body)))

        def _reply(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def completion(request: dict[str, Any], content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-standin",
        "object": "chat.completion",
        "created": 0,
        "model": request.get("model", "standin"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


@contextmanager
def serve(standin: StandIn) -> Iterator[StandIn]:
    """Run the stand-in on a port the OS picks; stopped and closed on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(standin))
    standin.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def lab_script(request: dict[str, Any]) -> str:
    """Deterministic answers by task: two rewordings (the second loses every host name), two
    runbook questions, and an answer quoting the runbook's first line."""
    system = next((m["content"] for m in request["messages"] if m["role"] == "system"), "")
    user = next((m["content"] for m in request["messages"] if m["role"] == "user"), "")
    if system.startswith("You rewrite requests"):
        return f"1. Could you please do this: {user}\n2. do the usual check on that box"
    if system.startswith("You write questions"):
        return "- What is the first step?\n- Who has to approve it?"
    if system.startswith("Answer the operator's question"):
        body = system.split("\n\n# ", 1)[1].split("\n\n", 1)[1]
        return f"About {user.lower()} the runbook says: {body.splitlines()[0]}"
    return "unexpected request"
