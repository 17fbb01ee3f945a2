//! The binary's command line: configuration errors, help, version, migrate, and a clean stdout.

use std::io::Write;
use std::process::{Command, Stdio};

fn tinytask() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tinytask"));
    // Isolate from the developer's environment and any .env in the working directory.
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("TINYTASK_")) {
        cmd.env_remove(key);
    }
    cmd.current_dir(std::env::temp_dir());
    cmd
}

#[test]
fn invalid_mode_exits_2_with_one_line_naming_variable_and_allowed_values() {
    let out = tinytask().env("TINYTASK_MODE", "bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("TINYTASK_MODE")
            && stderr.contains("bogus")
            && stderr.contains("stdio, http, sse, both")
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn invalid_port_and_log_level_exit_2() {
    for (var, value) in [
        ("TINYTASK_PORT", "70000"),
        ("TINYTASK_LOG_LEVEL", "verbose"),
        ("TINYTASK_LOG_FORMAT", "xml"),
    ] {
        let out = tinytask().env(var, value).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}={value}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(var));
    }
}

#[test]
fn a_malformed_database_url_exits_2_with_one_line_and_no_password() {
    for url in [
        "mysql://tt:s3cret@127.0.0.1/db",
        "postgres://tt:s3cret@[::1/db",
        "postgres://h/db?bogus=1",
    ] {
        let out = tinytask()
            .env("TINYTASK_DATABASE_URL", url)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{url}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{url}: {stderr}");
        assert!(
            stderr.contains("TINYTASK_DATABASE_URL") && stderr.contains("postgres://"),
            "{stderr}"
        );
        assert!(
            !stderr.contains("s3cret"),
            "the password is never printed: {stderr}"
        );
    }
}

#[test]
fn an_unreachable_postgres_is_retried_with_backoff_then_exits_1() {
    let started = std::time::Instant::now();
    let out = tinytask()
        .env("TINYTASK_MODE", "stdio")
        .env("TINYTASK_LOG_LEVEL", "info")
        .stdin(Stdio::null())
        // Port 1 on loopback: nothing listens, every attempt is refused at once.
        .env(
            "TINYTASK_DATABASE_URL",
            "postgres://tt:s3cret@127.0.0.1:1/board",
        )
        .env("TINYTASK_DB_CONNECT_SECS", "2")
        .output()
        .unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let retries = stderr.matches("PostgreSQL is not reachable yet").count();
    assert!(
        retries >= 2,
        "each failed attempt is logged with its pause: {stderr}"
    );
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains("is unreachable after") && last.contains("127.0.0.1:1"),
        "the last line says why: {last}"
    );
    assert!(
        !stderr.contains("s3cret"),
        "the password is never printed: {stderr}"
    );
    assert!(
        took < std::time::Duration::from_secs(10),
        "bounded: {took:?}"
    );
}

#[test]
fn help_documents_every_environment_variable() {
    let out = tinytask().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for var in [
        "TINYTASK_MODE",
        "TINYTASK_HOST",
        "TINYTASK_PORT",
        "TINYTASK_DB_PATH",
        "TINYTASK_LOG_LEVEL",
        "TINYTASK_LOG_FORMAT",
    ] {
        assert!(help.contains(var), "--help lacks {var}");
    }
    assert!(help.contains("serve") && help.contains("migrate"));
}

#[test]
fn version_prints_the_crate_version() {
    let out = tinytask().arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        format!("tinytask {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn migrate_creates_the_database_directory_and_schema() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested/deeper/tinytask.db");
    let out = tinytask()
        .arg("migrate")
        .env("TINYTASK_DB_PATH", &db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(db.exists());
    assert!(out.stdout.is_empty(), "logs must never reach stdout");
}

#[test]
fn stdio_mode_keeps_stdout_pure_json_at_trace_level_and_exits_0_on_eof() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = tinytask()
        .env("TINYTASK_MODE", "stdio")
        .env("TINYTASK_LOG_LEVEL", "trace")
        .env("TINYTASK_DB_PATH", dir.path().join("t.db"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let requests = [
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"create_task","arguments":{"title":"x","created_by":"y"}}}"#,
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#,
    ];
    let mut stdin = child.stdin.take().unwrap();
    for r in requests {
        writeln!(stdin, "{r}").unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines.iter().all(|l| l["jsonrpc"] == "2.0"));
    // Debug logs were produced (on stderr) while stdout stayed pure JSON-RPC.
    assert!(String::from_utf8_lossy(&out.stderr).contains("DEBUG"));
}

#[test]
fn unwritable_data_directory_exits_at_once_with_one_line_naming_path_owner_uid_and_fix() {
    // /proc refuses new files for every uid, root included (CI runs as root).
    let out = tinytask()
        .env("TINYTASK_MODE", "http")
        .env("TINYTASK_DB_PATH", "/proc/tinytask.db")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    for part in [
        "/proc is not writable",
        "owned by 0:0",
        "runs as uid",
        "fix: chown",
    ] {
        assert!(stderr.contains(part), "{part:?} missing in {stderr}");
    }
}
