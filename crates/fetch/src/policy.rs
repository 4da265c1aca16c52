//! The network policy: which schemes and destination addresses a download may
//! use.
//!
//! Catalog URLs are untrusted: a job could point a worker at its own loopback
//! services, the private network behind it or the cloud metadata endpoint.
//! Addresses in such ranges are refused unless an allow-list names them. The
//! check runs on literal-IP hosts before each request and redirect hop, and on
//! every resolved address at connect time (see `resolver`), so the address
//! checked is the address connected.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use url::{Host, Url};

/// Which sources are allowed.
#[derive(Debug, Clone, Default)]
pub struct NetworkPolicy {
    /// Local paths and `file://` URLs (the command line only).
    pub allow_local_files: bool,
    /// Networks allowed even though they are loopback, private, link-local...
    pub allowed_networks: Vec<IpNet>,
    /// Skip the address checks entirely (the command line's explicit opt-out).
    pub allow_all_addresses: bool,
}

/// A range of addresses a download may not reach unless allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusedRange {
    /// `0.0.0.0`, `::`.
    Unspecified,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// RFC 1918 networks, IPv6 unique-local `fc00::/7` and site-local.
    Private,
    /// Carrier-grade NAT, `100.64.0.0/10`.
    SharedCgnat,
    /// `169.254.0.0/16`, `fe80::/10`.
    LinkLocal,
    /// Cloud instance metadata endpoints (`169.254.169.254`, `fd00:ec2::254`).
    CloudMetadata,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `255.255.255.255`.
    Broadcast,
    /// Documentation examples (`192.0.2.0/24`, `2001:db8::/32`...).
    Documentation,
    /// Benchmarking networks (`198.18.0.0/15`, `2001:2::/48`).
    Benchmarking,
    /// Reserved or special-purpose space that is not a public host.
    Reserved,
}

impl fmt::Display for RefusedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RefusedRange::Unspecified => "an unspecified address",
            RefusedRange::Loopback => "a loopback address",
            RefusedRange::Private => "a private address",
            RefusedRange::SharedCgnat => "a shared (carrier-grade NAT) address",
            RefusedRange::LinkLocal => "a link-local address",
            RefusedRange::CloudMetadata => "a link-local/cloud-metadata address",
            RefusedRange::Multicast => "a multicast address",
            RefusedRange::Broadcast => "a broadcast address",
            RefusedRange::Documentation => "a documentation address",
            RefusedRange::Benchmarking => "a benchmarking address",
            RefusedRange::Reserved => "a reserved address",
        })
    }
}

/// Why the policy refused a URL or an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyRefusal {
    #[error("refused by network policy: scheme '{0}' is not allowed (only http and https)")]
    Scheme(String),
    #[error("refused by network policy: {ip} is {range} (allow it with --allow-network)")]
    Address { ip: IpAddr, range: RefusedRange },
    #[error(
        "refused by network policy: {host} resolves to {ip}, {range} (allow it with --allow-network)"
    )]
    ResolvedAddress {
        host: String,
        ip: IpAddr,
        range: RefusedRange,
    },
}

/// An allow-list entry that is neither an address nor a CIDR network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid network '{0}' in the allow-list (expected an address or a CIDR network such as 127.0.0.1/32)"
)]
pub struct AllowListError(pub String);

impl NetworkPolicy {
    /// Parses an allow-list such as `"127.0.0.1/32, 10.1.0.0/16 ::1"`: entries
    /// separated by commas or whitespace, each a CIDR network or a single
    /// address (taken as a /32 or /128).
    pub fn parse_allow_list(text: &str) -> Result<Vec<IpNet>, AllowListError> {
        text.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .map(|net| net.trunc())
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| AllowListError(item.to_owned()))
            })
            .collect()
    }

    /// Whether `ip` is inside the allow-list (an IPv4-mapped IPv6 address
    /// also matches its IPv4 form).
    pub fn is_allowed_network(&self, ip: IpAddr) -> bool {
        let canonical = ip.to_canonical();
        self.allowed_networks
            .iter()
            .any(|net| net.contains(&ip) || net.contains(&canonical))
    }

    /// Checks a destination address.
    pub fn check_address(&self, ip: IpAddr) -> Result<(), PolicyRefusal> {
        match self.refused_range(ip) {
            Some(range) => Err(PolicyRefusal::Address { ip, range }),
            None => Ok(()),
        }
    }

    /// The refused range `ip` is in, unless the policy lets it through.
    pub fn refused_range(&self, ip: IpAddr) -> Option<RefusedRange> {
        if self.allow_all_addresses || self.is_allowed_network(ip) {
            return None;
        }
        classify(ip)
    }

    /// Checks what can be checked of a URL before connecting: the scheme, and
    /// the address when the host is a literal IP (those never reach the
    /// resolver). Host names are checked when they are resolved.
    pub fn check_url(&self, url: &Url) -> Result<(), PolicyRefusal> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(PolicyRefusal::Scheme(url.scheme().to_owned()));
        }
        match url.host() {
            Some(Host::Ipv4(ip)) => self.check_address(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => self.check_address(IpAddr::V6(ip)),
            Some(Host::Domain(_)) | None => Ok(()),
        }
    }
}

