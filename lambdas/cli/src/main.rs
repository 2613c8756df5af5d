//! `orgpulse`, the operator CLI: the same code the Lambdas run, on one machine.
//!
//! One module per command group (`config_cmd` for `orgpulse config …`); a new group adds a
//! variant to [`Command`] and a module with its own clap `Subcommand` and `run`.

mod config_cmd;
mod exit;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
}

fn main() -> ExitCode {
    // Usage errors exit with 2 (clap's own status), matching exit::Status::Usage.
    let cli = Cli::parse();
    let status = match cli.command {
        Command::Config(command) => config_cmd::run(command),
    };
    status.into()
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
