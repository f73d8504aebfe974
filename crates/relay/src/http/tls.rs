//! The relay's own HTTPS (`[tls]`): rustls over the capped listener, so the connection cap and
//! each request's [`PeerAddr`](super::client::PeerAddr) work as over plain HTTP.
//!
//! Each handshake runs in a task of its own with a time limit, so a client that connects and
//! says nothing (or a plain HTTP request on the HTTPS port, which fails the handshake and is
//! closed) never holds up accepting the next connection. The certificate and key are read
//! again by [`TlsCerts::reload`] (the binary calls it on SIGHUP): a file that cannot be used
//! leaves the certificate in service unchanged, and says why.

use std::fmt::Debug;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tracing::{debug, info};

use crate::http::capped_listener::CappedListener;
use crate::http::client::PeerAddr;

/// Why a certificate and key cannot be used; names the file and the problem.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read or holds nothing usable.
    #[error("{path}: {problem}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// rustls refused the pair (e.g. the key does not belong to the certificate).
    #[error("the certificate and key cannot be used together: {0}")]
    Pair(#[from] rustls::Error),
}

/// The certificate files and the server configuration made from them, replaced whole on a
/// successful reload.
pub(crate) struct TlsCerts {
    cert_file: PathBuf,
    key_file: PathBuf,
    current: RwLock<Arc<ServerConfig>>,
}

impl TlsCerts {
    /// Reads the PEM certificate chain and private key.
    pub(crate) fn load(cert_file: &Path, key_file: &Path) -> Result<Self, TlsError> {
        Ok(Self {
            current: RwLock::new(Arc::new(server_config(cert_file, key_file)?)),
            cert_file: cert_file.to_owned(),
            key_file: key_file.to_owned(),
        })
    }

    /// Reads the files again; new connections use the new certificate. On failure the
    /// certificate in service stays, and the error says why.
    pub(crate) fn reload(&self) -> Result<(), TlsError> {
        let config = Arc::new(server_config(&self.cert_file, &self.key_file)?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = config;
        info!(cert = %self.cert_file.display(), "TLS certificate reloaded");
        Ok(())
    }

    /// An acceptor with the certificate in service now.
    fn acceptor(&self) -> TlsAcceptor {
        let config = self.current.read().unwrap_or_else(|e| e.into_inner());
        TlsAcceptor::from(Arc::clone(&config))
    }
}

/// A rustls server configuration (aws-lc-rs, TLS 1.2 and 1.3, HTTP/1.1) for the pair of files.
fn server_config(cert_file: &Path, key_file: &Path) -> Result<ServerConfig, TlsError> {
    let file_error = |path: &Path, problem: String| TlsError::File {
        path: path.to_owned(),
        problem,
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_file)
        .and_then(Iterator::collect)
        .map_err(|e| file_error(cert_file, e.to_string()))?;
    if chain.is_empty() {
        return Err(file_error(
            cert_file,
            "no PEM certificate in the file".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key_file)
        .map_err(|e| file_error(key_file, format!("no usable PEM private key: {e}")))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// `inner`'s connections after their TLS handshake; handshakes run beside the accept loop.
pub(crate) struct TlsListener<L: Listener> {
    inner: L,
    certs: Arc<TlsCerts>,
    handshake_timeout: Duration,
    shaken: mpsc::UnboundedSender<(TlsStream<L::Io>, L::Addr)>,
    ready: mpsc::UnboundedReceiver<(TlsStream<L::Io>, L::Addr)>,
}

impl<L: Listener> TlsListener<L> {
    /// TLS over `inner` with `certs`; a client has `handshake_timeout` to finish its handshake.
    pub(crate) fn new(inner: L, certs: Arc<TlsCerts>, handshake_timeout: Duration) -> Self {
        let (shaken, ready) = mpsc::unbounded_channel();
        Self {
            inner,
            certs,
            handshake_timeout,
            shaken,
            ready,
        }
    }
}

impl<L> Listener for TlsListener<L>
where
    L: Listener,
    L::Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    L::Addr: Debug,
{
    type Io = TlsStream<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            tokio::select! {
                Some(connection) = self.ready.recv() => return connection,
                (io, addr) = self.inner.accept() => {
                    let handshake = self.certs.acceptor().accept(io);
                    let (timeout, shaken) = (self.handshake_timeout, self.shaken.clone());
                    tokio::spawn(async move {
                        match tokio::time::timeout(timeout, handshake).await {
                            Ok(Ok(stream)) => {
                                let _ = shaken.send((stream, addr));
                            }
                            Ok(Err(error)) => debug!(?addr, %error, "TLS handshake failed"),
                            Err(_) => debug!(?addr, "TLS handshake timed out"),
                        }
                    });
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// Each request over TLS knows its TCP peer, as over plain HTTP.
impl<L: Listener<Addr = SocketAddr>> Connected<IncomingStream<'_, TlsListener<CappedListener<L>>>>
    for PeerAddr
where
    L::Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    fn connect_info(stream: IncomingStream<'_, TlsListener<CappedListener<L>>>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}
