//! `tinytask backup <file>`: a consistent copy of the live database with `VACUUM INTO` (SQLite takes a read
//! snapshot, so the server keeps running and writing meanwhile; the copy is compact and self-contained).

use diesel::RunQueryDsl;
use diesel::sql_types::Text;
use std::path::Path;

pub fn backup(db_path: &Path, target: &Path) -> Result<u64, String> {
    if !db_path.exists() {
        return Err(format!("database {} does not exist", db_path.display()));
    }
    if target.exists() {
        return Err(format!(
            "{} already exists; choose a new file name",
            target.display()
        ));
    }
    let mut conn = crate::db::establish(db_path).map_err(|e| e.to_string())?;
    diesel::connection::SimpleConnection::batch_execute(&mut conn, "PRAGMA busy_timeout = 10000")
        .map_err(|e| e.to_string())?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(target.to_string_lossy())
        .execute(&mut conn)
        .map_err(|e| format!("VACUUM INTO {}: {e}", target.display()))?;
    std::fs::metadata(target)
        .map(|m| m.len())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tasks::{self, CreateTask};

    #[test]
    fn copies_a_live_database_consistently() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("live.db");
        let pool = crate::db::open(&db, 1).unwrap();
        let mut conn = pool.get().unwrap();
        tasks::create(
            &mut conn,
            CreateTask {
                title: "keep me".into(),
                created_by: "t".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let copy = dir.path().join("copy.db");
        assert!(backup(&db, &copy).unwrap() > 0);
        let restored = crate::db::open(&copy, 1).unwrap();
        assert_eq!(
            tasks::get(&mut restored.get().unwrap(), 1).unwrap().title,
            "keep me"
        );
        assert!(backup(&db, &copy).unwrap_err().contains("already exists"));
    }
}
