//! Middleware in front of every route: request logging, CORS (H33), Host allow-list against DNS
//! rebinding (H3), Origin validation (H2) and the optional bearer token.

use super::body::RpcLabel;
use super::errors::error;
use super::state::AppState;
use crate::config::AllowList;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use subtle::ConstantTimeEq;

const ALLOW_METHODS: &str = "GET, POST, DELETE, OPTIONS";
const ALLOW_HEADERS: &str =
    "Content-Type, Accept, Authorization, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID";
const EXPOSE_HEADERS: &str = "Mcp-Session-Id, Mcp-Protocol-Version";
const LOOPBACK_NAMES: [&str; 4] = ["localhost", "127.0.0.1", "[::1]", "::1"];

/// The host part of `host[:port]` (IPv6 literals keep their brackets).
fn host_part(authority: &str) -> String {
    let authority = authority.trim().to_ascii_lowercase();
    if authority.starts_with('[') {
        return authority
            .split_inclusive(']')
            .next()
            .unwrap_or("")
            .to_string();
    }
    authority.split(':').next().unwrap_or("").to_string()
}

fn host_allowed(state: &AppState, host: Option<&str>) -> bool {
    let Some(host) = host else { return true };
    let name = host_part(host);
    match &state.settings.allowed_hosts {
        AllowList::Any => true,
        AllowList::Default => !state.loopback || LOOPBACK_NAMES.contains(&name.as_str()),
        AllowList::Only(list) => list
            .iter()
            .any(|h| *h == name || *h == host.to_ascii_lowercase()),
    }
}

fn origin_allowed(state: &AppState, origin: &str) -> bool {
    let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    match &state.settings.allowed_origins {
        AllowList::Any => true,
        AllowList::Only(list) => list.contains(&origin),
        AllowList::Default => origin
            .split_once("://")
            .is_some_and(|(_, rest)| LOOPBACK_NAMES.contains(&host_part(rest).as_str())),
    }
}

fn token_ok(state: &AppState, req: &ServiceRequest) -> bool {
    let Some(expected) = &state.settings.auth_token else {
        return true;
    };
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .unwrap_or("");
    presented.as_bytes().ct_eq(expected.as_bytes()).into()
}

fn reject(req: ServiceRequest, response: HttpResponse) -> ServiceResponse<BoxBody> {
    req.into_response(response)
}

pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .expect("AppState is registered");
    if req.path() == "/health" && req.method() == Method::GET {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if !host_allowed(&state, host.as_deref()) {
        let msg = format!(
            "Forbidden: Host {:?} is not allowed (set TINYTASK_ALLOWED_HOSTS)",
            host.unwrap_or_default()
        );
        return Ok(reject(req, error(StatusCode::FORBIDDEN, msg)));
    }
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(o) = origin.as_deref().filter(|o| !origin_allowed(&state, o)) {
        let msg = format!("Forbidden: Origin {o:?} is not allowed (set TINYTASK_ALLOWED_ORIGINS)");
        return Ok(reject(req, error(StatusCode::FORBIDDEN, msg)));
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
        return Ok(reject(req, preflight.finish()));
    }
    if !token_ok(&state, &req) {
        let response = HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"tinytask\""))
            .json(serde_json::json!({"error": "Unauthorized: a valid Authorization: Bearer token is required"}));
        return Ok(reject(req, response));
    }
    let mut response = next.call(req).await?.map_into_boxed_body();
    if let Some(o) = origin {
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
    if path == "/health" {
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
    use super::host_part;

    #[test]
    fn host_part_strips_ports_and_keeps_ipv6_brackets() {
        assert_eq!(host_part("127.0.0.1:3000"), "127.0.0.1");
        assert_eq!(host_part("LocalHost"), "localhost");
        assert_eq!(host_part("[::1]:8080"), "[::1]");
        assert_eq!(host_part("evil.example.com:3000"), "evil.example.com");
    }
}
