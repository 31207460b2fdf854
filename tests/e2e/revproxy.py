"""A tiny reverse proxy for the tests, run as its own process in front of a real server.

``python -m tests.e2e.revproxy UPSTREAM_PORT LISTEN_PORT`` listens on 127.0.0.1 (clients can
still come from 127.0.0.2, 127.0.0.3...: all of 127.0.0.0/8 is loopback), forwards each request to
``127.0.0.1:UPSTREAM_PORT`` from 127.0.0.1, and appends the client's address to the
``X-Forwarded-For`` it received, as nginx's ``$proxy_add_x_forwarded_for`` does: whatever the
client wrote there is passed on, to its left.
"""

from __future__ import annotations

import http.client
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Hop-by-hop headers, and those the proxy writes itself.
NOT_FORWARDED = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "x-forwarded-for",
    "content-length",
    "date",
    "server",
}


class Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream_port = 0

    def forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in NOT_FORWARDED}
        chain = [*(self.headers.get_all("X-Forwarded-For") or []), self.client_address[0]]
        headers["X-Forwarded-For"] = ", ".join(chain)
        upstream = http.client.HTTPConnection(
            "127.0.0.1", self.upstream_port, timeout=120, source_address=("127.0.0.1", 0)
        )
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
        finally:
            upstream.close()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in NOT_FORWARDED:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = forward

    def log_message(self, format: str, *args: object) -> None:
        pass


def main(upstream_port: int, listen_port: int) -> None:
    Forward.upstream_port = upstream_port
    with ThreadingHTTPServer(("127.0.0.1", listen_port), Forward) as server:
        server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
