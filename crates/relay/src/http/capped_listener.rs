//! A listener that keeps at most a given number of connections open: past the cap, a new
//! connection is answered `503` with a JSON body saying to retry, and closed, so a flood of
//! connections costs the relay a few bytes each instead of its memory or its file descriptors.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::serve::Listener;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::warn;

/// How long a refused connection is read from after its reply, before it is closed.
const LINGER: Duration = Duration::from_secs(1);

/// The body of the reply to a connection over the cap.
const BUSY_BODY: &str = r#"{"error":"too many connections; retry in a moment"}"#;

/// The whole reply to a connection over the cap.
fn busy_reply() -> String {
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 5\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{BUSY_BODY}",
        BUSY_BODY.len()
    )
}

/// `inner`, accepting at most `max` connections open at once.
pub(crate) struct CappedListener<L> {
    inner: L,
    open: Arc<Semaphore>,
}

impl<L> CappedListener<L> {
    /// Caps `inner` at `max` open connections.
    pub(crate) fn new(inner: L, max: usize) -> Self {
        CappedListener {
            inner,
            open: Arc::new(Semaphore::new(max)),
        }
    }
}

impl<L: Listener> Listener for CappedListener<L> {
    type Io = Counted<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (mut io, addr) = self.inner.accept().await;
            match Arc::clone(&self.open).try_acquire_owned() {
                Ok(permit) => {
                    return (
                        Counted {
                            io,
                            _permit: permit,
                        },
                        addr,
                    )
                }
                Err(_) => {
                    warn!("connection refused: the relay's connection cap is reached");
                    tokio::spawn(async move {
                        let _ = io.write_all(busy_reply().as_bytes()).await;
                        let _ = io.shutdown().await;
                        // Read what the client sent before closing (briefly): closing with
                        // unread bytes resets the connection, and the reset can take the
                        // reply with it.
                        let mut sink = [0u8; 1024];
                        let _ = tokio::time::timeout(LINGER, async {
                            while matches!(io.read(&mut sink).await, Ok(n) if n > 0) {}
                        })
                        .await;
                    });
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection that frees its place under the cap when it is dropped.
pub(crate) struct Counted<Io> {
    io: Io,
    _permit: OwnedSemaphorePermit,
}

impl<Io: AsyncRead + Unpin> AsyncRead for Counted<Io> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for Counted<Io> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
