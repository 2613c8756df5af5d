//! Exchange rates: Cost Explorer reports USD only, so a JPY report needs a rate the product
//! chooses and shows. Rates come from the `Default` row (fixed) or from the European Central
//! Bank's daily reference rates (live, no key), behind one small trait.

use std::collections::BTreeMap;
use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use chrono::NaiveDate;
use orgpulse_config::{CurrencyCode, OrgSettings};
use quick_xml::events::Event;
use rust_decimal::Decimal;

use crate::compute::CONFIGURATION_RATE_SOURCE;
use crate::error::{DisplayChain, RateError};
use crate::report::AppliedRate;

/// Where USD exchange rates come from.
pub trait RateSource: Send + Sync {
    /// Units of `currency` per 1 USD, with the date it is published for.
    fn usd_rate(
        &self,
        currency: &CurrencyCode,
    ) -> impl Future<Output = Result<AppliedRate, RateError>> + Send;
}

/// The rate a report of `currency` is converted with. `Ok(None)` for USD (no conversion).
/// When the source fails and `last_known` is a rate for the same currency (e.g. the previous
/// run's, kept by the caller), that rate is used and carries a warning the report shows.
pub async fn resolve_rate<S: RateSource>(
    source: &S,
    currency: &CurrencyCode,
    last_known: Option<&AppliedRate>,
) -> Result<Option<AppliedRate>, RateError> {
    if *currency == CurrencyCode::usd() {
        return Ok(None);
    }
    match source.usd_rate(currency).await {
        Ok(rate) => Ok(Some(rate)),
        Err(error) => match last_known.filter(|rate| rate.currency == *currency) {
            Some(rate) => {
                tracing::warn!(%currency, %error, last_known_date = %rate.date, "using the last known exchange rate");
                Ok(Some(AppliedRate {
                    warning: Some(format!(
                        "The current rate could not be fetched ({error}); the last known rate of {} is used.",
                        rate.date
                    )),
                    ..rate.clone()
                }))
            }
            None => Err(error),
        },
    }
}

/// Rates from the `Default` row's exchange rates. They are not dated, so they carry the date
/// they are applied on.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedRates {
    rates: BTreeMap<CurrencyCode, Decimal>,
    as_of: NaiveDate,
}

impl FixedRates {
    pub fn from_org(org: &OrgSettings, as_of: NaiveDate) -> Self {
        Self {
            rates: org.exchange_rates.clone(),
            as_of,
        }
    }

    pub fn get(&self, currency: &CurrencyCode) -> Option<AppliedRate> {
        let per_usd = if *currency == CurrencyCode::usd() {
            Decimal::ONE
        } else {
            *self.rates.get(currency)?
        };
        Some(AppliedRate {
            currency: currency.clone(),
            per_usd,
            date: self.as_of,
            source: CONFIGURATION_RATE_SOURCE.into(),
            warning: None,
        })
    }
}

impl RateSource for FixedRates {
    async fn usd_rate(&self, currency: &CurrencyCode) -> Result<AppliedRate, RateError> {
        self.get(currency)
            .ok_or_else(|| RateError::UnknownCurrency {
                currency: currency.to_string(),
            })
    }
}

/// Fixed rates where configured, the live source for every other currency (the
/// configuration's documented precedence).
#[derive(Debug)]
pub struct FixedThenLive<L> {
    pub fixed: FixedRates,
    pub live: L,
}

impl<L: RateSource> RateSource for FixedThenLive<L> {
    async fn usd_rate(&self, currency: &CurrencyCode) -> Result<AppliedRate, RateError> {
        match self.fixed.get(currency) {
            Some(rate) => Ok(rate),
            None => self.live.usd_rate(currency).await,
        }
    }
}

/// The ECB's euro foreign exchange reference rates of one business day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcbRateTable {
    pub date: NaiveDate,
    /// Units of each currency per 1 EUR, as published.
    pub per_eur: BTreeMap<String, Decimal>,
}

