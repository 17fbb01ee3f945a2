//! Rendering: what a scrape shows after recording (names, labels, values, the OpenMetrics framing).

use super::*;

/// The value of the sample `series` (name with labels, exactly as exposed) in `text`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let (name, value) = line.rsplit_once(' ')?;
        (name == series).then(|| value.parse().unwrap())
    })
}

fn board() -> BoardSnapshot {
    BoardSnapshot {
        tasks: vec![
            TaskCount {
                status: "idle".into(),
                queue: Some("dev".into()),
                count: 3,
            },
            TaskCount {
                status: "working".into(),
                queue: Some("dev".into()),
                count: 1,
            },
            TaskCount {
                status: "idle".into(),
                queue: None,
                count: 2,
            },
        ],
        archived: 4,
        leases: 1,
        event_cursors: Some((11, 40)),
        last_cursor: 40,
    }
}

#[test]
fn a_scrape_shows_what_was_recorded_and_the_board() {
    let m = Metrics::new(true);
    let tools = m.tool_calls(["get_task", "create_task"].into_iter());
    tools.start(0).finish(Outcome::Ok);
    tools.start(1).finish(Outcome::ToolError);
    m.batch_committed(3, Duration::from_micros(700));
    m.committed(Committed {
        personal_claims: 1,
        pool_claims: 2,
        lease_grants: 3,
        lease_expiries: 1,
    });
    let mut session = m.session_opened(Transport::StreamableHttp);
    session.set_era("2025-11-25");
    let _stream = m.stream_opened(Transport::StreamableHttp);
    let _waiter = m.waiting(Waiting::WaitForTask);
    m.rest_request("GET", "/api/v1/tasks/{id}", 200, Duration::from_millis(2));

    let text = m.render(Some(&board())).unwrap();
    let at = |series: &str| sample(&text, series).unwrap_or_else(|| panic!("{series} in\n{text}"));
    assert_eq!(
        at(r#"tinytask_tool_calls_total{tool="get_task",outcome="ok"}"#),
        1.0
    );
    assert_eq!(
        at(r#"tinytask_tool_calls_total{tool="get_task",outcome="tool_error"}"#),
        0.0
    );
    assert_eq!(
        at(r#"tinytask_tool_calls_total{tool="create_task",outcome="tool_error"}"#),
        1.0
    );
    assert_eq!(
        at(r#"tinytask_tool_call_duration_seconds_count{tool="get_task"}"#),
        1.0
    );
    assert_eq!(
        at(r#"tinytask_tool_call_duration_seconds_bucket{le="+Inf",tool="get_task"}"#),
        1.0
    );
    assert_eq!(at("tinytask_write_batch_size_sum"), 3.0);
    assert_eq!(at(r#"tinytask_write_batch_size_bucket{le="2.0"}"#), 0.0);
    assert_eq!(at(r#"tinytask_write_batch_size_bucket{le="4.0"}"#), 1.0);
    assert_eq!(at("tinytask_write_batch_duration_seconds_count"), 1.0);
    assert_eq!(at(r#"tinytask_claims_total{kind="personal"}"#), 1.0);
    assert_eq!(at(r#"tinytask_claims_total{kind="pool"}"#), 2.0);
    assert_eq!(at("tinytask_lease_grants_total"), 3.0);
    assert_eq!(at("tinytask_lease_expiries_total"), 1.0);
    assert_eq!(
        at(r#"tinytask_sessions_open{transport="streamable_http",era="2025-11-25"}"#),
        1.0
    );
    assert_eq!(
        at(r#"tinytask_sessions_open{transport="streamable_http",era="uninitialized"}"#),
        0.0
    );
    assert_eq!(
        at(r#"tinytask_streams_open{transport="streamable_http"}"#),
        1.0
    );
    assert_eq!(at(r#"tinytask_streams_open{transport="legacy_sse"}"#), 0.0);
    assert_eq!(at(r#"tinytask_waiters{call="wait_for_task"}"#), 1.0);
    assert_eq!(at(r#"tinytask_waiters{call="get_events"}"#), 0.0);
    assert_eq!(
        at(r#"tinytask_rest_requests_total{method="GET",route="/api/v1/tasks/{id}",status="2xx"}"#),
        1.0
    );
    assert_eq!(
        at(
            r#"tinytask_rest_request_duration_seconds_count{method="GET",route="/api/v1/tasks/{id}"}"#
        ),
        1.0
    );
    assert_eq!(at(r#"tinytask_build_info{version="3.0.0"}"#), 1.0);
    // The board's counts.
    assert_eq!(at("tinytask_board_stats_up"), 1.0);
    assert_eq!(at(r#"tinytask_tasks{status="idle",queue="dev"}"#), 3.0);
    assert_eq!(at(r#"tinytask_tasks{status="working",queue="dev"}"#), 1.0);
    assert_eq!(at(r#"tinytask_tasks{status="idle",queue=""}"#), 2.0);
    assert_eq!(at("tinytask_queues"), 1.0);
    assert_eq!(at("tinytask_tasks_archived"), 4.0);
    assert_eq!(at("tinytask_leases_active"), 1.0);
    assert_eq!(at("tinytask_events_retained"), 30.0);
    assert_eq!(at("tinytask_events_last_cursor"), 40.0);
    assert!(text.ends_with("# EOF\n"), "one EOF, at the end");
    assert_eq!(text.matches("# EOF").count(), 1);
}

#[test]
fn queues_beyond_the_cap_are_summed_by_status() {
    let m = Metrics::new(true);
    let mut snapshot = BoardSnapshot::default();
    for i in 0..MAX_QUEUES + 3 {
        snapshot.tasks.push(TaskCount {
            status: "idle".into(),
            queue: Some(format!("q{i:03}")),
            count: 10_000 - i as i64,
        });
    }
    snapshot.tasks.push(TaskCount {
        status: "complete".into(),
        queue: Some("q102".into()),
        count: 1, // q102 still has fewer tasks than q099
    });
    let text = m.render(Some(&snapshot)).unwrap();
    let named = text
        .lines()
        .filter(|l| l.starts_with("tinytask_tasks{"))
        .count();
    assert_eq!(named, MAX_QUEUES);
    assert_eq!(
        sample(&text, r#"tinytask_tasks{status="idle",queue="q099"}"#),
        Some(9901.0)
    );
    assert_eq!(
        sample(&text, r#"tinytask_tasks{status="idle",queue="q100"}"#),
        None
    );
    let others = 9900.0 + 9899.0 + 9898.0;
    assert_eq!(
        sample(&text, r#"tinytask_tasks_other_queues{status="idle"}"#),
        Some(others)
    );
    assert_eq!(
        sample(&text, r#"tinytask_tasks_other_queues{status="complete"}"#),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "tinytask_queues"),
        Some((MAX_QUEUES + 3) as f64)
    );
}

#[test]
fn an_unreadable_board_is_said_and_its_gauges_left_out() {
    let m = Metrics::new(true);
    let text = m.render(None).unwrap();
    assert_eq!(sample(&text, "tinytask_board_stats_up"), Some(0.0));
    assert!(
        !text.lines().any(|l| l.starts_with("tinytask_tasks")),
        "{text}"
    );
    assert_eq!(
        sample(&text, "tinytask_lease_grants_total"),
        Some(0.0),
        "the recorded metrics are still there"
    );
    assert!(Metrics::disabled().render(None).is_none());
}
