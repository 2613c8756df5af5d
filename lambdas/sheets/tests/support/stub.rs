//! Google's token endpoint and Sheets API on loopback, just enough of them for the client.
//!
//! - `POST /token` checks the JWT bearer assertion like Google does (RS256 signature against
//!   the service account's public key, `iss`, `aud`, `scope`, a lifetime of at most an hour)
//!   and answers a fresh access token.
//! - `GET /v4/spreadsheets/{id}` answers the configured tabs and merges; `GET
//!   /v4/spreadsheets/{id}/values/{range}` the configured cells. Both want the access token.
//!
//! Each route answers first from its own queue of scripted responses (status, headers, body,
//! delay), then as above. Every request is recorded. A plain tokio `TcpListener` speaking
//! HTTP/1.1 with `Connection: close` keeps the test dependencies to what the crate has.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const EMAIL: &str = "orgpulse-reader@orgpulse-test.iam.gserviceaccount.com";
pub const KEY_ID: &str = "test-key-id-0001";

/// A service account key made for the test: the JSON Google Cloud would download, and the
/// public key the stub verifies against.
pub struct TestKey {
    pub json: String,
    pub public_key: Vec<u8>,
}

impl TestKey {
    pub fn generate() -> Self {
        let pair = KeyPair::generate(KeySize::Rsa2048).expect("RSA key generation");
        let pkcs8 = pair.as_der().expect("PKCS#8 encoding");
        let body = STANDARD.encode(pkcs8.as_ref());
        let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
        for line in body.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap());
            pem.push('\n');
        }
        pem.push_str("-----END PRIVATE KEY-----\n");
        let json = json!({
            "type": "service_account",
            "project_id": "orgpulse-test",
            "private_key_id": KEY_ID,
            "private_key": pem,
            "client_email": EMAIL,
            "client_id": "100000000000000000001",
            "token_uri": "https://oauth2.googleapis.com/token",
        })
        .to_string();
        Self {
            json,
            public_key: pair.public_key().as_ref().to_vec(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct StubResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay: Duration,
}

impl StubResponse {
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: vec![],
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }
    /// Google's error shape.
    pub fn google_error(status: u16, google_status: &str, message: &str) -> Self {
        Self::json(
            status,
            json!({"error": {"code": status, "message": message, "status": google_status}}),
        )
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
    pub method: String,
    /// Path and query as sent.
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
    pub fn route(&self) -> Route {
        route_of(&self.method, &self.target)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Route {
    Token,
    Spreadsheet,
    Values,
    Other,
}

fn route_of(method: &str, target: &str) -> Route {
    let path = target.split('?').next().unwrap_or_default();
    if method == "POST" && path == "/token" {
        Route::Token
    } else if method == "GET" && path.contains("/values/") {
        Route::Values
    } else if method == "GET" && path.starts_with("/v4/spreadsheets/") {
        Route::Spreadsheet
    } else {
        Route::Other
    }
}

struct State {
    public_key: Vec<u8>,
    token_url: String,
    issued: Vec<String>,
    spreadsheet: Value,
    values: Value,
    scripts: HashMap<Route, VecDeque<StubResponse>>,
    requests: Vec<RecordedRequest>,
}

pub struct GoogleStub {
    /// `http://127.0.0.1:PORT`: the Sheets API base URL.
    pub base_url: String,
    /// `http://127.0.0.1:PORT/token`.
    pub token_url: String,
    state: Arc<Mutex<State>>,
}

impl GoogleStub {
    pub async fn start(public_key: Vec<u8>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let base_url = format!("http://{address}");
        let token_url = format!("{base_url}/token");
        let state = Arc::new(Mutex::new(State {
            public_key,
            token_url: token_url.clone(),
            issued: Vec::new(),
            spreadsheet: json!({"sheets": [{"properties": {"sheetId": 0, "title": "Sheet1", "index": 0, "sheetType": "GRID"}}]}),
            values: json!({"range": "Sheet1!A1:Z1000", "majorDimension": "ROWS", "values": []}),
            scripts: HashMap::new(),
            requests: Vec::new(),
        }));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, shared.clone()));
            }
        });
        Self {
            base_url,
            token_url,
            state,
        }
    }

    /// What `spreadsheets.get` answers (tabs and merges).
    pub fn set_spreadsheet(&self, spreadsheet: Value) {
        self.state.lock().unwrap().spreadsheet = spreadsheet;
    }

    /// What `values.get` answers.
    pub fn set_values(&self, values: Value) {
        self.state.lock().unwrap().values = values;
    }

    pub fn script(&self, route: Route, responses: Vec<StubResponse>) {
        self.state
            .lock()
            .unwrap()
            .scripts
            .entry(route)
            .or_default()
            .extend(responses);
    }

    pub fn requests(&self, route: Route) -> Vec<RecordedRequest> {
        self.state
            .lock()
            .unwrap()
            .requests
            .iter()
            .filter(|r| r.route() == route)
            .cloned()
            .collect()
    }

    /// Access tokens issued so far.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.lock().unwrap().issued.clone()
    }
}

