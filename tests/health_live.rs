//! `GET /health/live`, the liveness probe (docs/HTTP.md "Endpoints"): it answers while the database is
//! broken (it does no work, which is why the load benchmark uses it as the HTTP ceiling) and follows the
//! guard rules of `/health`: no bearer token or Origin needed, the Host allow-list (plus loopback names)
//! still applies.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::json;

mod support;
use support::*;

fn live(host: Option<&str>) -> TestRequest {
    let req = TestRequest::get().uri("/health/live");
    match host {
        Some(h) => req.insert_header(("Host", h)),
        None => req,
    }
}

#[actix_web::test]
async fn live_answers_ok_while_readiness_fails_on_a_removed_database() {
    let app = TestApp::spawn().await;
    let resp = app.send(live(Some("127.0.0.1:3000"))).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(json_body(resp).await, json!({"status": "ok"}));
    std::fs::remove_file(app.db_file()).unwrap();
    assert_eq!(
        app.status(get("/health")).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "readiness sees the database"
    );
    let resp = app.send(live(Some("127.0.0.1:3000"))).await;
    assert_eq!(resp.status(), StatusCode::OK, "liveness does not");
    assert_eq!(json_body(resp).await, json!({"status": "ok"}));
}

#[actix_web::test]
async fn live_follows_the_host_rules_of_health() {
    let app = TestApp::spawn().await;
    for (host, want) in [
        (Some("evil.com"), StatusCode::FORBIDDEN),
        (Some("[::1]evil.com"), StatusCode::FORBIDDEN),
        (Some("127.0.0.1:3000"), StatusCode::OK),
        (Some("localhost:3000"), StatusCode::OK),
        (None, StatusCode::OK),
    ] {
        assert_eq!(app.status(live(host)).await, want, "Host {host:?}");
    }
    // Public names only (reverse proxy): a loopback Host still reaches the probe, as for /health.
    let app = TestApp::with(&[("TINYTASK_ALLOWED_HOSTS", "tasks.example.com")]).await;
    for (host, want) in [
        (Some("tasks.example.com"), StatusCode::OK),
        (Some("127.0.0.1:4000"), StatusCode::OK),
        (Some("evil.com"), StatusCode::FORBIDDEN),
    ] {
        assert_eq!(app.status(live(host)).await, want, "Host {host:?}");
    }
}

#[actix_web::test]
async fn live_needs_no_token_and_no_allowed_origin() {
    let app = TestApp::with(&[("TINYTASK_AUTH_TOKEN", "s3cret")]).await;
    // The token is enforced elsewhere on this server…
    assert_eq!(
        app.status(post(&init_body("2025-11-25"))).await,
        StatusCode::UNAUTHORIZED
    );
    // …but neither probe asks for it, nor refuses a foreign Origin (monitors send neither).
    for path in ["/health", "/health/live"] {
        let req = get(path).insert_header(("Origin", "https://evil.example"));
        assert_eq!(app.status(req).await, StatusCode::OK, "{path}");
    }
}
