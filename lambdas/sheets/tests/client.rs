//! The client against a loopback Google (token endpoint + Sheets API) that checks the signed
//! assertion the way Google does.

mod support;

use std::time::{Duration, Instant};

use orgpulse_sheets::{ServiceAccountKey, SheetsClient, SheetsClientConfig, SheetsError};
use serde_json::json;
use support::stub::{GoogleStub, Route, StubResponse, TestKey, EMAIL};

const SHEET_ID: &str = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_xyz";

struct Setup {
    stub: GoogleStub,
    client: SheetsClient,
    key_json: String,
}

async fn setup_with(adjust: impl FnOnce(&mut SheetsClientConfig)) -> Setup {
    let key = TestKey::generate();
    let stub = GoogleStub::start(key.public_key.clone()).await;
    let mut config = SheetsClientConfig {
        token_url: stub.token_url.clone(),
        sheets_api_url: stub.base_url.clone(),
        request_timeout: Duration::from_secs(5),
        max_attempts: 3,
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(40),
        max_retry_after: Duration::from_secs(2),
        ..SheetsClientConfig::default()
    };
    adjust(&mut config);
    let client =
        SheetsClient::new(ServiceAccountKey::from_json(&key.json).unwrap(), config).unwrap();
    Setup {
        stub,
        client,
        key_json: key.json,
    }
}

async fn setup() -> Setup {
    setup_with(|_| {}).await
}

fn values(range: &str, rows: serde_json::Value) -> serde_json::Value {
    json!({"range": range, "majorDimension": "ROWS", "values": rows})
}

