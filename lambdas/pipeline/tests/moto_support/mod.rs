//! A moto server (the AWS API emulator) for the `#[ignore]`d tests that run this crate against
//! real HTTP: `cargo test -p orgpulse-pipeline -- --ignored`.
//!
//! The Python interpreter is `ORGPULSE_PYTHON` when set, else the repository's `.venv` (built by
//! `scripts/bootstrap` from `tests/requirements.txt`) when present, else `python3`. A missing moto
//! fails the test with the command that installs it — it never passes silently.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use orgpulse_pipeline::aws::{retry_config, timeout_config, MAX_ATTEMPTS};

/// One moto server process, killed when dropped; each test gets its own (isolated state).
pub struct Moto {
    child: Child,
    pub url: String,
}

fn python() -> PathBuf {
    if let Some(explicit) = std::env::var_os("ORGPULSE_PYTHON") {
        return PathBuf::from(explicit);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("python3")
}

impl Moto {
    pub fn start() -> Self {
        let python = python();
        let probe = Command::new(&python)
            .args(["-c", "import moto.server"])
            .output();
        match probe {
            Ok(out) if out.status.success() => {}
            Ok(out) => panic!(
                "moto is not importable by {}: {}\ninstall it: {} -m pip install 'moto[server]' \
                 (or run scripts/bootstrap)",
                python.display(),
                String::from_utf8_lossy(&out.stderr).trim(),
                python.display()
            ),
            Err(err) => panic!(
                "cannot run {} to start moto ({err}); set ORGPULSE_PYTHON or run scripts/bootstrap",
                python.display()
            ),
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let child = Command::new(&python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto server starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto did not listen on port {port} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// The SDK configuration the Lambdas would load, pointed at this server.
    #[allow(dead_code)] // moto_env.rs loads its configuration from the environment instead.
    pub async fn config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
            .timeout_config(timeout_config())
            .retry_config(retry_config(MAX_ATTEMPTS))
            .load()
            .await
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
