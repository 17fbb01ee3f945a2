//! The dashboard's static files, embedded in the binary from `assets/ui/` (the scratch image stays one
//! file). Served with a content hash as `ETag` and `Cache-Control: no-cache`: browsers revalidate each
//! load (a 304 without body), so an upgraded binary is picked up at once.

use crate::transports::http::errors::HttpError;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

pub struct Asset {
    pub name: &'static str,
    content_type: &'static str,
    pub body: &'static [u8],
    hash: u64,
}

/// FNV-1a: a content fingerprint for the ETag, computed at compile time (not a security measure).
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

macro_rules! asset {
    ($name:literal, $content_type:expr) => {{
        const BODY: &[u8] = include_bytes!(concat!("../../../../assets/ui/", $name));
        Asset {
            name: $name,
            content_type: $content_type,
            body: BODY,
            hash: fnv1a(BODY),
        }
    }};
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file below `/ui/assets/` (the HTML templates are rendered by `page.rs`, not served as files).
pub const ASSETS: &[Asset] = &[
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("dom.js", JS),
    asset!("confirm.js", JS),
    asset!("board.js", JS),
    asset!("agents.js", JS),
    asset!("queues.js", JS),
    asset!("ready.js", JS),
    asset!("activity.js", JS),
    asset!("detail.js", JS),
    asset!("search.js", JS),
    asset!("live.js", JS),
    asset!("notice.js", JS),
];

pub async fn serve(req: HttpRequest, name: web::Path<String>) -> Result<HttpResponse, HttpError> {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name.as_str()) else {
        return Err(HttpError::NoRoute {
            method: req.method().clone(),
            path: req.path().to_string(),
        });
    };
    let etag = format!("\"{:016x}\"", asset.hash);
    let cached = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut response = if cached {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"));
    if cached {
        return Ok(response.finish());
    }
    Ok(response.content_type(asset.content_type).body(asset.body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_script_the_page_loads_is_embedded_and_names_are_unique() {
        let names: std::collections::BTreeSet<_> = ASSETS.iter().map(|a| a.name).collect();
        assert_eq!(names.len(), ASSETS.len());
        // Imports between modules name embedded files only.
        for asset in ASSETS.iter().filter(|a| a.name.ends_with(".js")) {
            let text = std::str::from_utf8(asset.body).unwrap();
            for line in text.lines().filter(|l| l.starts_with("import ")) {
                let target = line
                    .split("from \"./")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .unwrap_or_else(|| panic!("{}: unexpected import {line}", asset.name));
                assert!(names.contains(target), "{} imports {target}", asset.name);
            }
        }
    }

    #[test]
    fn no_script_or_style_is_inline_so_the_csp_holds() {
        for template in [super::super::page::INDEX, super::super::page::LOGIN] {
            assert!(!template.contains("<script>"), "inline script");
            assert!(!template.contains("style="), "inline style");
            assert!(!template.contains("<style"), "inline style element");
            for handler in [
                "onclick=",
                "onload=",
                "onsubmit=",
                "onerror=",
                "oninput=",
                "onchange=",
            ] {
                assert!(
                    !template.contains(handler),
                    "inline event handler {handler}"
                );
            }
        }
    }
}
