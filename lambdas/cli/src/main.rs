//! `orgpulse`, the operator CLI: the same code the Lambdas run, on one machine.
//!
//! One module per command (group): `config_cmd` (`orgpulse config …`), `preview_cmd`,
//! `run_cmd`, `slack_cmd` (`orgpulse slack html`); a new one adds a variant to [`Command`]
//! and a module with its own clap arguments and `run`.

mod config_cmd;
mod doctor_cmd;
mod exit;
mod preview_cmd;
mod run_cmd;
mod session;
mod sheet_cmd;
mod slack_cmd;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::exit::{Failure, Status};

#[derive(Debug, Parser)]
#[command(
    name = "orgpulse",
    version,
    about = "Cost reports for every account of an AWS Organization, in each team's Slack channels",
    long_about = None,
)]
struct Cli {
    /// Show more of what happens: -v adds the AWS SDK's and Slack client's warnings (credential
    /// look-ups, retries), -vv everything at debug level. RUST_LOG overrides both.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check and convert the configuration sheet (JSON or CSV).
    #[command(subcommand)]
    Config(config_cmd::ConfigCommand),
    /// One account's report from Cost Explorer, as text, as the exact Slack message bodies,
    /// as HTML, or sent to its channels (exit 2: no credentials, unknown account, no data).
    Preview(preview_cmd::PreviewArgs),
    /// The whole run (plan, report every account, summary) on this machine (exit 1 when a
    /// delivery failed, 2 when the run could not be done).
    Run(run_cmd::RunArgs),
    /// Slack message tools.
    #[command(subcommand)]
    Slack(slack_cmd::SlackCommand),
    /// Check a live deployment with the hub's credentials (read-only): Organizations, Cost
    /// Explorer, the configuration, Slack, the member-role StackSet. ✓ / ✗ / ! with the fix for
    /// each; exit 0 when nothing is ✗, 1 otherwise, 2 for usage errors.
    Doctor(doctor_cmd::DoctorArgs),
}

fn main() -> ExitCode {
    // Usage errors exit with 2 (clap's own status), matching exit::Status::Usage.
    let cli = Cli::parse();
    let status = match cli.command {
        Command::Config(command) => config_cmd::run(command),
        Command::Slack(command) => exit::report(slack_cmd::run(command)),
        Command::Preview(args) => exit::report(on_runtime(cli.verbose, preview_cmd::run(args))),
        Command::Run(args) => exit::report(on_runtime(cli.verbose, run_cmd::run(args))),
        Command::Doctor(args) => exit::report(on_runtime(cli.verbose, doctor_cmd::run(args))),
    };
    status.into()
}

/// orgpulse's own crates: their warnings are for operators. The AWS SDK's are not (without
/// credentials it logs every failed credential source, IMDS answers included, before the
/// command's own message says what is wrong and what to do).
const OWN_CRATES: [&str; 8] = [
    "orgpulse",
    "orgpulse_cli",
    "orgpulse_config",
    "orgpulse_cost",
    "orgpulse_slack",
    "orgpulse_sheets",
    "orgpulse_pipeline",
    "orgpulse_workflow",
];

/// The log filter: `RUST_LOG` when set; otherwise orgpulse's warnings only, the libraries'
/// warnings too with `-v`, everything at debug with `-vv`.
fn log_filter(verbose: u8, rust_log: Option<&str>) -> EnvFilter {
    if let Some(directives) = rust_log.filter(|d| !d.trim().is_empty()) {
        if let Ok(filter) = EnvFilter::try_new(directives) {
            return filter;
        }
    }
    let directives = match verbose {
        0 => std::iter::once("off".to_owned())
            .chain(OWN_CRATES.iter().map(|c| format!("{c}=warn")))
            .collect::<Vec<_>>()
            .join(","),
        1 => "warn".to_owned(),
        _ => "debug".to_owned(),
    };
    EnvFilter::new(directives)
}

/// Runs an AWS-backed command on a tokio runtime, logging on stderr as [`log_filter`] says.
fn on_runtime(
    verbose: u8,
    command: impl std::future::Future<Output = Result<Status, Failure>>,
) -> Result<Status, Failure> {
    tracing_subscriber::fmt()
        .with_env_filter(log_filter(
            verbose,
            std::env::var("RUST_LOG").ok().as_deref(),
        ))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::usage(format!("cannot start the async runtime: {error}")))?;
    runtime.block_on(command)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sdk_logs_are_behind_verbose_or_rust_log() {
        let quiet = log_filter(0, None).to_string();
        for own in OWN_CRATES {
            assert!(quiet.contains(&format!("{own}=warn")), "{quiet}");
        }
        assert!(quiet.split(',').any(|d| d == "off"), "{quiet}");
        assert!(!quiet.contains("aws"), "{quiet}");
        assert_eq!(log_filter(1, None).to_string(), "warn");
        assert_eq!(log_filter(2, Some("")).to_string(), "debug");
        assert_eq!(
            log_filter(0, Some("aws_config=info")).to_string(),
            "aws_config=info"
        );
        let cli = Cli::try_parse_from(["orgpulse", "preview", "-v", "--help"]);
        assert!(cli.is_err(), "--help exits");
        let cli = Cli::try_parse_from([
            "orgpulse",
            "-vv",
            "slack",
            "html",
            "--messages",
            "m.json",
            "-o",
            "o.html",
        ])
        .unwrap();
        assert_eq!(cli.verbose, 2);
    }
}
