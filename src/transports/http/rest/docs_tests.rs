//! docs/HTTP.md lists every REST route with the tool it runs, in the table's own words: a route added to
//! the table without its documentation row fails here.

use super::routes::{PREFIX, ROUTES};

const HTTP_MD: &str = include_str!("../../../../docs/HTTP.md");

#[test]
fn every_route_is_documented_with_its_tool() {
    let missing: Vec<String> = ROUTES
        .iter()
        .map(|r| {
            format!(
                "| `{} {PREFIX}{}` | {} |",
                r.verb.lowercase().to_uppercase(),
                r.path,
                r.tool
            )
        })
        .filter(|row| !HTTP_MD.contains(row.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/HTTP.md lacks rows starting: {missing:#?}"
    );
}
