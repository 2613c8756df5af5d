//! A Google service account's JSON key, as Google Cloud downloads it. Problems name the shape
//! of what was stored, never its content; `Debug` shows the account, not the key.

use std::fmt;

use jsonwebtoken::EncodingKey;
use serde_json::{Map, Value};

use crate::error::{Result, SheetsError, ROTATE_KEY_FIX};

/// A service account key: who signs (`client_email`) and the RSA key it signs with.
#[derive(Clone)]
pub struct ServiceAccountKey {
    client_email: String,
    private_key_id: Option<String>,
    signing_key: EncodingKey,
}

impl fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("client_email", &self.client_email)
            .field("private_key_id", &self.private_key_id)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

fn invalid(problem: impl Into<String>) -> SheetsError {
    SheetsError::InvalidKey {
        problem: problem.into(),
        fix: ROTATE_KEY_FIX.to_owned(),
    }
}

impl ServiceAccountKey {
    /// Reads the key file's JSON (the whole file Google Cloud downloads).
    pub fn from_json(text: &str) -> Result<Self> {
        let text = text.trim_start_matches('\u{FEFF}').trim();
        if text.is_empty() {
            return Err(invalid("is empty"));
        }
        let object: Map<String, Value> = serde_json::from_str(text).map_err(|err| {
            invalid(format!(
                "is not a JSON object (line {}, column {}); it must be the whole JSON key file",
                err.line(),
                err.column()
            ))
        })?;
        let kind = object.get("type").and_then(Value::as_str);
        match kind {
            Some("service_account") | None => {}
            Some("authorized_user") => {
                return Err(invalid(
                    "is a person's credentials (type authorized_user, from gcloud auth \
                     application-default login), not a service account key",
                ))
            }
            Some("external_account") | Some("impersonated_service_account") => {
                return Err(invalid(format!(
                    "is a {} configuration, which orgpulse does not use; it needs a service \
                     account's own JSON key",
                    kind.unwrap_or_default()
                )))
            }
            Some(other) => {
                return Err(invalid(format!(
                    "has type {other:?}; a service account key has type \"service_account\""
                )))
            }
        }
        if kind.is_none() && (object.contains_key("installed") || object.contains_key("web")) {
            return Err(invalid(
                "is an OAuth client ID (client_secret JSON), not a service account key",
            ));
        }
        let text_field = |name: &str| -> Result<String> {
            match object.get(name) {
                Some(Value::String(value)) if !value.trim().is_empty() => {
                    Ok(value.trim().to_owned())
                }
                Some(Value::String(_)) => Err(invalid(format!("has an empty \"{name}\""))),
                Some(_) => Err(invalid(format!("has a \"{name}\" that is not a string"))),
                None => Err(invalid(format!("has no \"{name}\""))),
            }
        };
        let client_email = text_field("client_email")?;
        let private_key = text_field("private_key")?;
        // A key pasted through a tool that escaped it twice keeps literal "\n" sequences.
        let private_key = if !private_key.contains('\n') && private_key.contains("\\n") {
            private_key.replace("\\n", "\n")
        } else {
            private_key
        };
        if !private_key.starts_with("-----BEGIN") {
            return Err(invalid(
                "has a \"private_key\" that is not PEM text (-----BEGIN PRIVATE KEY-----…)",
            ));
        }
        let signing_key = EncodingKey::from_rsa_pem(private_key.as_bytes()).map_err(|err| {
            invalid(format!(
                "has a \"private_key\" that is not a readable RSA private key ({}); it was \
                 probably damaged when copied",
                describe_key_error(&err)
            ))
        })?;
        let private_key_id = object
            .get("private_key_id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(Self {
            client_email,
            private_key_id,
            signing_key,
        })
    }

    /// The service account's e-mail address: what the sheet must be shared with.
    pub fn client_email(&self) -> &str {
        &self.client_email
    }

    pub(crate) fn private_key_id(&self) -> Option<&str> {
        self.private_key_id.as_deref()
    }

    pub(crate) fn signing_key(&self) -> &EncodingKey {
        &self.signing_key
    }
}

/// jsonwebtoken's error kinds, without anything from the key.
pub(crate) fn describe_key_error(err: &jsonwebtoken::errors::Error) -> &'static str {
    use jsonwebtoken::errors::ErrorKind;
    match err.kind() {
        ErrorKind::InvalidKeyFormat => "not an RSA key in PKCS#1 or PKCS#8 form",
        ErrorKind::InvalidRsaKey(_) => "the RSA key is invalid",
        ErrorKind::Base64(_) => "its base64 text is damaged",
        ErrorKind::RsaFailedSigning | ErrorKind::Signing(_) => "it cannot sign",
        _ => "unreadable PEM",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_name_the_shape_never_the_content() {
        let cases = [
            ("", "is empty"),
            ("not json at all", "not a JSON object"),
            (
                r#"{"type": "authorized_user", "refresh_token": "TOPSECRET"}"#,
                "authorized_user",
            ),
            (
                r#"{"installed": {"client_secret": "TOPSECRET"}}"#,
                "OAuth client ID",
            ),
            (
                r#"{"type": "service_account", "private_key": "TOPSECRET"}"#,
                "no \"client_email\"",
            ),
            (
                r#"{"type": "service_account", "client_email": "a@b.iam.gserviceaccount.com"}"#,
                "no \"private_key\"",
            ),
            (
                r#"{"type": "service_account", "client_email": "a@b", "private_key": "TOPSECRET"}"#,
                "not PEM text",
            ),
            (
                r#"{"type": "service_account", "client_email": "a@b", "private_key": "-----BEGIN PRIVATE KEY-----\nVE9QU0VDUkVU\n-----END PRIVATE KEY-----\n"}"#,
                "not a readable RSA private key",
            ),
        ];
        for (text, expected) in cases {
            let err = ServiceAccountKey::from_json(text).unwrap_err();
            let message = err.to_string();
            assert!(message.contains(expected), "{text}: {message}");
            assert!(!message.contains("TOPSECRET"), "{message}");
            assert!(message.contains("Fix: create a new JSON key"), "{message}");
        }
    }
}
