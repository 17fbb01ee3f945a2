//! REST request metrics. Labels are bounded however clients behave: the route is the matched pattern
//! (`/api/v1/tasks/{id}`, never the raw path), a method outside the standard ones is `other`, and the
//! status is its class (`2xx` … `5xx`).

use super::Metrics;
use super::families::{RestLabels, RouteLabels};
use std::time::Duration;

/// The route label of a request that matched no route (or was refused before routing, by the Host,
/// Origin or bearer-token checks).
pub const UNMATCHED_ROUTE: &str = "unmatched";

fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
    KNOWN
        .iter()
        .copied()
        .find(|m| *m == method)
        .unwrap_or("other")
}

fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

impl Metrics {
    /// Records one answered REST request. `route` is the matched pattern (or [`UNMATCHED_ROUTE`]).
    pub fn rest_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let Some(f) = self.families() else { return };
        let method = method_label(method);
        f.rest_requests
            .get_or_create(&RestLabels {
                method,
                route: route.to_string(),
                status: status_class(status),
            })
            .inc();
        f.rest_durations
            .get_or_create(&RouteLabels {
                method,
                route: route.to_string(),
            })
            .observe_duration(elapsed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_bounded_whatever_the_request() {
        assert_eq!(method_label("PATCH"), "PATCH");
        assert_eq!(method_label("BREW"), "other");
        assert_eq!(method_label("get"), "other", "methods are case-sensitive");
        assert_eq!(status_class(201), "2xx");
        assert_eq!(status_class(404), "4xx");
        assert_eq!(status_class(503), "5xx");
        assert_eq!(status_class(999), "5xx");
    }

    #[test]
    fn requests_are_counted_by_method_route_and_status_class() {
        let m = Metrics::new(true);
        let route = "/api/v1/tasks/{id}";
        m.rest_request("GET", route, 200, Duration::from_millis(1));
        m.rest_request("GET", route, 404, Duration::from_millis(1));
        m.rest_request("GET", route, 204, Duration::from_millis(1));
        let f = m.families().unwrap();
        let count = |status| {
            f.rest_requests
                .get_or_create(&RestLabels {
                    method: "GET",
                    route: route.into(),
                    status,
                })
                .get()
        };
        assert_eq!((count("2xx"), count("4xx")), (2, 1));
        let timed = f
            .rest_durations
            .get_or_create(&RouteLabels {
                method: "GET",
                route: route.into(),
            })
            .snapshot()
            .1;
        assert_eq!(timed, 3);
    }
}
