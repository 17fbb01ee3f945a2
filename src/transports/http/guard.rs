//! Middleware in front of every route: request logging, CORS (H33), Host allow-list against DNS
//! rebinding (H3), Origin validation (H2), the optional bearer token, and the dashboard's login cookie and
//! CSRF rule (`ui::access`).

use super::authority::{parse_host, parse_origin};
use super::body::RpcLabel;
use super::errors::HttpError;
use super::health;
use super::state::AppState;
use super::ui::access::{self, Decision};
use crate::config::AllowList;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError, web};
use subtle::ConstantTimeEq;

const ALLOW_METHODS: &str = "GET, POST, PATCH, DELETE, OPTIONS";
const ALLOW_HEADERS: &str =
    "Content-Type, Accept, Authorization, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID";
const EXPOSE_HEADERS: &str = "Mcp-Session-Id, Mcp-Protocol-Version";
const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// H3. A malformed Host is refused unless the list is `*`; an absent one (HTTP/1.0) is allowed.
fn host_allowed(state: &AppState, host: Option<&str>) -> bool {
    let Some(raw) = host else { return true };
    if matches!(state.settings.allowed_hosts, AllowList::Any) {
        return true;
    }
    let Some(host) = parse_host(raw) else {
        return false;
    };
    match &state.settings.allowed_hosts {
        AllowList::Any => true,
        AllowList::Default => !state.loopback || LOOPBACK_NAMES.contains(&host.host.as_str()),
        // Entries name a host (any port) or host:port.
        AllowList::Only(list) => list
            .iter()
            .any(|entry| *entry == host.host || *entry == host.with_port()),
    }
}

/// The health probes also accept loopback names: the container's own healthcheck (`tinytask healthcheck`) sends
/// `Host: 127.0.0.1:<port>` even when TINYTASK_ALLOWED_HOSTS lists only public names, and a DNS
/// rebinding page can never make the browser send a loopback name as Host.
fn health_host_allowed(state: &AppState, host: Option<&str>) -> bool {
    host_allowed(state, host)
        || host
            .and_then(parse_host)
            .is_some_and(|h| LOOPBACK_NAMES.contains(&h.host.as_str()))
}

/// H2. A malformed Origin is never allowed unless the list is `*`.
fn origin_allowed(state: &AppState, origin: &str) -> bool {
    if matches!(state.settings.allowed_origins, AllowList::Any) {
        return true;
    }
    let Some(origin) = parse_origin(origin) else {
        return false;
    };
    match &state.settings.allowed_origins {
        AllowList::Any => true,
        AllowList::Only(list) => list.contains(&origin.normalized()),
        AllowList::Default => LOOPBACK_NAMES.contains(&origin.authority.host.as_str()),
    }
}

/// The credentials of an `Authorization: Bearer <token>` header; the scheme is case-insensitive
/// (RFC 7235 §2.1) and separated from the token by one or more spaces.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim_start_matches(' '))
}

/// The bearer token the request presents ("" when none).
fn presented_token(req: &ServiceRequest) -> &[u8] {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
        .unwrap_or("")
        .as_bytes()
}

fn token_ok(state: &AppState, req: &ServiceRequest) -> bool {
    let Some(expected) = &state.settings.auth_token else {
        return true;
    };
    presented_token(req).ct_eq(expected.as_bytes()).into()
}

/// The bearer rule of a request: `GET /metrics` with TINYTASK_METRICS_TOKEN set needs that token or the
/// main one (when set) — a scraper's token opens nothing else; everything else follows [`token_ok`].
fn authorized(state: &AppState, req: &ServiceRequest) -> bool {
    let Some(metrics_token) = state.settings.metrics_token.as_ref() else {
        return token_ok(state, req);
    };
    if req.path() != "/metrics" {
        return token_ok(state, req);
    }
    let presented = presented_token(req);
    let is = |token: &String| bool::from(presented.ct_eq(token.as_bytes()));
    is(metrics_token) || state.settings.auth_token.as_ref().is_some_and(is)
}

