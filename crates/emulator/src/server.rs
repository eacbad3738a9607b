//! The one HTTP port: routing by protocol (X-Amz-Target for SageMaker and CloudWatch Logs, path
//! for sagemaker-runtime and the control API, form Action for STS), then authentication, faults,
//! rate limits and the operation itself.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::control::{Control, FaultRule, RateLimitRule, Verdict};
use crate::scaled::Scaled;
use crate::sigv4::{self, SignedRequest};
use crate::sts::IssuedCredentials;
use crate::wire::{self, ApiError, ErrorCode, HttpResponse};
use crate::world::{Regions, Registry, Service, Settings, now, parse_object};

const MAX_BODY: usize = 16 * 1024 * 1024;

pub struct App {
    /// Every region's resources. One lock for all of them: an operation touches one region and
    /// holds the lock for microseconds, so finer locking would buy nothing measurable.
    pub regions: Mutex<Regions>,
    pub control: Control,
    pub settings: Settings,
    /// `--credentials`: when set, signatures are verified against it (and STS-issued keys).
    pub credentials: Option<(String, String)>,
    pub issued: Mutex<IssuedCredentials>,
}

impl App {
    /// `registry` lists the kinds every region serves.
    pub fn new(
        settings: Settings,
        credentials: Option<(String, String)>,
        registry: Registry,
    ) -> Self {
        App {
            regions: Mutex::new(Regions::new(settings.clone(), Arc::new(registry))),
            control: Control::default(),
            settings,
            credentials,
            issued: Mutex::new(IssuedCredentials::default()),
        }
    }

    fn lock_regions(&self) -> std::sync::MutexGuard<'_, Regions> {
        // A panic inside one operation must not take the whole emulator down with a poisoned lock.
        self.regions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn secret_for(&self, access_key: &str) -> Option<String> {
        if let Some((key, secret)) = &self.credentials
            && key == access_key
        {
            return Some(secret.clone());
        }
        self.issued
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .secret_for(access_key)
    }
}

/// Returned instead of a response to make hyper close the connection unanswered.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by an injected fault")]
pub struct DroppedConnection;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Call {
    /// A JSON 1.1 operation of one of the services the registered kinds serve.
    Json(Service, String),
    Runtime(String),
    /// InvokeEndpointAsync on an endpoint.
    RuntimeAsync(String),
    Sts(String),
}

impl Call {
    fn full_name(&self) -> String {
        match self {
            Call::Json(service, op) => format!("{}.{op}", service.target_prefix()),
            Call::Runtime(_) => "SageMakerRuntime.InvokeEndpoint".to_string(),
            Call::RuntimeAsync(_) => "SageMakerRuntime.InvokeEndpointAsync".to_string(),
            Call::Sts(action) => format!("STS.{action}"),
        }
    }

    fn error_response(&self, error: &ApiError) -> HttpResponse {
        match self {
            Call::Json(..) => wire::json_error(error),
            Call::Runtime(_) | Call::RuntimeAsync(_) => wire::rest_json_error(error),
            Call::Sts(_) => wire::xml_error(error),
        }
    }
}

pub async fn serve(listener: TcpListener, app: Arc<App>) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(app.clone(), request));
            if let Err(error) = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%peer, %error, "connection ended");
            }
        });
    }
}

pub fn form_params(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (
                sigv4::percent_decode(key, true),
                sigv4::percent_decode(value, true),
            )
        })
        .collect()
}

fn classify(
    method: &Method,
    path: &str,
    headers: &hyper::HeaderMap,
    query: &str,
    body: &[u8],
) -> Option<(Call, Vec<(String, String)>)> {
    if let Some(target) = headers
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok())
    {
        let (service, operation) = target.split_once('.')?;
        let service = Service::from_target_prefix(service)?;
        return Some((Call::Json(service, operation.to_string()), Vec::new()));
    }
    if let Some(rest) = path.strip_prefix("/endpoints/")
        && let Some(name) = rest.strip_suffix("/async-invocations")
        && method == Method::POST
    {
        return Some((
            Call::RuntimeAsync(sigv4::percent_decode(name, false)),
            Vec::new(),
        ));
    }
    if let Some(rest) = path.strip_prefix("/endpoints/")
        && let Some(name) = rest.strip_suffix("/invocations")
        && method == Method::POST
    {
        return Some((
            Call::Runtime(sigv4::percent_decode(name, false)),
            Vec::new(),
        ));
    }
    let mut params = form_params(query);
    if method == Method::POST {
        params.extend(form_params(std::str::from_utf8(body).unwrap_or("")));
    }
    let action = params
        .iter()
        .find(|(key, _)| key == "Action")
        .map(|(_, value)| value.clone())?;
    Some((Call::Sts(action), params))
}

