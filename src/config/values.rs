//! The enumerated settings and their accepted spellings.

use std::str::FromStr;

/// Implements `FromStr` (case-insensitive) and `as_str` for a settings enum, and lists its allowed values.
macro_rules! setting_enum {
    ($name:ident { $($variant:ident => $text:literal $(| $alias:literal)*),+ $(,)? }) => {
        impl $name {
            pub const ALLOWED: &'static str = concat!($($text, $(", ", $alias,)* ", "),+);

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($text $(| $alias)* => Ok(Self::$variant),)+
                    _ => Err(()),
                }
            }
        }
    };
}

/// Which transports run. `sse` is accepted as an alias of `http` (TinyTask 2.x deprecated it the same way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Stdio,
    Http,
    Both,
}

setting_enum!(Mode { Stdio => "stdio", Http => "http" | "sse", Both => "both" });

impl Mode {
    pub fn runs_stdio(self) -> bool {
        matches!(self, Mode::Stdio | Mode::Both)
    }

    pub fn runs_http(self) -> bool {
        matches!(self, Mode::Http | Mode::Both)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

setting_enum!(LogLevel {
    Error => "error",
    Warn => "warn",
    Info => "info",
    Debug => "debug",
    Trace => "trace",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

setting_enum!(LogFormat { Text => "text", Json => "json" });

/// What the web dashboard at `/ui` offers (`transports::http::ui`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UiMode {
    /// Views and operator actions.
    On,
    /// Views only: no action buttons, and cookie-authenticated writes are refused (403).
    Readonly,
    /// No `/ui` routes at all (404), and the dashboard cookie is accepted nowhere.
    Off,
}

setting_enum!(UiMode { On => "on", Readonly => "readonly", Off => "off" });

/// A feature that is on or off (TINYTASK_METRICS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switch {
    On,
    Off,
}

setting_enum!(Switch { On => "on", Off => "off" });

impl Switch {
    pub fn is_on(self) -> bool {
        self == Switch::On
    }
}

/// A named group of MCP tools (TINYTASK_TOOLSETS). Which tools belong to which set is declared with each tool
/// (`mcp::tools` catalogs); `all` is every tool. Sets may overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Toolset {
    /// The work loop of an agent: claim or wait, read, update, comment, hand over, heartbeat, release,
    /// ready work, search.
    Core,
    Tasks,
    Subtasks,
    Queues,
    Comments,
    Links,
    Coordination,
    Search,
    All,
}

setting_enum!(Toolset {
    Core => "core",
    Tasks => "tasks",
    Subtasks => "subtasks",
    Queues => "queues",
    Comments => "comments",
    Links => "links",
    Coordination => "coordination",
    Search => "search",
    All => "all",
});
