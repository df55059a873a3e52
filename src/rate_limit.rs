//! A small fixed-window rate limiter per client address, for routes anyone can reach with a
//! guessed token. Per instance: with several instances the effective limit multiplies, which is
//! acceptable for slowing guessing of 256-bit tokens.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

pub struct RateLimiter {
    limit: u32,
    window: Duration,
    seen: Mutex<Seen>,
}

/// The addresses counted, and the size at which the next sweep of finished windows happens.
struct Seen {
    counts: HashMap<IpAddr, (Instant, u32)>,
    sweep_at: usize,
}

/// Addresses held before finished windows are swept out.
const FIRST_SWEEP: usize = 100_000;

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit,
            window,
            seen: Mutex::new(Seen {
                counts: HashMap::new(),
                sweep_at: FIRST_SWEEP,
            }),
        }
    }

    /// Counts a request; false when the address is over its limit for this window.
    pub fn allow(&self, address: IpAddr) -> bool {
        let now = Instant::now();
        let mut guard = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let Seen { counts, sweep_at } = &mut *guard;
        if counts.len() > *sweep_at {
            counts.retain(|_, (start, _)| now.duration_since(*start) < self.window);
            // The next sweep waits until the map has doubled again: with more live addresses
            // than the first threshold (a flood from many networks) sweeping on every request
            // would cost the whole map each time, under the lock every request takes.
            *sweep_at = FIRST_SWEEP.max(counts.len() * 2);
        }
        let entry = counts.entry(address).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.limit
    }

    /// Takes back one request counted by [`Self::allow`] (it turned out not to be one the limit
    /// is for): counting first and forgiving after keeps requests sent all at once from slipping
    /// past a check made before they are counted.
    pub fn forgive(&self, address: IpAddr) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, count)) = seen.counts.get_mut(&address) {
            *count = count.saturating_sub(1);
        }
    }

    /// Whether the address is already over its limit in this window, without counting.
    pub fn exceeded(&self, address: IpAddr) -> bool {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.counts.get(&address).is_some_and(|(start, count)| {
            Instant::now().duration_since(*start) < self.window && *count >= self.limit
        })
    }
}

/// What limits count as one client: an IPv4 address, or an IPv6 address's /64 network (one
/// host is usually given a whole /64, and could otherwise take a fresh address per request).
pub fn network_of(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        v4 @ IpAddr::V4(_) => v4,
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(network))
        }
    }
}

/// The network `req` came from, as limits count it (see [`client_address`] and [`network_of`]).
pub fn request_network(req: &actix_web::HttpRequest, trusted_proxies: &[IpAddr]) -> IpAddr {
    network_of(request_address(req, trusted_proxies))
}

/// The address `req` came from (see [`client_address`]).
pub fn request_address(req: &actix_web::HttpRequest, trusted_proxies: &[IpAddr]) -> IpAddr {
    let peer = req
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    // A proxy may add its own header line rather than extend the client's: the lines, in order,
    // are one list.
    let lines: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    let forwarded_for = (!lines.is_empty()).then(|| lines.join(","));
    client_address(peer, forwarded_for.as_deref(), trusted_proxies)
}

/// The address a request came from. Behind a reverse proxy every request arrives from the
/// proxy, so when the peer is one of `trusted_proxies` the address is read from
/// `X-Forwarded-For` instead: the right-most entry no trusted proxy added (entries to its left
/// are whatever the client chose to send). An entry that cannot be read ends the search at the
/// proxy's own address: stepping over it would take the client's word for where it is.
///
/// IPv4 clients of a socket bound to `[::]` arrive as IPv4-mapped IPv6 (`::ffff:a.b.c.d`);
/// they are taken as the IPv4 addresses they are, so each is counted alone (not all in one
/// IPv6 /64) and an IPv4 proxy is recognised (`trusted_proxies` come in that form too, as
/// configuration reads them).
pub fn client_address(
    peer: IpAddr,
    forwarded_for: Option<&str>,
    trusted_proxies: &[IpAddr],
) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    for entry in forwarded_for
        .into_iter()
        .flat_map(|header| header.rsplit(','))
    {
        match forwarded_address(entry) {
            Some(address) if trusted_proxies.contains(&address) => continue,
            Some(address) => return address,
            None => return peer,
        }
    }
    peer
}

