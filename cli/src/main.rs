//! The `warden` binary: everything lives in the `warden_cli` library.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(warden_cli::run(std::env::args_os()))
}
