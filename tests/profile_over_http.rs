//! The main job end to end: jobs whose distributions are served over HTTP
//! by a local server, profiled by the same pipeline the workers run.

use dataprof_model::{
    DataProfile, Distribution, DistributionStatus, FieldType, Job, ProfileStatus,
};
use dataprof_tests::{FileServer, fixture, loopback_pipeline, truth_entries};

fn job(distributions: Vec<Distribution>) -> Job {
    Job {
        run_id: "run-1".to_owned(),
        entry_id: "entry-1".to_owned(),
        dataset_id: Some("dataset-1".to_owned()),
        profile_kind: "dataset".to_owned(),
        distributions,
    }
}

fn distribution(id: &str, url: String, format: &str) -> Distribution {
    Distribution {
        id: Some(id.to_owned()),
        download_url: Some(url),
        format: Some(format.to_owned()),
        ..Distribution::default()
    }
}

async fn profile(distributions: Vec<Distribution>) -> DataProfile {
    loopback_pipeline().run(&job(distributions)).await.profile
}

/// The repo's example entry, its relative paths rewritten to the server.
#[tokio::test]
async fn four_formats_of_one_entry_are_all_profiled() {
    let server = FileServer::start().await;
    let text = std::fs::read_to_string(fixture("../../examples/catalog-entry-paris.json"))
        .expect("example entry");
    // examples/data holds copies of corpus files: serve those.
    let text = text.replace("\"data/", &format!("\"{}/files/corpus/", server.base()));
    let job = Job::from_slice(text.as_bytes()).expect("example entry is a job");
    let run = loopback_pipeline().run(&job).await;
    let profile = run.profile;

    assert_eq!(
        profile.status,
        ProfileStatus::Profiled,
        "{:?}",
        profile.error_message
    );
    assert_eq!(profile.dataset_count, 4);
    assert_eq!(profile.entry_id, "0b6f3c1e-5a57-4d7e-9a51-3f2d7c0e9a01");
    assert_eq!(
        profile.dataset_id.as_deref(),
        Some("7c2d5b0a-1f4e-4c8b-9e3a-6d5f4b2a1c90")
    );
    let formats: Vec<_> = profile
        .distributions
        .iter()
        .map(|d| d.detected_format.clone().unwrap_or_default())
        .collect();
    assert_eq!(formats, ["csv", "json", "geojson", "shapefile"]);
    let records: Vec<_> = profile
        .distributions
        .iter()
        .map(|d| d.record_count)
        .collect();
    assert_eq!(records, [Some(615), Some(615), Some(20), Some(20)]);
    assert!(run.transient_faults.is_empty());
    // The JSON export flattens to the most fields: it is the primary one.
    let primary: Vec<_> = profile.distributions.iter().filter(|d| d.primary).collect();
    assert_eq!(primary.len(), 1);
    assert_eq!(profile.record_count, primary[0].record_count);
    assert_eq!(profile.field_count, primary[0].field_count);
    assert_eq!(profile.sample_records.as_ref().map(Vec::len), Some(5));
    let shapefile = &profile.distributions[3];
    let geometry = shapefile.geometry.as_ref().expect("shapefile geometry");
    assert_eq!(geometry.crs.as_deref(), Some("EPSG:4326"));
    assert_eq!(
        shapefile.container.as_ref().map(|c| c.kind.as_str()),
        Some("zip")
    );
    assert_eq!(shapefile.byte_size, Some(56_180));
    // DBF text holding numbers is typed in samples as in fields.
    let c_ar = shapefile
        .fields
        .iter()
        .find(|f| f.name == "c_ar")
        .expect("c_ar");
    assert_eq!(c_ar.field_type, FieldType::Integer);
    assert!(
        shapefile.sample_records[0]["c_ar"].is_u64(),
        "{:?}",
        shapefile.sample_records[0]
    );
    assert_eq!(
        shapefile.sha256.as_deref(),
        Some("ea71ba93de0c13d14b9957664dea94d5efd564be2a52c44ddb1214ac69806daf")
    );
}

