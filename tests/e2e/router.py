"""The loopback router between moto's Step Functions engine and cargo-lambda's emulator.

moto executes the state machine and sends every service call to http://localhost:$MOTO_PORT.
This router listens there: Lambda Invoke requests (`/2015-03-31/functions/<name or ARN>/invocations`)
go to `cargo lambda watch`, addressed by binary name (the function name without the deployment
prefix, e.g. `orgpulse-report`); everything else goes back to moto untouched.

Usage: python -m tests.e2e.router --port P --moto-port M --lambda-port L
"""

import argparse
import http.client
import http.server
import re
import threading
import urllib.parse

INVOKE = re.compile(r"^/2015-03-31/functions/(?P<fn>[^/]+)/invocations")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def function_binary(name_or_arn: str) -> str:
    """`arn:aws:lambda:us-east-1:1:function:orgpulse-report` or `orgpulse-report` -> binary name."""
    name = urllib.parse.unquote(name_or_arn)
    if name.startswith("arn:"):
        name = name.split(":")[6]
    return name


class Router(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, moto_port: int, lambda_port: int):
        super().__init__(("127.0.0.1", port), Handler)
        self.moto_port = moto_port
        self.lambda_port = lambda_port
        self.invocations: dict[str, int] = {}
        self.lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Router

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        path = self.path
        match = INVOKE.match(urllib.parse.urlsplit(path).path)
        if match:
            binary = function_binary(match.group("fn"))
            with self.server.lock:
                self.server.invocations[binary] = self.server.invocations.get(binary, 0) + 1
            port = self.server.lambda_port
            path = f"/2015-03-31/functions/{binary}/invocations"
            timeout = 900  # a Lambda may run up to 15 minutes; the first call also compiles it
        else:
            port = self.server.moto_port
            timeout = 120
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            conn.request(self.command, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except OSError as err:
            data = f"router: upstream on port {port} failed: {err}".encode()
            self.send_response(502)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        finally:
            conn.close()
        self.send_response(resp.status)
        for key, value in resp.getheaders():
            if key.lower() not in HOP_BY_HOP:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _forward

    def log_message(self, *args) -> None:  # quiet: the tests read state, not logs
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--moto-port", type=int, required=True)
    parser.add_argument("--lambda-port", type=int, required=True)
    args = parser.parse_args()
    Router(args.port, args.moto_port, args.lambda_port).serve_forever()


if __name__ == "__main__":
    main()
