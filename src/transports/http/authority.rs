//! Strict parsing of `Host` and `Origin` values for the allow-lists (H2, H3). The grammar is the `http`
//! crate's (`Authority`, `Uri`, re-exported by actix-web); on top of it anything an attacker could use to
//! make a value *look* loopback is rejected: userinfo (`localhost:80@evil.com`), characters after an IPv6
//! literal (`[::1]evil.com`), extra colons (`127.0.0.1:80:evil.com`), empty or non-numeric ports, paths,
//! and host names with characters outside letters, digits, `-` and `.`.

use actix_web::http::uri::{Authority, Uri};
use std::net::Ipv6Addr;

/// A validated `host[:port]`: the host lowercased, IPv6 literals kept in brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    pub host: String,
    pub port: Option<u16>,
}

impl HostPort {
    /// `host` or `host:port`, as written in allow-list entries.
    pub fn with_port(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        }
    }
}

/// A validated `Origin`: `scheme://host[:port]` with an http(s) scheme and no path beyond `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub scheme: String,
    pub authority: HostPort,
}

impl Origin {
    /// The serialized origin, lowercased (what `TINYTASK_ALLOWED_ORIGINS` entries are compared with).
    pub fn normalized(&self) -> String {
        format!("{}://{}", self.scheme, self.authority.with_port())
    }
}

fn valid_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn valid_host(host: &str) -> bool {
    match host.strip_prefix('[') {
        Some(inner) => inner
            .strip_suffix(']')
            .is_some_and(|ip| ip.parse::<Ipv6Addr>().is_ok()),
        None => valid_name(host),
    }
}

fn strict(authority: &Authority) -> Option<HostPort> {
    let raw = authority.as_str();
    if raw.contains('@') {
        return None; // userinfo has no place in Host or Origin
    }
    let host = authority.host();
    let port = match authority.port() {
        Some(p) => {
            let digits = p.as_str();
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some(digits.parse::<u16>().ok()?)
        }
        None => None,
    };
    // The parts must make up the whole value: this catches text the parser tolerated around them
    // (after `]`, a trailing `:` with no port, ...).
    let rebuilt = match authority.port() {
        Some(p) => format!("{host}:{}", p.as_str()),
        None => host.to_string(),
    };
    if rebuilt != raw || !valid_host(host) {
        return None;
    }
    Some(HostPort {
        host: host.to_ascii_lowercase(),
        port,
    })
}

/// Parses a `Host` header value; `None` when malformed.
pub fn parse_host(value: &str) -> Option<HostPort> {
    let authority: Authority = value.trim().parse().ok()?;
    strict(&authority)
}

/// Parses an `Origin` header value; `None` when malformed (including the opaque origin `null`).
pub fn parse_origin(value: &str) -> Option<Origin> {
    let uri: Uri = value.trim().parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    if !matches!(
        uri.path_and_query()
            .map(actix_web::http::uri::PathAndQuery::as_str),
        None | Some("" | "/")
    ) {
        return None;
    }
    Some(Origin {
        scheme,
        authority: strict(uri.authority()?)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_hosts_parse() {
        let hp = |h: &str, p: Option<u16>| {
            Some(HostPort {
                host: h.into(),
                port: p,
            })
        };
        assert_eq!(parse_host("localhost"), hp("localhost", None));
        assert_eq!(parse_host("LocalHost:3000"), hp("localhost", Some(3000)));
        assert_eq!(parse_host("127.0.0.1:3000"), hp("127.0.0.1", Some(3000)));
        assert_eq!(parse_host("[::1]:3000"), hp("[::1]", Some(3000)));
        assert_eq!(parse_host("[::1]"), hp("[::1]", None));
        assert_eq!(
            parse_host("tasks.example.com"),
            hp("tasks.example.com", None)
        );
    }

    #[test]
    fn malformed_hosts_are_rejected() {
        for bad in [
            "[::1]evil.com",
            "[::1]:3000evil",
            "localhost:80@evil.com",
            "user@localhost",
            "127.0.0.1:80:evil.com",
            "localhost:",
            "localhost:abc",
            "localhost:+80",
            "localhost:99999",
            "localhost/evil",
            "localhost?x",
            "[evil.com]",
            "[::1",
            "local_host",
            "evil.com%2f",
            "",
            "a..b",
        ] {
            assert_eq!(parse_host(bad), None, "{bad:?} must be rejected");
        }
    }

    #[test]
    fn valid_origins_parse() {
        let o = parse_origin("http://localhost:3000").unwrap();
        assert_eq!(o.normalized(), "http://localhost:3000");
        assert_eq!(o.authority.host, "localhost");
        let o = parse_origin("https://Tasks.Example.com").unwrap();
        assert_eq!(o.normalized(), "https://tasks.example.com");
        assert_eq!(
            parse_origin("http://[::1]:8080/").unwrap().normalized(),
            "http://[::1]:8080"
        );
        assert_eq!(
            parse_origin("http://127.0.0.1:3000")
                .unwrap()
                .authority
                .host,
            "127.0.0.1"
        );
    }

    #[test]
    fn malformed_origins_are_rejected() {
        for bad in [
            "http://127.0.0.1:80:evil.com",
            "http://localhost:80@evil.com",
            "http://[::1]evil.com",
            "http://localhost/path",
            "http://localhost?q=1",
            "ftp://localhost",
            "null",
            "localhost:3000",
            "http://",
            "http://local host",
        ] {
            assert_eq!(parse_origin(bad), None, "{bad:?} must be rejected");
        }
    }
}