impl EcbRateTable {
    /// Parses `eurofxref-daily.xml`: `<Cube time="…">` holding `<Cube currency="…" rate="…"/>`.
    pub fn parse(xml: &str) -> Result<Self, String> {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut date = None;
        let mut per_eur = BTreeMap::new();
        loop {
            let element = match reader.read_event() {
                Ok(Event::Start(element)) | Ok(Event::Empty(element)) => element,
                Ok(Event::Eof) => break,
                Ok(_) => continue,
                Err(error) => return Err(format!("not well-formed XML: {error}")),
            };
            if element.local_name().as_ref() != b"Cube" {
                continue;
            }
            let mut time = None;
            let mut currency = None;
            let mut rate = None;
            for attribute in element.attributes() {
                let attribute = attribute.map_err(|e| format!("bad attribute: {e}"))?;
                // Dates, codes and numbers: plain ASCII, nothing to unescape.
                let value = std::str::from_utf8(&attribute.value)
                    .map_err(|e| format!("attribute is not UTF-8: {e}"))?
                    .to_owned();
                match attribute.key.local_name().as_ref() {
                    b"time" => time = Some(value),
                    b"currency" => currency = Some(value),
                    b"rate" => rate = Some(value),
                    _ => {}
                }
            }
            if let Some(time) = time {
                if date.is_some() {
                    return Err("more than one day of rates; expected the daily file".into());
                }
                date = Some(
                    NaiveDate::from_str(&time).map_err(|e| format!("bad date {time:?}: {e}"))?,
                );
            }
            if let (Some(currency), Some(rate)) = (currency, rate) {
                let rate = Decimal::from_str(&rate)
                    .map_err(|e| format!("bad rate {rate:?} for {currency}: {e}"))?;
                if rate <= Decimal::ZERO {
                    return Err(format!("rate for {currency} is not positive: {rate}"));
                }
                per_eur.insert(currency, rate);
            }
        }
        let date = date.ok_or("no <Cube time=\"…\"> element")?;
        if !per_eur.contains_key("USD") {
            return Err("no USD rate".into());
        }
        Ok(Self { date, per_eur })
    }

    /// Units of `currency` per 1 USD: the cross rate `(currency per EUR) / (USD per EUR)`,
    /// rounded to 6 decimals (the published rates have 5 or 6 significant digits).
    pub fn per_usd(&self, currency: &CurrencyCode) -> Option<Decimal> {
        let usd = self.per_eur.get("USD")?;
        let currency_per_eur = match currency.as_str() {
            "EUR" => Decimal::ONE,
            code => *self.per_eur.get(code)?,
        };
        Some((currency_per_eur / usd).round_dp(6))
    }
}

/// The ECB daily reference rates over HTTPS. A fetched table is kept for an hour: one
/// download per run, and a warm Lambda reused the next day still fetches that day's rates.
#[derive(Debug)]
pub struct EcbRates {
    http: reqwest::Client,
    url: String,
    attempts: u32,
    initial_backoff: Duration,
    cache_for: Duration,
    table: tokio::sync::Mutex<Option<(std::time::Instant, EcbRateTable)>>,
}

impl EcbRates {
    pub const SOURCE_NAME: &'static str = "ECB reference rate";
    pub const DEFAULT_URL: &'static str =
        "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml";
    /// Overrides the URL (a mirror, a proxy, or a local fixture server in tests).
    pub const URL_ENV: &'static str = "ORGPULSE_ECB_URL";

    /// From `ORGPULSE_ECB_URL` when allowed (see `orgpulse_config::endpoint`), or the ECB's
    /// own URL.
    pub fn from_env() -> Result<Self, RateError> {
        // https to the ECB's host only, unless the local-endpoints switch is set
        // (orgpulse_config::endpoint): another host could feed fake rates.
        let url =
            orgpulse_config::endpoint::override_from_env(Self::URL_ENV, &["www.ecb.europa.eu"])
                .unwrap_or_else(|refused| {
                    tracing::error!("{refused}");
                    None
                })
                .unwrap_or_else(|| Self::DEFAULT_URL.to_owned());
        Self::new(url)
    }

