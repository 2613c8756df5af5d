//! The Google side: an access token from the service account's key (OAuth 2.0 JWT bearer
//! grant, RFC 7523, signed RS256), then Sheets API v4 `spreadsheets.get` (tabs and merged
//! cells) and `spreadsheets.values.get` (the cells).
//!
//! Every request has a timeout and bounded retries with full-jitter backoff; HTTP 429 waits for
//! `Retry-After` (up to a cap, beyond which the caller is told to come back later); 5xx and
//! network failures are retried; everything else is answered at once with what to do.

use std::fmt;
use std::time::{Duration, Instant, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, Header};
use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{RequestBuilder, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Mutex;

use orgpulse_config::clock;

use crate::error::{Result, SheetsError, ROTATE_KEY_FIX};
use crate::grid::{self, quoted_title, range_start, SheetValues, SpreadsheetMeta, ValueRange};
use crate::key::{describe_key_error, ServiceAccountKey};

/// Overrides Google's OAuth 2.0 token endpoint (a proxy, or a test double).
pub const TOKEN_URL_ENV: &str = "GOOGLE_OAUTH_TOKEN_URL";
/// Overrides the Sheets API's base URL (a proxy, or a test double).
pub const SHEETS_API_URL_ENV: &str = "GOOGLE_SHEETS_API_URL";
pub const DEFAULT_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
pub const DEFAULT_SHEETS_API_URL: &str = "https://sheets.googleapis.com";
/// Read-only access to the sheets shared with the service account, nothing else.
pub const SHEETS_READONLY_SCOPE: &str = "https://www.googleapis.com/auth/spreadsheets.readonly";

const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Google accepts assertions valid for at most an hour.
const ASSERTION_LIFETIME_SECS: u64 = 3600;
/// A token is renewed this long before Google says it expires.
const TOKEN_RENEW_MARGIN: Duration = Duration::from_secs(60);

const TOKEN_ENDPOINT: &str = "the Google token endpoint";
const SPREADSHEETS_GET: &str = "Google Sheets spreadsheets.get";
const VALUES_GET: &str = "Google Sheets values.get";

/// Where Google is, timeouts and retry bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetsClientConfig {
    pub token_url: String,
    pub sheets_api_url: String,
    /// For one HTTP request, connection included.
    pub request_timeout: Duration,
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// Full-jitter backoff: a random wait in `[0, min(backoff_max, backoff_base * 2^n)]`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// The longest `Retry-After` the client sleeps through; longer ones are returned as
    /// [`SheetsError::RateLimited`].
    pub max_retry_after: Duration,
    /// Answers larger than this are refused (a configuration is a few KiB; the cells of a
    /// sheet as JSON are a few times their CSV size, which is capped at 4 MiB).
    pub max_response_bytes: usize,
}

impl Default for SheetsClientConfig {
    fn default() -> Self {
        Self {
            token_url: DEFAULT_TOKEN_URL.to_owned(),
            sheets_api_url: DEFAULT_SHEETS_API_URL.to_owned(),
            request_timeout: Duration::from_secs(20),
            max_attempts: 4,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
            max_response_bytes: 4 * orgpulse_config::MAX_FILE_BYTES,
        }
    }
}

impl SheetsClientConfig {
    /// Defaults, with the endpoints from `GOOGLE_OAUTH_TOKEN_URL` / `GOOGLE_SHEETS_API_URL`
    /// when set and allowed (see `orgpulse_config::endpoint`).
    pub fn from_env() -> Self {
        let mut config = Self::default();
        // https to Google's own hosts only, unless the local-endpoints switch is set
        // (orgpulse_config::endpoint): the token URL receives the signed assertion and the
        // Sheets URL the access token.
        let from = |name: &str, host: &str| {
            orgpulse_config::endpoint::override_from_env(name, &[host]).unwrap_or_else(|refused| {
                tracing::error!("{refused}");
                None
            })
        };
        if let Some(url) = from(TOKEN_URL_ENV, "oauth2.googleapis.com") {
            config.token_url = url;
        }
        if let Some(url) = from(SHEETS_API_URL_ENV, "sheets.googleapis.com") {
            config.sheets_api_url = url;
        }
        config
    }
}

struct AccessToken {
    value: String,
    renew_at: Instant,
}

