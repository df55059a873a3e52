use crate::helpers::{spawn_app, Backend};

/// The document is generated from the registered routes; this keeps its promises visible.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_lists_every_json_route_with_its_error_shape() {
    let app = spawn_app(Backend::Sqlite).await;
    let doc: serde_json::Value = app
        .api()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let expected: &[(&str, &str)] = &[
        ("/api/v1/me", "get"),
        ("/api/v1/referrals", "post"),
        ("/api/v1/cases/{id}", "get"),
        ("/api/v1/calls/next", "post"),
        ("/api/v1/cases/{id}/outcomes", "post"),
        ("/api/v1/contact-policy", "get"),
        ("/api/v1/contact-policy", "put"),
        ("/api/v1/contact-policy/regions", "get"),
        ("/api/v1/contact-policy/regions/{region}", "put"),
        ("/api/v1/contact-policy/regions/{region}", "delete"),
        ("/api/v1/cases/{id}/vulnerability", "post"),
        ("/api/v1/cases/{id}/escalations", "post"),
        ("/api/v1/cases/{id}/exceptions", "post"),
        ("/api/v1/exceptions/{id}/decision", "post"),
        ("/api/v1/debriefs", "post"),
        ("/api/v1/cases/{id}/plans", "post"),
        ("/api/v1/reports/re-engagement", "get"),
    ];
    for (path, method) in expected {
        assert!(
            paths.get(*path).and_then(|p| p.get(*method)).is_some(),
            "{method} {path} documented"
        );
    }
    assert!(doc["components"]["schemas"]["ApiErrorBody"].is_object());
    // Every documented route answers (not 404) and every one documents its errors.
    let client = app.api();
    for (path, item) in paths {
        assert!(
            path.starts_with("/api/"),
            "only JSON routes belong here: {path}"
        );
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|code| code.starts_with('4')),
                "{method} {path} documents its error responses"
            );
            let concrete = path.replace("{id}", "1");
            let request =
                client.request(method.to_uppercase().parse().unwrap(), app.url(&concrete));
            let status = request.send().await.unwrap().status().as_u16();
            assert_ne!(status, 404, "{method} {path} is documented but not served");
        }
    }
}
