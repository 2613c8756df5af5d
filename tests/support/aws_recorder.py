"""A recording proxy in front of moto: every AWS request a Lambda binary makes, and who made it.

The functions' AWS_ENDPOINT_URL points here; each request is forwarded to moto unchanged and
recorded with what IAM would evaluate it on (tests/infra/iam_calls.py turns a record into action,
resource ARN and context):

- the caller: the binary whose process opened the connection (the peer's socket inode, found in
  /proc/net/tcp and in the /proc/<pid>/fd of the processes, names /proc/<pid>/exe: all three
  functions run under one `cargo lambda watch`, with the same credentials). Linux only;
- the credentials: the access key of the SigV4 Authorization header. Keys moto issued through
  sts:AssumeRole are mapped to the role assumed (member-account calls go through the member role);
- service (credential scope), method, path, query, X-Amz-Target and the body of JSON and query
  protocol requests (their parameters name the resource).

Cost Explorer is served by the CE emulator, not moto, and is not recorded (ce:* is granted on "*").
"""

from __future__ import annotations

import http.client
import http.server
import os
import re
import threading
import urllib.parse
from pathlib import Path

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}
CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/aws4_request")


def _socket_inode(local_port: int, remote_port: int) -> str | None:
    """Inode of the client end of a loopback TCP connection (client port -> our port)."""
    want_local, want_remote = f":{local_port:04X}", f":{remote_port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[1].endswith(want_local) and fields[2].endswith(want_remote):
                return fields[9]
    return None


def _process_of(inode: str, candidates: list[int]) -> int | None:
    target = f"socket:[{inode}]"
    for pid in candidates:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                        return pid
                except OSError:
                    continue
        except OSError:
            continue
    return None


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


class AwsRecorder(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, upstream_port: int, pids=_all_pids):
        super().__init__(("127.0.0.1", port), _Handler)
        self.upstream_port = upstream_port
        self.pids = pids  # where to look for the caller's process
        self.calls: list[dict] = []
        self.assumed: dict[str, str] = {}  # access key moto issued -> role ARN assumed
        self.lock = threading.Lock()

    def caller(self, client_port: int) -> str:
        inode = _socket_inode(client_port, self.server_address[1])
        pid = _process_of(inode, self.pids()) if inode else None
        if pid is None:
            return "unknown"
        try:
            return Path(os.readlink(f"/proc/{pid}/exe")).name
        except OSError:
            return "unknown"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: AwsRecorder

    def setup(self) -> None:
        super().setup()
        self._caller = None

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self._caller is None:  # one lookup per connection (keep-alive)
            self._caller = self.server.caller(self.client_address[1])
        credential = CREDENTIAL.search(self.headers.get("Authorization", ""))
        key, region, service = credential.groups() if credential else (None, None, None)
        split = urllib.parse.urlsplit(self.path)
        record = {
            "caller": self._caller, "access_key": key, "region": region, "service": service,
            "method": self.command, "path": urllib.parse.unquote(split.path),
            "query": urllib.parse.parse_qs(split.query, keep_blank_values=True),
            "target": self.headers.get("X-Amz-Target"),
            "copy_source": self.headers.get("x-amz-copy-source"),
        }
        content_type = self.headers.get("Content-Type", "")
        if "json" in content_type or "x-www-form-urlencoded" in content_type:
            record["body"] = body.decode("utf-8", errors="replace")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        conn = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=120)
        try:
            conn.request(self.command, self.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except OSError as err:
            self._reply(502, [], f"recorder: moto failed: {err}".encode())
            return
        finally:
            conn.close()
        record["status"] = resp.status
        with self.server.lock:
            record["role"] = self.server.assumed.get(key)
            self.server.calls.append(record)
            if service == "sts" and b"<AssumeRoleResponse" in data:
                issued = re.search(rb"<AccessKeyId>([^<]+)</AccessKeyId>", data)
                role = urllib.parse.parse_qs(body.decode()).get("RoleArn", [None])[0]
                if issued and role:
                    self.server.assumed[issued.group(1).decode()] = role
        headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
        self._reply(resp.status, headers, data)

    def _reply(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _forward

    def log_message(self, *args) -> None:
        pass
