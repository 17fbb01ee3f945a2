//! The `tinytask` binary: everything lives in the library; see `tinytask::cli`.

fn main() -> std::process::ExitCode {
    tinytask::cli::run()
}
