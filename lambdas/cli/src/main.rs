//! `orgpulse`, the operator CLI: the same code the Lambdas run, on one machine.
//!
//! One module per command (group): `config_cmd` (`orgpulse config …`), `preview_cmd`,
//! `run_cmd`, `slack_cmd` (`orgpulse slack html`); a new one adds a variant to [`Command`]
//! and a module with its own clap arguments and `run`.

mod config_cmd;
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
}

fn main() -> ExitCode {
    // Usage errors exit with 2 (clap's own status), matching exit::Status::Usage.
    let cli = Cli::parse();
    let status = match cli.command {
        Command::Config(command) => config_cmd::run(command),
        Command::Slack(command) => exit::report(slack_cmd::run(command)),
        Command::Preview(args) => exit::report(on_runtime(preview_cmd::run(args))),
        Command::Run(args) => exit::report(on_runtime(run_cmd::run(args))),
    };
    status.into()
}

/// Runs an AWS-backed command on a tokio runtime, with the libraries' warnings on stderr
/// (`RUST_LOG=info` shows more).
fn on_runtime(
    command: impl std::future::Future<Output = Result<Status, Failure>>,
) -> Result<Status, Failure> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        )
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
}
