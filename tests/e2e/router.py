"""The loopback router between moto's Step Functions engine and cargo-lambda's emulator.

moto executes the state machine and sends every service call to http://localhost:$MOTO_PORT.
This router listens there: Lambda Invoke requests (`/2015-03-31/functions/<name or ARN>/invocations`)
go to `cargo lambda watch`, addressed by binary name (the function name without the deployment
prefix, e.g. `orgpulse-report`); everything else goes back to moto untouched. Invoke answers
are made to look like Lambda's (see `as_lambda_invoke_response`): a handler's error reaches
Step Functions under its `errorType`, so the state machine's Retry and Catch are exercised.

Usage: python -m tests.e2e.router --port P --moto-port M --lambda-port L
"""

import argparse
import http.client
import http.server
import json
import re
import threading
import urllib.parse
import uuid

INVOKE = re.compile(r"^/2015-03-31/functions/(?P<fn>[^/]+)/invocations")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def function_binary(name_or_arn: str) -> str:
    """`arn:aws:lambda:us-east-1:1:function:orgpulse-report` or `orgpulse-report` -> binary name."""
    name = urllib.parse.unquote(name_or_arn)
    if name.startswith("arn:"):
        name = name.split(":")[6]
    return name


def as_lambda_invoke_response(status: int, headers: list[tuple[str, str]], body: bytes):
    """What Lambda's Invoke API answers where cargo-lambda's emulator answers differently.

    A function error (the handler returned Err) is HTTP 500 from `cargo lambda watch`, but
    HTTP 200 with `X-Amz-Function-Error: Unhandled` and the `{"errorType", "errorMessage"}`
    body from Lambda; Step Functions names the error after `errorType`, which is what the
    state machine's Retry and Catch match. Lambda also sends a request ID with every answer
    (moto's Step Functions engine reads it when it reports a failed call)."""
    headers = [(k, v) for k, v in headers if k.lower() != "x-amzn-requestid"]
    headers.append(("x-amzn-RequestId", str(uuid.uuid4())))
    if status >= 400:
        try:
            error = json.loads(body)
        except ValueError:
            error = None
        if isinstance(error, dict) and "errorType" in error:
            headers = [(k, v) for k, v in headers if k.lower() != "x-amz-function-error"]
            headers += [("X-Amz-Function-Error", "Unhandled"), ("X-Amz-Executed-Version", "$LATEST")]
            return 200, headers
    return status, headers


def lambda_service_error(message: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """Lambda's own failure (not the function's): Step Functions sees Lambda.ServiceException,
    which the state machine retries."""
    body = json.dumps({"Type": "Service", "message": message}).encode()
    return 500, [("Content-Type", "application/json"), ("x-amzn-ErrorType", "ServiceException"),
                 ("x-amzn-RequestId", str(uuid.uuid4()))], body


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
            if match:
                self._reply(*lambda_service_error(f"router: cargo lambda on port {port} failed: {err}"))
            else:
                self._reply(502, [], f"router: upstream on port {port} failed: {err}".encode())
            return
        finally:
            conn.close()
        headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
        status = resp.status
        if match:
            status, headers = as_lambda_invoke_response(status, headers, data)
        self._reply(status, headers, data)

    def _reply(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
        self.send_response(status)
        for key, value in headers:
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
