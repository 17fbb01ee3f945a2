//! README.md, .env.example and docker-compose.yml list exactly the variables of `settings.rs`, with its defaults.

use super::setting::{Fallback, Setting};
use super::settings::ALL;
use std::collections::BTreeMap;

const README: &str = include_str!("../../README.md");
const ENV_EXAMPLE: &str = include_str!("../../.env.example");
const COMPOSE: &str = include_str!("../../docker-compose.yml");

fn setting(name: &str) -> Option<&'static Setting> {
    ALL.iter().find(|s| s.name == name)
}

/// Fails unless `listed` names every setting once and nothing else.
fn assert_lists_exactly_the_settings(file: &str, listed: &[&str]) {
    let mut seen = std::collections::BTreeSet::new();
    for name in listed {
        assert!(
            setting(name).is_some(),
            "{file} lists {name}, which is not a setting"
        );
        assert!(seen.insert(*name), "{file} lists {name} twice");
    }
    for s in ALL {
        assert!(seen.contains(s.name), "{file} does not list {}", s.name);
    }
}

/// Rows of README's configuration table: variable → default column.
fn readme_rows() -> BTreeMap<&'static str, &'static str> {
    let table = README
        .split("| Variable | Default | Allowed values |")
        .nth(1)
        .expect("README.md has the configuration table");
    let mut rows = BTreeMap::new();
    for line in table.lines().skip(2).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let name = cells[1].trim_matches('`');
        assert!(
            rows.insert(name, cells[2]).is_none(),
            "README.md lists {name} twice"
        );
    }
    rows
}

#[test]
fn readme_table_lists_every_setting_with_its_default() {
    let rows = readme_rows();
    assert_lists_exactly_the_settings("README.md", &rows.keys().copied().collect::<Vec<_>>());
    for (name, default) in rows {
        // A default in backticks is a value; anything else describes a derived default.
        let stated = default.strip_prefix('`').and_then(|d| d.strip_suffix('`'));
        match (setting(name).unwrap().default, stated) {
            (Fallback::Value(v), Some(d)) => assert_eq!(d, v, "README.md default of {name}"),
            (Fallback::Value(v), None) => {
                panic!("README.md gives {name} no default value (it is `{v}`)")
            }
            (Fallback::Derived(_), Some(d)) => {
                panic!("README.md gives {name} the default {d}, it has none")
            }
            (Fallback::Derived(_), None) => {}
        }
    }
}

#[test]
fn env_example_lists_every_setting_and_sets_only_defaults() {
    let mut listed = Vec::new();
    for line in ENV_EXAMPLE.lines() {
        // `NAME=value` sets the default; `# NAME=value` is a commented-out example.
        let (commented, assignment) = match line.strip_prefix("# ") {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let Some((name, value)) = assignment.split_once('=') else {
            continue;
        };
        if !name.starts_with("TINYTASK_") || name.contains(' ') {
            continue;
        }
        listed.push(name);
        if !commented {
            match setting(name).map(|s| s.default) {
                Some(Fallback::Value(v)) => assert_eq!(value, v, ".env.example default of {name}"),
                Some(Fallback::Derived(_)) => {
                    panic!(".env.example sets {name}, whose default is derived; comment it out")
                }
                None => {}
            }
        }
    }
    assert_lists_exactly_the_settings(".env.example", &listed);
}

#[test]
fn docker_compose_passes_every_setting_with_its_default() {
    let environment = COMPOSE
        .split("    environment:\n")
        .nth(1)
        .expect("docker-compose.yml has an environment block");
    let mut listed = Vec::new();
    for line in environment.lines().take_while(|l| l.starts_with("      ")) {
        let Some((name, value)) = line.trim().split_once(": ") else {
            continue;
        };
        if name.starts_with('#') {
            continue;
        }
        listed.push(name);
        // `${NAME:-default}` passes the variable through; an empty default means the built-in one.
        let default = value
            .strip_prefix(&format!("${{{name}:-"))
            .and_then(|v| v.strip_suffix('}'));
        if let (Some(d), Some(Fallback::Value(v))) = (default, setting(name).map(|s| s.default))
            && !d.is_empty()
        {
            assert_eq!(d, v, "docker-compose.yml default of {name}");
        }
    }
    assert_lists_exactly_the_settings("docker-compose.yml", &listed);
}
