//! The tests' own misbehaving server: plain HTTP or TLS on loopback, answering each request as a
//! handler says (JSON, raw bytes, endless or trickling bodies, silence, redirects, late answers).

use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the hostile server does with one request.
#[derive(Clone)]
pub(crate) enum Answer {
    /// A JSON answer.
    Json(u16, Value),
    /// These bytes as they are, then the connection is closed.
    Raw(Vec<u8>),
    /// A 200 whose body is `n` bytes, announced by Content-Length.
    Huge(u64),
    /// A 200 with no length whose body never ends.
    Endless,
    /// A 200 announcing 1000 bytes and sending one every 200 ms.
    Trickle,
    /// The connection is accepted and nothing is ever sent.
    Never,
    /// A redirect.
    Redirect(u16, String),
    /// The answer after a delay.
    Late(Duration, Box<Answer>),
}

pub(crate) type Handler = Arc<dyn Fn(&str, &str) -> Answer + Send + Sync>;

/// A plain-HTTP hostile server on loopback; returns its URL and a count of requests.
pub(crate) async fn hostile(handler: Handler) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            c.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(stream, handler.clone()));
        }
    });
    (url, count)
}

/// A TLS hostile server (a federation listener); returns its port.
pub(crate) async fn hostile_tls(handler: Handler) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = mscheck::federation::server::tls_acceptor().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let handler = handler.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(stream).await {
                    serve(tls, handler).await;
                }
            });
        }
    });
    port
}

/// Reads one request head (and its body), answers it, closes.
pub(crate) async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, handler: Handler) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let mut words = head.split_whitespace();
    let method = words.next().unwrap_or("").to_string();
    let path = words.next().unwrap_or("").to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    if stream.read_exact(&mut body).await.is_err() {
        return;
    }
    let answer = handler(&method, &path);
    let _ = write_answer(&mut stream, answer).await;
    let _ = stream.shutdown().await;
}

pub(crate) async fn write_answer<S: AsyncWrite + Unpin>(
    s: &mut S,
    answer: Answer,
) -> std::io::Result<()> {
    match answer {
        Answer::Json(status, v) => {
            let body = v.to_string();
            s.write_all(format!("HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).as_bytes()).await
        }
        Answer::Raw(bytes) => s.write_all(&bytes).await,
        Answer::Huge(n) => {
            s.write_all(format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n").as_bytes()).await?;
            let chunk = vec![b'x'; 64 * 1024];
            let mut left = n;
            while left > 0 {
                let k = left.min(chunk.len() as u64) as usize;
                s.write_all(&chunk[..k]).await?;
                left -= k as u64;
            }
            Ok(())
        }
        Answer::Endless => {
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[").await?;
            let chunk = vec![b' '; 64 * 1024];
            loop {
                s.write_all(&chunk).await?;
            }
        }
        Answer::Trickle => {
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n").await?;
            for _ in 0..1000 {
                s.write_all(b" ").await?;
                s.flush().await?;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Ok(())
        }
        Answer::Never => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(())
        }
        Answer::Redirect(status, to) => {
            s.write_all(format!("HTTP/1.1 {status} Moved\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes()).await
        }
        Answer::Late(after, inner) => {
            tokio::time::sleep(after).await;
            Box::pin(write_answer(s, *inner)).await
        }
    }
}

pub(crate) fn versions() -> Answer {
    Answer::Json(
        200,
        json!({"versions": ["v1.11", "v1.12"], "unstable_features": {
            "org.matrix.msc4354": true, "org.matrix.msc4140": true,
            "org.matrix.simplified_msc3575": true}}),
    )
}

/// A handler answering `/versions` well and `/register` as given; anything else 404.
pub(crate) fn register_answers(register: Answer) -> Handler {
    Arc::new(move |_, path| {
        if path.starts_with("/_matrix/client/versions") {
            versions()
        } else if path.starts_with("/_matrix/client/v3/register") {
            register.clone()
        } else {
            Answer::Json(404, json!({"errcode": "M_UNRECOGNIZED"}))
        }
    })
}

/// A handler whose `/versions` is as given.
pub(crate) fn versions_answers(answer: Answer) -> Handler {
    Arc::new(move |_, _| answer.clone())
}
