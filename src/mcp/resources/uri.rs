//! Parsing resource URIs. Literal URIs are matched before templates, so `queue://list` is the queue list
//! (2.x matched `queue://{agent_name}` first and made it unreachable).

use percent_encoding::percent_decode_str;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResourceRef {
    ActiveTasks,
    ArchivedTasks,
    QueueList,
    Task(i32),
    TaskComments(i32),
    TaskLinks(i32),
    Hierarchy(i32),
    AgentQueue(String),
    AgentSummary(String),
    QueueStats(String),
    QueueTasks(String),
}

impl ResourceRef {
    /// One canonical spelling of the resource, whatever URI named it (`task://7` and `task://007` are
    /// one task): what shared subscriptions are stored and matched by (`mcp::shared`). Stable across
    /// versions: replicas of different versions match each other's keys.
    pub fn key(&self) -> String {
        use ResourceRef::*;
        match self {
            ActiveTasks => "active".into(),
            ArchivedTasks => "archived".into(),
            QueueList => "queues".into(),
            Task(id) => format!("task:{id}"),
            TaskComments(id) => format!("comments:{id}"),
            TaskLinks(id) => format!("links:{id}"),
            Hierarchy(id) => format!("hierarchy:{id}"),
            AgentQueue(agent) => format!("agent:{agent}"),
            AgentSummary(agent) => format!("summary:{agent}"),
            QueueStats(queue) => format!("stats:{queue}"),
            QueueTasks(queue) => format!("queue:{queue}"),
        }
    }
}

fn task_id(s: &str) -> Option<i32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|id| *id > 0)
}

/// A percent-decoded, non-empty single path segment (without U+0000, which no stored name can hold).
fn name(s: &str) -> Option<String> {
    if s.is_empty() || s.contains('/') {
        return None;
    }
    let decoded = percent_decode_str(s).decode_utf8().ok()?.into_owned();
    (!decoded.trim().is_empty() && !decoded.contains('\0')).then_some(decoded)
}

pub fn parse(uri: &str) -> Option<ResourceRef> {
    use ResourceRef::*;
    match uri {
        "tasks://active" => return Some(ActiveTasks),
        "tasks://archived" => return Some(ArchivedTasks),
        "queue://list" => return Some(QueueList),
        _ => {}
    }
    if let Some(rest) = uri.strip_prefix("task://") {
        if let Some(id) = rest.strip_prefix("hierarchy/") {
            return task_id(id).map(Hierarchy);
        }
        return match rest.split_once('/') {
            None => task_id(rest).map(Task),
            Some((id, "comments")) => task_id(id).map(TaskComments),
            Some((id, "links")) => task_id(id).map(TaskLinks),
            _ => None,
        };
    }
    let rest = uri.strip_prefix("queue://")?;
    if let Some(q) = rest.strip_prefix("stats/") {
        return name(q).map(QueueStats);
    }
    if let Some(q) = rest.strip_prefix("tasks/") {
        return name(q).map(QueueTasks);
    }
    match rest.split_once('/') {
        None => name(rest).map(AgentQueue),
        Some((agent, "summary")) => name(agent).map(AgentSummary),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::ResourceRef::*;
    use super::*;

    #[test]
    fn one_resource_has_one_key_whatever_uri_names_it() {
        assert_eq!(parse("task://7").unwrap().key(), "task:7");
        assert_eq!(parse("task://007").unwrap().key(), "task:7");
        assert_eq!(parse("queue://a%20b").unwrap().key(), "agent:a b");
        assert_eq!(parse("queue://tasks/a%3Ab").unwrap().key(), "queue:a:b");
        assert_ne!(AgentQueue("x".into()).key(), QueueTasks("x".into()).key());
    }

    #[test]
    fn literal_uris_win_over_templates() {
        assert_eq!(parse("queue://list"), Some(QueueList));
        assert_eq!(parse("tasks://active"), Some(ActiveTasks));
        assert_eq!(parse("tasks://archived"), Some(ArchivedTasks));
    }

    #[test]
    fn templates_are_parsed() {
        assert_eq!(parse("task://12"), Some(Task(12)));
        assert_eq!(parse("task://12/comments"), Some(TaskComments(12)));
        assert_eq!(parse("task://12/links"), Some(TaskLinks(12)));
        assert_eq!(parse("task://hierarchy/3"), Some(Hierarchy(3)));
        assert_eq!(
            parse("queue://code%20agent"),
            Some(AgentQueue("code agent".into()))
        );
        assert_eq!(
            parse("queue://bob/summary"),
            Some(AgentSummary("bob".into()))
        );
        assert_eq!(parse("queue://stats/dev"), Some(QueueStats("dev".into())));
        assert_eq!(parse("queue://tasks/dev"), Some(QueueTasks("dev".into())));
    }

    #[test]
    fn malformed_uris_are_unknown() {
        for uri in [
            "task://abc",
            "task://0",
            "task://1/other",
            "queue://",
            "queue://a/b/c",
            "foo://x",
            "task://",
        ] {
            assert_eq!(parse(uri), None, "{uri}");
        }
    }
}