async fn handle(
    app: Arc<App>,
    request: Request<Incoming>,
) -> Result<HttpResponse, DroppedConnection> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            tracing::debug!(%error, "request body not readable");
            return Ok(wire::json_error(&ApiError::new(
                ErrorCode::Serialization,
                "Request body could not be read.",
            )));
        }
    };
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");
    if let Some(control_path) = path.strip_prefix("/_emulator/") {
        return Ok(control_api(&app, &parts.method, control_path, query, &body));
    }
    let Some((call, params)) = classify(&parts.method, path, &parts.headers, query, &body) else {
        tracing::debug!(method = %parts.method, path, "unroutable request");
        return Ok(wire::json_error(&ApiError::new(
            ErrorCode::UnknownOperation,
            "The emulator cannot tell which operation this request is for.",
        )));
    };
    let full_name = call.full_name();
    app.control.count_call(&full_name);
    let signed = SignedRequest {
        method: parts.method.as_str(),
        path,
        query,
        headers: &parts.headers,
        body: &body,
    };
    let region = match authenticate(&app, &call, &signed) {
        Ok(region) => region,
        Err(error) => {
            tracing::info!(operation = %full_name, code = error.code.wire_name(), "request rejected by authentication");
            return Ok(call.error_response(&error));
        }
    };

    let (latency, verdict) = app.control.judge(&full_name);
    if let Some(latency) = latency {
        tokio::time::sleep(latency).await;
    }
    match verdict {
        Verdict::Serve => {}
        Verdict::Fail(error) => return Ok(call.error_response(&error)),
        Verdict::Drop => return Err(DroppedConnection),
    }
    Ok(serve_call(&app, &call, &params, &signed, &region))
}

/// Checks the request's signature and answers the region it was signed for: the region picks
/// the world (and so the ARNs), as each AWS region is its own service; `--region` serves
/// requests whose scope names none.
fn authenticate(app: &App, call: &Call, signed: &SignedRequest<'_>) -> Result<String, ApiError> {
    // AssumeRoleWithWebIdentity is the one call AWS serves unsigned: the web identity token is
    // the credential.
    if *call == Call::Sts("AssumeRoleWithWebIdentity".to_string()) {
        return Ok(app.settings.region.clone());
    }
    let lookup = |key: &str| app.secret_for(key);
    let verifier: Option<sigv4::SecretLookup<'_>> = if app.credentials.is_some() {
        Some(&lookup)
    } else {
        None
    };
    let auth = sigv4::check(signed, verifier)?;
    Ok(if auth.region.is_empty() {
        app.settings.region.clone()
    } else {
        auth.region
    })
}

/// Serves an authenticated call that no fault stopped.
fn serve_call(
    app: &App,
    call: &Call,
    params: &[(String, String)],
    request: &SignedRequest<'_>,
    region: &str,
) -> HttpResponse {
    match call {
        Call::Json(service, operation) => {
            let result = parse_object(request.body).and_then(|input| {
                let mut regions = app.lock_regions();
                let now = now();
                let world = regions.world(region, now);
                world.operation(*service, operation, input, now)
            });
            match result {
                Ok(output) => wire::json_ok(&output),
                Err(error) => {
                    tracing::debug!(operation = %call.full_name(), code = error.code.wire_name(), message = %error.message, "operation failed");
                    wire::json_error(&error)
                }
            }
        }
        Call::Runtime(endpoint) => {
            let content_type = request
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/octet-stream");
            let result = {
                let mut regions = app.lock_regions();
                let now = now();
                let world = regions.world(region, now);
                world.invoke_endpoint(endpoint, content_type, request.body)
            };
            match result {
                Ok(invocation) => invocation.into_response(),
                Err(error) => wire::rest_json_error(&error),
            }
        }
        Call::RuntimeAsync(endpoint) => invoke_async(app, endpoint, request, region),
        Call::Sts(action) => {
            let auth_key = request
                .headers
                .get("authorization")
                .and_then(|value| value.to_str().ok())
                .and_then(|header| sigv4::parse_authorization(header).ok())
                .map(|auth| auth.access_key);
            match crate::sts::handle(&app.issued, action, params, auth_key.as_deref()) {
                Ok(xml) => wire::xml_ok(xml),
                Err(error) => wire::xml_error(&error),
            }
        }
    }
}

