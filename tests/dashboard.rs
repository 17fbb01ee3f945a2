//! The dashboard's server side (src/transports/http/ui, README "Dashboard"): login cookie issue and
//! verification, CSRF refusal of cookie-authenticated writes, read-only and off modes, the security
//! headers, and the live stream (resume with Last-Event-ID, the stream cap).

use actix_web::body::MessageBody;
use actix_web::http::{StatusCode, header};
use actix_web::test::TestRequest;
use serde_json::{Value, json};
use std::pin::Pin;
use std::time::Duration;

mod support;
use support::*;

const TOKEN: &str = "s3cret-dashboard-token";
const ORIGIN: (&str, &str) = ("Origin", "http://127.0.0.1:3000");

fn login_with(token: &str) -> TestRequest {
    TestRequest::post()
        .uri("/ui/login")
        .insert_header(HOST)
        .insert_header(ORIGIN)
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .set_payload(format!("token={token}"))
}

async fn body_text(resp: actix_web::dev::ServiceResponse<impl MessageBody>) -> String {
    String::from_utf8_lossy(&actix_web::test::read_body(resp).await).into_owned()
}

/// Logs in with the right token → the cookie value (`name=value`) the server set.
async fn log_in(app: &TestApp) -> String {
    let resp = app.send(login_with(TOKEN)).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers().get(header::LOCATION).unwrap(), "/ui/");
    let set = resp
        .headers()
        .get(header::SET_COOKIE)
        .expect("a login cookie")
        .to_str()
        .unwrap()
        .to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="] {
        assert!(set.contains(attribute), "{attribute} in {set}");
    }
    set.split(';').next().unwrap().to_string()
}

/// The CSRF token the board page hands its scripts.
async fn csrf_of(app: &TestApp, cookie: &str) -> String {
    let resp = app
        .send(get("/ui/").insert_header((header::COOKIE, cookie)))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let page = body_text(resp).await;
    let meta = page
        .split("<meta name=\"tinytask-csrf\" content=\"")
        .nth(1)
        .expect("the board page, with its CSRF meta tag");
    meta.split('"').next().unwrap().to_string()
}

fn create_task(cookie: &str, csrf: Option<&str>) -> TestRequest {
    let req = TestRequest::post()
        .uri("/api/v1/tasks")
        .insert_header(HOST)
        .insert_header(ORIGIN)
        .insert_header((header::COOKIE, cookie))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(json!({"title": "from the dashboard", "created_by": "operator"}).to_string());
    match csrf {
        Some(token) => req.insert_header(("X-TinyTask-CSRF", token)),
        None => req,
    }
}

async fn error_of(resp: actix_web::dev::ServiceResponse<impl MessageBody>) -> String {
    json_body(resp).await["error"]
        .as_str()
        .expect("a JSON error")
        .to_string()
}

