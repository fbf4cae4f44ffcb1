//! The fake federating server against a real managed Synapse: Synapse fetches its keys over TLS,
//! accepts a request it signed, and refuses one whose signature does not match.

mod common;

use mscheck::federation::FakeServer;
use mscheck::homeserver::{Control, Targets};

/// A client for Synapse's federation listener (its certificate is mscheck's self-signed one).
fn federation_client() -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synapse_trusts_the_fake_servers_keys_and_checks_its_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let targets = Targets::boot_managed(
        &common::synapse_setup(),
        dir.path(),
        1,
        None,
        &http,
        &|_| {},
    )
    .await
    .expect("managed Synapse boots");
    let Control::Managed(synapse) = &targets.hs1.control else {
        panic!("a managed target");
    };
    let synapse_name = synapse.config().server_name.clone();
    let fed = format!("https://127.0.0.1:{}", synapse.config().federation_port);
    let fake = FakeServer::start(vec![]).await.unwrap();
    let client = federation_client();

    // A signed federation request is accepted (a profile query for a user that does not exist
    // answers 404, not 401).
    let uri = format!(
        "/_matrix/federation/v1/query/profile?user_id=%40nobody%3A{}",
        synapse_name.replace(':', "%3A")
    );
    let auth = fake
        .key()
        .authorization("GET", &uri, &synapse_name, None)
        .unwrap();
    let resp = signed_get(&client, &format!("{fed}{uri}"), &auth).await;
    // Accepted: the query itself is answered, "no such profile".
    assert_eq!(
        resp.status().as_u16(),
        404,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    // To check the signature, Synapse fetched the fake's key document itself (trusted_key_servers
    // is empty) over TLS.
    assert!(
        fake.recorded()
            .iter()
            .any(|r| r.uri == "/_matrix/key/v2/server"),
        "Synapse asked the fake for its keys"
    );

    // The same signature on another request is refused: the harness would notice a server that
    // skipped the check.
    let other = uri.replace("nobody", "somebody");
    let resp = signed_get(&client, &format!("{fed}{other}"), &auth).await;
    assert_eq!(resp.status().as_u16(), 401);

    // A later fake on the same port (so the same server name) with a new key: Synapse has cached
    // the first fake's key, and still accepts the second's signatures, because every fake key
    // has an ID of its own (with a fixed ID Synapse answered "Unable to verify signature") and a
    // dropped fake closes its keep-alive connections (else Synapse fetched the old key document
    // again over one of them: "Failed to find any key").
    let port: u16 = fake
        .key()
        .server_name
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let first_key_id = fake.key().key_id();
    drop(fake);
    // The old listener's task ends on drop; the port comes free a moment later (5 s at most).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let again = loop {
        match FakeServer::start_on(port, vec![]).await {
            Ok(f) => break f,
            Err(e) if std::time::Instant::now() > deadline => panic!("port {port}: {e}"),
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    };
    assert_eq!(again.key().server_name, format!("localhost:{port}"));
    assert_ne!(again.key().key_id(), first_key_id);
    let auth = again
        .key()
        .authorization("GET", &uri, &synapse_name, None)
        .unwrap();
    let resp = signed_get(&client, &format!("{fed}{uri}"), &auth).await;
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    assert_eq!(
        status, 404,
        "the second fake on port {port} was refused: {text}",
    );
    targets.shutdown().await;
}

/// A GET with an X-Matrix `Authorization` header.
async fn signed_get(client: &reqwest::Client, url: &str, auth: &str) -> reqwest::Response {
    client
        .get(url)
        .header("Authorization", auth)
        .send()
        .await
        .unwrap()
}
