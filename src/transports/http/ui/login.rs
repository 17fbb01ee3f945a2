//! `POST /ui/login` (the token in the form body, never in a URL) and `POST /ui/logout`.

use super::{cookie, page};
use crate::transports::http::errors::HttpError;
use crate::transports::http::state::AppState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use subtle::ConstantTimeEq;

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    token: String,
}

fn to_board() -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::SeeOther();
    response.insert_header((header::LOCATION, "/ui/"));
    response
}

/// The right token: a login cookie and back to the board (303). A wrong or empty one: 401 and the form
/// again, saying so. Compared in constant time, like the bearer token.
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: Result<web::Form<LoginForm>, actix_web::Error>,
) -> Result<HttpResponse, HttpError> {
    let form = form.map_err(|e| HttpError::BadLoginForm(e.to_string()))?;
    let Some(expected) = &state.settings.auth_token else {
        // Nothing to log in to: the board is open.
        return Ok(to_board().finish());
    };
    let presented = form.token.trim();
    if presented.is_empty() {
        return Ok(page::login_form(
            StatusCode::UNAUTHORIZED,
            Some("Enter the access token (the value of TINYTASK_AUTH_TOKEN)."),
        ));
    }
    if !bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) {
        tracing::warn!("dashboard login refused: wrong token");
        return Ok(page::login_form(
            StatusCode::UNAUTHORIZED,
            Some("Wrong token: it must be the server's TINYTASK_AUTH_TOKEN."),
        ));
    }
    let https = req.connection_info().scheme() == "https";
    tracing::info!("dashboard login");
    Ok(to_board()
        .insert_header((
            header::SET_COOKIE,
            cookie::set_header(&cookie::issue(expected), https),
        ))
        .finish())
}

/// Clears the login cookie and shows the login form (via the board's address).
pub async fn logout() -> HttpResponse {
    to_board()
        .insert_header((header::SET_COOKIE, cookie::clear_header()))
        .finish()
}
