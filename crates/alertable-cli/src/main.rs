//! `alertable`: a live tour of the Win32 APC model as this library reproduces it, the
//! benchmarks that compare it with what people would use instead, and a long randomized
//! soak that checks every invariant under load.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bench;
mod soak;
mod tour;

/// Windows user-mode APCs on Linux: see them work, and measure them.
#[derive(Debug, Parser)]
#[command(name = "alertable", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Replay the classic APC experiments live and check each against Windows.
    Tour(tour::TourArgs),
    /// Run the benchmarks and print ratios against the alternatives.
    Bench(bench::BenchArgs),
    /// Run every workload at once, randomized, for minutes, checking every invariant.
    Soak(soak::SoakArgs),
    /// The other process of the cross-process benchmarks and tour scenario, which start it
    /// themselves: not for use by hand.
    #[command(name = "__peer", hide = true)]
    Peer {
        /// What this process does, and its parameters (set by the process that starts it).
        #[arg(num_args = 1.., required = true, allow_hyphen_values = true)]
        role: Vec<String>,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Tour(args) => tour::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Soak(args) => soak::run(args),
        Command::Peer { role } => match role.first().map(String::as_str) {
            Some("tour") => tour::peer(&role[1..]),
            Some("bench") => bench::peer(&role),
            other => {
                eprintln!("error: no peer role {other:?}; peers are started by tour and bench");
                ExitCode::from(2)
            }
        },
    }
}