#[actix_web::test]
async fn login_sets_a_signed_cookie_and_a_wrong_token_gets_the_form_again() {
    let app = TestApp::with(&[("TINYTASK_AUTH_TOKEN", TOKEN)]).await;
    // Without the cookie the page is the login form (the form posts the token in its body).
    let page = body_text(app.send(get("/ui/")).await).await;
    assert!(page.contains("action=\"/ui/login\"") && page.contains("name=\"token\""));
    assert!(!page.contains("tinytask-csrf"));

    let wrong = app.send(login_with("not-the-token")).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().get(header::SET_COOKIE).is_none());
    let again = body_text(wrong).await;
    assert!(again.contains("role=\"alert\"") && again.contains("Wrong token"));
    assert!(again.contains("name=\"token\""), "the form again");

    let cookie = log_in(&app).await;
    let csrf = csrf_of(&app, &cookie).await;
    assert_eq!(csrf.len(), 64, "hex HMAC-SHA256");

    // The cookie authenticates /ui/* and /api/v1/*, not the MCP endpoints.
    let stream = app
        .send(get("/ui/stream").insert_header((header::COOKIE, cookie.as_str())))
        .await;
    assert_eq!(stream.status(), StatusCode::OK);
    drop(stream);
    let resp = app
        .send(get("/api/v1/tasks").insert_header((header::COOKIE, cookie.as_str())))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let mcp = post(&init_body("2025-11-25")).insert_header((header::COOKIE, cookie.as_str()));
    assert_eq!(app.status(mcp).await, StatusCode::UNAUTHORIZED);
    let sse = get("/sse").insert_header((header::COOKIE, cookie.as_str()));
    assert_eq!(app.status(sse).await, StatusCode::UNAUTHORIZED);

    // A forged or foreign cookie is no login.
    let (expiry, mac) = cookie
        .trim_start_matches("tinytask_ui=")
        .split_once('.')
        .unwrap();
    let later = expiry.parse::<u64>().unwrap() + 3600;
    for forged in [
        format!("tinytask_ui={later}.{mac}"),
        "tinytask_ui=99999999999.00".to_string(),
    ] {
        let req = get("/ui/stream").insert_header((header::COOKIE, forged.as_str()));
        assert_eq!(app.status(req).await, StatusCode::UNAUTHORIZED, "{forged}");
    }
    // Another server token (a rotation) refuses this server's cookie.
    let rotated = TestApp::with(&[("TINYTASK_AUTH_TOKEN", "rotated")]).await;
    let req = get("/ui/stream").insert_header((header::COOKIE, cookie.as_str()));
    assert_eq!(rotated.status(req).await, StatusCode::UNAUTHORIZED);

    // Under the pages' Referrer-Policy: no-referrer, browsers post forms with `Origin: null`: accepted for
    // the login form only when the browser says the form was on this origin.
    let null_origin = |site: &str| {
        TestRequest::post()
            .uri("/ui/login")
            .insert_header(HOST)
            .insert_header(("Origin", "null"))
            .insert_header(("Sec-Fetch-Site", site.to_string()))
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .set_payload(format!("token={TOKEN}"))
    };
    let same = app.send(null_origin("same-origin")).await;
    assert_eq!(same.status(), StatusCode::SEE_OTHER);
    assert!(
        same.headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
    for site in ["cross-site", "same-site", "none"] {
        assert_eq!(
            app.status(null_origin(site)).await,
            StatusCode::FORBIDDEN,
            "{site}"
        );
    }

    // Logout clears the cookie.
    let out = app
        .send(
            TestRequest::post()
                .uri("/ui/logout")
                .insert_header(HOST)
                .insert_header(ORIGIN),
        )
        .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let cleared = out
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(cleared.starts_with("tinytask_ui=;") && cleared.contains("Max-Age=0"));
}

#[actix_web::test]
async fn cookie_authenticated_writes_need_the_csrf_token_of_their_cookie() {
    let app = TestApp::with(&[("TINYTASK_AUTH_TOKEN", TOKEN)]).await;
    let cookie = log_in(&app).await;
    let csrf = csrf_of(&app, &cookie).await;

    let missing = app.send(create_task(&cookie, None)).await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    assert!(error_of(missing).await.contains("X-TinyTask-CSRF"));

    let other_cookie = log_in_later(&app).await;
    let other_csrf = csrf_of(&app, &other_cookie).await;
    assert_ne!(other_csrf, csrf);
    for wrong in ["0000", other_csrf.as_str()] {
        let resp = app.send(create_task(&cookie, Some(wrong))).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{wrong}");
        assert!(error_of(resp).await.contains("does not match"));
    }

    let created = app.send(create_task(&cookie, Some(&csrf))).await;
    assert_eq!(
        created.status(),
        StatusCode::CREATED,
        "the right CSRF token"
    );
    assert_eq!(json_body(created).await["title"], "from the dashboard");
    // A bearer token needs no CSRF token (browsers never attach one by themselves).
    let bearer = TestRequest::post()
        .uri("/api/v1/tasks")
        .insert_header(HOST)
        .insert_header((header::AUTHORIZATION, format!("Bearer {TOKEN}")))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(json!({"title": "t", "created_by": "c"}).to_string());
    assert_eq!(app.status(bearer).await, StatusCode::CREATED);
}

/// A second login with a different expiry (cookies are per second).
async fn log_in_later(app: &TestApp) -> String {
    let first = log_in(app).await;
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let next = log_in(app).await;
        if next != first {
            return next;
        }
    }
}