fn forbidden_host(host: Option<String>) -> HttpError {
    HttpError::ForbiddenHost(host.unwrap_or_default())
}

/// Answers `req` with `error` before it reaches a handler.
fn reject(req: ServiceRequest, error: &HttpError) -> ServiceResponse<BoxBody> {
    req.into_response(error.error_response())
}

pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .expect("AppState is registered");
    // A Host header that is not visible ASCII is as malformed as a badly formed one.
    let host = req
        .headers()
        .get(header::HOST)
        .map(|v| v.to_str().unwrap_or("\u{fffd}").to_string());
    if health::is_probe(req.path()) && req.method() == Method::GET {
        // No auth or Origin check (monitoring), but the Host allow-list: through DNS rebinding a web
        // page could otherwise read the database path and session counts.
        if !health_host_allowed(&state, host.as_deref()) {
            return Ok(reject(req, &forbidden_host(host)));
        }
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    if !host_allowed(&state, host.as_deref()) {
        return Ok(reject(req, &forbidden_host(host)));
    }
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .map(|v| v.to_str().unwrap_or("\u{fffd}").to_string());
    if let Some(o) = origin
        .as_deref()
        .filter(|o| !origin_allowed(&state, o) && !access::same_origin_form(&req))
    {
        return Ok(reject(req, &HttpError::ForbiddenOrigin(o.to_string())));
    }
    if req.method() == Method::OPTIONS {
        let mut preflight = HttpResponse::NoContent();
        preflight.insert_header((header::ALLOW, ALLOW_METHODS));
        if let Some(o) = &origin {
            preflight
                .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, o.as_str()))
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS))
                .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "86400"))
                .insert_header((header::VARY, "Origin"));
        }
        return Ok(req.into_response(preflight.finish()));
    }
    // The dashboard: its login page and assets are public, its login cookie stands in for the bearer
    // token on /ui and /api/v1 (with a CSRF token on writes), and TINYTASK_UI=off hides it.
    match access::decide(&state, &req) {
        Decision::Pass => {}
        Decision::Refuse(error) => return Ok(reject(req, &error)),
        Decision::NeedsToken if authorized(&state, &req) => {}
        Decision::NeedsToken => return Ok(reject(req, &HttpError::Unauthorized)),
    }
    let mut response = next.call(req).await?.map_into_boxed_body();
    // Not for a same-origin form's `Origin: null` (see access::same_origin_form): null is no origin to allow.
    if let Some(o) = origin.filter(|o| origin_allowed(&state, o)) {
        let headers = response.headers_mut();
        if let Ok(value) = header::HeaderValue::from_str(&o) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        }
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            header::HeaderValue::from_static(EXPOSE_HEADERS),
        );
        headers.insert(header::VARY, header::HeaderValue::from_static("Origin"));
    }
    Ok(response)
}

/// Logs every request once it is answered (never bodies or argument values).
pub async fn log_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let path = req.path().to_string();
    let session = req
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| {
            req.query_string()
                .split('&')
                .find_map(|kv| kv.strip_prefix("sessionId=").map(str::to_string))
        })
        .unwrap_or_default();
    let response = next.call(req).await?;
    let status = response.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    if health::is_probe(&path) {
        tracing::debug!(%method, path, status, elapsed_ms, "http request");
    } else {
        use actix_web::HttpMessage;
        let rpc = response
            .request()
            .extensions()
            .get::<RpcLabel>()
            .map(|l| l.0.clone())
            .unwrap_or_default();
        // One line per request, including the MCP method and tool name (the engine logs calls at debug).
        tracing::info!(%method, path, status, elapsed_ms, session, rpc, "http request");
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        for value in ["Bearer abc", "bearer abc", "BEARER abc", "BeArEr   abc"] {
            assert_eq!(bearer_token(value), Some("abc"), "{value:?}");
        }
        for value in ["Basic abc", "Bearerabc", "Bearer", "Token abc"] {
            assert_ne!(bearer_token(value), Some("abc"), "{value:?}");
        }
    }
}