/// One `X-Forwarded-For` entry: an address, or one with a port as some proxies write it
/// (`203.0.113.7:51234`, `[2001:db8::1]:443`, `[2001:db8::1]`).
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let address = entry.parse::<IpAddr>().ok().or_else(|| {
        entry
            .parse::<std::net::SocketAddr>()
            .map(|socket| socket.ip())
            .ok()
            .or_else(|| entry.strip_prefix('[')?.strip_suffix(']')?.parse().ok())
    })?;
    Some(address.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behind_a_trusted_proxy_the_forwarded_address_counts() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxies = [ip("10.0.0.9"), ip("10.0.0.8")];
        let chain = Some("6.6.6.6, 203.0.113.7, 10.0.0.8");
        // From the proxy: the right-most address no proxy of ours added (6.6.6.6 was sent by
        // the client itself and could be anything).
        assert_eq!(
            client_address(ip("10.0.0.9"), chain, &proxies),
            ip("203.0.113.7")
        );
        // Straight from the internet, the header is the client's own word: ignored.
        assert_eq!(
            client_address(ip("198.51.100.1"), chain, &proxies),
            ip("198.51.100.1")
        );
        assert_eq!(
            client_address(ip("10.0.0.9"), None, &proxies),
            ip("10.0.0.9")
        );
        assert_eq!(
            client_address(ip("10.0.0.9"), Some("junk"), &proxies),
            ip("10.0.0.9")
        );
        // An entry the proxy wrote that cannot be read: the client's own entries to its left
        // are not taken instead.
        assert_eq!(
            client_address(ip("10.0.0.9"), Some("6.6.6.6, unknown"), &proxies),
            ip("10.0.0.9")
        );
        assert_eq!(client_address(ip("10.0.0.9"), chain, &[]), ip("10.0.0.9"));
    }

    #[test]
    fn addresses_are_limited_separately_and_windows_reset() {
        let limiter = RateLimiter::new(2, Duration::from_millis(50));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(limiter.allow(a) && limiter.allow(a));
        assert!(!limiter.allow(a));
        assert!(limiter.allow(b));
        std::thread::sleep(Duration::from_millis(60));
        assert!(limiter.allow(a));
    }

    #[test]
    fn a_forgiven_request_no_longer_counts() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..10 {
            assert!(limiter.allow(a), "a working link, forgiven each time");
            limiter.forgive(a);
        }
        assert!(limiter.allow(a) && limiter.allow(a));
        assert!(!limiter.allow(a), "two not forgiven: the third is refused");
        assert!(limiter.exceeded(a));
    }

    #[test]
    fn ipv4_clients_of_a_dual_stack_socket_count_as_their_ipv4_addresses() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let (a, b) = (ip("::ffff:203.0.113.5"), ip("::ffff:198.51.100.7"));
        assert_ne!(network_of(a), network_of(b), "not one /64 for all of IPv4");
        assert_eq!(network_of(a), ip("203.0.113.5"));
        // An IPv4 proxy, listed as such, seen through the dual-stack socket.
        let proxies = [ip("10.0.0.9")];
        assert_eq!(
            client_address(ip("::ffff:10.0.0.9"), Some("203.0.113.5"), &proxies),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn forwarded_entries_with_ports_are_read() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxies = [ip("10.0.0.9")];
        for (entry, expected) in [
            ("203.0.113.7:51234", "203.0.113.7"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("::ffff:203.0.113.7", "203.0.113.7"),
        ] {
            let header = format!("6.6.6.6, {entry}");
            assert_eq!(
                client_address(ip("10.0.0.9"), Some(&header), &proxies),
                ip(expected),
                "{entry}"
            );
        }
    }

    #[test]
    fn an_ipv6_host_counts_as_its_slash_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let elsewhere: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(network_of(a), network_of(b));
        assert_ne!(network_of(a), network_of(elsewhere));
        let v4: IpAddr = "203.0.113.5".parse().unwrap();
        assert_eq!(network_of(v4), v4);
    }

    #[test]
    fn a_proxys_own_header_line_is_read_after_the_clients() {
        let proxy: IpAddr = "10.0.0.9".parse().unwrap();
        // The client forged a line; the proxy added its own line with the real address.
        let req = actix_web::test::TestRequest::default()
            .peer_addr(std::net::SocketAddr::new(proxy, 443))
            .append_header(("x-forwarded-for", "203.0.113.66"))
            .append_header(("x-forwarded-for", "198.51.100.7"))
            .to_http_request();
        let expected: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(request_address(&req, &[proxy]), expected);
        assert_eq!(
            request_address(&req, &[]),
            proxy,
            "no proxy trusted: the peer"
        );
    }

    #[test]
    fn finished_windows_are_swept_once_the_map_doubles_not_on_every_request() {
        let limiter = RateLimiter::new(5, Duration::from_secs(60));
        for n in 0..(FIRST_SWEEP as u32 + 10) {
            limiter.allow(IpAddr::from(n.to_be_bytes()));
        }
        let seen = limiter.seen.lock().unwrap();
        assert_eq!(
            seen.counts.len(),
            FIRST_SWEEP + 10,
            "every window still open"
        );
        assert_eq!(seen.sweep_at, 2 * (FIRST_SWEEP + 1));
    }

    #[test]
    fn asking_whether_an_address_is_over_its_limit_does_not_count() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(!limiter.exceeded(a) && !limiter.exceeded(a) && !limiter.exceeded(a));
        limiter.allow(a);
        assert!(!limiter.exceeded(a));
        limiter.allow(a);
        assert!(limiter.exceeded(a));
    }
}
