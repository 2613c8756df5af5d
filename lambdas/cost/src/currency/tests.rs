use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use pretty_assertions::assert_eq;
use rust_decimal_macros::dec;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const FIXTURE: &str = include_str!("../../tests/fixtures/eurofxref-daily.xml");

fn c(code: &str) -> CurrencyCode {
    CurrencyCode(code.into())
}
fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn parses_the_ecb_daily_file() {
    let table = EcbRateTable::parse(FIXTURE).unwrap();
    assert_eq!(table.date, d("2024-03-15"));
    assert_eq!(table.per_eur.len(), 30);
    assert_eq!(table.per_eur["USD"], dec!(1.0890));
    assert_eq!(table.per_eur["JPY"], dec!(162.28));
    assert_eq!(table.per_eur["GBP"], dec!(0.85420));
}

#[test]
fn usd_rates_are_cross_rates_through_the_euro() {
    let table = EcbRateTable::parse(FIXTURE).unwrap();
    // 162.28 JPY/EUR ÷ 1.0890 USD/EUR.
    assert_eq!(table.per_usd(&c("JPY")), Some(dec!(149.017447)));
    assert_eq!(table.per_usd(&c("EUR")), Some(dec!(0.918274)));
    assert_eq!(table.per_usd(&c("USD")), Some(dec!(1)));
    assert_eq!(table.per_usd(&c("KRW")), Some(dec!(1331.386593)));
    assert_eq!(table.per_usd(&c("KWD")), None);
}

#[test]
fn rejects_files_that_are_not_the_daily_rates() {
    assert!(EcbRateTable::parse("<html>Service unavailable").is_err());
    assert!(
        EcbRateTable::parse("<Cube><Cube currency='USD' rate='1.1'/></Cube>")
            .unwrap_err()
            .contains("no <Cube time")
    );
    assert!(EcbRateTable::parse(
        "<Cube time='2024-03-15'><Cube currency='JPY' rate='160'/></Cube>"
    )
    .unwrap_err()
    .contains("no USD rate"));
    assert!(
        EcbRateTable::parse("<Cube time='2024-03-15'><Cube currency='USD' rate='-1'/></Cube>")
            .unwrap_err()
            .contains("not positive")
    );
    assert!(EcbRateTable::parse(
        "<Cube time='2024-03-15'><Cube currency='USD' rate='1,1'/></Cube>"
    )
    .is_err());
    let two_days = "<Cube><Cube time='2024-03-15'><Cube currency='USD' rate='1.1'/></Cube>\
                    <Cube time='2024-03-14'><Cube currency='USD' rate='1.2'/></Cube></Cube>";
    assert!(EcbRateTable::parse(two_days)
        .unwrap_err()
        .contains("more than one day"));
}

/// A one-connection-at-a-time HTTP server on loopback answering with `responses` in turn
/// (the last one repeats), counting requests.
async fn fixture_server(responses: Vec<(u16, &'static str, String)>) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/eurofxref-daily.xml",
        listener.local_addr().unwrap()
    );
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut request = Vec::new();
            let mut buffer = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match socket.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            let index = count
                .fetch_add(1, Ordering::SeqCst)
                .min(responses.len() - 1);
            let (status, extra_headers, body) = &responses[index];
            let response = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n{extra_headers}\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    (url, served)
}

fn ecb(url: &str) -> EcbRates {
    EcbRates::new(url)
        .unwrap()
        .with_retries(3, Duration::from_millis(5))
}