/// Reads sheets shared with one service account. Keeps its access token until shortly before
/// it expires.
pub struct SheetsClient {
    http: reqwest::Client,
    key: ServiceAccountKey,
    config: SheetsClientConfig,
    token: Mutex<Option<AccessToken>>,
}

impl fmt::Debug for SheetsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SheetsClient")
            .field("key", &self.key)
            .field("config", &self.config)
            .finish()
    }
}

/// One HTTP answer, read in full.
struct Answer {
    status: StatusCode,
    body: Vec<u8>,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// `{"error": "invalid_grant", "error_description": "…"}`.
#[derive(Deserialize)]
struct OAuthError {
    error: String,
    #[serde(default)]
    error_description: String,
}

/// `{"error": {"code": 403, "message": "…", "status": "PERMISSION_DENIED", "details": […]}}`.
#[derive(Deserialize)]
struct GoogleErrorBody {
    error: GoogleError,
}

#[derive(Deserialize, Default)]
struct GoogleError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    details: Vec<Value>,
}

impl GoogleError {
    fn parse(body: &[u8]) -> Option<Self> {
        serde_json::from_slice::<GoogleErrorBody>(body)
            .ok()
            .map(|b| b.error)
    }

    fn reason(&self) -> Option<&str> {
        self.details
            .iter()
            .find_map(|d| d.get("reason").and_then(Value::as_str))
    }

    fn service_disabled(&self) -> bool {
        self.reason() == Some("SERVICE_DISABLED")
            || self.message.contains("has not been used in project")
            || self.message.contains("it is disabled")
    }
}