#[actix_web::test]
async fn readonly_mode_serves_views_and_refuses_cookie_authenticated_writes() {
    let app = TestApp::with(&[("TINYTASK_AUTH_TOKEN", TOKEN), ("TINYTASK_UI", "readonly")]).await;
    let cookie = log_in(&app).await;
    let page = body_text(
        app.send(get("/ui/").insert_header((header::COOKIE, cookie.as_str())))
            .await,
    )
    .await;
    assert!(page.contains("<meta name=\"tinytask-mode\" content=\"readonly\">"));
    let csrf = csrf_of(&app, &cookie).await;
    let resp = app.send(create_task(&cookie, Some(&csrf))).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(error_of(resp).await.contains("TINYTASK_UI=readonly"));
    let read = get("/api/v1/tasks").insert_header((header::COOKIE, cookie.as_str()));
    assert_eq!(app.status(read).await, StatusCode::OK);
}

#[actix_web::test]
async fn ui_off_removes_every_dashboard_route_and_the_cookie() {
    let app = TestApp::with(&[("TINYTASK_UI", "off")]).await;
    for path in ["/", "/ui", "/ui/", "/ui/stream", "/ui/assets/app.js"] {
        let resp = app.send(get(path)).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(error_of(resp).await.contains("Not found"));
    }
    assert_eq!(
        app.status(login_with("x")).await,
        StatusCode::NOT_FOUND,
        "POST /ui/login"
    );
    // With a token, a cookie signed by it still authenticates nothing.
    let app = TestApp::with(&[("TINYTASK_AUTH_TOKEN", TOKEN), ("TINYTASK_UI", "off")]).await;
    let cookie = format!(
        "tinytask_ui={}",
        tinytask::transports::http::ui::cookie::issue(TOKEN)
    );
    let req = get("/api/v1/tasks").insert_header((header::COOKIE, cookie.as_str()));
    assert_eq!(app.status(req).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.status(get("/ui/")).await, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn ui_responses_carry_a_strict_content_security_policy() {
    let app = TestApp::spawn().await;
    let root = app.send(get("/")).await;
    assert_eq!(root.status(), StatusCode::SEE_OTHER);
    assert_eq!(root.headers().get(header::LOCATION).unwrap(), "/ui/");
    for path in [
        "/ui/",
        "/ui/assets/app.js",
        "/ui/assets/style.css",
        "/ui/nothing-here",
    ] {
        let resp = app.send(get(path)).await;
        let headers = resp.headers();
        let csp = headers
            .get(header::CONTENT_SECURITY_POLICY)
            .unwrap_or_else(|| panic!("CSP on {path}"))
            .to_str()
            .unwrap();
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ] {
            assert!(csp.contains(directive), "{directive} on {path}");
        }
        assert_eq!(
            headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
            "nosniff"
        );
        assert_eq!(headers.get(header::REFERRER_POLICY).unwrap(), "no-referrer");
    }
    // Without a token the board is served at once, with actions (mode on) and no logout button.
    let page = body_text(app.send(get("/ui/")).await).await;
    assert!(page.contains("content=\"on\"") && page.contains("class=\"logout\" hidden"));
    // Assets revalidate by ETag.
    let first = app.send(get("/ui/assets/app.js")).await;
    let etag = first.headers().get(header::ETAG).unwrap().clone();
    let again = get("/ui/assets/app.js").insert_header((header::IF_NONE_MATCH, etag));
    assert_eq!(app.status(again).await, StatusCode::NOT_MODIFIED);
    assert_eq!(
        app.status(get("/ui/assets/nope.js")).await,
        StatusCode::NOT_FOUND
    );
}

/// Reads the SSE body until `needle` appears (or panics after 5 s); returns everything read.
async fn read_until<B: MessageBody>(body: &mut Pin<Box<B>>, needle: &str) -> String {
    let mut text = String::new();
    tokio::time::timeout(Duration::from_secs(5), async {
        while !text.contains(needle) {
            match std::future::poll_fn(|cx| body.as_mut().poll_next(cx)).await {
                Some(Ok(bytes)) => text.push_str(&String::from_utf8_lossy(&bytes)),
                _ => panic!("the stream ended; read so far: {text}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{needle:?} did not arrive; read: {text}"));
    text
}

/// `id:` values of the `board` events in an SSE text.
fn board_ids(text: &str) -> Vec<i64> {
    text.split("\n\n")
        .filter(|event| event.contains("event: board"))
        .filter_map(|event| {
            event
                .lines()
                .find_map(|l| l.strip_prefix("id: "))
                .map(|id| id.parse().unwrap())
        })
        .collect()
}

async fn new_task(app: &TestApp, session: &str, title: &str) -> i64 {
    let reply = app
        .call_tool(
            session,
            "create_task",
            json!({"title": title, "created_by": "agent-a"}),
        )
        .await;
    let text = reply["result"]["content"][0]["text"].as_str().unwrap();
    serde_json::from_str::<Value>(text).unwrap()["id"]
        .as_i64()
        .unwrap()
}

#[actix_web::test]
async fn the_stream_starts_at_the_newest_cursor_and_resumes_after_last_event_id() {
    let app = TestApp::spawn().await;
    let session = app.open_session("2025-11-25").await;
    new_task(&app, &session, "before the stream").await;

    let resp = app.send(get("/ui/stream")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let mut body = Box::pin(resp.into_body());
    let ready = read_until(&mut body, "event: ready").await;
    let start: i64 = ready
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(start >= 1, "starts at the newest cursor, not 0: {ready}");

    let id = new_task(&app, &session, "while streaming").await;
    let live = read_until(&mut body, "while streaming").await;
    let ids = board_ids(&live);
    assert_eq!(ids.len(), 1, "only what came after the start: {live}");
    assert!(ids[0] > start);
    assert!(live.contains(&format!("\"task_id\":{id}")));
    drop(body);

    // Two more changes while no stream is open; resuming after the last id seen gets exactly them.
    new_task(&app, &session, "missed one").await;
    new_task(&app, &session, "missed two").await;
    let resumed = app
        .send(get("/ui/stream").insert_header(("Last-Event-ID", ids[0].to_string())))
        .await;
    let mut body = Box::pin(resumed.into_body());
    let text = read_until(&mut body, "missed two").await;
    let again = board_ids(&text);
    assert_eq!(
        again,
        vec![ids[0] + 1, ids[0] + 2],
        "no loss, no duplicates: {text}"
    );
    assert!(text.contains("\"resumed\":true"));

    let bad = app
        .send(get("/ui/stream").insert_header(("Last-Event-ID", "yesterday")))
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(bad).await.contains("Last-Event-ID"));
}

#[actix_web::test]
async fn streams_beyond_the_cap_get_503_until_one_closes() {
    let app = TestApp::with(&[("TINYTASK_UI_MAX_STREAMS", "2")]).await;
    let first = app.send(get("/ui/stream")).await;
    let second = app.send(get("/ui/stream")).await;
    assert_eq!(
        (first.status(), second.status()),
        (StatusCode::OK, StatusCode::OK)
    );
    let mut first_body = Box::pin(first.into_body());
    read_until(&mut first_body, "event: ready").await;
    // Both are counted as open streams of the dashboard in /metrics.
    let metrics = body_text(app.send(get("/metrics")).await).await;
    assert!(
        metrics
            .lines()
            .any(|l| l == "tinytask_streams_open{transport=\"dashboard\"} 2"),
        "{metrics}"
    );
    let refused = app.send(get("/ui/stream")).await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers().get(header::RETRY_AFTER).unwrap(), "10");
    assert!(error_of(refused).await.contains("TINYTASK_UI_MAX_STREAMS"));
    // Closing one frees its slot (the stream's task notices the client is gone).
    drop(first_body);
    let reopened = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let resp = app.send(get("/ui/stream")).await;
            if resp.status() == StatusCode::OK {
                return resp;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("a slot frees once a stream closes");
    drop(reopened);
    drop(second);
}

#[actix_web::test]
async fn the_stream_ends_when_the_server_shuts_down() {
    let app = TestApp::spawn().await;
    let resp = app.send(get("/ui/stream")).await;
    let mut body = Box::pin(resp.into_body());
    read_until(&mut body, "event: ready").await;
    // Dropping the app is the shutdown signal (AppState.shutdown flips).
    drop(app);
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match std::future::poll_fn(|cx| body.as_mut().poll_next(cx)).await {
                None => return,
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("stream error: {e:?}"),
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream ended within 5 s of the shutdown");
}
