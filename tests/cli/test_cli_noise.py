"""Without AWS credentials, `orgpulse preview` prints its own message and fix only: the AWS SDK's
warnings about each credential source it tried (IMDS answers dumped raw) appear with `-v` or
`RUST_LOG`, not by default."""

from __future__ import annotations

import os
import subprocess
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import threading
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

IMDS_BODY = "imds-says-no-7f3a"  # what a broken instance metadata service answers


@pytest.fixture(scope="module")
def orgpulse_bin() -> Path:
    subprocess.run(["cargo", "build", "--quiet", "--bin", "orgpulse"], cwd=REPO_ROOT, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO_ROOT / "target"))
    return target / "debug" / "orgpulse"


@pytest.fixture
def broken_imds():
    """An instance metadata endpoint that refuses every request with a body, as the SDK meets
    on a machine where IMDS answers but gives no credentials."""

    class Handler(BaseHTTPRequestHandler):
        def _refuse(self):
            body = IMDS_BODY.encode()
            self.send_response(500)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_PUT = _refuse

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def preview(orgpulse_bin: Path, tmp_path: Path, imds: str, *flags: str, rust_log: str | None = None):
    config = tmp_path / "config.json"
    config.write_text('[{"AccountId": "123456789012", "ChannelIds": ["C0REPORTS01"]}]', encoding="utf-8")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds,
    }
    if rust_log:
        env["RUST_LOG"] = rust_log
    return subprocess.run([str(orgpulse_bin), *flags, "preview", "--config", str(config), "--account", "123456789012"],
                          env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)


def test_without_credentials_only_the_clear_message_is_printed(orgpulse_bin, tmp_path, broken_imds):
    result = preview(orgpulse_bin, tmp_path, broken_imds)
    assert result.returncode == 2, result.stderr
    assert "AWS credentials could not be loaded" in result.stderr and "Fix:" in result.stderr, result.stderr
    assert "WARN" not in result.stderr and IMDS_BODY not in result.stderr, result.stderr
    # The message is the first thing on stderr, not buried under the SDK's lines.
    assert result.stderr.lstrip().splitlines()[0].startswith(("error", "AWS credentials", "orgpulse")), result.stderr


@pytest.mark.parametrize(("flags", "rust_log"), [(("-v",), None), ((), "aws_config=warn")])
def test_the_sdks_details_are_behind_verbose_or_rust_log(orgpulse_bin, tmp_path, broken_imds, flags, rust_log):
    result = preview(orgpulse_bin, tmp_path, broken_imds, *flags, rust_log=rust_log)
    assert result.returncode == 2, result.stderr
    assert "WARN" in result.stderr, result.stderr
    assert "AWS credentials could not be loaded" in result.stderr
