//! Who is on the other end of a request: the client's address and whether it came over HTTPS,
//! believing `X-Forwarded-For` / `X-Forwarded-Proto` only from the configured proxies
//! (`[http] trusted_proxies`), so per-address limits, allow-lists and `Secure` cookies see the
//! real client behind a reverse proxy and nobody else can pretend to be another address.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use ipnet::IpNet;

use crate::http::capped_listener::CappedListener;

/// The address of the TCP peer of a connection, as the server saw it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeerAddr(pub SocketAddr);

impl<L: Listener<Addr = SocketAddr>> Connected<IncomingStream<'_, CappedListener<L>>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, CappedListener<L>>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}

/// The client of one request: its address (the proxy's client when the peer is a trusted
/// proxy) and whether it reached us over HTTPS. Every handler can extract it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Client {
    /// The client's address.
    pub ip: IpAddr,
    /// Whether the client's connection is HTTPS (ours, or a trusted proxy's).
    pub https: bool,
}

/// The proxies whose forwarding headers are believed, and whether the relay serves TLS itself.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClientRules {
    /// Addresses of trusted reverse proxies.
    pub trusted_proxies: Vec<IpNet>,
    /// The relay's own listener is TLS.
    pub tls: bool,
}

impl ClientRules {
    /// The client of a request from `peer` with these headers.
    pub(crate) fn client(&self, peer: IpAddr, headers: &HeaderMap) -> Client {
        let own = Client {
            ip: peer,
            https: self.tls,
        };
        if !self.trusts(peer) {
            return own;
        }
        let chain = (headers.get_all("x-forwarded-for").iter())
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','));
        let ip = self.client_in_chain(peer, chain);
        let https = match headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
        {
            Some(proto) => proto.trim().eq_ignore_ascii_case("https"),
            None => own.https,
        };
        Client { ip, https }
    }

    /// The client in the `X-Forwarded-For` `chain` of a request from trusted `peer`: each
    /// proxy appends the address it saw, so walking back from the right past our own proxies,
    /// the first address none of them is. An entry that is no address (`unknown`, or garbage a
    /// client put in front) ends the walk: the client is then the nearest address a trusted
    /// proxy vouches for, so nothing a client writes can make it look like someone else.
    fn client_in_chain<'a>(
        &self,
        peer: IpAddr,
        chain: impl DoubleEndedIterator<Item = &'a str>,
    ) -> IpAddr {
        let mut nearest = peer;
        for hop in chain.rev() {
            let Some(hop) = hop_address(hop) else {
                break;
            };
            nearest = hop;
            if !self.trusts(hop) {
                break;
            }
        }
        nearest
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }
}

/// The address of one `X-Forwarded-For` entry (`ip`, `ip:port` or `[ipv6]:port`, an IPv4
/// address written as IPv6 as the IPv4 address it is); `None` for anything else.
fn hop_address(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    let ip = (hop.parse::<IpAddr>())
        .or_else(|_| hop.parse::<SocketAddr>().map(|socket| socket.ip()))
        .ok()?;
    Some(canonical(ip))
}

/// An IPv4 address written as IPv6 (`::ffff:a.b.c.d`) as the IPv4 address it is.
pub(crate) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Middleware: works out each request's [`Client`] once and leaves it in the extensions.
pub(crate) async fn find_client(
    State(rules): State<Arc<ClientRules>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = (request.extensions().get::<ConnectInfo<PeerAddr>>())
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0 .0.ip());
    let client = rules.client(canonical(peer), request.headers());
    request.extensions_mut().insert(client);
    next.run(request).await
}

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(
            (parts.extensions.get::<Client>().copied()).unwrap_or(Client {
                ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                https: false,
            }),
        )
    }
}
