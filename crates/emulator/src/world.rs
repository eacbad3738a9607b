//! The emulated account's state and clock. Everything lives in memory behind one lock held by the
//! server for the duration of a single operation. Lifecycles are not driven by tasks: each job
//! carries its schedule of timed transitions (its "plan") and every read shows the transitions
//! whose time has come, so thousands of jobs cost nothing while idle.

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::wire::ApiError;

/// The fixed fake account every ARN is issued in.
pub const ACCOUNT_ID: &str = "123456789012";

/// Seconds since the epoch, as SageMaker's JSON timestamps carry them.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs_f64())
        .unwrap_or(0.0)
}

/// Millisecond precision is what the SDKs keep; rounding here keeps equal instants equal after a
/// round trip through a client.
pub fn round_ms(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Outcome {
    Completed,
    Failed,
    MaxRuntimeExceeded,
}

impl Outcome {
    pub fn parse(text: &str) -> Option<Outcome> {
        match text {
            "Completed" => Some(Outcome::Completed),
            "Failed" => Some(Outcome::Failed),
            "MaxRuntimeExceeded" => Some(Outcome::MaxRuntimeExceeded),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub region: String,
    /// Real seconds per emulated second: 1.0 runs lifecycles at the pace written in the docs,
    /// 0.01 runs them a hundred times faster.
    pub time_scale: f64,
    pub default_outcome: Outcome,
    /// Emulated seconds from creation to the terminal state of a job when its tags do not say.
    pub default_duration: f64,
    /// Emulated seconds an endpoint spends Creating / Updating / Deleting.
    pub endpoint_duration: f64,
}

impl Settings {
    pub fn arn(&self, resource: &str, name: &str) -> String {
        // SageMaker lower-cases resource names inside ARNs.
        format!(
            "arn:aws:sagemaker:{}:{ACCOUNT_ID}:{resource}/{}",
            self.region,
            name.to_lowercase()
        )
    }
    /// Real seconds for a span of emulated seconds.
    pub fn real(&self, emulated: f64) -> f64 {
        emulated * self.time_scale
    }
}

/// One timed transition of a lifecycle.
#[derive(Debug, Clone)]
pub struct Step {
    pub at: f64,
    pub status: &'static str,
    pub secondary: &'static str,
    pub message: &'static str,
}

/// Transitions visible at `now`; the first step (creation) is always visible.
pub fn visible(plan: &[Step], now: f64) -> &[Step] {
    let count = plan.iter().take_while(|step| step.at <= now).count().max(1);
    &plan[..count.min(plan.len())]
}

pub fn is_terminal_status(status: &str) -> bool {
    matches!(status, "Completed" | "Failed" | "Stopped")
}

/// When the plan reaches its terminal state (the last step, if terminal).
pub fn terminal_at(plan: &[Step]) -> Option<f64> {
    plan.last()
        .filter(|step| is_terminal_status(step.status))
        .map(|step| step.at)
}

/// Replaces the future of a running plan with Stopping now and Stopped after `delay` (secondary
/// statuses of the same names), each step with its message.
pub fn stop_steps(plan: &mut Vec<Step>, now: f64, delay: f64, messages: [&'static str; 2]) {
    plan.retain(|step| step.at <= now);
    plan.push(Step {
        at: now,
        status: "Stopping",
        secondary: "Stopping",
        message: messages[0],
    });
    plan.push(Step {
        at: now + delay,
        status: "Stopped",
        secondary: "Stopped",
        message: messages[1],
    });
}

/// Per-resource lifecycle control from the reserved tags of a Create request.
#[derive(Debug, Clone, Default)]
pub struct ReservedTags {
    pub outcome: Option<String>,
    pub duration: Option<f64>,
    pub failure_reason: Option<String>,
}

pub const TAG_OUTCOME: &str = "emulator:outcome";
pub const TAG_DURATION: &str = "emulator:duration-seconds";
pub const TAG_FAILURE_REASON: &str = "emulator:failure-reason";

// Defined beside the request check, which blanks the reserved tags' values before checking.
pub use crate::api_model::is_reserved_tag;

pub fn reserved_tags(
    tags: Option<&Value>,
    allowed_outcomes: &[&str],
) -> Result<ReservedTags, ApiError> {
    let mut reserved = ReservedTags::default();
    for tag in tags.and_then(Value::as_array).into_iter().flatten() {
        let key = tag.get("Key").and_then(Value::as_str).unwrap_or("");
        let value = tag.get("Value").and_then(Value::as_str).unwrap_or("");
        match key {
            TAG_OUTCOME => {
                if !allowed_outcomes.contains(&value) {
                    return Err(ApiError::validation(format!(
                        "Tag {TAG_OUTCOME} must be one of [{}], got '{value}'",
                        allowed_outcomes.join(", ")
                    )));
                }
                reserved.outcome = Some(value.to_string());
            }
            TAG_DURATION => match value.parse::<f64>() {
                Ok(seconds) if seconds.is_finite() && seconds >= 0.0 => {
                    reserved.duration = Some(seconds)
                }
                _ => {
                    return Err(ApiError::validation(format!(
                        "Tag {TAG_DURATION} must be a non-negative number of seconds, got '{value}'"
                    )));
                }
            },
            TAG_FAILURE_REASON => reserved.failure_reason = Some(value.to_string()),
            _ => {}
        }
    }
    Ok(reserved)
}

/// The services whose operations kinds register (JSON 1.1, told apart by `X-Amz-Target`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    SageMaker,
    Logs,
    AutoScaling,
}

impl Service {
    /// The `X-Amz-Target` prefix, which is also how operations are named in faults and counts.
    pub fn target_prefix(self) -> &'static str {
        match self {
            Service::SageMaker => "SageMaker",
            Service::Logs => "Logs_20140328",
            Service::AutoScaling => "AnyScaleFrontendService",
        }
    }

    pub fn from_target_prefix(prefix: &str) -> Option<Service> {
        [Service::SageMaker, Service::Logs, Service::AutoScaling]
            .into_iter()
            .find(|service| service.target_prefix() == prefix)
    }
}

/// One operation a kind serves: the request body in, the response body out.
pub type Handler = fn(&mut World, Value, f64) -> Result<Value, ApiError>;

/// A kind's entries in the control API's resource list: `(member, value)` pairs.
pub type ResourceLister = fn(&World) -> Vec<(&'static str, Value)>;

/// What a kind of resource (or a service such as CloudWatch Logs) tells the world about itself.
/// The world and the server know kinds only through this: adding a kind is writing its module
/// and listing its `Kind` once (`kinds.rs`), never editing another kind.
pub struct Kind {
    pub name: &'static str,
    /// The state this kind keeps per region, created with each world.
    new_state: fn() -> Box<dyn Any + Send>,
    state_type: TypeId,
    pub operations: Vec<(Service, &'static str, Handler)>,
    /// Brings the kind's clock-driven processes up to `now` before each request.
    pub advance: Option<fn(&mut World, f64)>,
    /// Names of the kind's resources for the control API (`GET /_emulator/resources`), as
    /// `(member, value)` pairs.
    pub resources: Option<ResourceLister>,
    /// Whether the kind holds a resource with this ARN (the tagging operations ask).
    pub owns_arn: Option<fn(&World, &str) -> bool>,
    /// Told when any kind deletes a resource (`resource kind`, name), to let go of what hangs on
    /// it (scalable targets on an endpoint, for example).
    pub on_deleted: Option<fn(&mut World, &str, &str)>,
}

impl Kind {
    /// A kind whose per-region state is `S` (a fresh `S::default()` in every world).
    pub fn new<S: Default + Any + Send>(name: &'static str) -> Self {
        Kind {
            name,
            new_state: || Box::new(S::default()),
            state_type: TypeId::of::<S>(),
            operations: Vec::new(),
            advance: None,
            resources: None,
            owns_arn: None,
            on_deleted: None,
        }
    }

    /// Operations of one service at once, as a table of (name, handler).
    pub fn operations(mut self, service: Service, table: &[(&'static str, Handler)]) -> Self {
        self.operations.extend(
            table
                .iter()
                .map(|(name, handler)| (service, *name, *handler)),
        );
        self
    }
}

/// Every kind the emulator serves, in the order their `advance` hooks run.
pub struct Registry {
    kinds: Vec<Kind>,
    operations: HashMap<(Service, &'static str), Handler>,
}

impl Registry {
    pub fn new(kinds: Vec<Kind>) -> Self {
        let mut operations = HashMap::new();
        for kind in &kinds {
            for (service, name, handler) in &kind.operations {
                let earlier = operations.insert((*service, *name), *handler);
                debug_assert!(
                    earlier.is_none(),
                    "{name} registered twice (again by {})",
                    kind.name
                );
            }
        }
        Registry { kinds, operations }
    }

    pub fn handler(&self, service: Service, operation: &str) -> Option<Handler> {
        self.operations.get(&(service, operation)).copied()
    }
}

/// One region's resources. SageMaker and CloudWatch Logs keep every region apart: a name may be
/// used once per region, and a resource is invisible from any other region.
pub struct World {
    /// `settings.region` is this world's region, the one its ARNs name.
    pub settings: Settings,
    /// Tags by resource ARN, for resources that have any.
    pub tags: HashMap<String, Vec<(String, String)>>,
    registry: Arc<Registry>,
    /// Each kind's state, by its type.
    states: HashMap<TypeId, Box<dyn Any + Send>>,
}

impl World {
    pub fn new(settings: Settings, registry: Arc<Registry>) -> Self {
        let states = registry
            .kinds
            .iter()
            .map(|kind| (kind.state_type, (kind.new_state)()))
            .collect();
        World {
            settings,
            tags: HashMap::new(),
            registry,
            states,
        }
    }

    /// The state of the kind that keeps an `S`. Every registered kind's state exists from the
    /// world's creation, so only a kind missing from the registry can make this fail.
    pub fn state<S: Any>(&self) -> &S {
        self.states
            .get(&TypeId::of::<S>())
            .and_then(|state| state.downcast_ref())
            .unwrap_or_else(|| panic!("{} is not registered", std::any::type_name::<S>()))
    }

    pub fn state_mut<S: Any>(&mut self) -> &mut S {
        self.states
            .get_mut(&TypeId::of::<S>())
            .and_then(|state| state.downcast_mut())
            .unwrap_or_else(|| panic!("{} is not registered", std::any::type_name::<S>()))
    }

    /// Serves one registered operation.
    pub fn operation(
        &mut self,
        service: Service,
        operation: &str,
        input: Value,
        now: f64,
    ) -> Result<Value, ApiError> {
        match self.registry.handler(service, operation) {
            Some(handler) => {
                // As AWS does, the model's constraints are checked before anything else.
                crate::api_model::check(service.target_prefix(), operation, &input)?;
                handler(self, input, now)
            }
            None => Err(ApiError::new(
                crate::wire::ErrorCode::UnknownOperation,
                format!(
                    "The emulator does not implement {}.{operation}",
                    service.target_prefix()
                ),
            )),
        }
    }

    /// Brings every clock-driven process up to `now`: tuning jobs launch the children whose slot
    /// has freed, scaling policies act on their variants, endpoints finish transitions, deleted
    /// endpoints disappear (each kind's `advance`, in registration order).
    pub fn advance(&mut self, now: f64) {
        let registry = self.registry.clone();
        for advance in registry.kinds.iter().filter_map(|kind| kind.advance) {
            advance(self, now);
        }
    }

    /// Tells every kind that a resource is gone.
    pub fn resource_deleted(&mut self, kind: &str, name: &str) {
        let registry = self.registry.clone();
        for on_deleted in registry.kinds.iter().filter_map(|kind| kind.on_deleted) {
            on_deleted(self, kind, name);
        }
    }

    /// Whether any kind holds a resource with this ARN.
    pub fn resource_exists(&self, arn: &str) -> bool {
        self.registry
            .kinds
            .iter()
            .filter_map(|kind| kind.owns_arn)
            .any(|owns| owns(self, arn))
    }

    /// Every resource of this region by name (for the control API's leak checks), sorted.
    pub fn resources(&self) -> Value {
        let mut all = Map::new();
        for resources in self.registry.kinds.iter().filter_map(|kind| kind.resources) {
            for (member, value) in resources(self) {
                all.insert(member.to_string(), value);
            }
        }
        Value::Object(all)
    }

    pub fn store_tags(&mut self, arn: &str, tags: Option<&Value>) {
        let list: Vec<(String, String)> = tags
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|tag| {
                let key = tag.get("Key")?.as_str()?.to_string();
                let value = tag
                    .get("Value")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                Some((key, value))
            })
            .collect();
        if !list.is_empty() {
            self.tags.insert(arn.to_string(), list);
        }
    }
}

/// Sorted names of a kind's resources, as `World::resources` lists them.
pub fn sorted_names<'a>(keys: impl Iterator<Item = &'a String>) -> Value {
    let mut names: Vec<&str> = keys.map(String::as_str).collect();
    names.sort_unstable();
    serde_json::json!(names)
}

/// The worlds of every region a request has named so far, created on first use.
pub struct Regions {
    /// The command-line settings; each world gets a copy with its own region.
    settings: Settings,
    registry: Arc<Registry>,
    worlds: BTreeMap<String, World>,
}

impl Regions {
    pub fn new(settings: Settings, registry: Arc<Registry>) -> Self {
        Regions {
            settings,
            registry,
            worlds: BTreeMap::new(),
        }
    }

    /// The world of `region`, brought up to `now` (tuning children launched, endpoint
    /// transitions settled) so the caller sees exactly what that region holds at this instant.
    pub fn world(&mut self, region: &str, now: f64) -> &mut World {
        // Looked up before inserting so the common case allocates no key.
        if !self.worlds.contains_key(region) {
            tracing::debug!(region, "first request for this region");
            let mut settings = self.settings.clone();
            settings.region = region.to_string();
            let world = World::new(settings, self.registry.clone());
            self.worlds.insert(region.to_string(), world);
        }
        let world = self.worlds.get_mut(region).expect("inserted above");
        world.advance(now);
        world
    }

    /// `World::resources` of one region at `now`; a region never used has none (and reading it
    /// does not create it).
    pub fn resources(&mut self, region: &str, now: f64) -> Value {
        match self.worlds.get_mut(region) {
            Some(world) => {
                world.advance(now);
                world.resources()
            }
            None => World::new(self.settings.clone(), self.registry.clone()).resources(),
        }
    }

    /// The regions requests have used so far, sorted.
    pub fn names(&self) -> Vec<String> {
        self.worlds.keys().cloned().collect()
    }

    /// Forgets every region (the control API's reset).
    pub fn clear(&mut self) {
        self.worlds.clear();
    }
}

// ---- small helpers for reading request members --------------------------------------------

pub fn str_member<'a>(body: &'a Value, member: &str) -> Option<&'a str> {
    body.get(member).and_then(Value::as_str)
}

/// Timestamps arrive as epoch seconds (what the SDKs send); ISO 8601 text is accepted too.
pub fn time_member(body: &Value, member: &str) -> Option<f64> {
    match body.get(member)? {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text
            .parse::<jiff::Timestamp>()
            .ok()
            .map(|ts| ts.as_millisecond() as f64 / 1000.0),
        _ => None,
    }
}

pub fn time_value(seconds: f64) -> Value {
    serde_json::Number::from_f64(round_ms(seconds))
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

pub fn parse_object(body: &[u8]) -> Result<Value, ApiError> {
    let text = if body.is_empty() {
        b"{}".as_slice()
    } else {
        body
    };
    match serde_json::from_slice::<Value>(text) {
        Ok(value @ Value::Object(_)) => Ok(value),
        _ => Err(ApiError::new(
            crate::wire::ErrorCode::Serialization,
            "Start of structure or map found where not expected.",
        )),
    }
}

/// The common time-range and name filters of the SageMaker List operations.
pub struct ListFilter {
    pub name_contains: Option<String>,
    pub status_equals: Option<String>,
    pub created_after: Option<f64>,
    pub created_before: Option<f64>,
    pub modified_after: Option<f64>,
    pub modified_before: Option<f64>,
}

impl ListFilter {
    pub fn from_request(body: &Value) -> Self {
        ListFilter {
            name_contains: str_member(body, "NameContains").map(str::to_lowercase),
            status_equals: str_member(body, "StatusEquals").map(str::to_string),
            created_after: time_member(body, "CreationTimeAfter"),
            created_before: time_member(body, "CreationTimeBefore"),
            modified_after: time_member(body, "LastModifiedTimeAfter"),
            modified_before: time_member(body, "LastModifiedTimeBefore"),
        }
    }

    pub fn accepts(&self, name: &str, status: Option<&str>, created: f64, modified: f64) -> bool {
        // Compare the instants clients saw (millisecond precision), not the internal ones.
        let (created, modified) = (round_ms(created), round_ms(modified));
        if let Some(part) = &self.name_contains
            && !name.to_lowercase().contains(part.as_str())
        {
            return false;
        }
        if let Some(wanted) = &self.status_equals
            && status != Some(wanted.as_str())
        {
            return false;
        }
        // Compare at the precision clients see (responses carry milliseconds): a client that
        // sends back a job's own CreationTime as CreationTimeAfter must not get that job again
        // because of sub-millisecond digits it never saw.
        let after = |bound: Option<f64>, value: f64| {
            bound.is_none_or(|bound| round_ms(value) > round_ms(bound))
        };
        let before = |bound: Option<f64>, value: f64| {
            bound.is_none_or(|bound| round_ms(value) < round_ms(bound))
        };
        after(self.created_after, created)
            && before(self.created_before, created)
            && after(self.modified_after, modified)
            && before(self.modified_before, modified)
    }
}

/// Cuts one page out of an already filtered and sorted list. Tokens are opaque to clients; here
/// they carry the offset of the next page.
pub fn paginate<T>(
    items: Vec<T>,
    body: &Value,
    default_size: usize,
    max_size: usize,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let size = match body.get("MaxResults").and_then(Value::as_i64) {
        Some(size) if size >= 1 && size as usize <= max_size => size as usize,
        Some(size) => {
            let mut violations = crate::validate::Violations::new();
            violations.range(
                &Value::from(size),
                "maxResults",
                Some(1),
                Some(max_size as i64),
            );
            violations.finish()?;
            default_size
        }
        None => default_size,
    };
    let start = match str_member(body, "NextToken") {
        None | Some("") => 0,
        Some(token) => {
            decode_token(token).ok_or_else(|| ApiError::validation("Invalid pagination token"))?
        }
    };
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(start).take(size).collect();
    let next =
        (start.saturating_add(size) < total).then(|| encode_token(start.saturating_add(size)));
    Ok((page, next))
}

pub fn encode_token(offset: usize) -> String {
    format!("emulator-page-{offset}")
}

pub fn decode_token(token: &str) -> Option<usize> {
    token.strip_prefix("emulator-page-")?.parse().ok()
}

/// What the common `SortBy` values of a List operation compare in a row: its name, creation
/// time and status.
pub type SortKey<'a> = (&'a str, f64, &'a str);

/// Sorts List rows by `SortBy` (`Name`, `CreationTime` or `Status`, the name breaking ties) in
/// `SortOrder`, falling back to the operation's documented defaults (`default_by`,
/// `default_descending`) for members the request left out.
pub fn sort_rows<T>(
    rows: &mut [T],
    body: &Value,
    default_by: &str,
    default_descending: bool,
    key: impl Fn(&T) -> SortKey<'_>,
) {
    let by = str_member(body, "SortBy").unwrap_or(default_by);
    rows.sort_by(|a, b| {
        let ((a_name, a_created, a_status), (b_name, b_created, b_status)) = (key(a), key(b));
        match by {
            "Name" => a_name.cmp(b_name),
            "Status" => a_status.cmp(b_status).then(a_name.cmp(b_name)),
            _ => a_created.total_cmp(&b_created).then(a_name.cmp(b_name)),
        }
    });
    let descending =
        str_member(body, "SortOrder").map_or(default_descending, |order| order == "Descending");
    if descending {
        rows.reverse();
    }
}

/// A List response: the page under `member`, and the token of the next page if there is one.
pub fn list_response(member: &str, page: Vec<Value>, next: Option<String>) -> Value {
    let mut response = Map::new();
    response.insert(member.to_string(), Value::Array(page));
    if let Some(next) = next {
        response.insert("NextToken".into(), Value::String(next));
    }
    Value::Object(response)
}

/// Sort order member of the List operations: Descending unless told otherwise.
pub fn descending(body: &Value) -> bool {
    str_member(body, "SortOrder") != Some("Ascending")
}

/// The request members echoed back by a Describe call, minus the ones Describe never returns.
pub fn echoed_request(raw: &str, dropped: &[&str]) -> Map<String, Value> {
    let mut map = match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    for member in dropped {
        map.remove(*member);
    }
    map
}

/// A deterministic pseudo-random number in [0, 1) from text (FNV-1a), so metric values and
/// predictions are reproducible.
pub fn unit_hash(text: &str) -> f64 {
    let mut hash: u64 = 0xcbf29ce484222325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x100000001b3);
    }
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Counter(u32);

    fn counter_kind() -> Kind {
        let mut kind = Kind::new::<Counter>("counter");
        kind.advance = Some(|world, _| world.state_mut::<Counter>().0 += 1);
        kind.resources =
            Some(|world| vec![("counts", serde_json::json!(world.state::<Counter>().0))]);
        kind.owns_arn = Some(|_, arn| arn == "arn:counter");
        kind.operations(
            Service::SageMaker,
            &[("Count", |world, _, _| {
                Ok(serde_json::json!({ "Count": world.state::<Counter>().0 }))
            })],
        )
    }

    fn settings() -> Settings {
        Settings {
            region: "us-east-1".into(),
            time_scale: 1.0,
            default_outcome: Outcome::Completed,
            default_duration: 60.0,
            endpoint_duration: 30.0,
        }
    }

    #[test]
    fn every_service_is_checked_against_its_api_model() {
        // A prefix the model table does not know would silently turn the check off.
        for (service, operation) in [
            (Service::SageMaker, "DescribeEndpoint"),
            (Service::Logs, "CreateLogGroup"),
            (Service::AutoScaling, "DeleteScalingPolicy"),
        ] {
            let refused =
                crate::api_model::check(service.target_prefix(), operation, &serde_json::json!({}));
            assert!(refused.is_err(), "{service:?} {operation}");
        }
    }

    #[test]
    fn registered_operations_route_and_others_are_unknown_per_service() {
        let mut regions = Regions::new(settings(), Arc::new(Registry::new(vec![counter_kind()])));
        let world = regions.world("eu-west-1", 0.0);
        let answer = world.operation(Service::SageMaker, "Count", Value::Null, 0.0);
        assert_eq!(answer.unwrap()["Count"], 1, "advanced once on first use");
        let unknown = world
            .operation(Service::Logs, "Count", Value::Null, 0.0)
            .unwrap_err();
        assert_eq!(unknown.code, crate::wire::ErrorCode::UnknownOperation);
        assert_eq!(
            unknown.message,
            "The emulator does not implement Logs_20140328.Count"
        );
    }

    #[test]
    fn hooks_reach_every_kind_and_regions_stay_apart() {
        let mut regions = Regions::new(settings(), Arc::new(Registry::new(vec![counter_kind()])));
        regions.world("us-east-1", 0.0);
        let world = regions.world("us-east-1", 1.0);
        assert!(world.resource_exists("arn:counter"));
        assert!(!world.resource_exists("arn:other"));
        assert_eq!(regions.resources("us-east-1", 2.0)["counts"], 3);
        assert_eq!(regions.resources("us-west-2", 2.0)["counts"], 0);
        assert_eq!(regions.names(), vec!["us-east-1".to_string()]);
        regions.clear();
        assert!(regions.names().is_empty());
    }

    #[test]
    fn list_rows_sort_by_the_requested_field_with_the_documented_defaults() {
        let rows = [
            ("b", 1.0, "Completed"),
            ("a", 2.0, "InProgress"),
            ("c", 0.5, "Completed"),
        ];
        let sorted = |body: Value, by: &str, descending: bool| {
            let mut rows = rows.to_vec();
            sort_rows(&mut rows, &body, by, descending, |row| *row);
            rows.iter().map(|row| row.0).collect::<Vec<_>>().join("")
        };
        let table = [
            (serde_json::json!({}), "CreationTime", false, "cba"),
            (serde_json::json!({}), "Name", true, "cba"),
            (
                serde_json::json!({ "SortBy": "Name" }),
                "CreationTime",
                false,
                "abc",
            ),
            (
                serde_json::json!({ "SortBy": "Status" }),
                "Name",
                false,
                "bca",
            ),
            (
                serde_json::json!({ "SortOrder": "Ascending" }),
                "Name",
                true,
                "abc",
            ),
            (
                serde_json::json!({ "SortBy": "CreationTime", "SortOrder": "Descending" }),
                "Name",
                false,
                "abc",
            ),
        ];
        for (body, by, descending, expected) in table {
            assert_eq!(
                sorted(body.clone(), by, descending),
                expected,
                "{body} {by}"
            );
        }
        let response = list_response("Items", vec![Value::from(1)], Some("t".into()));
        assert_eq!(
            response,
            serde_json::json!({ "Items": [1], "NextToken": "t" })
        );
        assert_eq!(
            list_response("Items", vec![], None),
            serde_json::json!({ "Items": [] })
        );
    }
}
