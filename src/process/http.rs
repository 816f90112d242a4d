//! A minimal blocking HTTP/1.1 client for the CLI's loopback probes (`/health`, `/status`):
//! no async runtime, one request per connection (`Connection: close`). The timeout bounds the
//! connect and the whole exchange. Malformed responses give `ErrorKind::InvalidData`, never a
//! panic.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Largest accepted header block.
const MAX_HEAD: usize = 64 * 1024;
/// Largest accepted body.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// A response: status, headers in received order, body (de-chunked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// `GET path` with an optional bearer token.
pub fn get(
    addr: SocketAddr,
    path: &str,
    token: Option<&str>,
    timeout: Duration,
) -> io::Result<HttpResponse> {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    request(addr, "GET", path, &headers, None, timeout)
}

/// Send one request and read the whole response, all within `timeout`.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
    timeout: Duration,
) -> io::Result<HttpResponse> {
    request_with_connect_timeout(
        addr,
        method,
        path_and_query,
        headers,
        body,
        timeout,
        timeout,
    )
}

/// [`request`] with its own bound on the connect (forwarding: 1 s to connect, the endpoint's
/// deadline for the whole exchange).
pub fn request_with_connect_timeout(
    addr: SocketAddr,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
    connect_timeout: Duration,
    timeout: Duration,
) -> io::Result<HttpResponse> {
    let deadline = Instant::now() + timeout;
    for part in [method, path_and_query]
        .into_iter()
        .chain(headers.iter().flat_map(|(n, v)| [*n, *v]))
    {
        if part.bytes().any(|b| b == b'\r' || b == b'\n') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "line break in request",
            ));
        }
    }
    if timeout.is_zero() {
        return Err(timed_out());
    }
    let stream = TcpStream::connect_timeout(&addr, connect_timeout.min(timeout))?;
    let _ = stream.set_nodelay(true);

    let mut head =
        format!("{method} {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body.unwrap_or_default());

    let mut conn = Conn {
        stream,
        buf: Vec::new(),
        pos: 0,
        deadline,
        eof: false,
    };
    conn.write_all(&out)?;
    loop {
        let response = conn.read_response(method.eq_ignore_ascii_case("HEAD"))?;
        // Skip interim responses (100 Continue and the like).
        if !(100..200).contains(&response.status) || response.status == 101 {
            return Ok(response);
        }
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "HTTP request timed out")
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("invalid HTTP response: {msg}"),
    )
}

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    pos: usize,
    deadline: Instant,
    eof: bool,
}

