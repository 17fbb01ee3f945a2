use super::*;
use std::collections::HashMap;

fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(|k| map.get(k).cloned())
}

#[test]
fn defaults_match_the_originals() {
    let c = config(&[]).unwrap();
    assert_eq!(c.mode, Mode::Both);
    assert_eq!(c.host, "127.0.0.1");
    assert_eq!(c.port, 3000);
    assert_eq!(c.db_path, PathBuf::from("./data/tinytask.db"));
    assert_eq!(c.log_level, LogLevel::Info);
    assert_eq!(c.log_format, LogFormat::Text);
}

#[test]
fn sse_is_an_alias_of_http_and_values_are_case_insensitive() {
    assert_eq!(
        config(&[("TINYTASK_MODE", "sse")]).unwrap().mode,
        Mode::Http
    );
    assert_eq!(
        config(&[("TINYTASK_MODE", "STDIO")]).unwrap().mode,
        Mode::Stdio
    );
    assert_eq!(
        config(&[("TINYTASK_LOG_LEVEL", "Debug")])
            .unwrap()
            .log_level,
        LogLevel::Debug
    );
}

#[test]
fn invalid_mode_names_variable_value_and_allowed_values() {
    let err = config(&[("TINYTASK_MODE", "bogus")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid TINYTASK_MODE=\"bogus\": allowed values are stdio, http, sse, both"
    );
}

#[test]
fn invalid_port_and_host_are_rejected() {
    for bad in ["0", "65536", "abc", "-1"] {
        let err = config(&[("TINYTASK_PORT", bad)]).unwrap_err();
        assert_eq!(err.variable, "TINYTASK_PORT");
    }
    let err = config(&[("TINYTASK_HOST", "localhost")]).unwrap_err();
    assert_eq!(err.variable, "TINYTASK_HOST");
    assert_eq!(
        config(&[("TINYTASK_HOST", "0.0.0.0")]).unwrap().host,
        "0.0.0.0"
    );
}

#[test]
fn invalid_log_settings_are_rejected() {
    assert_eq!(
        config(&[("TINYTASK_LOG_LEVEL", "loud")])
            .unwrap_err()
            .variable,
        "TINYTASK_LOG_LEVEL"
    );
    let err = config(&[("TINYTASK_LOG_FORMAT", "xml")]).unwrap_err();
    assert!(err.to_string().contains("text, json"), "{err}");
}

#[test]
fn blank_values_mean_default() {
    assert_eq!(config(&[("TINYTASK_PORT", " ")]).unwrap().port, 3000);
}

#[test]
fn http_settings_parse_and_validate() {
    let c = config(&[
        ("TINYTASK_MAX_SESSIONS", "5"),
        (
            "TINYTASK_ALLOWED_ORIGINS",
            "https://a.example, https://B.example/",
        ),
        ("TINYTASK_ALLOWED_HOSTS", "*"),
        ("TINYTASK_AUTH_TOKEN", "s3cret"),
    ])
    .unwrap();
    assert_eq!(c.http.max_sessions, 5);
    assert_eq!(
        c.http.allowed_origins,
        AllowList::Only(vec!["https://a.example".into(), "https://b.example".into()])
    );
    assert_eq!(c.http.allowed_hosts, AllowList::Any);
    assert!(!c.summary().contains("s3cret"));
    assert_eq!(
        config(&[("TINYTASK_MAX_BODY_BYTES", "0")])
            .unwrap_err()
            .variable,
        "TINYTASK_MAX_BODY_BYTES"
    );
    assert_eq!(
        config(&[("TINYTASK_SESSION_IDLE_SECS", "x")])
            .unwrap_err()
            .variable,
        "TINYTASK_SESSION_IDLE_SECS"
    );
}

#[test]
fn hardening_settings_have_defaults_and_precise_range_errors() {
    let c = config(&[]).unwrap();
    assert_eq!(c.http.unused_session.as_secs(), 60);
    assert_eq!(c.http.header_timeout.as_secs(), 10);
    assert_eq!(c.http.body_timeout.as_secs(), 30);
    assert_eq!(c.http.max_connections, None);
    let c = config(&[
        ("TINYTASK_UNUSED_SESSION_SECS", "5"),
        ("TINYTASK_HEADER_TIMEOUT_SECS", "2"),
        ("TINYTASK_BODY_TIMEOUT_SECS", "3"),
        ("TINYTASK_MAX_CONNECTIONS", "200"),
    ])
    .unwrap();
    assert_eq!(c.http.unused_session.as_secs(), 5);
    assert_eq!(c.http.header_timeout.as_secs(), 2);
    assert_eq!(c.http.body_timeout.as_secs(), 3);
    assert_eq!(c.http.max_connections, Some(200));
    for (variable, bad, allowed) in [
        (
            "TINYTASK_HEADER_TIMEOUT_SECS",
            "0",
            "an integer from 1 to 3600",
        ),
        (
            "TINYTASK_BODY_TIMEOUT_SECS",
            "3601",
            "an integer from 1 to 3600",
        ),
        (
            "TINYTASK_BODY_TIMEOUT_SECS",
            "soon",
            "an integer from 1 to 3600",
        ),
        (
            "TINYTASK_MAX_CONNECTIONS",
            "0",
            "an integer from 1 to 1000000",
        ),
        (
            "TINYTASK_MAX_CONNECTIONS",
            "-5",
            "an integer from 1 to 1000000",
        ),
        (
            "TINYTASK_UNUSED_SESSION_SECS",
            "1801",
            "an integer from 1 to 1800",
        ),
    ] {
        let err = config(&[(variable, bad)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("invalid {variable}={bad:?}: allowed values are {allowed}")
        );
    }
    // The unused timeout is bounded by (and defaults to at most) the idle timeout.
    let c = config(&[("TINYTASK_SESSION_IDLE_SECS", "20")]).unwrap();
    assert_eq!(c.http.unused_session.as_secs(), 20);
    let err = config(&[
        ("TINYTASK_SESSION_IDLE_SECS", "20"),
        ("TINYTASK_UNUSED_SESSION_SECS", "21"),
    ])
    .unwrap_err();
    assert_eq!(err.variable, "TINYTASK_UNUSED_SESSION_SECS");
    assert!(err.to_string().contains("from 1 to 20"), "{err}");
}

#[test]
fn limits_default_and_parse_within_their_ranges() {
    let d = config(&[]).unwrap().limits;
    assert_eq!(d.description_bytes, 65536);
    assert_eq!(d.response_bytes, 4 * 1024 * 1024);
    assert_eq!(d.subscriptions_per_session, 1000);
    let c = config(&[
        ("TINYTASK_MAX_DESCRIPTION_BYTES", "100"),
        ("TINYTASK_MAX_RESPONSE_BYTES", "4096"),
        ("TINYTASK_MAX_SUBSCRIPTIONS_PER_SESSION", "5"),
    ])
    .unwrap();
    assert_eq!(c.limits.description_bytes, 100);
    assert_eq!(c.limits.response_bytes, 4096);
    assert_eq!(c.limits.subscriptions_per_session, 5);
    assert!(c.summary().contains("max_response_bytes=4096"));
    let err = config(&[("TINYTASK_MAX_RESPONSE_BYTES", "100")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid TINYTASK_MAX_RESPONSE_BYTES=\"100\": allowed values are an integer from 4096 to 1073741824"
    );
    for setting in [
        settings::MAX_TITLE_BYTES,
        settings::MAX_DESCRIPTION_BYTES,
        settings::MAX_COMMENT_BYTES,
        settings::MAX_LINK_BYTES,
        settings::MAX_TAG_BYTES,
        settings::MAX_TAGS,
        settings::MAX_NAME_BYTES,
        settings::MAX_RESPONSE_BYTES,
        settings::MAX_SUBSCRIPTIONS_PER_SESSION,
    ] {
        let var = setting.name;
        for bad in ["0", "x", "-1", "99999999999"] {
            assert_eq!(
                config(&[(var, bad)]).unwrap_err().variable,
                var,
                "{var}={bad}"
            );
        }
    }
}

#[test]
fn settings_are_consistent() {
    let mut names: Vec<_> = settings::ALL.iter().map(|s| s.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(
        names.len(),
        settings::ALL.len(),
        "a variable is defined twice"
    );
    for s in settings::ALL {
        assert!(s.name.starts_with("TINYTASK_"), "{}", s.name);
        // Every default value passes its own validation: the defaults are parsed like set values.
        if let Fallback::Value(v) = s.default {
            assert!(config(&[(s.name, v)]).is_ok(), "{} default {v:?}", s.name);
        }
        // Only settings that are optional at startup may lack a default value.
        if let Fallback::Derived(_) = s.default {
            assert!(
                matches!(
                    s.allowed,
                    Allowed::Text | Allowed::Range(..) | Allowed::PostgresUrl
                ),
                "{}",
                s.name
            );
        }
        // Every validated setting is read by `from_lookup`: a bad value is reported under its name.
        if s.allowed != Allowed::Text {
            let err = config(&[(s.name, "bogus")]).unwrap_err();
            assert_eq!(err.variable, s.name);
            assert!(
                err.to_string().contains(&*s.allowed.in_error())
                    || matches!(s.allowed, Allowed::UpTo(_))
            );
        }
    }
}

#[test]
fn help_lists_every_setting_with_its_default_in_aligned_columns() {
    let help = env_help();
    let lines: Vec<&str> = help
        .lines()
        .filter(|l| l.starts_with("  TINYTASK_"))
        .collect();
    assert_eq!(lines.len(), settings::ALL.len());
    let column = lines[0].find(" default ").unwrap();
    for (line, s) in lines.iter().zip(settings::ALL) {
        assert_eq!(line.find(" default "), Some(column), "{line}");
        assert!(
            line.contains(&format!(" default {} ", s.shown_default())),
            "{line}"
        );
        assert!(line.ends_with(s.help), "{line}");
    }
    assert_eq!(
        lines[2].split_whitespace().collect::<Vec<_>>(),
        [
            "TINYTASK_PORT",
            "default",
            "3000",
            "1-65535:",
            "HTTP",
            "port"
        ]
    );
}

#[test]
fn toolsets_default_to_all_and_reject_unknown_names_listing_the_allowed_ones() {
    assert_eq!(config(&[]).unwrap().toolsets, Toolsets::all());
    let c = config(&[("TINYTASK_TOOLSETS", "core, comments")]).unwrap();
    assert_eq!(c.toolsets.to_string(), "core,comments");
    assert!(c.summary().contains(" toolsets=core,comments "));
    let err = config(&[("TINYTASK_TOOLSETS", "core,subtask")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid TINYTASK_TOOLSETS=\"core,subtask\": allowed values are comma-separated names among core, \
         tasks, subtasks, queues, comments, links, coordination, search, all; \"subtask\" is not one of them"
    );
}
