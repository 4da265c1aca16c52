//! The network policy end to end: refused destinations are never contacted,
//! allowed ones work, redirects are checked hop by hop.

mod support;

use std::time::{Duration, Instant};

use dataprof_fetch::{FetchConfig, FetchError, FetchErrorKind, fetch};
use support::{Reply, TestServer, strict_config, test_config};

/// Fetches and expects a policy refusal that came without waiting on the
/// network (the connect timeout is 2 s in the test configuration).
async fn refused(url: &str, cfg: &FetchConfig) -> FetchError {
    let started = Instant::now();
    let err = fetch(url, None, cfg).await.expect_err("refused");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "refusal of {url} took {:?}",
        started.elapsed()
    );
    assert_eq!(err.kind, FetchErrorKind::Policy, "{url}: {}", err.message);
    assert!(!err.transient);
    err
}

#[tokio::test]
async fn loopback_literal_is_refused_without_connecting() {
    let server = TestServer::counting("127.0.0.1").await;

    let err = refused(&server.url("/data.csv"), &strict_config()).await;

    assert_eq!(
        err.message,
        "refused by network policy: 127.0.0.1 is a loopback address (allow it with --allow-network)"
    );
    assert_eq!(server.connections().await, 0);
}

#[tokio::test]
async fn localhost_is_refused_after_resolution_without_connecting() {
    let server = TestServer::counting("127.0.0.1").await;

    let err = refused(
        &format!("http://localhost:{}/data.csv", server.port()),
        &strict_config(),
    )
    .await;

    assert!(
        err.message
            .starts_with("refused by network policy: localhost resolves to "),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("a loopback address"),
        "{}",
        err.message
    );
    assert_eq!(server.connections().await, 0);
}

#[tokio::test]
async fn private_metadata_and_ipv6_loopback_are_refused_fast() {
    let cfg = strict_config();
    let cases = [
        (
            "http://10.0.0.1/data.csv",
            "refused by network policy: 10.0.0.1 is a private address (allow it with --allow-network)",
        ),
        (
            "http://169.254.169.254/latest/meta-data/",
            "refused by network policy: 169.254.169.254 is a link-local/cloud-metadata address (allow it with --allow-network)",
        ),
        (
            "http://[::1]:8080/data.csv",
            "refused by network policy: ::1 is a loopback address (allow it with --allow-network)",
        ),
        (
            "http://[::ffff:127.0.0.1]/data.csv",
            "refused by network policy: ::ffff:127.0.0.1 is a loopback address (allow it with --allow-network)",
        ),
        (
            "http://[fd00:ec2::254]/latest/meta-data/",
            "refused by network policy: fd00:ec2::254 is a link-local/cloud-metadata address (allow it with --allow-network)",
        ),
        (
            "http://100.64.0.1/",
            "refused by network policy: 100.64.0.1 is a shared (carrier-grade NAT) address (allow it with --allow-network)",
        ),
        (
            "http://0.0.0.0/",
            "refused by network policy: 0.0.0.0 is an unspecified address (allow it with --allow-network)",
        ),
    ];
    for (url, message) in cases {
        let err = refused(url, &cfg).await;
        assert_eq!(err.message, message);
    }
}

#[tokio::test]
async fn other_spellings_of_loopback_are_refused() {
    let server = TestServer::counting("127.0.0.1").await;
    let port = server.port();
    for url in [
        format!("http://2130706433:{port}/"),
        format!("http://0x7f.0.0.1:{port}/"),
        format!("http://127.1:{port}/"),
    ] {
        refused(&url, &strict_config()).await;
    }
    assert_eq!(server.connections().await, 0);
}

#[tokio::test]
async fn allow_listed_loopback_is_reached() {
    let server = TestServer::start("127.0.0.1", |_| {
        Reply::ok("text/csv", b"code;nom\n01;Ain\n")
    })
    .await;

    let fetched = fetch(&server.url("/departements.csv"), None, &test_config())
        .await
        .expect("allowed by 127.0.0.1/32");

    assert_eq!(fetched.byte_size, 16);
    assert_eq!(server.connections().await, 1);
}