impl Conn {
    fn remaining(&self) -> io::Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(timed_out())
        } else {
            Ok(left)
        }
    }

    fn write_all(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            self.stream.set_write_timeout(Some(self.remaining()?))?;
            match self.stream.write(data) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => data = &data[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(map_timeout(e)),
            }
        }
        Ok(())
    }

    /// Read more bytes into the buffer; false at end of stream.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 && self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
        let mut chunk = [0u8; 16 * 1024];
        loop {
            self.stream.set_read_timeout(Some(self.remaining()?))?;
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(map_timeout(e)),
            }
        }
    }

    fn pending(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// One CRLF- (or LF-) terminated line, without the line end.
    fn read_line(&mut self, limit: usize) -> io::Result<Vec<u8>> {
        loop {
            if let Some(i) = self.pending().iter().position(|&b| b == b'\n') {
                let mut line = self.pending()[..i].to_vec();
                self.pos += i + 1;
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            if self.pending().len() > limit {
                return Err(invalid("line too long"));
            }
            if !self.fill()? {
                return Err(invalid("unexpected end of stream"));
            }
        }
    }

    fn read_exact_body(&mut self, n: usize, body: &mut Vec<u8>) -> io::Result<()> {
        while self.pending().len() < n {
            if !self.fill()? {
                return Err(invalid("body shorter than announced"));
            }
        }
        body.extend_from_slice(&self.pending()[..n]);
        self.pos += n;
        Ok(())
    }

    fn read_response(&mut self, head_request: bool) -> io::Result<HttpResponse> {
        let status_line = self.read_line(MAX_HEAD)?;
        let status = parse_status_line(&status_line)?;
        let mut headers = Vec::new();
        let mut head_size = status_line.len();
        loop {
            let line = self.read_line(MAX_HEAD)?;
            if line.is_empty() {
                break;
            }
            head_size += line.len();
            if head_size > MAX_HEAD {
                return Err(invalid("header block too large"));
            }
            let line = String::from_utf8(line).map_err(|_| invalid("header is not UTF-8"))?;
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| invalid("header without ':'"))?;
            let name = name.trim();
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Err(invalid("bad header name"));
            }
            headers.push((name.to_string(), value.trim().to_string()));
        }
        let mut response = HttpResponse {
            status,
            headers,
            body: Vec::new(),
        };
        if head_request || (100..200).contains(&status) || status == 204 || status == 304 {
            return Ok(response);
        }
        let chunked = response.header("transfer-encoding").is_some_and(|te| {
            te.split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("chunked"))
        });
        if chunked {
            response.body = self.read_chunked()?;
        } else if let Some(len) = response.header("content-length") {
            let len: usize = len.parse().map_err(|_| invalid("bad Content-Length"))?;
            if len > MAX_BODY {
                return Err(invalid("body too large"));
            }
            self.read_exact_body(len, &mut response.body)?;
        } else {
            while self.fill()? {
                if self.pending().len() > MAX_BODY {
                    return Err(invalid("body too large"));
                }
            }
            response.body = self.pending().to_vec();
            self.pos = self.buf.len();
        }
        Ok(response)
    }

    fn read_chunked(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line(1024)?;
            let line = std::str::from_utf8(&line).map_err(|_| invalid("bad chunk size"))?;
            let size = line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size, 16).map_err(|_| invalid("bad chunk size"))?;
            if size == 0 {
                // Trailers, up to the empty line; a server that closes right away is tolerated.
                loop {
                    match self.read_line(MAX_HEAD) {
                        Ok(l) if l.is_empty() => return Ok(body),
                        Ok(_) => {}
                        Err(e) if e.kind() == io::ErrorKind::InvalidData && self.eof => {
                            return Ok(body)
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            if size > MAX_BODY.saturating_sub(body.len()) {
                return Err(invalid("body too large"));
            }
            self.read_exact_body(size, &mut body)?;
            if !self.read_line(2)?.is_empty() {
                return Err(invalid("chunk not followed by CRLF"));
            }
        }
    }
}

fn parse_status_line(line: &[u8]) -> io::Result<u16> {
    let line = std::str::from_utf8(line).map_err(|_| invalid("status line is not UTF-8"))?;
    let mut parts = line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(invalid("not an HTTP/1.x status line"));
    }
    let code = parts.next().unwrap_or("");
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("bad status code"));
    }
    code.parse().map_err(|_| invalid("bad status code"))
}

