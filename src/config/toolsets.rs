//! TINYTASK_TOOLSETS: which tool sets the MCP endpoint serves (their union). The REST API and the dashboard
//! always use every tool; this only narrows what MCP clients see and may call.

use super::values::Toolset;
use std::fmt;
use std::str::FromStr;

/// The configured sets, deduplicated, in the order given (so logs and errors repeat the operator's words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toolsets(Vec<Toolset>);

impl Toolsets {
    /// Every tool (the default, as before the setting existed).
    pub fn all() -> Self {
        Toolsets(vec![Toolset::All])
    }

    /// Parses a comma-separated list of set names (case-insensitive, spaces ignored). `Err` carries the
    /// first entry that names no set (possibly empty, as in `core,,tasks`).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut sets = Vec::new();
        for name in raw.split(',') {
            let set = Toolset::from_str(name).map_err(|()| name.trim().to_string())?;
            if !sets.contains(&set) {
                sets.push(set);
            }
        }
        Ok(Toolsets(sets))
    }

    /// Whether a tool that belongs to `membership` is served: some configured set is one of them, or `all`.
    pub fn enables(&self, membership: &[Toolset]) -> bool {
        self.0
            .iter()
            .any(|set| *set == Toolset::All || membership.contains(set))
    }

    pub fn is_all(&self) -> bool {
        self.0.contains(&Toolset::All)
    }
}

impl Default for Toolsets {
    fn default() -> Self {
        Self::all()
    }
}

/// As written in the variable: `core,queues`.
impl fmt::Display for Toolsets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|s| s.as_str()).collect();
        f.write_str(&names.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_trims_ignores_case_and_deduplicates() {
        let sets = Toolsets::parse(" Core, queues ,core").unwrap();
        assert_eq!(sets.to_string(), "core,queues");
        assert!(sets.enables(&[Toolset::Queues, Toolset::Tasks]));
        assert!(sets.enables(&[Toolset::Core]));
        assert!(!sets.enables(&[Toolset::Tasks, Toolset::Subtasks]));
        assert!(!sets.enables(&[]));
        assert!(!sets.is_all());
    }

    #[test]
    fn all_enables_every_membership() {
        let all = Toolsets::parse("search,all").unwrap();
        assert!(all.is_all());
        assert!(all.enables(&[Toolset::Links]));
        assert!(Toolsets::default().enables(&[Toolset::Subtasks]));
    }

    #[test]
    fn the_first_unknown_or_empty_name_is_reported() {
        assert_eq!(Toolsets::parse("core,subtask,bogus"), Err("subtask".into()));
        assert_eq!(Toolsets::parse("core,,tasks"), Err(String::new()));
    }
}
