//! Endpoint overrides (`SLACK_API_URL`, `GOOGLE_OAUTH_TOKEN_URL`, `GOOGLE_SHEETS_API_URL`,
//! `ORGPULSE_ECB_URL`): who may point orgpulse's HTTP clients elsewhere.
//!
//! Anyone allowed to change a deployed function's configuration (but not its code) could
//! otherwise send the Slack bot token or a Google access token to a host of their own, or feed
//! fake exchange rates. So by default an override must be `https` to the service's own host
//! (a different path on it is allowed); a refused override is logged and the service's default
//! endpoint is used — the secret never leaves for the other host.
//!
//! Tests, the demo and an operator's CLI pointing at local doubles set the one explicit switch
//! [`LOCAL_ENDPOINTS_ENV`]`=1`. The Terraform module never sets it, and cannot be made to
//! (`tests/infra/test_hub_module.py` checks its function environment).

/// The switch that lets any URL (`http://127.0.0.1:…`) override an endpoint. Never set in a
/// deployed function.
pub const LOCAL_ENDPOINTS_ENV: &str = "ORGPULSE_ALLOW_LOCAL_ENDPOINTS";

/// Whether [`LOCAL_ENDPOINTS_ENV`] is set to `1` or `true` in this process.
pub fn local_endpoints_allowed() -> bool {
    std::env::var(LOCAL_ENDPOINTS_ENV)
        .is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true"))
}

/// The override in environment variable `env`, when it is set and allowed; `Ok(None)` when it
/// is unset; `Err` (what is wrong and how to fix it) when it is set but refused.
pub fn override_from_env(env: &str, allowed_hosts: &[&str]) -> Result<Option<String>, String> {
    match std::env::var(env) {
        Ok(url) if !url.trim().is_empty() => {
            check_override(env, url.trim(), allowed_hosts, local_endpoints_allowed()).map(Some)
        }
        _ => Ok(None),
    }
}

/// `url` if it may override the endpoint: anything when `local_allowed`, else `https://` to
/// one of `allowed_hosts` exactly (no user info, no other port).
pub fn check_override(
    env: &str,
    url: &str,
    allowed_hosts: &[&str],
    local_allowed: bool,
) -> Result<String, String> {
    if local_allowed {
        return Ok(url.to_owned());
    }
    let refused = |why: &str| {
        Err(format!(
            "{env}={url:?} is ignored: {why}. In a deployed function an override must be \
             https:// to {}; to point orgpulse at a local test double set \
             {LOCAL_ENDPOINTS_ENV}=1 (tests and the CLI only)",
            allowed_hosts.join(" or ")
        ))
    };
    let Some(rest) = url
        .get(..8)
        .filter(|scheme| scheme.eq_ignore_ascii_case("https://"))
        .map(|_| &url[8..])
    else {
        return refused("it is not https");
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.strip_suffix(":443").unwrap_or(authority);
    if allowed_hosts.iter().any(|h| host.eq_ignore_ascii_case(h)) {
        Ok(url.to_owned())
    } else {
        refused(&format!("{authority:?} is not the service's host"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLACK: &[&str] = &["slack.com"];

    #[test]
    fn only_https_to_the_services_own_host_is_accepted() {
        assert_eq!(
            check_override("SLACK_API_URL", "https://slack.com/api", SLACK, false).unwrap(),
            "https://slack.com/api"
        );
        assert!(
            check_override("SLACK_API_URL", "HTTPS://SLACK.COM:443/api/", SLACK, false).is_ok()
        );
        for hostile in [
            "http://slack.com/api",
            "https://evil.example/api",
            "https://slack.com.evil.example/api",
            "https://slack.com@evil.example/api",
            "https://evil.example#slack.com",
            "https://slack.com:8443/api",
            "http://127.0.0.1:4600/api",
            "slack.com/api",
        ] {
            let refused = check_override("SLACK_API_URL", hostile, SLACK, false).unwrap_err();
            assert!(
                refused.contains(LOCAL_ENDPOINTS_ENV),
                "{hostile}: {refused}"
            );
            assert!(
                refused.contains("https:// to slack.com"),
                "{hostile}: {refused}"
            );
        }
    }

    #[test]
    fn the_switch_lets_tests_use_local_doubles() {
        assert_eq!(
            check_override("SLACK_API_URL", "http://127.0.0.1:4600/api", SLACK, true).unwrap(),
            "http://127.0.0.1:4600/api"
        );
    }
}
