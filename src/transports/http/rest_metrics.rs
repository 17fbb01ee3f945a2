//! Middleware that measures every REST request under `/api/v1` (`tinytask_rest_requests_total`,
//! `tinytask_rest_request_duration_seconds`), whatever handler serves it. The route label is actix's
//! matched pattern (`/api/v1/tasks/{id}`), never the raw path, so ids in paths add no series. Installed only
//! with `TINYTASK_METRICS=on` (see `app`).

use super::rest::is_api_path;
use super::state::AppState;
use crate::metrics::UNMATCHED_ROUTE;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

pub async fn measure_rest(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if !is_api_path(req.path()) {
        return next.call(req).await;
    }
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.engine.metrics().clone());
    let result = next.call(req).await;
    // Handlers' errors are responses by now; an `Err` here came from a middleware.
    let (route, status) = match &result {
        Ok(res) => (res.request().match_pattern(), res.status()),
        Err(e) => (None, e.as_response_error().status_code()),
    };
    if let Some(metrics) = metrics {
        metrics.rest_request(
            method.as_str(),
            route.as_deref().unwrap_or(UNMATCHED_ROUTE),
            status.as_u16(),
            started.elapsed(),
        );
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::mcp::Engine;
    use crate::metrics::Metrics;
    use actix_web::middleware::from_fn;
    use actix_web::test::{TestRequest, call_service, init_service};
    use actix_web::{App, HttpResponse};

    #[test]
    fn only_the_api_prefix_is_rest() {
        assert!(is_api_path("/api/v1") && is_api_path("/api/v1/tasks/7"));
        assert!(!is_api_path("/api/v10/tasks") && !is_api_path("/mcp") && !is_api_path("/api"));
    }

    fn state(pool: crate::db::DbPool) -> web::Data<AppState> {
        let engine = Engine::new(crate::domain::Board::instrumented(pool, Metrics::new(true)));
        let config = Config::from_lookup(|_| None).unwrap();
        let (_tx, shutdown) = tokio::sync::watch::channel(false);
        let stdio = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        web::Data::new(AppState::new(&config, engine, shutdown, stdio))
    }

    /// A stand-in REST route (the real ones live in `rest/`): found for even ids, 404 for odd ones.
    async fn task(path: web::Path<u32>) -> HttpResponse {
        if path.into_inner().is_multiple_of(2) {
            HttpResponse::Ok().finish()
        } else {
            HttpResponse::NotFound().finish()
        }
    }

    #[actix_web::test]
    async fn rest_requests_are_counted_by_route_pattern_and_status_class() {
        let (_db, pool) = crate::domain::test_support::pool("rest", 2);
        let state = state(pool);
        let app = init_service(
            App::new()
                .app_data(state.clone())
                .wrap(from_fn(measure_rest))
                .route("/api/v1/tasks/{id}", web::get().to(task))
                .route("/health", web::get().to(HttpResponse::Ok)),
        )
        .await;
        for path in [
            "/api/v1/tasks/2",
            "/api/v1/tasks/4",
            "/api/v1/tasks/5",
            "/api/v1/nope",
            "/health",
        ] {
            call_service(&app, TestRequest::get().uri(path).to_request()).await;
        }
        let text = state.engine.metrics().render(None).unwrap();
        let value = |series: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
                .unwrap_or_else(|| panic!("{series} in\n{text}"))
                .to_string()
        };
        let pattern = r#"tinytask_rest_requests_total{method="GET",route="/api/v1/tasks/{id}""#;
        assert_eq!(value(&format!(r#"{pattern},status="2xx"}}"#)), "2");
        assert_eq!(value(&format!(r#"{pattern},status="4xx"}}"#)), "1");
        assert_eq!(
            value(r#"tinytask_rest_requests_total{method="GET",route="unmatched",status="4xx"}"#),
            "1"
        );
        assert!(
            !text.contains("/api/v1/tasks/2"),
            "raw paths never become labels"
        );
        assert!(!text.contains("/health"), "only /api/v1 is measured");
    }

    /// Stands in for the guard: refuses every request before it is routed.
    async fn refuse(
        req: ServiceRequest,
        _: Next<impl MessageBody + 'static>,
    ) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
        Ok(req.into_response(HttpResponse::Unauthorized().finish()))
    }

    #[actix_web::test]
    async fn requests_refused_before_routing_are_counted_under_their_route() {
        let (_db, pool) = crate::domain::test_support::pool("rest", 2);
        let state = state(pool);
        let app = init_service(
            App::new()
                .app_data(state.clone())
                .wrap(from_fn(refuse))
                .wrap(from_fn(measure_rest))
                .route("/api/v1/tasks/{id}", web::get().to(task)),
        )
        .await;
        let req = TestRequest::get().uri("/api/v1/tasks/8").to_request();
        assert_eq!(call_service(&app, req).await.status(), 401);
        let text = state.engine.metrics().render(None).unwrap();
        let series = r#"tinytask_rest_requests_total{method="GET",route="/api/v1/tasks/{id}",status="4xx"} 1"#;
        assert!(text.lines().any(|l| l == series), "{text}");
    }
}
