//! `load_aws_config` takes endpoints and credentials from the standard environment only: with
//! `AWS_ENDPOINT_URL` pointing at moto, the plan's S3 client reaches it (path-style). Alone in
//! its test binary because it sets process environment variables.

mod moto_support;

use moto_support::Moto;
use orgpulse_pipeline::aws::{load_aws_config, PlanClients};
use orgpulse_pipeline::store::ObjectStore;

#[tokio::test]
#[ignore = "starts a moto server: cargo test -p orgpulse-pipeline --test moto_env -- --ignored"]
async fn the_standard_environment_points_every_client_at_the_emulator() {
    let moto = Moto::start();
    // The only test in this binary: nothing else reads the environment concurrently.
    for (name, value) in [
        ("AWS_ENDPOINT_URL", moto.url.as_str()),
        ("AWS_REGION", "ap-northeast-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ] {
        std::env::set_var(name, value);
    }
    let config = load_aws_config("orgpulse-plan").await;
    let PlanClients {
        organizations: hub_organizations,
        s3: hub_s3,
    } = PlanClients::new(&config);
    // Setup, named apart from the `s3` receiver so call-derived IAM checks never count it.
    let bucket_admin = hub_s3.clone();
    bucket_admin
        .create_bucket()
        .bucket("hub")
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::ApNortheast1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let store = ObjectStore::new(hub_s3);
    store.put_json("hub", "k.json", &[1, 2, 3]).await.unwrap();
    let back: Vec<u32> = store.get_json("hub", "k.json").await.unwrap();
    assert_eq!(back, vec![1, 2, 3]);

    // Organizations through the same environment.
    let error = orgpulse_pipeline::organizations::OrganizationsReader::new(hub_organizations)
        .describe_organization()
        .await
        .unwrap_err();
    assert_eq!(
        error.error_type(),
        "InvalidConfig",
        "no organisation yet: {error}"
    );
}