/// The special-purpose range `ip` belongs to, or `None` for an ordinary
/// public address.
pub fn classify(ip: IpAddr) -> Option<RefusedRange> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// IPv4 special-purpose ranges, most specific first.
const V4_RANGES: &[(Ipv4Net, RefusedRange)] = &[
    (v4(0, 0, 0, 0, 32), RefusedRange::Unspecified),
    (v4(0, 0, 0, 0, 8), RefusedRange::Reserved),
    (v4(10, 0, 0, 0, 8), RefusedRange::Private),
    (v4(100, 64, 0, 0, 10), RefusedRange::SharedCgnat),
    (v4(127, 0, 0, 0, 8), RefusedRange::Loopback),
    (v4(169, 254, 169, 254, 32), RefusedRange::CloudMetadata),
    (v4(169, 254, 0, 0, 16), RefusedRange::LinkLocal),
    (v4(172, 16, 0, 0, 12), RefusedRange::Private),
    (v4(192, 0, 0, 0, 24), RefusedRange::Reserved),
    (v4(192, 0, 2, 0, 24), RefusedRange::Documentation),
    (v4(192, 88, 99, 0, 24), RefusedRange::Reserved),
    (v4(192, 168, 0, 0, 16), RefusedRange::Private),
    (v4(198, 18, 0, 0, 15), RefusedRange::Benchmarking),
    (v4(198, 51, 100, 0, 24), RefusedRange::Documentation),
    (v4(203, 0, 113, 0, 24), RefusedRange::Documentation),
    (v4(224, 0, 0, 0, 4), RefusedRange::Multicast),
    (v4(255, 255, 255, 255, 32), RefusedRange::Broadcast),
    (v4(240, 0, 0, 0, 4), RefusedRange::Reserved),
];

/// IPv6 special-purpose ranges that do not embed an IPv4 address, most
/// specific first.
const V6_RANGES: &[(Ipv6Net, RefusedRange)] = &[
    (v6([0, 0, 0, 0, 0, 0, 0, 0], 128), RefusedRange::Unspecified),
    (v6([0, 0, 0, 0, 0, 0, 0, 1], 128), RefusedRange::Loopback),
    // IPv4-compatible addresses (deprecated).
    (v6([0, 0, 0, 0, 0, 0, 0, 0], 96), RefusedRange::Reserved),
    // Local-use NAT64.
    (
        v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48),
        RefusedRange::Reserved,
    ),
    // Discard-only.
    (v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64), RefusedRange::Reserved),
    (
        v6([0x2001, 2, 0, 0, 0, 0, 0, 0], 48),
        RefusedRange::Benchmarking,
    ),
    (
        v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32),
        RefusedRange::Documentation,
    ),
    (
        v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20),
        RefusedRange::Documentation,
    ),
    (
        v6([0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254], 128),
        RefusedRange::CloudMetadata,
    ),
    (v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7), RefusedRange::Private),
    (
        v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10),
        RefusedRange::LinkLocal,
    ),
    // Site-local (deprecated, used like private space).
    (v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10), RefusedRange::Private),
    (
        v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8),
        RefusedRange::Multicast,
    ),
];

const fn v4(a: u8, b: u8, c: u8, d: u8, prefix: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), prefix)
}

const fn v6(s: [u16; 8], prefix: u8) -> Ipv6Net {
    Ipv6Net::new_assert(
        Ipv6Addr::new(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]),
        prefix,
    )
}

fn classify_v4(ip: Ipv4Addr) -> Option<RefusedRange> {
    V4_RANGES
        .iter()
        .find(|(net, _)| net.contains(&ip))
        .map(|(_, range)| *range)
}

fn classify_v6(ip: Ipv6Addr) -> Option<RefusedRange> {
    if let Some(v4) = embedded_ipv4(ip) {
        return classify_v4(v4);
    }
    V6_RANGES
        .iter()
        .find(|(net, _)| net.contains(&ip))
        .map(|(_, range)| *range)
}

