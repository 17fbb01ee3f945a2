// embed_migrations! cannot see migration-only edits; tell cargo to rebuild when either backend's migrations change.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=migrations_postgres");
}
