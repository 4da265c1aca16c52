//! A DNS resolver for reqwest that applies the network policy to the
//! addresses it returns.
//!
//! The HTTP client connects only to addresses this resolver hands out, so the
//! policy is applied to the very address that is connected to: a name that
//! resolves to a public address when checked and to a private one when used
//! (DNS rebinding) cannot slip through.

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tracing::debug;

use crate::policy::{NetworkPolicy, PolicyRefusal};

/// Resolves with the system resolver (through tokio) and drops the
/// addresses the policy refuses.
#[derive(Debug, Clone)]
pub struct PolicyResolver {
    policy: Arc<NetworkPolicy>,
}

impl PolicyResolver {
    pub fn new(policy: Arc<NetworkPolicy>) -> Self {
        PolicyResolver { policy }
    }
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // Port 0: reqwest puts the URL's port in afterwards.
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed = filter_allowed(&policy, &host, resolved)?;
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// Keeps the addresses the policy allows; fails with the first refusal when
/// none is left (or with a plain error when the name had no address at all).
fn filter_allowed(
    policy: &NetworkPolicy,
    host: &str,
    resolved: Vec<SocketAddr>,
) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
    let mut first_refusal = None;
    let mut allowed = Vec::with_capacity(resolved.len());
    for addr in resolved {
        match policy.refused_range(addr.ip()) {
            None => allowed.push(addr),
            Some(range) => {
                debug!(host, ip = %addr.ip(), %range, "resolved address refused by network policy");
                first_refusal.get_or_insert(PolicyRefusal::ResolvedAddress {
                    host: host.to_owned(),
                    ip: addr.ip(),
                    range,
                });
            }
        }
    }
    match (allowed.is_empty(), first_refusal) {
        (true, Some(refusal)) => Err(Box::new(refusal)),
        (true, None) => Err(format!("{host} has no address").into()),
        (false, _) => Ok(allowed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::RefusedRange;

    fn addrs(list: &[&str]) -> Vec<SocketAddr> {
        list.iter()
            .filter_map(|a| a.parse::<std::net::IpAddr>().ok())
            .map(|ip| SocketAddr::new(ip, 0))
            .collect()
    }

    #[test]
    fn refused_addresses_are_dropped_and_allowed_ones_kept() {
        let policy = NetworkPolicy::default();
        let kept = filter_allowed(&policy, "mixed.example", addrs(&["10.0.0.1", "8.8.8.8"]));
        assert_eq!(kept.ok(), Some(addrs(&["8.8.8.8"])));
    }

    #[test]
    fn only_refused_addresses_is_a_policy_error() {
        let policy = NetworkPolicy::default();
        let err = filter_allowed(&policy, "localhost", addrs(&["::1", "127.0.0.1"]));
        let refusal = err
            .err()
            .and_then(|e| e.downcast_ref::<PolicyRefusal>().cloned());
        assert_eq!(
            refusal,
            Some(PolicyRefusal::ResolvedAddress {
                host: "localhost".to_owned(),
                ip: "::1"
                    .parse()
                    .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into()),
                range: RefusedRange::Loopback,
            })
        );
    }

    #[test]
    fn allow_list_keeps_only_the_named_address() {
        let policy = NetworkPolicy {
            allowed_networks: NetworkPolicy::parse_allow_list("127.0.0.1/32").unwrap_or_default(),
            ..NetworkPolicy::default()
        };
        let kept = filter_allowed(&policy, "localhost", addrs(&["::1", "127.0.0.1"]));
        assert_eq!(kept.ok(), Some(addrs(&["127.0.0.1"])));
    }

    #[tokio::test]
    async fn resolving_localhost_is_refused_by_default() {
        let resolver = PolicyResolver::new(Arc::new(NetworkPolicy::default()));
        let name: Name = match "localhost".parse() {
            Ok(n) => n,
            Err(e) => panic!("{e}"),
        };
        let err = resolver.resolve(name).await.err();
        let refusal = err.and_then(|e| e.downcast_ref::<PolicyRefusal>().cloned());
        assert!(
            matches!(
                refusal,
                Some(PolicyRefusal::ResolvedAddress {
                    range: RefusedRange::Loopback,
                    ..
                })
            ),
            "{refusal:?}"
        );
    }
}
