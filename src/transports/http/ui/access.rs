//! Who may reach the dashboard and the REST API from a browser, decided in the guard middleware after the
//! Host/Origin rules and before the bearer-token check.
//!
//! - With `TINYTASK_UI=off` every dashboard path is a 404, as if the routes did not exist.
//! - The login page, the login/logout forms and the static assets are public (the page itself shows the
//!   login form until the cookie is valid).
//! - A valid login cookie authenticates `/ui/*` and `/api/v1/*` — never the MCP endpoints — in place of the
//!   bearer token. A cookie-authenticated request other than GET/HEAD must carry `X-TinyTask-CSRF` equal to
//!   the cookie's CSRF token, and is refused outright when the dashboard is read-only. (Browsers attach
//!   the cookie to requests other pages trigger only on the same site, as it is SameSite=Strict; the CSRF
//!   header is the second line, and the Origin check the third.)
//! - Anything else goes on to the bearer-token check.

use super::cookie;
use crate::config::UiMode;
use crate::transports::http::errors::HttpError;
use crate::transports::http::state::AppState;
use actix_web::dev::ServiceRequest;
use actix_web::http::{Method, header};

/// The header carrying the CSRF token on cookie-authenticated writes.
pub const CSRF_HEADER: &str = "x-tinytask-csrf";

/// What the guard does with a request.
#[derive(Debug)]
pub enum Decision {
    /// Let it through without a bearer token.
    Pass,
    /// Refuse it with this error.
    Refuse(HttpError),
    /// Not decided here: the bearer-token check applies.
    NeedsToken,
}

/// The dashboard's own paths: `/`, `/ui` and everything below `/ui/`.
pub fn is_ui_path(path: &str) -> bool {
    path == "/" || path == "/ui" || path.starts_with("/ui/")
}

/// Paths a login cookie authenticates.
fn cookie_scope(path: &str) -> bool {
    path.starts_with("/ui/") || crate::transports::http::rest::is_api_path(path)
}

/// Reachable without credentials: the page (login form or board), the forms and the assets.
fn is_public(method: &Method, path: &str) -> bool {
    match *method {
        Method::GET | Method::HEAD => {
            matches!(path, "/" | "/ui" | "/ui/") || path.starts_with("/ui/assets/")
        }
        Method::POST => matches!(path, "/ui/login" | "/ui/logout"),
        _ => false,
    }
}

/// Whether `req` is the login or logout form posted by a page of this origin that sends `Origin: null`.
///
/// The dashboard's pages are served with `Referrer-Policy: no-referrer`, under which browsers send
/// `Origin: null` on form submissions. `Sec-Fetch-Site` is set by the browser alone (no page can forge it),
/// and `same-origin` says the form was on one of our pages; anything else with a null Origin is refused
/// as before.
pub fn same_origin_form(req: &ServiceRequest) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    *req.method() == Method::POST
        && matches!(req.path(), "/ui/login" | "/ui/logout")
        && header("origin") == Some("null")
        && header("sec-fetch-site") == Some("same-origin")
}

/// The login cookie of `req`, when it carries one this server's token signed and it has not expired.
pub fn valid_cookie<'a>(token: &str, headers: &'a header::HeaderMap) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .find_map(cookie::find)
        .filter(|value| cookie::verify(token, value))
}

pub fn decide(state: &AppState, req: &ServiceRequest) -> Decision {
    let (method, path) = (req.method(), req.path());
    let mode = state.settings.ui;
    if is_ui_path(path) {
        if mode == UiMode::Off {
            return Decision::Refuse(HttpError::NoRoute {
                method: method.clone(),
                path: path.to_string(),
            });
        }
        if is_public(method, path) {
            return Decision::Pass;
        }
    }
    let Some(token) = &state.settings.auth_token else {
        return Decision::NeedsToken;
    };
    // A bearer token is never sent by a browser on its own, so it needs no CSRF token: it wins.
    if mode == UiMode::Off
        || !cookie_scope(path)
        || req.headers().contains_key(header::AUTHORIZATION)
    {
        return Decision::NeedsToken;
    }
    let Some(value) = valid_cookie(token, req.headers()) else {
        return Decision::NeedsToken;
    };
    if matches!(*method, Method::GET | Method::HEAD) {
        return Decision::Pass;
    }
    if mode == UiMode::Readonly {
        return Decision::Refuse(HttpError::UiReadonly {
            method: method.clone(),
            path: path.to_string(),
        });
    }
    match req.headers().get(CSRF_HEADER).map(|v| v.to_str()) {
        None => Decision::Refuse(HttpError::CsrfMissing),
        Some(Ok(presented)) if cookie::csrf_matches(token, value, presented) => Decision::Pass,
        Some(_) => Decision::Refuse(HttpError::CsrfMismatch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_paths_and_public_paths() {
        for p in ["/", "/ui", "/ui/", "/ui/stream", "/ui/assets/app.js"] {
            assert!(is_ui_path(p), "{p}");
        }
        for p in ["/uix", "/api/v1/tasks", "/mcp", "/health"] {
            assert!(!is_ui_path(p), "{p}");
        }
        assert!(is_public(&Method::GET, "/ui/assets/style.css"));
        assert!(is_public(&Method::POST, "/ui/login"));
        assert!(!is_public(&Method::GET, "/ui/stream"));
        assert!(!is_public(&Method::POST, "/ui/"));
        assert!(!is_public(&Method::DELETE, "/ui/login"));
    }

    #[test]
    fn the_cookie_never_reaches_the_mcp_endpoints() {
        for p in [
            "/mcp",
            "/mcp/",
            "/sse",
            "/messages",
            "/health",
            "/metrics",
            "/api/v10",
        ] {
            assert!(!cookie_scope(p), "{p}");
        }
        for p in ["/ui/stream", "/api/v1", "/api/v1/tasks/3"] {
            assert!(cookie_scope(p), "{p}");
        }
    }
}
