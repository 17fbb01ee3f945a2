//! What the metrics count from committed writes (`changes::Tally`) and read at scrape time
//! (`board_stats::snapshot`).

use crate::domain::Conn;
use crate::domain::changes::{self, Tally};
use crate::domain::claims::{self, Scope};
use crate::domain::leases;
use crate::domain::tasks::{self, CreateTask};
use crate::domain::test_support::{conn, create, new_task};
use crate::domain::{DomainResult, board_stats};
use crate::metrics::TaskCount;
use std::time::Duration;

/// Runs `op` as the writer does and returns what its flush counted.
fn tally<T>(c: &mut Conn, op: impl FnOnce(&mut Conn) -> DomainResult<T>) -> Tally {
    op(c).unwrap();
    changes::flush(c).unwrap().tally
}

fn queued(title: &str, queue: Option<&str>, assignee: Option<&str>) -> CreateTask {
    CreateTask {
        queue_name: queue.map(Into::into),
        assigned_to: assignee.map(Into::into),
        ..new_task(title)
    }
}

#[test]
fn claims_are_counted_by_kind_with_their_leases_and_expiries() {
    let (_d, mut c) = conn();
    create(&mut c, queued("pool", Some("q"), None));
    create(&mut c, queued("own", None, Some("ann")));
    changes::flush(&mut c).unwrap();
    let pool = Scope::Pool {
        agent: "bob".into(),
        queue: "q".into(),
    };
    let lease = Some(Duration::from_millis(1));
    let t = tally(&mut c, |c| claims::claim(c, &pool, lease));
    assert_eq!(
        (t.pool_claims, t.personal_claims, t.lease_grants),
        (1, 0, 1)
    );
    let own = Scope::Agent("ann".into());
    let t = tally(&mut c, |c| claims::claim(c, &own, None));
    assert_eq!(
        (t.pool_claims, t.personal_claims, t.lease_grants),
        (0, 1, 0),
        "no lease asked: none granted"
    );
    let t = tally(&mut c, |c| claims::claim(c, &own, lease));
    assert_eq!(t, Tally::default(), "nothing left to claim");
    std::thread::sleep(Duration::from_millis(5));
    let t = tally(&mut c, leases::expire_due);
    assert_eq!(
        t,
        Tally {
            lease_expiries: 1,
            ..Tally::default()
        }
    );
    let t = tally(&mut c, |c| {
        create(c, new_task("plain"));
        Ok(())
    });
    assert_eq!(t, Tally::default(), "a create counts nothing");
}

#[test]
fn the_snapshot_counts_tasks_by_status_and_queue_and_the_feed_extent() {
    let (_d, mut c) = conn();
    let empty = board_stats::snapshot(&mut c).unwrap();
    assert!(empty.tasks.is_empty());
    assert_eq!((empty.event_cursors, empty.last_cursor), (None, 0));
    create(&mut c, queued("a", Some("dev"), None));
    create(&mut c, queued("b", Some("dev"), None));
    create(&mut c, queued("c", None, None));
    let old = create(&mut c, queued("d", Some("dev"), None));
    tasks::archive(&mut c, old.id).unwrap();
    changes::flush(&mut c).unwrap();
    let pool = Scope::Pool {
        agent: "bob".into(),
        queue: "dev".into(),
    };
    claims::claim(&mut c, &pool, Some(Duration::from_secs(60))).unwrap();
    changes::flush(&mut c).unwrap();

    let mut s = board_stats::snapshot(&mut c).unwrap();
    s.tasks
        .sort_by(|a, b| (&a.queue, &a.status).cmp(&(&b.queue, &b.status)));
    let count = |status: &str, queue: Option<&str>, count| TaskCount {
        status: status.into(),
        queue: queue.map(Into::into),
        count,
    };
    assert_eq!(
        s.tasks,
        [
            count("idle", None, 1),
            count("idle", Some("dev"), 1),
            count("working", Some("dev"), 1),
        ]
    );
    assert_eq!((s.archived, s.leases), (1, 1));
    // One event per task a flush saw: 4 created (d's archiving was flushed with its creation), 1 claimed.
    let (oldest, newest) = s.event_cursors.expect("events");
    assert_eq!((oldest, newest, s.last_cursor), (1, 5, 5));
}