fn map_timeout(e: io::Error) -> io::Error {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => timed_out(),
        _ => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::sync::mpsc;
    use std::thread;

    /// Serve one connection: read the request head (and body, by Content-Length), send
    /// `response`, close. Returns the raw request.
    fn serve_once(response: Vec<u8>) -> (SocketAddr, thread::JoinHandle<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut req = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                let n = stream.read(&mut chunk).unwrap();
                req.extend_from_slice(&chunk[..n]);
                if n == 0 {
                    break;
                }
                if let Some(end) = req.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&req[..end]).to_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length: "))
                        .map_or(0, |v| v.trim().parse::<usize>().unwrap());
                    if req.len() >= end + 4 + len {
                        break;
                    }
                }
            }
            stream.write_all(&response).unwrap();
            req
        });
        (addr, handle)
    }

    const T: Duration = Duration::from_secs(5);

    #[test]
    fn content_length_response_and_request_shape() {
        let (addr, server) = serve_once(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}trailing-junk"
                .to_vec(),
        );
        let resp = get(addr, "/health", Some("0123456789abcdef"), T).unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.header("content-type"), Some("application/json"));
        assert_eq!(resp.body, b"{\"status\":\"ok\"}");
        assert_eq!(resp.json(), Some(serde_json::json!({"status": "ok"})));
        let req = String::from_utf8(server.join().unwrap()).unwrap();
        assert_eq!(
            req,
            format!(
                "GET /health HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nAuthorization: Bearer 0123456789abcdef\r\n\r\n",
                addr.port()
            )
        );
    }

    #[test]
    fn post_body_sends_content_length() {
        let (addr, server) = serve_once(b"HTTP/1.1 204 No Content\r\n\r\n".to_vec());
        let resp = request(addr, "POST", "/q?x=1", &[("X-A", "b")], Some(b"hello"), T).unwrap();
        assert_eq!(resp.status, 204);
        assert!(resp.body.is_empty());
        assert_eq!(resp.json(), None);
        let req = String::from_utf8(server.join().unwrap()).unwrap();
        assert_eq!(
            req,
            format!(
                "POST /q?x=1 HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nX-A: b\r\nContent-Length: 5\r\n\r\nhello",
                addr.port()
            )
        );
    }

    #[test]
    fn chunked_and_read_to_eof_bodies() {
        let (addr, _s) = serve_once(
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\n"
                .to_vec(),
        );
        let resp = get(addr, "/x", None, T).unwrap();
        assert_eq!(resp.status, 404);
        assert_eq!(resp.body, b"Wikipedia in \r\n\r\nchunks.");

        let (addr, _s) =
            serve_once(b"HTTP/1.0 503 Unavailable\r\nX: y\r\n\r\nuntil close".to_vec());
        let resp = get(addr, "/", None, T).unwrap();
        assert_eq!((resp.status, resp.header("x")), (503, Some("y")));
        assert_eq!(resp.body, b"until close");

        let (addr, _s) = serve_once(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec(),
        );
        let resp = get(addr, "/", None, T).unwrap();
        assert_eq!((resp.status, resp.body.as_slice()), (200, &b"ok"[..]));
    }

    #[test]
    fn garbage_is_invalid_data() {
        let cases: [&[u8]; 9] = [
            b"SSH-2.0-OpenSSH_9.6\r\n",
            // A chunk size that would overflow the body-size arithmetic.
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nab\r\n",
            b"HTTP/1.1 2x0 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef",
            b"",
        ];
        for raw in cases {
            let (addr, _s) = serve_once(raw.to_vec());
            let err = get(addr, "/", None, T).unwrap_err();
            assert_eq!(
                err.kind(),
                io::ErrorKind::InvalidData,
                "{:?}: {err}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn silent_server_times_out_within_the_bound() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let server = thread::spawn(move || {
            let (_stream, _) = listener.accept().unwrap();
            // Hold the connection open, answering nothing, until the client has given up.
            let _ = done_rx.recv_timeout(Duration::from_secs(10));
        });
        let started = Instant::now();
        let err = get(addr, "/health", None, Duration::from_millis(300)).unwrap_err();
        let took = started.elapsed();
        done_tx.send(()).unwrap();
        server.join().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(
            took >= Duration::from_millis(300) && took < Duration::from_secs(2),
            "{took:?}"
        );
    }

    #[test]
    fn trickling_server_is_bounded_by_the_whole_exchange() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let server = thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
                .unwrap();
            // One byte every 50 ms: each read succeeds, the whole would take 5 s.
            for _ in 0..100 {
                if done_rx.recv_timeout(Duration::from_millis(50)).is_ok() {
                    return;
                }
                if stream.write_all(b"x").is_err() {
                    return;
                }
            }
        });
        let started = Instant::now();
        let err = get(addr, "/", None, Duration::from_millis(400)).unwrap_err();
        let took = started.elapsed();
        let _ = done_tx.send(());
        server.join().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(took < Duration::from_secs(2), "{took:?}");
    }

    #[test]
    fn refused_connection_is_an_error() {
        let addr = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let err = get(addr, "/", None, T).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
        let err = request(addr, "GET", "/\r\nX: y", &[], None, T).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
