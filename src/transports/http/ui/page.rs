//! The dashboard's HTML pages, rendered on the server from the templates in `assets/ui/`: the board shell
//! (its scripts fill it from the REST API) and the login form. Values are HTML-escaped; the pages carry a
//! CSRF token, so they are never stored by caches.

use super::access;
use super::cookie;
use crate::config::UiMode;
use crate::transports::http::state::AppState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};

pub const INDEX: &str = include_str!("../../../../assets/ui/index.html");
pub const LOGIN: &str = include_str!("../../../../assets/ui/login.html");

/// Escapes text for HTML content and double-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// The board shell. `csrf` is the token the scripts send on writes (empty without a login cookie);
/// `logout` shows the logout button (only when a login exists).
fn board(mode: UiMode, csrf: &str, logout: bool) -> HttpResponse {
    let body = INDEX
        .replace("{{csrf}}", &escape(csrf))
        .replace("{{mode}}", mode.as_str())
        .replace("{{version}}", env!("CARGO_PKG_VERSION"))
        .replace("{{logout_hidden}}", if logout { "" } else { " hidden" });
    html(StatusCode::OK, body)
}

/// The login form, with `error` above it when the last attempt failed.
pub fn login_form(status: StatusCode, error: Option<&str>) -> HttpResponse {
    let error = error.map_or_else(String::new, |e| {
        format!(
            "<p class=\"error\" id=\"login-error\" role=\"alert\">{}</p>",
            escape(e)
        )
    });
    let described = if error.is_empty() {
        ""
    } else {
        " aria-describedby=\"login-error\" aria-invalid=\"true\""
    };
    let body = LOGIN
        .replace("{{error}}", &error)
        .replace("{{described}}", described)
        .replace("{{version}}", env!("CARGO_PKG_VERSION"));
    html(status, body)
}

/// `GET /ui/`: the board; with TINYTASK_AUTH_TOKEN set and no valid login cookie, the login form.
pub async fn index(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let mode = state.settings.ui;
    match &state.settings.auth_token {
        None => board(mode, "", false),
        Some(token) => match access::valid_cookie(token, req.headers()) {
            Some(value) => board(mode, &cookie::csrf(token, value), true),
            None => login_form(StatusCode::OK, None),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
