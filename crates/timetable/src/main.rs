use clap::Parser;

/// timetable: a compiler toolchain for a software-scheduled dataflow processor.
#[derive(Parser)]
#[command(version)]
struct Cli {}

fn main() {
    let _ = Cli::parse();
}
