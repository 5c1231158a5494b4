//! `handlebox`: test SegmentStream handler functions outside the browser.
//!
//! Each command lives in its own module; this file parses the command line
//! and turns every outcome into an exit status: 0 success, 1 a failed
//! `eval`, `check`, `test` or `pack`, a bad page in a replay, or a handler
//! error under `run --strict`, 2 unusable input or arguments (one line on
//! stderr that says what and where).

mod check;
mod consume;
mod error;
mod eval;
mod files;
mod format;
mod limits;
mod pack;
mod playground;
mod render;
mod replay;
mod report;
mod run;
mod serve;
mod test;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The host's allocator: parsing pages and writing Results allocate many
/// small values, and mimalloc gives the replay 12% more pages/s than
/// glibc's malloc. Built with `no_thp`, which turns transparent huge pages
/// off for the whole process (the guests' memories too): with them, the
/// replay's RSS doubled.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs SegmentStream handler functions in a sandbox.
#[derive(Debug, Parser)]
#[command(name = "handlebox", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the seed example (Flocktory, `spot` from `website.redesign`, a
    /// thank-you page) on built-in data.
    Demo(run::DemoArgs),
    /// Process a page (or many: NDJSON or a directory) with a project
    /// config and print every call.
    Run(run::RunArgs),
    /// Compile every handler of a config and report every problem.
    Check(check::CheckArgs),
    /// Write a project directory's config with its handler files inlined:
    /// the single JSON the admin panel imports.
    Pack(pack::PackArgs),
    /// Run one handler on one event or product and show its value, console
    /// output, errors and cost.
    Eval(eval::EvalArgs),
    /// Run snippet test cases (`*.test.json`) and end with `N passed, M failed`.
    Test(test::TestArgs),
    /// Serve pages over HTTP: POST /v1/process answers with the Result.
    Serve(serve::ServeArgs),
    /// Serve the playground on loopback: write a snippet and see what it
    /// returns and what `window.flocktory` receives.
    Playground(playground::PlaygroundArgs),
    /// Work the pages of a NATS JetStream stream: each page's Result to the
    /// results subject, acked once stored.
    Consume(consume::ConsumeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => run::demo(args),
        Command::Run(args) => run::run(args),
        Command::Check(args) => check::run(args),
        Command::Pack(args) => pack::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Test(args) => test::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Playground(args) => playground::run(args),
        Command::Consume(args) => consume::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("handlebox: {err}");
            err.exit_code()
        }
    }
}
