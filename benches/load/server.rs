//! The server under test: the release binary as a child process, plus /proc readings of its RSS and CPU.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    pub child: Child,
    pub port: u16,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The server binary: TINYTASK_BENCH_BIN measures another build (e.g. target/profiling/tinytask under
/// `perf record`), else this package's.
pub fn binary() -> String {
    std::env::var("TINYTASK_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_tinytask").into())
}

pub fn spawn(db: &Path, port: u16, log: &Path) -> Server {
    spawn_with(db, port, log, &[])
}

/// Like [`spawn`], with more settings (e.g. `TINYTASK_METRICS`).
pub fn spawn_with(db: &Path, port: u16, log: &Path, settings: &[(&str, &str)]) -> Server {
    let log_level = std::env::var("TINYTASK_BENCH_LOG_LEVEL").unwrap_or_else(|_| "info".into());
    let child = Command::new(binary())
        .arg("serve")
        .env_clear()
        .env("TINYTASK_MODE", "http")
        .env("TINYTASK_HOST", "127.0.0.1")
        .env("TINYTASK_PORT", port.to_string())
        .env("TINYTASK_DB_PATH", db)
        .env("TINYTASK_LOG_LEVEL", log_level)
        .env("TINYTASK_MAX_SESSIONS", "5000")
        .envs(settings.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("start the tinytask binary");
    Server { child, port }
}

/// Polls `/health` on fresh connections until it answers 200; returns the time since `since`.
pub fn wait_healthy(port: u16, since: Instant, limit: Duration) -> Duration {
    use std::io::{Read, Write};
    loop {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = s
                .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            let mut head = [0u8; 16];
            if s.read(&mut head)
                .is_ok_and(|n| n >= 12 && &head[9..12] == b"200")
            {
                return since.elapsed();
            }
        }
        assert!(
            since.elapsed() < limit,
            "server not healthy after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident set size in MB (VmRSS).
    pub fn rss_mb(&self) -> f64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }

    /// CPU time consumed so far (user + system), in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        // Fields after the parenthesised command name; utime and stime are the 12th and 13th of those.
        let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
            + fields
                .get(12)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0);
        // SAFETY: sysconf has no preconditions.
        ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
    }

    pub fn stop(mut self) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}
