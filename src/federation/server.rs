//! The fake server's listener and what it does with incoming requests: TLS on a free loopback
//! port, HTTP/1, the server-server endpoints a homeserver calls on a room member. Every request is
//! recorded; `/send` transactions are answered from a script, so a scenario can make the server
//! under test meet 429s, 500s or stalls and watch it retry.

use super::client::Outbound;
use super::error::FederationError;
use super::signing::ServerKey;
use super::state::{Inner, State};
pub use super::state::{Misbehaviour, ReceivedPdu, Recorded, SendAnswer};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// A running fake federating server. Dropping it stops the listener.
pub struct FakeServer {
    /// `localhost:<port>`: the name other servers reach it by.
    pub server_name: String,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    pub(super) inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
    /// Tells every open connection to close when the server goes.
    closing: tokio::sync::watch::Sender<bool>,
}

impl Drop for FakeServer {
    /// Stops listening and closes every open connection: a keep-alive connection that outlived
    /// its fake would go on answering with the old key for the next fake on the same port.
    fn drop(&mut self) {
        self.task.abort();
        let _ = self.closing.send(true);
    }
}

impl FakeServer {
    /// Binds a free loopback port with a fresh certificate and key, and starts serving.
    pub async fn start(misbehaviours: Vec<Misbehaviour>) -> Result<Self, FederationError> {
        Self::start_on(0, misbehaviours).await
    }

    /// Like [`FakeServer::start`] on a given loopback port (0: any free one): a later fake on the
    /// port of an earlier one has the same server name, with a new key under a new key ID.
    pub async fn start_on(
        port: u16,
        misbehaviours: Vec<Misbehaviour>,
    ) -> Result<Self, FederationError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| FederationError::Listen(e.to_string()))?;
        let port = listener
            .local_addr()
            .map_err(|e| FederationError::Listen(e.to_string()))?
            .port();
        let server_name = format!("localhost:{port}");
        let key = Arc::new(ServerKey::generate(&server_name)?);
        let acceptor = tls_acceptor()?;
        let inner = Arc::new(Inner {
            outbound: Outbound::new(
                key.clone(),
                misbehaviours.contains(&Misbehaviour::RedactFetchedEvents),
                misbehaviours.contains(&Misbehaviour::RefusedPdusInAcceptedAnswers),
            )?,
            key,
            state: Mutex::new(State {
                recorded: Vec::new(),
                send_script: VecDeque::new(),
                default_answer: SendAnswer::Accept,
                rooms: HashMap::new(),
                misbehaviours,
                refused_pdus: Default::default(),
            }),
        });
        let shared = inner.clone();
        let (closing, closed) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let (acceptor, inner) = (acceptor.clone(), shared.clone());
                let mut closed = closed.clone();
                tokio::spawn(async move {
                    let serve = async {
                        // A peer that fails the handshake (or probes plain HTTP) is dropped.
                        let Ok(tls) = acceptor.accept(tcp).await else {
                            return;
                        };
                        let service = hyper::service::service_fn(move |req| {
                            super::routes::handle(req, inner.clone())
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                            .await;
                    };
                    tokio::select! {
                        _ = serve => {}
                        _ = closed.wait_for(|c| *c) => {}
                    }
                });
            }
        });
        Ok(FakeServer {
            server_name,
            port,
            inner,
            task,
            closing,
        })
    }

    /// The server's signing key (to sign requests and events it sends).
    pub fn key(&self) -> &ServerKey {
        &self.inner.key
    }

    /// The outgoing side (signed requests to other servers).
    pub fn outbound(&self) -> &Outbound {
        &self.inner.outbound
    }

    /// Queues answers for the next incoming `/send` transactions; `then` replaces the answer
    /// given once the queue is used up (initially [`SendAnswer::Accept`]).
    pub fn script_send(
        &self,
        answers: impl IntoIterator<Item = SendAnswer>,
        then: Option<SendAnswer>,
    ) {
        let mut s = self.inner.lock();
        s.send_script.extend(answers);
        if let Some(t) = then {
            s.default_answer = t;
        }
    }

    /// Everything received so far.
    /// Whether the fake was started with misbehaviour `m`.
    pub(super) fn misbehaves(&self, m: Misbehaviour) -> bool {
        self.inner.lock().misbehaviours.contains(&m)
    }

    pub fn recorded(&self) -> Vec<Recorded> {
        self.inner.lock().recorded.clone()
    }
}

/// A TLS acceptor with a fresh self-signed certificate for `localhost` and `127.0.0.1` (also what the
/// hostile-server tests serve a federation listener with).
pub fn tls_acceptor() -> Result<tokio_rustls::TlsAcceptor, FederationError> {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .map_err(|e| FederationError::Listen(format!("cannot make a certificate: {e}")))?;
    let der = cert.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        cert.key_pair.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| FederationError::Listen(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(vec![der], key)
    .map_err(|e| FederationError::Listen(e.to_string()))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}