#[tokio::test]
async fn fetches_once_retrying_a_server_error() {
    let (url, served) =
        fixture_server(vec![(503, "", "busy".into()), (200, "", FIXTURE.into())]).await;
    let source = ecb(&url);
    let rate = source.usd_rate(&c("JPY")).await.unwrap();
    assert_eq!(
        rate,
        AppliedRate {
            currency: c("JPY"),
            per_usd: dec!(149.017447),
            date: d("2024-03-15"),
            source: "ECB reference rate".into(),
            warning: None,
        }
    );
    assert_eq!(served.load(Ordering::SeqCst), 2);
    // Kept for the rest of the process: no second download.
    source.usd_rate(&c("EUR")).await.unwrap();
    assert_eq!(served.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_kept_table_expires() {
    let (url, served) = fixture_server(vec![(200, "", FIXTURE.into())]).await;
    let source = ecb(&url).with_cache_for(Duration::ZERO);
    source.usd_rate(&c("JPY")).await.unwrap();
    source.usd_rate(&c("JPY")).await.unwrap();
    assert_eq!(served.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn honours_retry_after() {
    let (url, served) = fixture_server(vec![
        (429, "Retry-After: 0\r\n", String::new()),
        (200, "", FIXTURE.into()),
    ])
    .await;
    ecb(&url).usd_rate(&c("JPY")).await.unwrap();
    assert_eq!(served.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_client_error_is_not_retried() {
    let (url, served) = fixture_server(vec![(404, "", "not found".into())]).await;
    let error = ecb(&url).usd_rate(&c("JPY")).await.unwrap_err();
    assert_eq!(served.load(Ordering::SeqCst), 1);
    assert!(
        matches!(&error, RateError::Unavailable { reason, .. } if reason.contains("404")),
        "{error}"
    );
}

#[tokio::test]
async fn an_unreadable_file_is_reported_as_such() {
    let (url, _) = fixture_server(vec![(200, "", "<html>maintenance</html>".into())]).await;
    let error = ecb(&url).usd_rate(&c("JPY")).await.unwrap_err();
    assert!(matches!(error, RateError::Unreadable { .. }), "{error}");
}

#[tokio::test]
async fn an_unknown_currency_says_how_to_fix_it() {
    let (url, _) = fixture_server(vec![(200, "", FIXTURE.into())]).await;
    let error = ecb(&url).usd_rate(&c("KWD")).await.unwrap_err();
    assert_eq!(
        error,
        RateError::UnknownCurrency {
            currency: "KWD".into()
        }
    );
    assert!(error.to_string().contains("fixed rate for KWD"));
}

#[tokio::test]
async fn a_fed_in_rate_outside_the_sane_range_is_refused_with_the_fix() {
    let fed_in = FIXTURE.replace("rate='162.28'", "rate='16228000000000000'");
    let (url, _) = fixture_server(vec![(200, "", fed_in)]).await;
    let error = ecb(&url).usd_rate(&c("JPY")).await.unwrap_err();
    assert!(matches!(error, RateError::Unreadable { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("outside 0.0001 to 10000000"), "{message}");
    assert!(message.contains("fixed rate for JPY"), "{message}");
}

/// A loopback address nothing listens on.
async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}/eurofxref-daily.xml")
}

#[tokio::test]
async fn falls_back_to_the_last_known_rate_with_a_warning() {
    let source = ecb(&closed_port_url().await);
    let last_known = AppliedRate {
        currency: c("JPY"),
        per_usd: dec!(148.5),
        date: d("2024-03-13"),
        source: "ECB reference rate".into(),
        warning: None,
    };
    let rate = resolve_rate(&source, &c("JPY"), Some(&last_known))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rate.per_usd, dec!(148.5));
    assert_eq!(rate.date, d("2024-03-13"));
    let warning = rate.warning.unwrap();
    assert!(
        warning.contains("last known rate of 2024-03-13"),
        "{warning}"
    );
    assert!(warning.contains("after 3 attempts"), "{warning}");

    // A last known rate of another currency is no fallback.
    let error = resolve_rate(&source, &c("EUR"), Some(&last_known))
        .await
        .unwrap_err();
    assert!(
        matches!(error, RateError::Unavailable { attempts: 3, .. }),
        "{error}"
    );
    assert!(resolve_rate(&source, &c("JPY"), None).await.is_err());
}

#[tokio::test]
async fn usd_needs_no_rate() {
    let source = ecb(&closed_port_url().await);
    assert_eq!(
        resolve_rate(&source, &CurrencyCode::usd(), None)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn fixed_rates_come_first() {
    let mut org = OrgSettings::default();
    org.exchange_rates.insert(c("JPY"), dec!(150));
    let fixed = FixedRates::from_org(&org, d("2024-03-15"));
    assert_eq!(fixed.usd_rate(&c("JPY")).await.unwrap().per_usd, dec!(150));
    assert_eq!(fixed.usd_rate(&c("USD")).await.unwrap().per_usd, dec!(1));
    assert!(matches!(
        fixed.usd_rate(&c("EUR")).await,
        Err(RateError::UnknownCurrency { .. })
    ));

    let (url, served) = fixture_server(vec![(200, "", FIXTURE.into())]).await;
    let combined = FixedThenLive {
        fixed,
        live: ecb(&url),
    };
    let jpy = combined.usd_rate(&c("JPY")).await.unwrap();
    assert_eq!(
        (jpy.per_usd, jpy.source.as_str()),
        (dec!(150), "configuration")
    );
    assert_eq!(
        served.load(Ordering::SeqCst),
        0,
        "no download for configured currencies"
    );
    let eur = combined.usd_rate(&c("EUR")).await.unwrap();
    assert_eq!(
        (eur.per_usd, eur.source.as_str()),
        (dec!(0.918274), "ECB reference rate")
    );
}

#[test]
fn the_url_can_be_overridden_from_the_environment() {
    // The only test that touches these variables.
    let local = orgpulse_config::endpoint::LOCAL_ENDPOINTS_ENV;
    std::env::set_var(EcbRates::URL_ENV, "http://127.0.0.1:9/rates.xml");
    // A deployed function (no switch): another host could feed fake rates; refused.
    std::env::remove_var(local);
    assert_eq!(EcbRates::from_env().unwrap().url, EcbRates::DEFAULT_URL);
    std::env::set_var(local, "1");
    assert_eq!(
        EcbRates::from_env().unwrap().url,
        "http://127.0.0.1:9/rates.xml"
    );
    std::env::remove_var(local);
    std::env::set_var(EcbRates::URL_ENV, " ");
    assert_eq!(EcbRates::from_env().unwrap().url, EcbRates::DEFAULT_URL);
    std::env::remove_var(EcbRates::URL_ENV);
    assert_eq!(EcbRates::from_env().unwrap().url, EcbRates::DEFAULT_URL);
}
