//! HTTPS for both listeners: a poem `Acceptor` over TCP that performs the TLS handshake with a
//! rustls configuration built and checked once at start.
//!
//! Why not poem's own rustls acceptor: it receives its configuration through a stream that it polls
//! in a `select!` beside `accept()`, so a connection already waiting when the server starts can be
//! accepted before the configuration is loaded and is then reset; and a bad certificate is only
//! logged, after which every connection is reset. Here a bad certificate or key stops the server
//! at start, and no connection is ever accepted without a configuration. Handshakes run in their
//! own tasks with a deadline, so a slow or silent client cannot hold up the accept loop.

use std::{io, sync::Arc, time::Duration};

use poem::{
    http::uri::Scheme,
    listener::{Acceptor, TcpAcceptor},
    web::{LocalAddr, RemoteAddr},
};
use tokio::{net::TcpStream, sync::mpsc, task::JoinHandle};
use tokio_rustls::server::TlsStream;

/// How long a client gets to complete the TLS handshake.
const HANDSHAKE_DEADLINE: Duration = Duration::from_secs(10);

type Accepted = (TlsStream<TcpStream>, LocalAddr, RemoteAddr);

/// Accepts TCP connections and hands on only those whose TLS handshake completed.
pub struct TlsAcceptor {
    local: Vec<LocalAddr>,
    ready: mpsc::Receiver<io::Result<Accepted>>,
    accept_loop: JoinHandle<()>,
}

impl TlsAcceptor {
    pub fn new(mut tcp: TcpAcceptor, config: Arc<rustls::ServerConfig>) -> Self {
        let local = tcp.local_addr();
        let tls = tokio_rustls::TlsAcceptor::from(config);
        let (tx, ready) = mpsc::channel(128);
        let accept_loop = tokio::spawn(async move {
            loop {
                let (stream, local, remote, _) = match tcp.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                };
                let (tls, tx) = (tls.clone(), tx.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_DEADLINE, tls.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            let _ = tx.send(Ok((stream, local, remote))).await;
                        }
                        Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                });
            }
        });
        Self {
            local,
            ready,
            accept_loop,
        }
    }
}

impl Drop for TlsAcceptor {
    fn drop(&mut self) {
        // Stop accepting (and release the socket) when the server lets go of the acceptor.
        self.accept_loop.abort();
    }
}

impl Acceptor for TlsAcceptor {
    type Io = TlsStream<TcpStream>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.local.clone()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        match self.ready.recv().await {
            Some(Ok((stream, local, remote))) => Ok((stream, local, remote, Scheme::HTTPS)),
            Some(Err(e)) => Err(e),
            None => Err(io::Error::other("the TLS accept loop stopped")),
        }
    }
}

/// Builds the rustls configuration from PEM certificate chain and private key bytes.
pub fn server_config(cert_pem: &[u8], key_pem: &[u8]) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls_pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("`serve.tls.cert.path`: not a PEM certificate chain ({e})"))?;
    if certs.is_empty() {
        return Err("`serve.tls.cert.path`: the file holds no certificate".into());
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| format!("`serve.tls.key.path`: not a PEM private key ({e})"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("`serve.tls.key.path`: the key does not fit the certificate ({e})"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
