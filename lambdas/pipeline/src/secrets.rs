//! The Slack bot token, read from Secrets Manager once per container.
//!
//! Calls: `secretsmanager:GetSecretValue` (plus `kms:Decrypt` on the secret's key when it is a
//! customer-managed one).
//!
//! The secret's value may be the token itself (`xoxb-…`) or a JSON object with a `bot_token`
//! or `token` key (`bot_token` wins when both are present). The token lives in a
//! [`SlackToken`], whose `Debug` prints `SlackToken(<redacted>)` and which has no `Display`
//! and no `Serialize`, so it cannot end up in a log line or a state payload by accident.

use std::sync::Arc;

use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use tokio::sync::Mutex;

use crate::error::{AwsOperation, Error, Result};

const GET_SECRET_VALUE: AwsOperation = AwsOperation::new("secretsmanager", "GetSecretValue");

/// JSON keys that may hold the token, in order of preference.
const TOKEN_KEYS: [&str; 2] = ["bot_token", "token"];

/// A Slack token. Read it with [`SlackToken::expose_secret`] only where it goes into the
/// `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct SlackToken(Arc<str>);

impl SlackToken {
    /// The token itself.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SlackToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SlackToken(<redacted>)")
    }
}

/// Reads the token from the secret `secret_id` (ARN or name) on first use and keeps it.
#[derive(Debug)]
pub struct SlackTokenSource {
    secretsmanager: aws_sdk_secretsmanager::Client,
    secret_id: String,
    cached: Mutex<Option<SlackToken>>,
}

impl SlackTokenSource {
    pub fn new(
        secretsmanager: aws_sdk_secretsmanager::Client,
        secret_id: impl Into<String>,
    ) -> Self {
        Self {
            secretsmanager,
            secret_id: secret_id.into(),
            cached: Mutex::new(None),
        }
    }

    /// The token: fetched on the first call, from memory afterwards. Concurrent first calls
    /// wait for one fetch.
    pub async fn token(&self) -> Result<SlackToken> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref() {
            return Ok(token.clone());
        }
        let token = self.fetch().await?;
        *cached = Some(token.clone());
        Ok(token)
    }

    /// Drops the cached token, so the next [`Self::token`] reads the secret again. Call it when
    /// Slack answers `invalid_auth` or `token_revoked`: the secret may have been rotated.
    pub async fn forget(&self) {
        *self.cached.lock().await = None;
    }

    async fn fetch(&self) -> Result<SlackToken> {
        let output = self
            .secretsmanager
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|err| self.fetch_error(err))?;
        let Some(value) = output.secret_string() else {
            return Err(self.invalid(
                "it has no string value (it was stored as binary)",
                "store the token as the secret's string value",
            ));
        };
        parse_token(value).map_err(|problem| self.invalid(&problem, TOKEN_FORMAT_FIX))
    }

    fn invalid(&self, problem: &str, fix: &str) -> Error {
        Error::InvalidConfig {
            what: format!("Slack token secret {}", self.secret_id),
            problem: problem.to_owned(),
            fix: fix.to_owned(),
        }
    }

    fn fetch_error(
        &self,
        err: aws_sdk_secretsmanager::error::SdkError<GetSecretValueError>,
    ) -> Error {
        match err.as_service_error() {
            Some(GetSecretValueError::ResourceNotFoundException(_)) => self.invalid(
                "it does not exist, or has no current version",
                "create it (the hub module's secret) and put the bot token in it: \
                 aws secretsmanager put-secret-value --secret-id <arn> --secret-string xoxb-…",
            ),
            Some(GetSecretValueError::DecryptionFailure(_)) => self.invalid(
                "Secrets Manager cannot decrypt it with its KMS key",
                "allow kms:Decrypt on the secret's key for this function's role",
            ),
            _ => match Error::from_sdk(GET_SECRET_VALUE, err) {
                Error::AccessDenied {
                    operation, message, ..
                } => Error::AccessDenied {
                    operation,
                    message: format!("secret {}: {message}", self.secret_id),
                    fix: "allow secretsmanager:GetSecretValue on this secret for the function's \
                          role (and kms:Decrypt on its key if it is customer-managed)"
                        .into(),
                },
                other => other,
            },
        }
    }
}

const TOKEN_FORMAT_FIX: &str = "store the bot token itself (xoxb-…), or JSON like \
                                {\"bot_token\": \"xoxb-…\"}";

/// The token from a secret's string value. Problems never quote the value.
fn parse_token(value: &str) -> std::result::Result<SlackToken, String> {
    let value = value.trim();
    if value.starts_with('{') {
        let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(value)
            .map_err(|err| {
                format!(
                    "it starts like JSON but is not a JSON object (line {}, column {})",
                    err.line(),
                    err.column()
                )
            })?;
        let Some((key, found)) = TOKEN_KEYS
            .iter()
            .find_map(|key| object.get(*key).map(|v| (*key, v)))
        else {
            let keys: Vec<&str> = object.keys().map(String::as_str).collect();
            return Err(format!(
                "the JSON has no \"bot_token\" or \"token\" key (keys present: {})",
                if keys.is_empty() {
                    "none".to_owned()
                } else {
                    keys.join(", ")
                }
            ));
        };
        let Some(token) = found.as_str() else {
            return Err(format!("the JSON key \"{key}\" is not a string"));
        };
        return plain_token(token.trim()).map_err(|problem| format!("\"{key}\": {problem}"));
    }
    plain_token(value)
}

fn plain_token(token: &str) -> std::result::Result<SlackToken, String> {
    if token.is_empty() {
        return Err("the token is empty".into());
    }
    if token.chars().any(char::is_whitespace) {
        return Err("the token contains whitespace".into());
    }
    if !token.starts_with("xox") {
        tracing::warn!(
            "the Slack token does not start with \"xox\"; Slack will probably reject it"
        );
    }
    Ok(SlackToken(Arc::from(token)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_json_secrets_are_accepted() {
        for value in [
            "xoxb-1-2-abc",
            "  xoxb-1-2-abc\n",
            r#"{"token": "xoxb-1-2-abc"}"#,
            r#"{"bot_token": "xoxb-1-2-abc", "signing_secret": "s"}"#,
            r#"{"token": "xoxp-other", "bot_token": "xoxb-1-2-abc"}"#,
        ] {
            assert_eq!(
                parse_token(value).unwrap().expose_secret(),
                "xoxb-1-2-abc",
                "{value}"
            );
        }
    }

    #[test]
    fn problems_name_the_shape_never_the_value() {
        let cases = [
            ("", "empty"),
            (r#"{"slack": "xoxb-secret-value"}"#, "keys present: slack"),
            (r#"{"token": 42}"#, "not a string"),
            (r#"{"token": "xoxb-secret value"}"#, "whitespace"),
            (r#"{"token": "xoxb-secret-value""#, "not a JSON object"),
        ];
        for (value, expected) in cases {
            let problem = parse_token(value).unwrap_err();
            assert!(problem.contains(expected), "{value}: {problem}");
            assert!(!problem.contains("secret-value"), "{problem}");
        }
    }

    #[test]
    fn debug_output_is_redacted() {
        let token = parse_token("xoxb-very-secret").unwrap();
        let printed = format!("{token:?} {:?}", Some(token.clone()));
        assert!(!printed.contains("very-secret"), "{printed}");
        assert!(printed.contains("<redacted>"));
    }
}