    pub fn new(url: impl Into<String>) -> Result<Self, RateError> {
        let url = url.into();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("orgpulse/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RateError::Unavailable {
                source_name: Self::SOURCE_NAME,
                url: url.clone(),
                attempts: 0,
                reason: format!("HTTP client could not be built: {e}"),
            })?;
        Ok(Self {
            http,
            url,
            attempts: 3,
            initial_backoff: Duration::from_millis(500),
            cache_for: Duration::from_secs(3600),
            table: tokio::sync::Mutex::new(None),
        })
    }

    /// Fewer attempts or shorter waits (tests).
    pub fn with_retries(mut self, attempts: u32, initial_backoff: Duration) -> Self {
        self.attempts = attempts.max(1);
        self.initial_backoff = initial_backoff;
        self
    }

    /// How long a fetched table is reused.
    pub fn with_cache_for(mut self, cache_for: Duration) -> Self {
        self.cache_for = cache_for;
        self
    }

    /// The current table, fetched on first use and when the kept one is older than the cache
    /// time. A failed fetch is not kept: the next call tries again.
    pub async fn table(&self) -> Result<EcbRateTable, RateError> {
        let mut cached = self.table.lock().await;
        if let Some((fetched, table)) = cached.as_ref() {
            if fetched.elapsed() < self.cache_for {
                return Ok(table.clone());
            }
        }
        let xml = self.fetch().await?;
        let table = EcbRateTable::parse(&xml).map_err(|reason| RateError::Unreadable {
            source_name: Self::SOURCE_NAME,
            url: self.url.clone(),
            reason,
        })?;
        *cached = Some((std::time::Instant::now(), table.clone()));
        Ok(table)
    }

    async fn fetch(&self) -> Result<String, RateError> {
        let mut last_failure = String::new();
        for attempt in 1..=self.attempts {
            let retry_after = match self.http.get(&self.url).send().await {
                Ok(response) if response.status().is_success() => match response.text().await {
                    Ok(body) => return Ok(body),
                    Err(e) => {
                        last_failure = format!("body could not be read: {e}");
                        None
                    }
                },
                Ok(response) => {
                    let status = response.status();
                    last_failure = format!("HTTP {status}");
                    if !(status.is_server_error()
                        || status == reqwest::StatusCode::TOO_MANY_REQUESTS)
                    {
                        break;
                    }
                    retry_after_seconds(&response)
                }
                Err(e) => {
                    last_failure = DisplayChain(&e).to_string();
                    None
                }
            };
            if attempt < self.attempts {
                // Retry-After when the server sends one (capped), full jitter otherwise.
                let wait = match retry_after {
                    Some(seconds) => Duration::from_secs(seconds.min(30)),
                    None => {
                        let cap = self
                            .initial_backoff
                            .saturating_mul(1 << (attempt - 1).min(16));
                        Duration::from_millis(fastrand::u64(0..=cap.as_millis() as u64))
                    }
                };
                tracing::warn!(url = %self.url, attempt, reason = %last_failure, ?wait, "ECB rates fetch failed, retrying");
                tokio::time::sleep(wait).await;
            }
        }
        Err(RateError::Unavailable {
            source_name: Self::SOURCE_NAME,
            url: self.url.clone(),
            attempts: self.attempts,
            reason: last_failure,
        })
    }
}

impl RateSource for EcbRates {
    async fn usd_rate(&self, currency: &CurrencyCode) -> Result<AppliedRate, RateError> {
        let table = self.table().await?;
        let per_usd = table
            .per_usd(currency)
            .ok_or_else(|| RateError::UnknownCurrency {
                currency: currency.to_string(),
            })?;
        // A fed-in table (a redirected URL, a broken mirror) must not scale every figure.
        if !orgpulse_config::sane_rate_per_usd(per_usd) {
            return Err(RateError::Unreadable {
                source_name: Self::SOURCE_NAME,
                url: self.url.clone(),
                reason: format!(
                    "its rate gives {per_usd} {currency} per 1 USD, outside {} to {}; add a fixed \
                     rate for {currency} to the Default row's ExchangeRates until it is right",
                    orgpulse_config::MIN_RATE_PER_USD,
                    orgpulse_config::MAX_RATE_PER_USD
                ),
            });
        }
        Ok(AppliedRate {
            currency: currency.clone(),
            per_usd,
            date: table.date,
            source: Self::SOURCE_NAME.into(),
            warning: None,
        })
    }
}

fn retry_after_seconds(response: &reqwest::Response) -> Option<u64> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests;
