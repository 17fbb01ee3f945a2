//! A minimal keep-alive HTTP/1.1 client (enough for our server's Content-Length responses) and an MCP
//! Streamable HTTP session on top of it. Hand-written so the load generator measures the server, not a
//! client library's pooling; every response is checked.

use std::io;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

pub struct Response {
    pub status: u16,
    pub session_id: Option<String>,
    pub body: Vec<u8>,
}

pub struct Conn {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    port: u16,
    line: String,
}

impl Conn {
    pub async fn connect(port: u16) -> io::Result<Conn> {
        let stream = TcpStream::connect(("127.0.0.1", port)).await?;
        stream.set_nodelay(true)?;
        let (r, w) = stream.into_split();
        Ok(Conn {
            reader: BufReader::new(r),
            writer: w,
            port,
            line: String::new(),
        })
    }

    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        extra: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<Response> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\n",
            self.port,
            body.len()
        );
        for (k, v) in extra {
            head.push_str(k);
            head.push_str(": ");
            head.push_str(v);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        let mut message = head.into_bytes();
        message.extend_from_slice(body);
        self.writer.write_all(&message).await?;
        self.read_response().await
    }

    async fn read_response(&mut self) -> io::Result<Response> {
        self.line.clear();
        self.reader.read_line(&mut self.line).await?;
        let status = self
            .line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::other(format!("bad status line {:?}", self.line)))?;
        let mut length = 0usize;
        let mut session_id = None;
        loop {
            self.line.clear();
            if self.reader.read_line(&mut self.line).await? == 0 {
                return Err(io::Error::other("connection closed in headers"));
            }
            let l = self.line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                let (k, v) = (k.trim(), v.trim());
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.parse().map_err(io::Error::other)?;
                } else if k.eq_ignore_ascii_case("mcp-session-id") {
                    session_id = Some(v.to_string());
                } else if k.eq_ignore_ascii_case("transfer-encoding") {
                    return Err(io::Error::other(
                        "chunked responses are not expected from these endpoints",
                    ));
                }
            }
        }
        let mut body = vec![0u8; length];
        self.reader.read_exact(&mut body).await?;
        Ok(Response {
            status,
            session_id,
            body,
        })
    }
}

/// Accepting JSON only (see [`McpSession::call_accepting`]).
pub const ACCEPT_JSON: (&str, &str) = ("Accept", "application/json");

const JSON_HEADERS: [(&str, &str); 2] = [
    ("Content-Type", "application/json"),
    ("Accept", "application/json, text/event-stream"),
];

/// An initialized Streamable HTTP session on its own keep-alive connection.
pub struct McpSession {
    conn: Conn,
    session_id: String,
    next_id: u64,
}

impl McpSession {
    pub async fn open(port: u16) -> io::Result<McpSession> {
        let mut conn = Conn::connect(port).await?;
        let init = br#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"tinytask-bench","version":"1"}}}"#;
        let r = conn.request("POST", "/mcp", &JSON_HEADERS, init).await?;
        let session_id = r
            .session_id
            .filter(|_| r.status == 200)
            .ok_or_else(|| io::Error::other("initialize failed"))?;
        let headers = [
            JSON_HEADERS[0],
            JSON_HEADERS[1],
            ("Mcp-Session-Id", session_id.as_str()),
        ];
        let r = conn
            .request(
                "POST",
                "/mcp",
                &headers,
                br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            )
            .await?;
        if r.status != 202 {
            return Err(io::Error::other(format!("initialized: HTTP {}", r.status)));
        }
        Ok(McpSession {
            conn,
            session_id,
            next_id: 1,
        })
    }

    /// Calls a tool; Ok(body) only for HTTP 200 with a JSON-RPC result that is not a tool error.
    pub async fn call(&mut self, tool: &str, arguments: &str) -> Result<Vec<u8>, String> {
        self.call_accepting(tool, arguments, JSON_HEADERS[1]).await
    }

    /// [`McpSession::call`] with its own `Accept` header. This client reads Content-Length bodies only, so
    /// a call that may wait (answered as an SSE stream to clients that accept one) is sent accepting JSON
    /// alone, and gets its answer as JSON, like any JSON-only client.
    pub async fn call_accepting(
        &mut self,
        tool: &str,
        arguments: &str,
        accept: (&str, &str),
    ) -> Result<Vec<u8>, String> {
        self.next_id += 1;
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":{},"method":"tools/call","params":{{"name":"{tool}","arguments":{arguments}}}}}"#,
            self.next_id
        );
        let headers = [
            JSON_HEADERS[0],
            accept,
            ("Mcp-Session-Id", self.session_id.as_str()),
            ("MCP-Protocol-Version", "2025-11-25"),
        ];
        let r = self
            .conn
            .request("POST", "/mcp", &headers, body.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&r.body);
        if r.status != 200 || !text.contains("\"result\"") || !text.contains("\"isError\":false") {
            return Err(format!(
                "{tool}: HTTP {} {}",
                r.status,
                &text[..text.len().min(200)]
            ));
        }
        Ok(r.body)
    }
}
