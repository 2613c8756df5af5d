//! orgpulse's Google Sheets configuration source.
//!
//! - [`ServiceAccountKey`]: the service account's JSON key (from Secrets Manager or a file).
//! - [`SheetsClient::read`]: an access token by the OAuth 2.0 JWT bearer grant (RS256,
//!   read-only Sheets scope), then the cells of one tab or range as text, merged cells filled.
//! - [`SheetValues::to_table`]: those cells as the configuration reader's [`Table`], through the
//!   same CSV reader a downloaded sheet goes through, so validation and row numbers agree.
//! - [`parse_spreadsheet_id`]: a sheet ID from an ID or the sheet's URL.
//!
//! [`Table`]: orgpulse_config::Table

pub mod client;
pub mod error;
pub mod grid;
pub mod key;

pub use client::{
    SheetsClient, SheetsClientConfig, DEFAULT_SHEETS_API_URL, DEFAULT_TOKEN_URL,
    SHEETS_API_URL_ENV, SHEETS_READONLY_SCOPE, TOKEN_URL_ENV,
};
pub use error::{Result, SheetsError, ROTATE_KEY_FIX};
pub use grid::SheetValues;
pub use key::ServiceAccountKey;

/// A spreadsheet ID from what people paste: the ID itself, or the sheet's URL
/// (`https://docs.google.com/spreadsheets/d/<ID>/edit#gid=0`).
pub fn parse_spreadsheet_id(input: &str) -> std::result::Result<String, String> {
    let input = input.trim();
    let id = match input.split_once("/d/") {
        Some((_, rest)) => rest.split(['/', '?', '#']).next().unwrap_or_default(),
        None => input,
    };
    let valid = id.len() >= 20
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(id.to_owned())
    } else {
        Err(format!(
            "{input:?} is not a Google spreadsheet ID: use the part of the sheet's URL between \
             /d/ and /edit (about 44 letters, digits, - and _)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreadsheet_ids_from_ids_and_urls() {
        let id = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_xyz";
        assert_eq!(parse_spreadsheet_id(id).unwrap(), id);
        assert_eq!(
            parse_spreadsheet_id(&format!(
                "https://docs.google.com/spreadsheets/d/{id}/edit#gid=0"
            ))
            .unwrap(),
            id
        );
        assert_eq!(
            parse_spreadsheet_id(&format!(" https://docs.google.com/spreadsheets/d/{id} "))
                .unwrap(),
            id
        );
        assert!(parse_spreadsheet_id("my sheet").is_err());
        assert!(parse_spreadsheet_id("").is_err());
    }
}
