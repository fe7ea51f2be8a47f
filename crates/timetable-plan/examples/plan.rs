//! `cargo run --release -p timetable-plan --example plan -- --rate 900 --service-time 1ms`
//! runs what `timetable plan` runs, for trying the planner by hand.

use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(name = "plan", about = "Capacity planning on exact compiled latencies")]
struct Cli {
    #[command(flatten)]
    args: timetable_plan::cli::Args,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match timetable_plan::cli::run(&cli.args) {
        Ok(output) => {
            print!("{output}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