async fn serve(mut stream: TcpStream, state: Arc<Mutex<State>>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let response = {
        let mut state = state.lock().unwrap();
        let route = request.route();
        state.requests.push(request.clone());
        match state.scripts.get_mut(&route).and_then(VecDeque::pop_front) {
            Some(scripted) => scripted,
            None => answer(&mut state, route, &request),
        }
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
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(response.body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn answer(state: &mut State, route: Route, request: &RecordedRequest) -> StubResponse {
    match route {
        Route::Token => match check_assertion(state, &request.body) {
            Ok(()) => {
                let token = format!("ya29.stub-{}", state.issued.len() + 1);
                state.issued.push(token.clone());
                StubResponse::json(
                    200,
                    json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"}),
                )
            }
            Err(description) => StubResponse::json(
                400,
                json!({"error": "invalid_grant", "error_description": description}),
            ),
        },
        Route::Spreadsheet | Route::Values => {
            let bearer = request
                .header("authorization")
                .and_then(|h| h.strip_prefix("Bearer "))
                .unwrap_or_default();
            if !state.issued.iter().any(|t| t == bearer) {
                return StubResponse::google_error(
                    401,
                    "UNAUTHENTICATED",
                    "Request had invalid authentication credentials.",
                );
            }
            let body = if route == Route::Values {
                state.values.clone()
            } else {
                state.spreadsheet.clone()
            };
            StubResponse::json(200, body)
        }
        Route::Other => StubResponse::google_error(404, "NOT_FOUND", "no such route"),
    }
}

/// Google's checks on a JWT bearer assertion, answered with Google's descriptions.
fn check_assertion(state: &State, body: &[u8]) -> Result<(), String> {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    if form.get("grant_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    {
        return Err("Invalid grant_type".into());
    }
    let assertion = form.get("assertion").ok_or("Missing assertion")?;
    let parts: Vec<&str> = assertion.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err("Invalid JWT: not three parts".into());
    };
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| "Invalid JWT Signature.")?;
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &state.public_key)
        .verify(format!("{header}.{claims}").as_bytes(), &signature)
        .map_err(|_| "Invalid JWT Signature.")?;
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    if header["alg"] != "RS256" || header["kid"] != KEY_ID {
        return Err(format!("Invalid JWT header {header}"));
    }
    if claims["iss"] != EMAIL {
        return Err("Invalid grant: account not found".into());
    }
    if claims["aud"] != state.token_url.as_str() {
        return Err(format!("Invalid JWT: aud {}", claims["aud"]));
    }
    if claims["scope"] != "https://www.googleapis.com/auth/spreadsheets.readonly" {
        return Err(format!("Invalid scope {}", claims["scope"]));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let iat = claims["iat"].as_i64().unwrap_or_default();
    let exp = claims["exp"].as_i64().unwrap_or_default();
    if (iat - now).abs() > 300 || exp <= now || exp - iat > 3600 {
        return Err("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.".into());
    }
    Ok(())
}

async fn read_request(stream: &mut TcpStream) -> Option<RecordedRequest> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
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
    let method = request_line.next()?.to_string();
    let target = request_line.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buffer.len() < header_end + length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    Some(RecordedRequest {
        method,
        target,
        headers,
        body: buffer[header_end..].to_vec(),
    })
}