#[tokio::test]
async fn reads_the_first_tab_with_a_signed_assertion() {
    let Setup { stub, client, .. } = setup().await;
    stub.set_spreadsheet(json!({"sheets": [
        {"properties": {"sheetId": 7, "title": "Notes", "index": 1}},
        {"properties": {"title": "Accounts 2026", "sheetType": "GRID"},
         "merges": [{"startRowIndex": 1, "endRowIndex": 3, "startColumnIndex": 2, "endColumnIndex": 3}]},
    ]}));
    stub.set_values(values(
        "'Accounts 2026'!A1:Z1000",
        json!([
            ["AccountId", "Description", "ChannelIds"],
            ["012345678901", "決済 本番", "C0000000001"],
            [123456789012u64, "数値のID"],
        ]),
    ));

    let sheet = client.read(SHEET_ID, None).await.unwrap();

    assert_eq!(sheet.range, "'Accounts 2026'!A1:Z1000");
    assert_eq!(
        sheet.rows,
        [
            vec!["AccountId", "Description", "ChannelIds"],
            vec!["012345678901", "決済 本番", "C0000000001"],
            // The number is its digits; the merged ChannelIds cell reaches this row.
            vec!["123456789012", "数値のID", "C0000000001"],
        ]
    );
    let table = sheet.to_table();
    assert!(table.problems.is_empty(), "{:?}", table.problems);
    let loaded = orgpulse_config::validate(&table);
    assert!(loaded.is_valid(), "{:?}", loaded.problems);
    assert_eq!(loaded.config.rows.len(), 2);

    let [token_request] = &stub.requests(Route::Token)[..] else {
        panic!("one token request")
    };
    assert_eq!(
        token_request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let [values_request] = &stub.requests(Route::Values)[..] else {
        panic!("one values request")
    };
    // The first tab by index, quoted and percent-encoded, formatted values.
    assert!(
        values_request.target.starts_with(&format!(
            "/v4/spreadsheets/{SHEET_ID}/values/'Accounts%202026'?"
        )),
        "{}",
        values_request.target
    );
    assert!(values_request
        .target
        .contains("valueRenderOption=FORMATTED_VALUE"));
    assert_eq!(
        values_request.header("authorization"),
        Some("Bearer ya29.stub-1")
    );
    let [meta_request] = &stub.requests(Route::Spreadsheet)[..] else {
        panic!("one spreadsheets.get")
    };
    assert!(meta_request.target.contains("fields=sheets"));
}

#[tokio::test]
async fn problems_name_the_tab_and_cell_under_a_title_and_link_to_it() {
    let Setup { stub, client, .. } = setup().await;
    stub.set_spreadsheet(json!({"sheets": [
        {"properties": {"title": "Notes", "index": 1, "sheetId": 7}},
        {"properties": {"sheetId": 1_234_567, "title": "アカウント設定", "sheetType": "GRID"}},
    ]}));
    stub.set_values(values(
        "'アカウント設定'!A1:Z1000",
        json!([
            ["アカウント設定 (編集は各チームで)"],
            [],
            ["AccountId", "Description", "ChannelIds"],
            ["12345678901", "決済", "C0000000001"],
            ["012345678901", "請求", "#general"],
        ]),
    ));
    let sheet = client.read(SHEET_ID, None).await.unwrap();
    assert_eq!(
        (sheet.tab.as_str(), sheet.sheet_id),
        ("アカウント設定", 1_234_567)
    );
    let table = sheet.to_table();
    assert_eq!(table.layout.header_row, 3);
    assert_eq!(table.layout.note_rows, [1]);
    let loaded = orgpulse_config::validate(&table);
    let places: Vec<(String, String)> = loaded
        .problems
        .iter()
        .map(|p| {
            let location = p.location.clone().unwrap();
            (location.a1.unwrap(), location.url.unwrap())
        })
        .collect();
    let link = |range: &str| {
        format!("https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit#gid=1234567&range={range}")
    };
    assert_eq!(
        places,
        [
            ("'アカウント設定'!A4".to_owned(), link("A4")),
            ("'アカウント設定'!C5".to_owned(), link("C5")),
        ]
    );
    assert!(loaded.problems[0]
        .to_string()
        .starts_with("'アカウント設定'!A4, AccountId = \"12345678901\": has 11 digits"));
}

#[tokio::test]
async fn a_range_that_starts_further_in_numbers_rows_and_columns_from_there() {
    let Setup { stub, client, .. } = setup().await;
    stub.set_spreadsheet(json!({"sheets": [
        {"properties": {"title": "Sheet1", "index": 0}},
        {"properties": {"sheetId": 42, "title": "Config", "index": 1}},
    ]}));
    stub.set_values(values(
        "Config!B3:D5",
        json!([["AccountId", "Currency"], ["012345678901", "JPN"]]),
    ));
    let sheet = client
        .read(SHEET_ID, Some("orgpulse_config"))
        .await
        .unwrap();
    let loaded = orgpulse_config::validate(&sheet.to_table());
    let location = loaded.problems[0].location.clone().unwrap();
    assert_eq!(location.a1.as_deref(), Some("'Config'!C4"));
    assert_eq!(location.sheet_id, Some(42));
    assert_eq!(
        (location.row, location.column.as_deref()),
        (Some(4), Some("C"))
    );
}

#[tokio::test]
async fn a_named_range_is_read_as_given_and_the_token_is_reused() {
    let Setup { stub, client, .. } = setup().await;
    stub.set_values(values(
        "Config!B3:D5",
        json!([["AccountId"], ["012345678901"]]),
    ));
    client
        .read(SHEET_ID, Some("orgpulse_config"))
        .await
        .unwrap();
    client
        .read(SHEET_ID, Some("orgpulse_config"))
        .await
        .unwrap();
    assert_eq!(stub.requests(Route::Token).len(), 1);
    let targets: Vec<String> = stub
        .requests(Route::Values)
        .iter()
        .map(|r| r.target.clone())
        .collect();
    assert!(
        targets[0].contains("/values/orgpulse_config?"),
        "{targets:?}"
    );
}

#[tokio::test]
async fn a_revoked_token_is_renewed_once() {
    let Setup { stub, client, .. } = setup().await;
    stub.script(
        Route::Spreadsheet,
        vec![StubResponse::google_error(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials.",
        )],
    );
    client.read(SHEET_ID, None).await.unwrap();
    assert_eq!(stub.issued_tokens().len(), 2);
}

#[tokio::test]
async fn rate_limits_wait_for_retry_after_then_succeed() {
    let Setup { stub, client, .. } = setup().await;
    stub.script(
        Route::Values,
        vec![
            StubResponse::google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded")
                .header("Retry-After", "1"),
        ],
    );
    let started = Instant::now();
    client.read(SHEET_ID, None).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(stub.requests(Route::Values).len(), 2);
}

#[tokio::test]
async fn rate_limits_without_retry_after_back_off_and_give_up_after_the_attempts() {
    let Setup { stub, client, .. } = setup().await;
    stub.script(
        Route::Values,
        vec![StubResponse::google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded"); 3],
    );
    let err = client.read(SHEET_ID, None).await.unwrap_err();
    assert!(
        matches!(err, SheetsError::RateLimited { attempts: 3, .. }),
        "{err}"
    );
    assert!(err.is_retryable());
    assert_eq!(stub.requests(Route::Values).len(), 3);
}

#[tokio::test]
async fn a_retry_after_longer_than_the_cap_is_not_slept_through() {
    let Setup { stub, client, .. } = setup().await;
    stub.script(
        Route::Values,
        vec![
            StubResponse::google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded")
                .header("Retry-After", "3600"),
        ],
    );
    let started = Instant::now();
    let err = client.read(SHEET_ID, None).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(err.to_string().contains("Retry-After: 3600s"), "{err}");
    assert_eq!(stub.requests(Route::Values).len(), 1);
}

#[tokio::test]
async fn server_errors_are_retried() {
    let Setup { stub, client, .. } = setup().await;
    stub.script(
        Route::Token,
        vec![StubResponse::json(
            503,
            json!({"error": "temporarily_unavailable"}),
        )],
    );
    stub.script(
        Route::Values,
        vec![StubResponse::google_error(
            500,
            "INTERNAL",
            "Internal error encountered.",
        )],
    );
    client.read(SHEET_ID, None).await.unwrap();

    stub.script(
        Route::Values,
        vec![
            StubResponse::google_error(503, "UNAVAILABLE", "The service is currently unavailable.");
            3
        ],
    );
    let err = client.read(SHEET_ID, None).await.unwrap_err();
    assert!(
        matches!(
            err,
            SheetsError::Server {
                status: 503,
                attempts: 3,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_slow_google_times_out_and_says_so() {
    let Setup { stub, client, .. } = setup_with(|c| {
        c.request_timeout = Duration::from_millis(300);
        c.max_attempts = 2;
    })
    .await;
    stub.script(
        Route::Spreadsheet,
        vec![StubResponse::json(200, json!({"sheets": []})).delayed(Duration::from_secs(2)); 2],
    );
    let err = client.read(SHEET_ID, None).await.unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, SheetsError::Network { attempts: 2, .. }),
        "{message}"
    );
    assert!(message.contains("no answer within 300ms"), "{message}");
}

#[tokio::test]
async fn a_sheet_not_shared_says_whom_to_share_it_with() {
    let Setup { stub, client, .. } = setup().await;
    stub.script(
        Route::Spreadsheet,
        vec![StubResponse::google_error(
            403,
            "PERMISSION_DENIED",
            "The caller does not have permission",
        )],
    );
    let err = client.read(SHEET_ID, None).await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, SheetsError::NotShared { .. }), "{message}");
    assert!(
        message.contains(&format!("add {EMAIL} as a Viewer")),
        "{message}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_disabled_sheets_api_is_told_apart_from_sharing() {
    let Setup { stub, client, .. } = setup().await;
    stub.script(
        Route::Spreadsheet,
        vec![StubResponse::json(403, json!({"error": {
            "code": 403,
            "message": "Google Sheets API has not been used in project 1234 before or it is disabled.",
            "status": "PERMISSION_DENIED",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED"}],
        }}))],
    );
    let err = client.read(SHEET_ID, None).await.unwrap_err();
    assert!(matches!(err, SheetsError::ApiDisabled { .. }), "{err}");
    assert!(err.to_string().contains("enable \"Google Sheets API\""));
}

#[tokio::test]
async fn a_wrong_sheet_id_or_range_says_which() {
    let Setup { stub, client, .. } = setup().await;
    stub.script(
        Route::Spreadsheet,
        vec![StubResponse::google_error(
            404,
            "NOT_FOUND",
            "Requested entity was not found.",
        )],
    );
    let err = client.read(SHEET_ID, None).await.unwrap_err();
    assert!(matches!(err, SheetsError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("between /d/ and /edit"), "{err}");

    stub.script(
        Route::Values,
        vec![StubResponse::google_error(
            400,
            "INVALID_ARGUMENT",
            "Unable to parse range: Acounts",
        )],
    );
    let err = client.read(SHEET_ID, Some("Acounts")).await.unwrap_err();
    assert!(matches!(err, SheetsError::BadRange { .. }), "{err}");
    assert!(
        err.to_string().contains("ORGPULSE_CONFIG_SHEET_RANGE"),
        "{err}"
    );
}

#[tokio::test]
async fn a_rejected_key_says_to_rotate_it_and_leaks_nothing() {
    let Setup {
        stub,
        client,
        key_json,
    } = setup().await;
    stub.script(
        Route::Token,
        vec![StubResponse::json(
            400,
            json!({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}),
        )],
    );
    let err = client.read(SHEET_ID, None).await.unwrap_err();
    let message = format!("{err} {err:?} {client:?}");
    assert!(matches!(err, SheetsError::KeyRejected { .. }), "{message}");
    assert!(
        message.contains("deleted, disabled or has expired"),
        "{message}"
    );
    assert!(message.contains("create a new JSON key"), "{message}");
    let key: serde_json::Value = serde_json::from_str(&key_json).unwrap();
    let pem = key["private_key"].as_str().unwrap();
    let key_line = pem.lines().nth(1).unwrap();
    assert!(
        !message.contains(key_line),
        "the private key leaked: {message}"
    );
    // No request reached the Sheets API without a token.
    assert!(stub.requests(Route::Values).is_empty());
}

#[tokio::test]
async fn a_key_google_does_not_know_is_refused_by_the_signature_check() {
    // The stub knows another key's public half: Google's answer for a deleted key.
    let Setup { stub, .. } = setup().await;
    let stranger = TestKey::generate();
    let client = SheetsClient::new(
        ServiceAccountKey::from_json(&stranger.json).unwrap(),
        SheetsClientConfig {
            token_url: stub.token_url.clone(),
            sheets_api_url: stub.base_url.clone(),
            ..SheetsClientConfig::default()
        },
    )
    .unwrap();
    let err = client.read(SHEET_ID, None).await.unwrap_err();
    assert!(
        matches!(&err, SheetsError::KeyRejected { description, .. } if description == "Invalid JWT Signature."),
        "{err}"
    );
}

#[tokio::test]
async fn oversized_answers_are_refused() {
    let Setup { stub, client, .. } = setup_with(|c| c.max_response_bytes = 10_000).await;
    let rows: Vec<Vec<String>> = (0..500)
        .map(|i| vec![format!("{i:012}"), "x".repeat(40)])
        .collect();
    stub.set_values(values("Sheet1!A1:B500", json!(rows)));
    let err = client.read(SHEET_ID, None).await.unwrap_err();
    assert!(matches!(err, SheetsError::TooLarge { .. }), "{err}");
}

#[tokio::test]
async fn a_large_sheet_within_the_limits_is_read() {
    let Setup { stub, client, .. } = setup().await;
    let mut rows = vec![json!([
        "AccountId",
        "Description",
        "ChannelIds",
        "Currency"
    ])];
    rows.extend((0..5_000).map(|i| {
        json!([
            format!("{:012}", 100_000_000_000u64 + i),
            format!("account {i}"),
            "C0000000001",
            "JPY"
        ])
    }));
    stub.set_values(values("Sheet1!A1:D5001", json!(rows)));
    let sheet = client.read(SHEET_ID, None).await.unwrap();
    let loaded = orgpulse_config::validate(&sheet.to_table());
    assert!(loaded.is_valid(), "{:?}", &loaded.problems[..3]);
    assert_eq!(loaded.config.rows.len(), 5_000);
}

#[tokio::test]
async fn a_sheet_over_the_configuration_limit_is_refused_with_its_size() {
    let Setup { stub, client, .. } = setup().await;
    // About 5 MiB as CSV: stray data pasted far below a configuration.
    let rows: Vec<Vec<String>> = (0..50_000)
        .map(|i| vec![format!("{i:012}"), "x".repeat(100)])
        .collect();
    stub.set_values(values("Sheet1!A1:B50000", json!(rows)));
    let err = client.read(SHEET_ID, None).await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, SheetsError::TooLarge { .. }), "{message}");
    assert!(message.contains("50000 rows"), "{message}");
    assert!(
        message.contains("more than orgpulse reads (4 MiB)"),
        "{message}"
    );
}

#[tokio::test]
async fn a_merge_too_large_to_expand_is_a_configuration_problem() {
    let Setup { stub, client, .. } = setup().await;
    // B1:Z40000 holding 1,000 characters: about 1 GB once copied into every cell it covers.
    stub.set_spreadsheet(json!({"sheets": [
        {"properties": {"title": "Sheet1", "sheetType": "GRID"},
         "merges": [{"startRowIndex": 0, "endRowIndex": 40000, "startColumnIndex": 1, "endColumnIndex": 26}]},
    ]}));
    let mut rows = vec![json!(["AccountId", "x".repeat(1_000)])];
    rows.extend((1..40_000).map(|i| json!([format!("{i:012}")])));
    stub.set_values(values("Sheet1!A1:Z40000", json!(rows)));
    let err = client.read(SHEET_ID, None).await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, SheetsError::TooLarge { .. }), "{message}");
    assert!(
        message.contains("merged cells (rows 1-40000, columns 2-26)"),
        "{message}"
    );
    assert!(message.contains("Fix:"), "{message}");
}
