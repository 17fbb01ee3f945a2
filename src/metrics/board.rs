//! The board's gauges, computed at scrape time from the database (one grouped query on a reader, see
//! `domain::board_stats`) rather than kept on every write: they also count what other processes on the
//! same file did, and cost nothing between scrapes.
//!
//! Queue names are user data, so the number of queues reported is capped: the [`MAX_QUEUES`] queues with
//! the most tasks each have their own series; the tasks of all other queues are summed, by status, in a
//! separate metric (not under a reserved queue name: any string is a valid queue name, so no label value
//! could be reserved for "the rest").

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::collections::{BTreeMap, HashMap};

/// Queues reported by name; the tasks of the others are summed in `tinytask_tasks_other_queues`.
pub const MAX_QUEUES: usize = 100;

/// Non-archived tasks of one status in one queue (`None`: no queue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskCount {
    pub status: String,
    pub queue: Option<String>,
    pub count: i64,
}

/// What one scrape read from the database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardSnapshot {
    pub tasks: Vec<TaskCount>,
    pub archived: i64,
    pub leases: i64,
    /// Oldest and newest cursor of the events kept (`None`: the feed is empty).
    pub event_cursors: Option<(i64, i64)>,
    /// The highest cursor ever given to an event (SQLite's AUTOINCREMENT counter; pruning keeps it).
    pub last_cursor: i64,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TaskLabels {
    status: String,
    queue: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

/// The queues reported by name: the most tasks first, ties by name, at most [`MAX_QUEUES`].
fn reported_queues(tasks: &[TaskCount]) -> std::collections::HashSet<&str> {
    let mut totals: HashMap<&str, i64> = HashMap::new();
    for t in tasks {
        if let Some(q) = &t.queue {
            *totals.entry(q.as_str()).or_default() += t.count;
        }
    }
    let mut ranked: Vec<(&str, i64)> = totals.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    ranked
        .into_iter()
        .take(MAX_QUEUES)
        .map(|(q, _)| q)
        .collect()
}

fn gauge(value: i64) -> Gauge {
    let g = Gauge::default();
    g.set(value);
    g
}

/// The snapshot as metrics (a registry of its own, encoded after the main one); `None`: the board could
/// not be read.
pub(super) fn registry(snapshot: Option<&BoardSnapshot>) -> Registry {
    let mut registry = Registry::with_prefix("tinytask");
    registry.register(
            "board_stats_up",
            "1 when this scrape could read the board's counts from the database, else 0 (and the \
             tinytask_tasks*, tinytask_queues, tinytask_leases_active and tinytask_events_* gauges are absent)",
            gauge(i64::from(snapshot.is_some())),
        );
    let Some(board) = snapshot else {
        return registry;
    };
    let named = reported_queues(&board.tasks);
    let tasks: Family<TaskLabels, Gauge> = Family::default();
    let mut others: BTreeMap<&str, i64> = BTreeMap::new();
    for t in &board.tasks {
        match t.queue.as_deref() {
            Some(q) if !named.contains(q) => *others.entry(&t.status).or_default() += t.count,
            queue => {
                let labels = TaskLabels {
                    status: t.status.clone(),
                    queue: queue.unwrap_or_default().to_string(),
                };
                tasks.get_or_create(&labels).inc_by(t.count);
            }
        }
    }
    registry.register(
        "tasks",
        format!(
            "Non-archived tasks by status and queue (queue=\"\": no queue); only the {MAX_QUEUES} \
                 queues with the most tasks, the rest are in tinytask_tasks_other_queues"
        ),
        tasks,
    );
    let other: Family<StatusLabels, Gauge> = Family::default();
    for (status, count) in others {
        other
            .get_or_create(&StatusLabels {
                status: status.to_string(),
            })
            .set(count);
    }
    registry.register(
            "tasks_other_queues",
            format!(
                "Non-archived tasks, by status, of the queues beyond the {MAX_QUEUES} reported in tinytask_tasks"
            ),
            other,
        );
    let queues = board
        .tasks
        .iter()
        .filter_map(|t| t.queue.as_deref())
        .collect::<std::collections::HashSet<_>>()
        .len();
    registry.register(
        "queues",
        "Queues holding non-archived tasks",
        gauge(queues as i64),
    );
    registry.register("tasks_archived", "Archived tasks", gauge(board.archived));
    registry.register(
        "leases_active",
        "Leases held now (claimed tasks whose lease has not been released or expired)",
        gauge(board.leases),
    );
    let retained = board
        .event_cursors
        .map_or(0, |(oldest, newest)| newest - oldest + 1);
    registry.register(
        "events_retained",
        "Events kept in the feed: newest minus oldest cursor plus one (cursors are contiguous and \
             pruning removes the oldest first)",
        gauge(retained),
    );
    registry.register(
        "events_last_cursor",
        "The highest cursor ever given to an event (one per event, any process, kept across \
             pruning): its rate is the board's event rate",
        gauge(board.last_cursor),
    );
    registry
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(status: &str, queue: Option<&str>, count: i64) -> TaskCount {
        TaskCount {
            status: status.into(),
            queue: queue.map(str::to_string),
            count,
        }
    }

    #[test]
    fn the_biggest_queues_are_named_ties_by_name() {
        let mut tasks = vec![count("idle", None, 5000)];
        for i in 0..MAX_QUEUES + 5 {
            // q000 has the most tasks; q100 ties with q099 (901), and loses on the name.
            let n = if i == MAX_QUEUES {
                901
            } else {
                1000 - i as i64
            };
            tasks.push(count("idle", Some(&format!("q{i:03}")), n));
        }
        let named = reported_queues(&tasks);
        assert_eq!(named.len(), MAX_QUEUES);
        assert!(named.contains("q000") && named.contains("q099"));
        assert!(!named.contains("q100") && !named.contains("q104"));
    }
}