/// InvokeEndpointAsync: the input location and optional inference id come as headers.
fn invoke_async(
    app: &App,
    endpoint: &str,
    request: &SignedRequest<'_>,
    region: &str,
) -> HttpResponse {
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let input = header("x-amzn-sagemaker-inputlocation");
    let inference_id = header("x-amzn-sagemaker-inference-id");
    let result = {
        let mut regions = app.lock_regions();
        let now = now();
        let world = regions.world(region, now);
        world.invoke_endpoint_async(endpoint, input.as_deref(), inference_id.as_deref(), now)
    };
    match result {
        Ok(invocation) => invocation.into_response(),
        Err(error) => wire::rest_json_error(&error),
    }
}

/// `PUT /_emulator/load`: a variant's traffic, which scaling policies react to.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LoadRequest {
    /// The region of the endpoint (`--region` when absent).
    #[serde(default)]
    region: Option<String>,
    /// A variant (endpoint and variant names) or an inference component.
    #[serde(default)]
    endpoint_name: Option<String>,
    #[serde(default)]
    variant_name: Option<String>,
    #[serde(default)]
    inference_component_name: Option<String>,
    /// Invocations per instance (per copy) per minute at the current instance (copy) count.
    invocations_per_instance: f64,
    /// Step scaling: the threshold of the alarm the step bounds are relative to (default 0).
    #[serde(default)]
    alarm_threshold: Option<f64>,
}

fn control_json(status: StatusCode, body: Value) -> HttpResponse {
    wire::plain(status, "application/json", body.to_string().into_bytes())
}

fn control_error(message: impl std::fmt::Display) -> HttpResponse {
    control_json(
        StatusCode::BAD_REQUEST,
        json!({ "error": message.to_string() }),
    )
}

fn control_api(app: &App, method: &Method, path: &str, query: &str, body: &Bytes) -> HttpResponse {
    let path = path.trim_end_matches('/');
    match (method, path) {
        (&Method::PUT, "load") | (&Method::POST, "load") => set_load(app, body),
        (&Method::GET, "resources") => list_resources(app, query),
        (&Method::GET, "objects") => list_objects(app, query),
        (method, path) if path.starts_with("objects/") => object(app, method, path, query, body),
        (&Method::GET, "health") => control_json(StatusCode::OK, json!({ "status": "ok" })),
        (&Method::POST, "faults") => match serde_json::from_slice::<FaultRule>(body) {
            Ok(rule) => match app.control.add_fault(rule) {
                Ok(()) => control_json(StatusCode::OK, json!({ "faults": app.control.faults() })),
                Err(error) => control_error(error),
            },
            Err(error) => control_error(error),
        },
        (&Method::GET, "faults") => {
            control_json(StatusCode::OK, json!({ "faults": app.control.faults() }))
        }
        (&Method::GET, "faults/injected") => {
            control_json(StatusCode::OK, json!(app.control.injected()))
        }
        (&Method::DELETE, "faults") => {
            app.control.clear_faults();
            control_json(StatusCode::OK, json!({ "faults": [] }))
        }
        (&Method::PUT, "rate-limits") | (&Method::POST, "rate-limits") => {
            match serde_json::from_slice::<RateLimitRule>(body) {
                Ok(rule) => match app.control.set_rate_limit(rule) {
                    Ok(()) => control_json(
                        StatusCode::OK,
                        json!({ "rateLimits": app.control.rate_limits() }),
                    ),
                    Err(error) => control_error(error),
                },
                Err(error) => control_error(error),
            }
        }
        (&Method::GET, "rate-limits") => control_json(
            StatusCode::OK,
            json!({ "rateLimits": app.control.rate_limits() }),
        ),
        (&Method::DELETE, "rate-limits") => {
            app.control.clear_rate_limits();
            control_json(StatusCode::OK, json!({ "rateLimits": [] }))
        }
        (&Method::GET, "calls") => control_json(StatusCode::OK, json!(app.control.calls())),
        (&Method::DELETE, "calls") => {
            app.control.clear_calls();
            control_json(StatusCode::OK, json!({}))
        }
        (&Method::POST, "reset") => {
            app.lock_regions().clear();
            app.control.reset();
            app.issued.lock().unwrap_or_else(|p| p.into_inner()).clear();
            tracing::info!("emulator reset");
            control_json(StatusCode::OK, json!({ "reset": true }))
        }
        _ => control_json(
            StatusCode::NOT_FOUND,
            json!({ "error": format!("no control endpoint {method} /_emulator/{path}") }),
        ),
    }
}

