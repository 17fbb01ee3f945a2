//! docs/PROMPTS.md has one table row per prompt with its arguments (required ones starred), in the
//! catalog's words: a prompt or argument added without its documentation fails here.

use crate::mcp::prompts::catalog::PROMPTS;

const PROMPTS_MD: &str = include_str!("../../../../docs/PROMPTS.md");

#[test]
fn every_prompt_is_documented_with_its_arguments() {
    let missing: Vec<String> = PROMPTS
        .iter()
        .map(|p| {
            let args: Vec<String> = p
                .args
                .iter()
                .map(|a| format!("`{}`{}", a.name, if a.required { "*" } else { "" }))
                .collect();
            format!("| `{}` | {} |", p.name, args.join(", "))
        })
        .filter(|row| !PROMPTS_MD.contains(row.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/PROMPTS.md lacks rows starting: {missing:#?}"
    );
}