/// The IPv4 address an IPv6 address stands for, when it is one that reaches
/// IPv4 hosts: IPv4-mapped (`::ffff:a.b.c.d`), well-known NAT64
/// (`64:ff9b::a.b.c.d`) and 6to4 (`2002:aabb:ccdd::`).
fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(mapped) = ip.to_ipv4_mapped() {
        return Some(mapped);
    }
    let s = ip.segments();
    let o = ip.octets();
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(text: &str) -> Option<RefusedRange> {
        match text.parse::<IpAddr>() {
            Ok(ip) => classify(ip),
            Err(e) => panic!("bad test address {text}: {e}"),
        }
    }

    #[test]
    fn ipv4_special_ranges() {
        assert_eq!(class("127.0.0.1"), Some(RefusedRange::Loopback));
        assert_eq!(class("127.255.0.9"), Some(RefusedRange::Loopback));
        assert_eq!(class("10.0.0.1"), Some(RefusedRange::Private));
        assert_eq!(class("172.16.0.1"), Some(RefusedRange::Private));
        assert_eq!(class("172.31.255.255"), Some(RefusedRange::Private));
        assert_eq!(class("192.168.1.1"), Some(RefusedRange::Private));
        assert_eq!(class("169.254.169.254"), Some(RefusedRange::CloudMetadata));
        assert_eq!(class("169.254.1.1"), Some(RefusedRange::LinkLocal));
        assert_eq!(class("100.64.0.1"), Some(RefusedRange::SharedCgnat));
        assert_eq!(class("100.127.255.254"), Some(RefusedRange::SharedCgnat));
        assert_eq!(class("224.0.0.1"), Some(RefusedRange::Multicast));
        assert_eq!(class("239.255.255.250"), Some(RefusedRange::Multicast));
        assert_eq!(class("0.0.0.0"), Some(RefusedRange::Unspecified));
        assert_eq!(class("0.1.2.3"), Some(RefusedRange::Reserved));
        assert_eq!(class("255.255.255.255"), Some(RefusedRange::Broadcast));
        assert_eq!(class("240.0.0.1"), Some(RefusedRange::Reserved));
        assert_eq!(class("192.0.2.10"), Some(RefusedRange::Documentation));
        assert_eq!(class("198.51.100.7"), Some(RefusedRange::Documentation));
        assert_eq!(class("203.0.113.200"), Some(RefusedRange::Documentation));
        assert_eq!(class("198.18.0.1"), Some(RefusedRange::Benchmarking));
        assert_eq!(class("198.19.255.255"), Some(RefusedRange::Benchmarking));
    }

    #[test]
    fn ipv4_public_neighbours_are_allowed() {
        // Just outside the refused ranges.
        assert_eq!(class("172.15.255.255"), None);
        assert_eq!(class("172.32.0.0"), None);
        assert_eq!(class("100.63.255.255"), None);
        assert_eq!(class("100.128.0.0"), None);
        assert_eq!(class("198.20.0.0"), None);
        assert_eq!(class("11.0.0.1"), None);
        assert_eq!(class("126.255.255.255"), None);
        assert_eq!(class("223.255.255.255"), None);
        // data.gouv.fr and a public resolver.
        assert_eq!(class("37.59.183.93"), None);
        assert_eq!(class("8.8.8.8"), None);
    }

    #[test]
    fn ipv6_special_ranges() {
        assert_eq!(class("::1"), Some(RefusedRange::Loopback));
        assert_eq!(class("::"), Some(RefusedRange::Unspecified));
        assert_eq!(class("fc00::1"), Some(RefusedRange::Private));
        assert_eq!(class("fd12:3456::1"), Some(RefusedRange::Private));
        assert_eq!(class("fd00:ec2::254"), Some(RefusedRange::CloudMetadata));
        assert_eq!(class("fe80::1"), Some(RefusedRange::LinkLocal));
        assert_eq!(class("febf::1"), Some(RefusedRange::LinkLocal));
        assert_eq!(class("fec0::1"), Some(RefusedRange::Private));
        assert_eq!(class("ff02::1"), Some(RefusedRange::Multicast));
        assert_eq!(class("2001:db8::1"), Some(RefusedRange::Documentation));
        assert_eq!(class("2001:2::1"), Some(RefusedRange::Benchmarking));
        assert_eq!(class("100::1"), Some(RefusedRange::Reserved));
        assert_eq!(class("::7f00:1"), Some(RefusedRange::Reserved));
    }

    #[test]
    fn ipv6_forms_of_ipv4_addresses_take_the_ipv4_class() {
        assert_eq!(class("::ffff:127.0.0.1"), Some(RefusedRange::Loopback));
        assert_eq!(class("::ffff:10.1.2.3"), Some(RefusedRange::Private));
        assert_eq!(
            class("::ffff:169.254.169.254"),
            Some(RefusedRange::CloudMetadata)
        );
        assert_eq!(class("64:ff9b::192.168.0.1"), Some(RefusedRange::Private));
        assert_eq!(class("2002:7f00:1::"), Some(RefusedRange::Loopback));
        assert_eq!(class("::ffff:8.8.8.8"), None);
        assert_eq!(class("64:ff9b::8.8.8.8"), None);
    }

    #[test]
    fn ipv6_public_addresses_are_allowed() {
        assert_eq!(class("2001:4860:4860::8888"), None);
        assert_eq!(class("2a00:1450:4007:80c::200e"), None);
        assert_eq!(class("fbff::1"), None);
        assert_eq!(class("fe00::1"), None);
    }

    fn policy(allow: &str) -> NetworkPolicy {
        NetworkPolicy {
            allowed_networks: NetworkPolicy::parse_allow_list(allow).unwrap_or_default(),
            ..NetworkPolicy::default()
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn allow_list_lets_named_networks_through() {
        let p = policy("127.0.0.1/32");
        assert!(p.check_address(ip("127.0.0.1")).is_ok());
        assert!(p.check_address(ip("::ffff:127.0.0.1")).is_ok());
        assert_eq!(
            p.check_address(ip("127.0.0.2")),
            Err(PolicyRefusal::Address {
                ip: ip("127.0.0.2"),
                range: RefusedRange::Loopback
            })
        );
        assert!(p.check_address(ip("::1")).is_err());
        assert!(p.check_address(ip("8.8.8.8")).is_ok());
    }

    #[test]
    fn allow_all_skips_address_checks() {
        let p = NetworkPolicy {
            allow_all_addresses: true,
            ..NetworkPolicy::default()
        };
        assert!(p.check_address(ip("169.254.169.254")).is_ok());
        assert!(p.check_address(ip("::1")).is_ok());
    }

    #[test]
    fn refusal_message_names_address_and_range() {
        let err = NetworkPolicy::default()
            .check_address(ip("169.254.169.254"))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "refused by network policy: 169.254.169.254 is a link-local/cloud-metadata \
                 address (allow it with --allow-network)"
            )
        );
    }

    #[test]
    fn parse_allow_list_accepts_networks_and_addresses() {
        let nets = NetworkPolicy::parse_allow_list(" 127.0.0.1/32, 10.1.2.3/16 ::1,,192.168.0.7 ");
        let texts: Vec<String> = nets
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            texts,
            ["127.0.0.1/32", "10.1.0.0/16", "::1/128", "192.168.0.7/32"]
        );
        assert_eq!(
            NetworkPolicy::parse_allow_list("10.0.0.0/33"),
            Err(AllowListError("10.0.0.0/33".to_owned()))
        );
        assert_eq!(
            NetworkPolicy::parse_allow_list("localhost"),
            Err(AllowListError("localhost".to_owned()))
        );
        assert_eq!(NetworkPolicy::parse_allow_list(""), Ok(vec![]));
    }

    fn url(text: &str) -> Url {
        match Url::parse(text) {
            Ok(u) => u,
            Err(e) => panic!("bad test URL {text}: {e}"),
        }
    }

    #[test]
    fn check_url_refuses_schemes_and_literal_addresses() {
        let p = NetworkPolicy::default();
        assert_eq!(
            p.check_url(&url("ftp://example.org/a.csv")),
            Err(PolicyRefusal::Scheme("ftp".to_owned()))
        );
        assert!(p.check_url(&url("https://www.data.gouv.fr/a.csv")).is_ok());
        assert!(p.check_url(&url("http://8.8.8.8/a.csv")).is_ok());
        assert!(p.check_url(&url("http://10.0.0.1/")).is_err());
        assert!(p.check_url(&url("http://[::1]:8080/")).is_err());
        assert!(p.check_url(&url("http://[::ffff:127.0.0.1]/")).is_err());
        // Other spellings of 127.0.0.1 parse to the same host.
        assert!(p.check_url(&url("http://0x7f000001/")).is_err());
        assert!(p.check_url(&url("http://2130706433/")).is_err());
        assert!(p.check_url(&url("http://127.1/")).is_err());
    }
}
