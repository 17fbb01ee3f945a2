//! `tinytask copy-data` as a user runs it: a summary line per table, exit 1 for a non-empty target (one
//! line naming --replace), --replace, exit 2 for an unusable argument. The copy itself (both directions
//! between SQLite and PostgreSQL, every row and view compared) is tested in src/ops/copy_data/tests.rs.

use std::path::Path;
use std::process::{Command, Output};
use tinytask::domain::comments::{self, AddComment};
use tinytask::domain::tasks::{self, CreateTask};

fn copy_data(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tinytask"));
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("TINYTASK_")) {
        cmd.env_remove(key);
    }
    cmd.current_dir(std::env::temp_dir())
        .arg("copy-data")
        .args(args)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A SQLite board with two tasks and a comment.
fn board(path: &Path) {
    let pool = tinytask::db::open(path, 1).unwrap();
    let mut conn = pool.get().unwrap();
    for title in ["first", "second"] {
        tasks::create(
            &mut conn,
            CreateTask {
                title: title.into(),
                created_by: "cli-test".into(),
                ..CreateTask::default()
            },
        )
        .unwrap();
    }
    comments::add(
        &mut conn,
        AddComment {
            task_id: 1,
            content: "a note".into(),
            created_by: None,
        },
    )
    .unwrap();
}

#[test]
fn copies_prints_a_line_per_table_refuses_a_second_copy_and_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let (from, to) = (dir.path().join("from.db"), dir.path().join("new/to.db"));
    board(&from);
    let (from, to) = (from.to_str().unwrap(), to.to_str().unwrap());

    let out = copy_data(&["--from", from, "--to", to]);
    let log = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    for line in [
        "tasks 2 → 2",
        "comments 1 → 1",
        "links 0 → 0",
        "board copied",
    ] {
        assert!(log.contains(line), "{line:?} missing from {log}");
    }
    assert!(out.stdout.is_empty(), "stdout stays clean");

    let out = copy_data(&["--from", from, "--to", to]);
    let log = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert_eq!(log.lines().count(), 1, "{log}");
    assert!(
        log.contains("not empty") && log.contains("tasks 2") && log.contains("--replace"),
        "{log}"
    );

    let out = copy_data(&["--from", from, "--to", to, "--replace"]);
    let log = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(log.contains("tasks 2 → 2"), "{log}");
    let copied = tinytask::db::open(Path::new(to), 1).unwrap();
    assert_eq!(
        tasks::get(&mut copied.get().unwrap(), 2).unwrap().title,
        "second"
    );
}

#[test]
fn an_unusable_argument_exits_2_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let from = dir.path().join("from.db");
    board(&from);
    let from = from.to_str().unwrap();
    let missing = dir.path().join("missing.db");
    let target = dir.path().join("x.db");
    let to = target.to_str().unwrap();
    for (args, names) in [
        (
            vec!["--from", from, "--to", "postgres://[::1/board"],
            "--to",
        ),
        (
            vec!["--from", "postgresql://h/db?bogus=1", "--to", to],
            "--from",
        ),
        (vec!["--from", from, "--to", "mysql://h/db"], "--to"),
        (
            vec!["--from", missing.to_str().unwrap(), "--to", to],
            "--from",
        ),
    ] {
        let out = copy_data(&args);
        let log = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {log}");
        assert_eq!(log.lines().count(), 1, "{log}");
        assert!(log.contains(&format!("{names}: ")), "{args:?}: {log}");
    }
    assert!(
        !target.exists(),
        "no target is created for an unusable argument"
    );
}