impl SheetsClient {
    pub fn new(key: ServiceAccountKey, config: SheetsClientConfig) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout)
            .user_agent(concat!("orgpulse/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SheetsError::Setup(e.to_string()))?;
        Ok(Self {
            http,
            key,
            config,
            token: Mutex::new(None),
        })
    }

    pub fn config(&self) -> &SheetsClientConfig {
        &self.config
    }

    /// The service account the sheet must be shared with.
    pub fn client_email(&self) -> &str {
        self.key.client_email()
    }

    /// The cells of `range` (a tab's title, a named range or an A1 range), or of the whole first
    /// tab when `range` is `None`, as formatted text with merged cells filled in.
    pub async fn read(&self, spreadsheet_id: &str, range: Option<&str>) -> Result<SheetValues> {
        let meta: SpreadsheetMeta = {
            let url = self.spreadsheet_url(spreadsheet_id, &[])?;
            let answer = self
                .authorized_get(SPREADSHEETS_GET, &url, &[("fields", SHEET_FIELDS)])
                .await?;
            self.sheets_answer(SPREADSHEETS_GET, spreadsheet_id, None, answer)?
        };
        let range = match range.map(str::trim).filter(|r| !r.is_empty()) {
            Some(range) => range.to_owned(),
            None => {
                let first = meta
                    .first_grid_sheet()
                    .ok_or_else(|| SheetsError::BadRange {
                        spreadsheet_id: spreadsheet_id.to_owned(),
                        range: String::new(),
                        status: 200,
                        message: "the spreadsheet has no tab with cells".into(),
                    })?;
                quoted_title(&first.properties.title)
            }
        };
        let url = self.spreadsheet_url(spreadsheet_id, &["values", &range])?;
        let answer = self
            .authorized_get(
                VALUES_GET,
                &url,
                &[
                    ("majorDimension", "ROWS"),
                    // What people see in the cells, as a CSV download has it.
                    ("valueRenderOption", "FORMATTED_VALUE"),
                ],
            )
            .await?;
        let values: ValueRange =
            self.sheets_answer(VALUES_GET, spreadsheet_id, Some(&range), answer)?;

        let (title, start_row, start_column) = range_start(&values.range);
        let sheet = match &title {
            Some(title) => meta.sheet_titled(title),
            None => meta.first_grid_sheet(),
        };
        let merges = sheet.map(|s| s.merges.as_slice()).unwrap_or_default();
        let rows = grid::grid_with_merges(&values.values, start_row, start_column, merges)
            .map_err(|merge| SheetsError::TooLarge {
                what: format!(
                    "the configuration in spreadsheet {spreadsheet_id} with its merged cells \
                     ({}) copied into every cell they cover",
                    merge.area
                ),
                size: format!("{} KiB or more", merge.bytes / 1024),
                limit: format!("{} MiB", orgpulse_config::MAX_FILE_BYTES / 1024 / 1024),
            })?;
        // Problems name the tab and link to its cells (`#gid=<sheetId>&range=A2`).
        let (tab, sheet_id) = match sheet {
            Some(sheet) => (sheet.properties.title.clone(), sheet.properties.sheet_id),
            None => (title.unwrap_or_default(), 0),
        };
        let sheet_values = SheetValues {
            spreadsheet_id: spreadsheet_id.to_owned(),
            range: values.range,
            tab,
            sheet_id,
            rows,
        };
        let csv_bytes = sheet_values.to_csv().len();
        if csv_bytes > orgpulse_config::MAX_FILE_BYTES {
            return Err(SheetsError::TooLarge {
                what: format!(
                    "the configuration in spreadsheet {spreadsheet_id} ({} rows)",
                    sheet_values.rows.len()
                ),
                size: format!("{} KiB as CSV", csv_bytes / 1024),
                limit: format!("{} MiB", orgpulse_config::MAX_FILE_BYTES / 1024 / 1024),
            });
        }
        tracing::info!(
            spreadsheet_id,
            range = %sheet_values.range,
            rows = sheet_values.rows.len(),
            "sheet read"
        );
        Ok(sheet_values)
    }

    /// `{base}/v4/spreadsheets/{id}/{segments…}`, each segment percent-encoded (tab titles may
    /// hold spaces, `!`, quotes and any script).
    fn spreadsheet_url(&self, spreadsheet_id: &str, segments: &[&str]) -> Result<url::Url> {
        let mut url = url::Url::parse(&self.config.sheets_api_url).map_err(|e| {
            SheetsError::Setup(format!(
                "{SHEETS_API_URL_ENV} {:?} is not a URL: {e}",
                self.config.sheets_api_url
            ))
        })?;
        {
            let mut path = url.path_segments_mut().map_err(|()| {
                SheetsError::Setup(format!(
                    "{SHEETS_API_URL_ENV} {:?} cannot have a path",
                    self.config.sheets_api_url
                ))
            })?;
            path.pop_if_empty().push("v4").push("spreadsheets");
            path.push(spreadsheet_id);
            for segment in segments {
                path.push(segment);
            }
        }
        Ok(url)
    }

    /// A GET with the access token; a 401 renews the token once (it may have been revoked).
    async fn authorized_get(
        &self,
        what: &'static str,
        url: &url::Url,
        query: &[(&str, &str)],
    ) -> Result<Answer> {
        for renewed in [false, true] {
            let token = self.access_token().await?;
            let answer = self
                .exchange(what, url.as_str(), || {
                    self.http
                        .get(url.clone())
                        .query(query)
                        .header(AUTHORIZATION, format!("Bearer {token}"))
                })
                .await?;
            if answer.status == StatusCode::UNAUTHORIZED && !renewed {
                *self.token.lock().await = None;
                continue;
            }
            return Ok(answer);
        }
        unreachable!("the loop returns on its second pass")
    }

    /// Turns a Sheets answer into `T`, or into the error that says what to do.
    fn sheets_answer<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        spreadsheet_id: &str,
        range: Option<&str>,
        answer: Answer,
    ) -> Result<T> {
        let status = answer.status;
        if status.is_success() {
            return serde_json::from_slice(&answer.body).map_err(|e| {
                SheetsError::InvalidResponse {
                    what,
                    status: status.as_u16(),
                    detail: format!("not the expected JSON: {e}"),
                    url: self.config.sheets_api_url.clone(),
                }
            });
        }
        let Some(error) = GoogleError::parse(&answer.body) else {
            return Err(SheetsError::InvalidResponse {
                what,
                status: status.as_u16(),
                detail: format!("{} bytes, not a Google error", answer.body.len()),
                url: self.config.sheets_api_url.clone(),
            });
        };
        Err(match status {
            StatusCode::FORBIDDEN if error.service_disabled() => SheetsError::ApiDisabled {
                message: error.message,
            },
            StatusCode::FORBIDDEN => SheetsError::NotShared {
                spreadsheet_id: spreadsheet_id.to_owned(),
                email: self.key.client_email().to_owned(),
                message: error.message,
            },
            StatusCode::NOT_FOUND => SheetsError::NotFound {
                spreadsheet_id: spreadsheet_id.to_owned(),
                message: error.message,
            },
            StatusCode::BAD_REQUEST if range.is_some() && error.message.contains("range") => {
                SheetsError::BadRange {
                    spreadsheet_id: spreadsheet_id.to_owned(),
                    range: range.unwrap_or_default().to_owned(),
                    status: status.as_u16(),
                    message: error.message,
                }
            }
            StatusCode::UNAUTHORIZED => SheetsError::KeyRejected {
                email: self.key.client_email().to_owned(),
                code: error.status,
                description: error.message,
                fix: ROTATE_KEY_FIX.to_owned(),
            },
            _ => SheetsError::Refused {
                what,
                status: status.as_u16(),
                code: error.status,
                message: error.message,
            },
        })
    }

    /// The current access token, fetched when there is none or it is about to expire.
    /// Concurrent callers wait for one fetch.
    async fn access_token(&self) -> Result<String> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref() {
            if Instant::now() < token.renew_at {
                return Ok(token.value.clone());
            }
        }
        let token = self.fetch_token().await?;
        let value = token.value.clone();
        *cached = Some(token);
        Ok(value)
    }

    fn assertion(&self) -> Result<String> {
        let now = clock::system_now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let claims = Claims {
            iss: self.key.client_email(),
            scope: SHEETS_READONLY_SCOPE,
            aud: &self.config.token_url,
            iat: now,
            exp: now + ASSERTION_LIFETIME_SECS,
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = self.key.private_key_id().map(str::to_owned);
        jsonwebtoken::encode(&header, &claims, self.key.signing_key()).map_err(|err| {
            SheetsError::InvalidKey {
                problem: format!(
                    "cannot sign with its \"private_key\" ({})",
                    describe_key_error(&err)
                ),
                fix: ROTATE_KEY_FIX.to_owned(),
            }
        })
    }

    async fn fetch_token(&self) -> Result<AccessToken> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", JWT_BEARER_GRANT)
            .append_pair("assertion", &self.assertion()?)
            .finish();
        let started = Instant::now();
        let answer = self
            .exchange(TOKEN_ENDPOINT, &self.config.token_url, || {
                self.http
                    .post(&self.config.token_url)
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(body.clone())
            })
            .await?;
        let status = answer.status;
        if status.is_success() {
            let token: TokenAnswer =
                serde_json::from_slice(&answer.body).map_err(|e| SheetsError::InvalidResponse {
                    what: TOKEN_ENDPOINT,
                    status: status.as_u16(),
                    detail: format!("no access_token: {e}"),
                    url: self.config.token_url.clone(),
                })?;
            let lifetime = Duration::from_secs(token.expires_in.unwrap_or(3600));
            return Ok(AccessToken {
                value: token.access_token,
                renew_at: started + lifetime.saturating_sub(TOKEN_RENEW_MARGIN),
            });
        }
        let Ok(error) = serde_json::from_slice::<OAuthError>(&answer.body) else {
            return Err(SheetsError::InvalidResponse {
                what: TOKEN_ENDPOINT,
                status: status.as_u16(),
                detail: format!("{} bytes, not an OAuth error", answer.body.len()),
                url: self.config.token_url.clone(),
            });
        };
        Err(self.token_error(status, error))
    }

    fn token_error(&self, status: StatusCode, error: OAuthError) -> SheetsError {
        let email = self.key.client_email().to_owned();
        let description = error.error_description.to_lowercase();
        let fix = match error.error.as_str() {
            "invalid_grant" if description.contains("account not found") => format!(
                "the service account {email} no longer exists: create a service account, share \
                 the sheet with it, and store a JSON key of it in the credentials secret"
            ),
            "invalid_grant"
                if description.contains("iat")
                    || description.contains("exp")
                    || description.contains("timeframe") =>
            {
                "this machine's clock is off by more than a few minutes: synchronise it (NTP); \
                 a Lambda's clock is always right, so there this means the key is not what it \
                 claims to be"
                    .to_owned()
            }
            // "Invalid JWT Signature." is Google's answer for a deleted, disabled or expired key.
            "invalid_grant" | "invalid_client" => {
                format!("the key was deleted, disabled or has expired: {ROTATE_KEY_FIX}")
            }
            _ => format!(
                "check the service account {email} in Google Cloud (IAM & Admin > Service \
                 accounts): it must be enabled; if it is, {ROTATE_KEY_FIX}"
            ),
        };
        tracing::warn!(status = status.as_u16(), code = %error.error, "token request refused");
        SheetsError::KeyRejected {
            email,
            code: error.error,
            description: error.error_description,
            fix,
        }
    }

    /// One request with retries: network failures, 429 and 5xx are tried again (after
    /// `Retry-After` when Google gives one); any other answer is returned as it is.
    async fn exchange(
        &self,
        what: &'static str,
        url: &str,
        request: impl Fn() -> RequestBuilder,
    ) -> Result<Answer> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= self.config.max_attempts;
            let (failure, wait) = match self.send_once(what, request()).await {
                Ok((answer, headers)) => {
                    let status = answer.status;
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        let retry_after = retry_after(&headers);
                        let error = SheetsError::RateLimited {
                            what,
                            after: retry_after
                                .map(|d| format!(" (Retry-After: {}s)", d.as_secs()))
                                .unwrap_or_default(),
                            retry_after,
                            attempts: attempt,
                        };
                        match retry_after {
                            Some(wait) if wait > self.config.max_retry_after => return Err(error),
                            Some(wait) => (error, wait),
                            None => (error, self.backoff(attempt)),
                        }
                    } else if status.is_server_error() {
                        (
                            SheetsError::Server {
                                what,
                                status: status.as_u16(),
                                attempts: attempt,
                            },
                            self.backoff(attempt),
                        )
                    } else {
                        return Ok(answer);
                    }
                }
                Err(SendFailure::TooLarge(error)) => return Err(error),
                Err(SendFailure::Network(reason)) => (
                    SheetsError::Network {
                        what,
                        url: url.to_owned(),
                        reason,
                        attempts: attempt,
                    },
                    self.backoff(attempt),
                ),
            };
            if last {
                return Err(failure);
            }
            tracing::warn!(
                what,
                attempt,
                error = failure.code(),
                wait_ms = wait.as_millis() as u64,
                "retrying Google request"
            );
            tokio::time::sleep(wait).await;
        }
    }

    async fn send_once(
        &self,
        what: &'static str,
        request: RequestBuilder,
    ) -> Result<(Answer, HeaderMap), SendFailure> {
        // Google answers JSON to every call made here (errors included).
        let mut response = request
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| SendFailure::Network(self.network_reason(&e)))?;
        let status = response.status();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| SendFailure::Network(self.network_reason(&e)))?
        {
            if body.len() + chunk.len() > self.config.max_response_bytes {
                return Err(SendFailure::TooLarge(SheetsError::TooLarge {
                    what: format!("the answer of {what}"),
                    size: format!("more than {} KiB", self.config.max_response_bytes / 1024),
                    limit: format!("{} KiB", self.config.max_response_bytes / 1024),
                }));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((Answer { status, body }, headers))
    }

    fn network_reason(&self, error: &reqwest::Error) -> String {
        if error.is_timeout() {
            return format!("no answer within {:?}", self.config.request_timeout);
        }
        // The innermost cause says what happened ("connection refused", "dns error: …",
        // "connection closed before message completed"); the layers above only repeat the URL,
        // which the error names separately.
        let mut root: &dyn std::error::Error = error;
        while let Some(cause) = root.source() {
            root = cause;
        }
        let what = if error.is_connect() {
            "cannot connect"
        } else if error.is_body() || error.is_decode() {
            "the answer broke off"
        } else {
            "the request failed"
        };
        format!("{what}: {root}")
    }

    /// Full jitter: uniformly random in `[0, min(max, base * 2^(attempt-1))]`.
    fn backoff(&self, attempt: u32) -> Duration {
        let exponential = self
            .config
            .backoff_base
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)));
        let ceiling = exponential.min(self.config.backoff_max);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(fastrand::u64(0..=millis))
    }
}

enum SendFailure {
    Network(String),
    TooLarge(SheetsError),
}

/// The tab list and merged cells, nothing else of the spreadsheet.
const SHEET_FIELDS: &str = "sheets(properties(sheetId,title,index,sheetType),merges)";

/// `Retry-After` as seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        // A day is already far past any wait worth honouring; larger numbers are nonsense.
        return (0.0..86_400.0)
            .contains(&seconds)
            .then(|| Duration::from_secs_f64(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.signed_duration_since(clock::now());
    Some(wait.to_std().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("0.5"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(500)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }
}