/// `PUT /_emulator/load`.
fn set_load(app: &App, body: &Bytes) -> HttpResponse {
    let request = match serde_json::from_slice::<LoadRequest>(body) {
        Ok(request) => request,
        Err(error) => return control_error(error),
    };
    let region = request
        .region
        .clone()
        .unwrap_or_else(|| app.settings.region.clone());
    let scaled = match (
        &request.endpoint_name,
        &request.variant_name,
        &request.inference_component_name,
    ) {
        (Some(endpoint), Some(variant), None) => Scaled::Variant {
            endpoint: endpoint.clone(),
            variant: variant.clone(),
        },
        (None, None, Some(component)) => Scaled::Component(component.clone()),
        _ => {
            return control_error(
                "name either endpointName and variantName, or inferenceComponentName",
            );
        }
    };
    let mut regions = app.lock_regions();
    let now = now();
    let world = regions.world(&region, now);
    match world.set_load(
        scaled,
        request.invocations_per_instance,
        request.alarm_threshold.unwrap_or(0.0),
    ) {
        Ok(load) => control_json(
            StatusCode::OK,
            json!({
                "region": region,
                "endpointName": request.endpoint_name,
                "variantName": request.variant_name,
                "inferenceComponentName": request.inference_component_name,
                "totalInvocations": load.total,
                "alarmThreshold": load.alarm_threshold,
            }),
        ),
        Err(error) => control_error(error),
    }
}

/// The `region` of a control request's query string, `--region` when absent.
fn query_region(app: &App, query: &str) -> String {
    form_params(query)
        .into_iter()
        .find(|(key, _)| key == "region")
        .map(|(_, value)| value)
        .unwrap_or_else(|| app.settings.region.clone())
}

/// `GET /_emulator/objects[?region=R]`: the S3 objects of a region: those asynchronous
/// inferences wrote, then those put through the control API.
fn list_objects(app: &App, query: &str) -> HttpResponse {
    let region = query_region(app, query);
    let mut regions = app.lock_regions();
    let now = now();
    let world = regions.world(&region, now);
    let mut objects = match world.output_objects(now) {
        Value::Array(objects) => objects,
        _ => Vec::new(),
    };
    objects.extend(world.stored_objects());
    control_json(
        StatusCode::OK,
        json!({ "region": region, "objects": objects }),
    )
}

/// `PUT`, `GET` and `DELETE /_emulator/objects/<bucket>/<key>[?region=R]`: one S3 object the
/// emulated SageMaker can read (a pipeline definition); PUT stores the request body as it is.
fn object(app: &App, method: &Method, path: &str, query: &str, body: &Bytes) -> HttpResponse {
    let rest = path.trim_start_matches("objects/");
    let Some((bucket, key)) = rest
        .split_once('/')
        .map(|(bucket, key)| {
            (
                sigv4::percent_decode(bucket, false),
                sigv4::percent_decode(key, false),
            )
        })
        .filter(|(bucket, key)| !bucket.is_empty() && !key.is_empty())
    else {
        return control_error("name an object as /_emulator/objects/<bucket>/<key>");
    };
    let region = query_region(app, query);
    let uri = format!("s3://{bucket}/{key}");
    let mut regions = app.lock_regions();
    let world = regions.world(&region, now());
    match *method {
        Method::PUT | Method::POST => match std::str::from_utf8(body) {
            Ok(text) => {
                world.put_object(&bucket, &key, text.to_string());
                control_json(
                    StatusCode::OK,
                    json!({ "region": region, "uri": uri, "bytes": body.len() }),
                )
            }
            Err(_) => control_error("an object's body must be UTF-8 text"),
        },
        Method::GET => match world.s3_object(&bucket, &key) {
            Some(text) => control_json(
                StatusCode::OK,
                json!({ "region": region, "uri": uri, "body": text }),
            ),
            None => control_json(
                StatusCode::NOT_FOUND,
                json!({ "error": format!("no object {uri} in {region}") }),
            ),
        },
        Method::DELETE => {
            let deleted = world.delete_object(&bucket, &key);
            control_json(
                StatusCode::OK,
                json!({ "region": region, "uri": uri, "deleted": deleted }),
            )
        }
        _ => control_json(
            StatusCode::NOT_FOUND,
            json!({ "error": format!("no control endpoint {method} /_emulator/{path}") }),
        ),
    }
}

/// `GET /_emulator/resources[?region=R]`: one region's resources, or every region's.
fn list_resources(app: &App, query: &str) -> HttpResponse {
    let wanted = form_params(query)
        .into_iter()
        .find(|(key, _)| key == "region")
        .map(|(_, value)| value);
    let mut regions = app.lock_regions();
    let now = now();
    match wanted {
        Some(region) => {
            let mut resources = regions.resources(&region, now);
            resources["region"] = json!(region);
            control_json(StatusCode::OK, resources)
        }
        None => {
            let mut all = serde_json::Map::new();
            for region in regions.names() {
                let resources = regions.resources(&region, now);
                all.insert(region, resources);
            }
            control_json(StatusCode::OK, json!({ "regions": all }))
        }
    }
}