#[tokio::test]
async fn localhost_is_reached_through_its_allowed_address() {
    let server = TestServer::start("127.0.0.1", |_| {
        Reply::ok("text/csv", b"code;nom\n01;Ain\n")
    })
    .await;

    let fetched = fetch(
        &format!("http://localhost:{}/departements.csv", server.port()),
        None,
        &test_config(),
    )
    .await
    .expect("localhost resolves to the allowed 127.0.0.1");

    assert_eq!(fetched.byte_size, 16);
    assert_eq!(server.connections().await, 1);
}

#[tokio::test]
async fn allow_all_addresses_skips_the_checks() {
    let server = TestServer::start("127.0.0.1", |_| {
        Reply::ok("text/csv", b"code;nom\n01;Ain\n")
    })
    .await;
    let mut cfg = strict_config();
    cfg.policy.allow_all_addresses = true;

    let fetched = fetch(&server.url("/departements.csv"), None, &cfg)
        .await
        .expect("no address checks");

    assert_eq!(fetched.byte_size, 16);
}

#[tokio::test]
async fn a_redirect_to_a_refused_address_is_not_followed() {
    let target = TestServer::counting("127.0.0.2").await;
    let location = format!("http://127.0.0.2:{}/secret", target.port());
    let origin = TestServer::start("127.0.0.1", move |_| Reply::redirect(&location)).await;

    let err = refused(&origin.url("/data.csv"), &test_config()).await;

    assert_eq!(
        err.message,
        "refused by network policy: 127.0.0.2 is a loopback address (allow it with --allow-network)"
    );
    assert_eq!(origin.connections().await, 1);
    assert_eq!(target.connections().await, 0);
}

#[tokio::test]
async fn a_redirect_to_a_name_resolving_to_a_refused_address_is_not_followed() {
    // The origin is allowed on 127.0.0.2; localhost resolves to 127.0.0.1,
    // which is not in the allow-list: the resolver must drop it.
    let target = TestServer::counting("127.0.0.1").await;
    let location = format!("http://localhost:{}/secret", target.port());
    let origin = TestServer::start("127.0.0.2", move |_| Reply::redirect(&location)).await;
    let mut cfg = strict_config();
    cfg.policy.allowed_networks =
        dataprof_fetch::NetworkPolicy::parse_allow_list("127.0.0.2").expect("allow-list");

    let err = refused(&origin.url("/data.csv"), &cfg).await;

    assert!(
        err.message.starts_with(
            "refused by network policy: localhost resolves to 127.0.0.1, a loopback address"
        ),
        "{}",
        err.message
    );
    assert_eq!(origin.connections().await, 1);
    assert_eq!(target.connections().await, 0);
}

#[tokio::test]
async fn a_redirect_to_another_scheme_is_refused() {
    let origin = TestServer::start("127.0.0.1", |path| match path {
        "/ftp" => Reply::redirect("ftp://ftp.example.org/data.csv"),
        _ => Reply::redirect("file:///etc/passwd"),
    })
    .await;

    let err = refused(&origin.url("/ftp"), &test_config()).await;
    assert_eq!(
        err.message,
        "refused by network policy: scheme 'ftp' is not allowed (only http and https)"
    );

    // reqwest itself stops at a redirect to a non-web scheme.
    let err = fetch(&origin.url("/file"), None, &test_config())
        .await
        .expect_err("file redirect");
    assert_eq!(err.kind, FetchErrorKind::Redirect);
    assert!(!err.transient);
    assert_eq!(
        err.message,
        "HTTP 302 Found: redirect to file:///etc/passwd not followed"
    );
}

#[tokio::test]
async fn worker_mode_refuses_other_schemes_and_local_files() {
    let cfg = strict_config();
    let err = refused("ftp://ftp.example.org/data.csv", &cfg).await;
    assert_eq!(
        err.message,
        "refused by network policy: scheme 'ftp' is not allowed (only http and https)"
    );
    for location in ["file:///etc/passwd", "/etc/passwd", "../../etc/passwd"] {
        let err = refused(location, &cfg).await;
        assert_eq!(err.message, "local files are not allowed in worker mode");
    }
}