/// Every public corpus file, served with a generic Content-Type, gives
/// its truth's format, record count and field count over HTTP.
#[tokio::test]
async fn every_corpus_file_profiles_over_http() {
    let server = FileServer::start().await;
    for (path, truth) in truth_entries() {
        let relative = path
            .strip_prefix(dataprof_tests::fixtures_dir())
            .expect("fixture path")
            .to_string_lossy()
            .into_owned();
        let profile = profile(vec![distribution("d", server.url(&relative), "CSV")]).await;
        let d = &profile.distributions[0];
        let expected_format = &truth["format"];
        if expected_format == "unsupported" {
            assert_eq!(profile.status, ProfileStatus::Unsupported, "{relative}");
            continue;
        }
        assert_eq!(
            profile.status,
            ProfileStatus::Profiled,
            "{relative}: {:?}",
            d.error
        );
        let format = serde_json::Value::from(d.detected_format.clone());
        let format_ok = match expected_format {
            serde_json::Value::Array(options) => options.contains(&format),
            other => *other == format,
        };
        assert!(
            format_ok,
            "{relative}: format {format}, expected {expected_format}"
        );
        if let Some(count) = truth["record_count"].as_u64() {
            assert_eq!(d.record_count, Some(count), "{relative}: record_count");
        }
        assert_eq!(
            d.byte_size,
            Some(std::fs::metadata(&path).expect("size").len())
        );
    }
}

#[tokio::test]
async fn non_data_content_is_unsupported_with_a_one_line_reason() {
    let server = FileServer::start().await;
    let cases = [
        (
            "unsupported/error_page_served_as.csv?content_type=text/csv",
            "html",
        ),
        ("unsupported/empty.csv", "empty"),
        ("unsupported/report.pdf?content_type=text/csv", "pdf"),
    ];
    for (relative, detected) in cases {
        let profile = profile(vec![distribution("d", server.url(relative), "CSV")]).await;
        assert_eq!(profile.status, ProfileStatus::Unsupported, "{relative}");
        assert_eq!(profile.profile_source, "none");
        let d = &profile.distributions[0];
        assert_eq!(d.status, DistributionStatus::Unsupported, "{relative}");
        assert_eq!(d.detected_format.as_deref(), Some(detected), "{relative}");
        let error = d.error.as_deref().expect("a reason");
        assert!(error.starts_with("sniff: "), "{relative}: {error}");
        let message = profile.error_message.as_deref().expect("error_message");
        assert!(!message.contains('\n'), "one line: {message}");
        assert!(message.contains(error), "{message}");
    }
}

#[tokio::test]
async fn a_missing_file_makes_the_entry_partial_and_says_why() {
    let server = FileServer::start().await;
    let profile = profile(vec![
        distribution(
            "ok",
            server.url("corpus/insee_FILO2019_iris_bondy_latin1.csv"),
            "CSV",
        ),
        distribution("gone", server.url("corpus/no-such-file.csv"), "CSV"),
    ])
    .await;
    assert_eq!(profile.status, ProfileStatus::Partial);
    assert_eq!(profile.dataset_count, 1);
    assert_eq!(profile.record_count, Some(21));
    let gone = &profile.distributions[1];
    assert_eq!(gone.status, DistributionStatus::Failed);
    assert_eq!(gone.error.as_deref(), Some("fetch: HTTP 404 Not Found"));
    let message = profile.error_message.expect("error message");
    assert!(
        message.starts_with("1 of 2 distributions could not be profiled"),
        "{message}"
    );
}

#[tokio::test]
async fn access_url_is_the_fallback() {
    let server = FileServer::start().await;
    let mut d = distribution("d", server.url("corpus/no-such-file.csv"), "CSV");
    d.access_url = Some(server.url("corpus/georisques_icpe2024_bondy.csv"));
    let profile = profile(vec![d]).await;
    assert_eq!(profile.status, ProfileStatus::Profiled);
    assert_eq!(profile.record_count, Some(22));
    let first = &profile.fields.as_ref().expect("fields")[0];
    assert_eq!(first.name, "Numéro d'établissement");
    assert_eq!(first.field_type, FieldType::String);
}

#[tokio::test]
async fn loopback_is_refused_without_the_allow_list() {
    let server = FileServer::start().await;
    let pipeline = dataprof::Pipeline::default();
    let run = pipeline
        .run(&job(vec![distribution(
            "d",
            server.url("corpus/laposte_hexasmal.csv"),
            "CSV",
        )]))
        .await;
    let d = &run.profile.distributions[0];
    assert_eq!(d.status, DistributionStatus::Failed);
    let error = d.error.as_deref().unwrap_or_default();
    assert!(
        error.starts_with("fetch: refused by network policy"),
        "{error}"
    );
}
