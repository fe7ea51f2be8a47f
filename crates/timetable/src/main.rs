fn main() {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out = stdout.lock();
    let mut err = stderr.lock();
    let code = timetable::run(std::env::args_os(), &mut out, &mut err);
    std::process::exit(code);
}
