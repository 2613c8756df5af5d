//! A scripted Slack Web API on loopback: each API method answers from its own queue of
//! responses (status, headers, body, delay), and every request is recorded.
//!
//! A plain tokio `TcpListener` speaking just enough HTTP/1.1 (one request per connection,
//! `Connection: close`) keeps the test dependencies to what the crate already has.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Debug)]
pub struct StubResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Wait this long before answering (to trip the client's timeout).
    pub delay: Duration,
}

impl StubResponse {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![],
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }
    pub fn ok(body: serde_json::Value) -> Self {
        Self::json(200, body)
    }
    pub fn slack_error(code: &str) -> Self {
        Self::ok(serde_json::json!({"ok": false, "error": code}))
    }
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub http_method: String,
    /// Path and query, e.g. `/api/conversations.history?channel=C1&…`.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn api_method(&self) -> &str {
        let path = self.target.split('?').next().unwrap_or_default();
        path.rsplit('/').next().unwrap_or_default()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

#[derive(Default)]
struct State {
    scripts: HashMap<String, VecDeque<StubResponse>>,
    requests: Vec<RecordedRequest>,
}

pub struct SlackStub {
    /// `http://127.0.0.1:PORT/api`, what `SLACK_API_URL` would be.
    pub base_url: String,
    state: Arc<Mutex<State>>,
}

impl SlackStub {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, shared.clone()));
            }
        });
        Self {
            base_url: format!("http://{address}/api"),
            state,
        }
    }

    /// Queue answers for one API method, e.g. `chat.postMessage`.
    pub fn script(&self, api_method: &str, responses: Vec<StubResponse>) {
        self.state
            .lock()
            .unwrap()
            .scripts
            .entry(api_method.into())
            .or_default()
            .extend(responses);
    }

    pub fn requests(&self, api_method: &str) -> Vec<RecordedRequest> {
        self.state
            .lock()
            .unwrap()
            .requests
            .iter()
            .filter(|r| r.api_method() == api_method)
            .cloned()
            .collect()
    }
}

async fn serve(mut stream: TcpStream, state: Arc<Mutex<State>>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let response = {
        let mut state = state.lock().unwrap();
        let method = request.api_method().to_string();
        state.requests.push(request);
        state
            .scripts
            .get_mut(&method)
            .and_then(VecDeque::pop_front)
            .unwrap_or_else(|| match method.as_str() {
                // Who the token is, as Slack answers for a bot token (unless a test scripts it).
                "auth.test" => StubResponse::ok(serde_json::json!({
                    "ok": true, "team_id": "T0ORGPULSE", "user_id": "U0ORGPULSE",
                    "bot_id": "B0ORGPULSE", "app_id": "A0ORGPULSE"
                })),
                _ => StubResponse::slack_error("stub_has_no_scripted_response"),
            })
    };
    tokio::time::sleep(response.delay).await;
    let mut head = format!(
        "HTTP/1.1 {} Stub\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
        response.status,
        response.body.len()
    );
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    // The client may have given up already (timeouts); that is the point of those tests.
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(response.body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

async fn read_request(stream: &mut TcpStream) -> Option<RecordedRequest> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let http_method = request_line.next()?.to_string();
    let target = request_line.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[header_end..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Some(RecordedRequest {
        http_method,
        target,
        headers,
        body,
    })
}
