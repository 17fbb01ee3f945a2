//! The query part of a list resource URI: `?offset=N` (the `next_offset` of a cut read) on every list
//! resource, and on the JSON task lists (tasks://active, tasks://archived, queue://{agent_name}) the
//! projection of the task-list tools: `view=summary`, `fields=id,title,status` (comma-separated or repeated),
//! e.g. `tasks://active?view=summary&offset=50`.

use crate::domain::projection::{Projection, TaskField, View};
use percent_encoding::percent_decode_str;

/// What a list resource's query asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    pub offset: i64,
    pub fields: Option<Vec<TaskField>>,
    pub view: Option<View>,
}

/// Why a query was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryError {
    /// Not a URI this server has (an unknown key, a malformed offset): resource not found, as before
    /// projections existed.
    Unknown,
    /// A projection the caller got wrong: invalid params, naming the parameter and the allowed values.
    Invalid(String),
}

/// The resources whose tasks a projection applies to, for error messages.
pub const PROJECTABLE: &str = "tasks://active, tasks://archived and queue://{agent_name}";

/// Parses `query` (after `?`); `projectable` says whether the resource takes `view`/`fields`.
pub fn parse(query: &str, projectable: bool) -> Result<ListQuery, QueryError> {
    let mut out = ListQuery::default();
    let mut seen_offset = false;
    for pair in query.split('&') {
        let (key, raw) = pair.split_once('=').ok_or(QueryError::Unknown)?;
        let value = percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| QueryError::Unknown)?;
        match key {
            "offset" if !seen_offset => {
                seen_offset = true;
                out.offset = value
                    .bytes()
                    .all(|b| b.is_ascii_digit())
                    .then(|| value.parse::<i64>().ok())
                    .flatten()
                    .ok_or(QueryError::Unknown)?;
            }
            "view" | "fields" if !projectable => {
                return Err(QueryError::Invalid(format!(
                    "`{key}` applies only to {PROJECTABLE}"
                )));
            }
            "view" if out.view.is_none() => {
                out.view = Some(View::parse(&value).ok_or_else(|| {
                    QueryError::Invalid(format!(
                        "`view`: unknown value {value:?}; allowed values: full, summary"
                    ))
                })?);
            }
            "fields" => {
                let fields = out.fields.get_or_insert_with(Vec::new);
                for name in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    fields.push(TaskField::parse(name).ok_or_else(|| {
                        QueryError::Invalid(format!(
                            "`fields`: unknown task key {name:?}; allowed values: {}",
                            TaskField::allowed()
                        ))
                    })?);
                }
            }
            "view" | "offset" => {
                return Err(QueryError::Invalid(format!(
                    "`{key}` is given more than once"
                )));
            }
            _ => return Err(QueryError::Unknown),
        }
    }
    // Checked here too (an empty `fields=`), so the reader gets the tool's own wording.
    Projection::new(out.fields.as_deref(), out.view)
        .map_err(|e| QueryError::Invalid(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_alone_as_before() {
        assert_eq!(
            parse("offset=5", false),
            Ok(ListQuery {
                offset: 5,
                ..ListQuery::default()
            })
        );
        for bad in ["offset=", "offset=-1", "offset=x", "page=2", "offset"] {
            assert_eq!(parse(bad, true), Err(QueryError::Unknown), "{bad}");
        }
    }

    #[test]
    fn view_and_fields_with_offset() {
        let q = parse("view=summary&fields=description,tags&offset=3", true).unwrap();
        assert_eq!(q.offset, 3);
        assert_eq!(q.view, Some(View::Summary));
        assert_eq!(
            q.fields,
            Some(vec![TaskField::Description, TaskField::Tags])
        );
        let repeated = parse("fields=id&fields=title%2Cstatus", true).unwrap();
        assert_eq!(
            repeated.fields,
            Some(vec![TaskField::Id, TaskField::Title, TaskField::Status])
        );
    }

    #[test]
    fn projection_errors_name_the_parameter_and_the_allowed_values() {
        let Err(QueryError::Invalid(msg)) = parse("fields=id,owner", true) else {
            panic!("accepted")
        };
        assert!(
            msg.contains("`fields`") && msg.contains("\"owner\""),
            "{msg}"
        );
        assert!(msg.contains(&TaskField::allowed()), "{msg}");
        let Err(QueryError::Invalid(msg)) = parse("view=tiny", true) else {
            panic!("accepted")
        };
        assert!(
            msg.contains("`view`") && msg.contains("full, summary"),
            "{msg}"
        );
        let Err(QueryError::Invalid(msg)) = parse("fields=", true) else {
            panic!("accepted")
        };
        assert!(
            msg.contains("`fields`") && msg.contains("at least one"),
            "{msg}"
        );
        let Err(QueryError::Invalid(msg)) = parse("view=summary", false) else {
            panic!("accepted")
        };
        assert!(msg.contains(PROJECTABLE), "{msg}");
        assert!(matches!(
            parse("view=summary&view=full", true),
            Err(QueryError::Invalid(_))
        ));
    }
}
