// embed_migrations! cannot see migration-only edits; tell cargo to rebuild when migrations/ changes.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
