//! The REST API (`/api/v1`, TinyTask 2.x's routes plus the coordination ones) and `GET /openapi.json`.
//! A transport like the MCP endpoints: every route runs an MCP tool through the engine's registry, so REST
//! and MCP share arguments, rules, errors and domain operations; only the HTTP shape differs (routes.rs).

mod call;
#[cfg(test)]
mod docs_tests;
mod error;
mod openapi;
mod params;
mod routes;
mod shapes;

use super::state::AppState;
use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse, web};
use routes::{PREFIX, ROUTES, Verb};
use std::sync::OnceLock;

/// Whether `path` is under the REST API (`/api/v1` or below; not `/api/v10`).
pub fn is_api_path(path: &str) -> bool {
    path.strip_prefix(PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Registers every REST route, one actix resource per path (a path matched by one resource answers 405 with
/// `Allow` for the methods it lacks, instead of falling through to another).
pub fn configure(cfg: &mut web::ServiceConfig) {
    let mut paths: Vec<&'static str> = Vec::new();
    for route in ROUTES {
        if !paths.contains(&route.path) {
            paths.push(route.path);
        }
    }
    for path in paths {
        let mut resource = web::resource(format!("{PREFIX}{path}"));
        let mut allowed = Vec::new();
        for route in ROUTES.iter().filter(|r| r.path == path) {
            allowed.push(method(route.verb).to_string());
            resource = resource.route(web::route().method(method(route.verb)).to(
                move |req: HttpRequest, payload: web::Payload, state: web::Data<AppState>| {
                    call::handle(route, req, payload, state)
                },
            ));
        }
        let allow = allowed.join(", ");
        resource = resource.default_service(web::to(move |req: HttpRequest| {
            let allow = allow.clone();
            async move { method_not_allowed(&req, &allow) }
        }));
        cfg.service(resource);
    }
    cfg.route("/openapi.json", web::get().to(openapi_json));
}

fn method(verb: Verb) -> Method {
    match verb {
        Verb::Get => Method::GET,
        Verb::Post => Method::POST,
        Verb::Patch => Method::PATCH,
        Verb::Delete => Method::DELETE,
    }
}

fn method_not_allowed(req: &HttpRequest, allow: &str) -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, allow.to_string()))
        .json(error::ErrorBody {
            error: format!(
                "Method Not Allowed: {} {} (allowed: {allow})",
                req.method(),
                req.path()
            ),
        })
}

/// The document is the same for the life of the process: generated once, served as bytes.
async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let body = DOCUMENT.get_or_init(|| openapi::document(state.engine.tools()).to_string());
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body.as_str())
}
