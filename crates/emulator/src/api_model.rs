//! AWS's own API models (`api-models/`, the botocore files, embedded at build time) and the check
//! of every request against them: required members, enums, patterns, lengths, value ranges, list
//! and map sizes, through nested structures, lists and maps — answered as AWS words it
//! (`validate::Violations`). The operator reads the same files; the two share data, never code.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{LazyLock, OnceLock};

use regex::Regex;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::{Number, Value};

use crate::validate::{Violations, member_path};
use crate::wire::{ApiError, ErrorCode};

static SAGEMAKER_MODEL: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../api-models/sagemaker/service-2.json.gz"
));
static AUTOSCALING_MODEL: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../api-models/application-autoscaling/service-2.json.gz"
));
static LOGS_MODEL: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../api-models/logs/service-2.json.gz"
));

static MODELS: [LazyLock<Model>; 3] = [
    LazyLock::new(|| Model::load(SAGEMAKER_MODEL)),
    LazyLock::new(|| Model::load(AUTOSCALING_MODEL)),
    LazyLock::new(|| Model::load(LOGS_MODEL)),
];

/// The services whose models are embedded, by their JSON 1.1 target prefix (`X-Amz-Target`),
/// the name the rest of the emulator knows them by.
pub const SAGEMAKER: &str = "SageMaker";
pub const AUTOSCALING: &str = "AnyScaleFrontendService";
pub const LOGS: &str = "Logs_20140328";

fn model(service: &str) -> Option<&'static Model> {
    match service {
        SAGEMAKER => Some(&MODELS[0]),
        AUTOSCALING => Some(&MODELS[1]),
        LOGS => Some(&MODELS[2]),
        _ => None,
    }
}

/// Reads every model now, so the first request does not pay for it.
pub fn preload() {
    for service in [SAGEMAKER, AUTOSCALING, LOGS] {
        let _ = model(service);
    }
}

/// Checks an operation's input against its service's model (`service` by its target prefix).
/// Services and operations without a model pass (the router answers them).
pub fn check(service: &str, operation: &str, input: &Value) -> Result<(), ApiError> {
    let Some(model) = model(service) else {
        return Ok(());
    };
    let Some(shape) = model.operations.get(operation) else {
        return Ok(());
    };
    let mut violations = Violations::new();
    model.check_members(
        shape,
        &without_reserved_tag_values(input),
        "",
        &mut violations,
    );
    violations.finish().map_err(|mut error| {
        // CloudWatch Logs answers constraint violations with its own code.
        if service == LOGS {
            error.code = ErrorCode::LogsInvalidParameter;
        }
        error
    })
}

/// Whether a tag key is one of the emulator's reserved tags: its control channel, not data AWS
/// would ever see.
pub fn is_reserved_tag(key: &str) -> bool {
    key.starts_with("emulator:")
}

/// The input with the values of the emulator's reserved tags (`emulator:…`) blanked: they carry
/// free text (failure reasons, exit messages) that AWS's tag value pattern would refuse, and they
/// are the emulator's control channel, not data AWS would see.
fn without_reserved_tag_values(input: &Value) -> std::borrow::Cow<'_, Value> {
    let reserved = |tag: &Value| {
        tag.get("Key")
            .and_then(Value::as_str)
            .is_some_and(is_reserved_tag)
    };
    let Some(tags) = input.get("Tags").and_then(Value::as_array) else {
        return std::borrow::Cow::Borrowed(input);
    };
    if !tags.iter().any(reserved) {
        return std::borrow::Cow::Borrowed(input);
    }
    let mut copy = input.clone();
    for tag in copy["Tags"].as_array_mut().into_iter().flatten() {
        if reserved(tag) && tag.get("Value").is_some() {
            tag["Value"] = Value::String(String::new());
        }
    }
    std::borrow::Cow::Owned(copy)
}

// ---- the model as read from botocore's JSON ------------------------------------------------

#[derive(Deserialize)]
struct RawModel {
    operations: HashMap<String, RawOperation>,
    shapes: HashMap<String, RawShape>,
}

#[derive(Deserialize)]
struct RawOperation {
    input: Option<ShapeRef>,
}

#[derive(Deserialize)]
struct ShapeRef {
    shape: String,
}

#[derive(Deserialize)]
struct RawShape {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    members: Ordered,
    #[serde(default)]
    required: Vec<String>,
    member: Option<ShapeRef>,
    key: Option<ShapeRef>,
    value: Option<ShapeRef>,
    #[serde(rename = "enum")]
    enumeration: Option<Vec<String>>,
    pattern: Option<String>,
    min: Option<Number>,
    max: Option<Number>,
}

/// Structure members in the model's order (AWS reports violations in that order; serde_json's
/// map would sort them).
#[derive(Default)]
struct Ordered(Vec<(String, ShapeRef)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor;
        impl<'de> Visitor<'de> for OrderedVisitor {
            type Value = Ordered;
            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a map of members")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut members = Vec::new();
                while let Some(entry) = map.next_entry::<String, ShapeRef>()? {
                    members.push(entry);
                }
                Ok(Ordered(members))
            }
        }
        deserializer.deserialize_map(OrderedVisitor)
    }
}

// ---- the model as checked -------------------------------------------------------------------

enum Kind {
    Structure {
        members: Vec<(String, String)>,
        required: Vec<String>,
    },
    List(String),
    Map {
        key: String,
        value: String,
    },
    String {
        enumeration: Option<Vec<String>>,
        pattern: Option<Pattern>,
    },
    Number,
    /// Booleans, timestamps, blobs: nothing to check.
    Other,
}

struct Shape {
    kind: Kind,
    min: Option<Number>,
    max: Option<Number>,
}

struct Model {
    /// Input shape by operation name.
    operations: HashMap<String, String>,
    shapes: HashMap<String, Shape>,
}

impl Model {
    fn load(compressed: &[u8]) -> Model {
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(compressed)
            .read_to_end(&mut text)
            .expect("the embedded API model is gzip");
        let raw: RawModel =
            serde_json::from_slice(&text).expect("the embedded API model is botocore JSON");
        Model::from_raw(raw)
    }

    fn from_raw(raw: RawModel) -> Model {
        let operations = raw
            .operations
            .into_iter()
            .filter_map(|(name, operation)| Some((name, operation.input?.shape)))
            .collect();
        let shapes = raw
            .shapes
            .into_iter()
            .map(|(name, shape)| (name, Shape::from_raw(shape)))
            .collect();
        Model { operations, shapes }
    }

    /// A structure's members: required ones present, each present one checked.
    fn check_members(&self, shape: &str, value: &Value, path: &str, out: &mut Violations) {
        let Some(Shape {
            kind: Kind::Structure { members, required },
            ..
        }) = self.shapes.get(shape)
        else {
            return;
        };
        for (member, member_shape) in members {
            let member_path = join(path, &member_path(&[member]));
            match value.get(member) {
                None | Some(Value::Null) => {
                    if required.contains(member) {
                        out.push(&Value::Null, &member_path, "Member must not be null");
                    }
                }
                Some(present) => self.check_value(member_shape, present, &member_path, out),
            }
        }
    }

    fn check_value(&self, shape_name: &str, value: &Value, path: &str, out: &mut Violations) {
        let Some(shape) = self.shapes.get(shape_name) else {
            return;
        };
        match &shape.kind {
            Kind::Structure { .. } => self.check_members(shape_name, value, path, out),
            Kind::List(member) => {
                let Some(items) = value.as_array() else {
                    return;
                };
                for constraint in shape.size_constraints(items.len(), "length") {
                    out.push(value, path, &constraint);
                }
                self.check_elements(member, items.iter(), path, out);
            }
            Kind::Map { key, value: entry } => {
                let Some(map) = value.as_object() else { return };
                for constraint in shape.size_constraints(map.len(), "length") {
                    out.push(value, path, &constraint);
                }
                let keys: Vec<Value> = map.keys().cloned().map(Value::String).collect();
                let key_failures = self.scalar_failures(key, keys.iter());
                if !key_failures.is_empty() {
                    let constraint = format!(
                        "Map keys must satisfy constraint: [{}]",
                        key_failures.join(", ")
                    );
                    out.push(value, path, &constraint);
                }
                if self.is_scalar(entry) {
                    let failures = self.scalar_failures(entry, map.values());
                    if !failures.is_empty() {
                        let constraint = format!(
                            "Map value must satisfy constraint: [{}]",
                            failures.join(", ")
                        );
                        out.push(value, path, &constraint);
                    }
                } else {
                    for (key, item) in map {
                        self.check_value(entry, item, &join(path, key), out);
                    }
                }
            }
            Kind::String { .. } | Kind::Number | Kind::Other => {
                for constraint in self.scalar_constraints(shape, value) {
                    out.push(value, path, &constraint);
                }
            }
        }
    }

    /// List elements: structures and collections by path (`list.N.member…`); scalars as one
    /// "Member must satisfy constraint: […]" on the list, as AWS words it.
    fn check_elements<'a>(
        &self,
        member: &str,
        items: impl Iterator<Item = &'a Value> + Clone,
        path: &str,
        out: &mut Violations,
    ) {
        if self.is_scalar(member) {
            let failures = self.scalar_failures(member, items.clone());
            if !failures.is_empty() {
                let list = Value::Array(items.cloned().collect());
                let constraint =
                    format!("Member must satisfy constraint: [{}]", failures.join(", "));
                out.push(&list, path, &constraint);
            }
            return;
        }
        for (index, item) in items.enumerate() {
            let item_path = format!("{path}.{}.member", index + 1);
            self.check_value(member, item, &item_path, out);
        }
    }

    fn is_scalar(&self, shape: &str) -> bool {
        self.shapes.get(shape).is_some_and(|shape| {
            matches!(shape.kind, Kind::String { .. } | Kind::Number | Kind::Other)
        })
    }

    /// Every distinct constraint any of `values` breaks.
    fn scalar_failures<'a>(
        &self,
        shape: &str,
        values: impl Iterator<Item = &'a Value>,
    ) -> Vec<String> {
        let Some(shape) = self.shapes.get(shape) else {
            return Vec::new();
        };
        let mut failures: Vec<String> = Vec::new();
        for value in values {
            for failure in self.scalar_constraints(shape, value) {
                if !failures.contains(&failure) {
                    failures.push(failure);
                }
            }
        }
        failures
    }

    /// The constraints a string or number breaks: enum, length, pattern, value range.
    fn scalar_constraints(&self, shape: &Shape, value: &Value) -> Vec<String> {
        let mut failures = Vec::new();
        match (&shape.kind, value) {
            (
                Kind::String {
                    enumeration,
                    pattern,
                },
                Value::String(text),
            ) => {
                if let Some(allowed) = enumeration
                    && !allowed.iter().any(|item| item == text)
                {
                    failures.push(format!(
                        "Member must satisfy enum value set: [{}]",
                        allowed.join(", ")
                    ));
                }
                failures.extend(shape.size_constraints(text.chars().count(), "length"));
                if let Some(pattern) = pattern
                    && !pattern.accepts(text)
                {
                    failures.push(format!(
                        "Member must satisfy regular expression pattern: {}",
                        pattern.shown()
                    ));
                }
            }
            (Kind::Number, Value::Number(number)) => {
                failures.extend(shape.value_constraints(number));
            }
            _ => {}
        }
        failures
    }
}

fn join(path: &str, member: &str) -> String {
    if path.is_empty() {
        member.to_string()
    } else {
        format!("{path}.{member}")
    }
}

impl Shape {
    fn from_raw(raw: RawShape) -> Shape {
        let shape = |reference: Option<ShapeRef>| reference.map(|r| r.shape).unwrap_or_default();
        let kind = match raw.kind.as_str() {
            "structure" => Kind::Structure {
                members: raw
                    .members
                    .0
                    .into_iter()
                    .map(|(name, reference)| (name, reference.shape))
                    .collect(),
                required: raw.required,
            },
            "list" => Kind::List(shape(raw.member)),
            "map" => Kind::Map {
                key: shape(raw.key),
                value: shape(raw.value),
            },
            "string" => Kind::String {
                enumeration: raw.enumeration,
                pattern: raw.pattern.map(Pattern::new),
            },
            "integer" | "long" | "float" | "double" => Kind::Number,
            _ => Kind::Other,
        };
        Shape {
            kind,
            min: raw.min,
            max: raw.max,
        }
    }

    /// Length constraints of strings, lists and maps (`size` items).
    fn size_constraints(&self, size: usize, what: &str) -> Vec<String> {
        let mut failures = Vec::new();
        if let Some(min) = self.min.as_ref().and_then(Number::as_f64)
            && (size as f64) < min
        {
            failures.push(format!(
                "Member must have {what} greater than or equal to {}",
                self.min.as_ref().expect("checked")
            ));
        }
        if let Some(max) = self.max.as_ref().and_then(Number::as_f64)
            && (size as f64) > max
        {
            failures.push(format!(
                "Member must have {what} less than or equal to {}",
                self.max.as_ref().expect("checked")
            ));
        }
        failures
    }

    fn value_constraints(&self, number: &Number) -> Vec<String> {
        let Some(value) = number.as_f64() else {
            return Vec::new();
        };
        let mut failures = Vec::new();
        if let Some(min) = &self.min
            && min.as_f64().is_some_and(|min| value < min)
        {
            failures.push(format!(
                "Member must have value greater than or equal to {min}"
            ));
        }
        if let Some(max) = &self.max
            && max.as_f64().is_some_and(|max| value > max)
        {
            failures.push(format!(
                "Member must have value less than or equal to {max}"
            ));
        }
        failures
    }
}

// ---- patterns ---------------------------------------------------------------------------------

/// A model pattern (Java syntax, matched against the whole value), compiled on first use.
struct Pattern {
    text: String,
    compiled: OnceLock<Option<Compiled>>,
}

/// A Java pattern in what the `regex` crate can run: leading lookaheads (`(?=…)`, `(?!…)`)
/// become separate checks of the value's start, the rest must match the whole value.
struct Compiled {
    lookaheads: Vec<(bool, Regex)>,
    whole: Regex,
}

impl Pattern {
    fn new(text: String) -> Pattern {
        Pattern {
            text,
            compiled: OnceLock::new(),
        }
    }

    fn compiled(&self) -> Option<&Compiled> {
        self.compiled
            .get_or_init(|| {
                let compiled = translate(&self.text);
                if compiled.is_none() {
                    tracing::debug!(pattern = %self.text, "pattern not checked: the regex crate cannot run it");
                }
                compiled
            })
            .as_ref()
    }

    /// Whether `text` satisfies the pattern; patterns that cannot be translated accept all.
    fn accepts(&self, text: &str) -> bool {
        let Some(compiled) = self.compiled() else {
            return true;
        };
        compiled
            .lookaheads
            .iter()
            .all(|(wanted, lookahead)| lookahead.is_match(text) == *wanted)
            && compiled.whole.is_match(text)
    }

    /// The pattern as AWS prints it: anchored at both ends.
    fn shown(&self) -> String {
        let start = if self.text.starts_with('^') { "" } else { "^" };
        let end = if self.text.ends_with('$') { "" } else { "$" };
        format!("{start}{}{end}", self.text)
    }
}

/// Splits off leading lookaheads and compiles the rest; `None` when something is left that the
/// `regex` crate cannot take (lookbehinds, lookaheads elsewhere, possessive quantifiers).
fn translate(pattern: &str) -> Option<Compiled> {
    let java = java_to_rust(pattern);
    let mut rest = java.as_str();
    let mut lookaheads = Vec::new();
    while let Some((wanted, inner, after)) = leading_lookahead(rest) {
        lookaheads.push((wanted, Regex::new(&format!("^(?:{inner})")).ok()?));
        rest = after;
    }
    let whole = Regex::new(&format!("^(?:{rest})$")).ok()?;
    Some(Compiled { lookaheads, whole })
}

static LONG_REPEAT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{(\d+),(\d{3,})\}").expect("repeat pattern"));

/// Java's POSIX classes (ASCII only), as class contents.
const POSIX_CLASSES: &[(&str, &str)] = &[
    ("{Alnum}", "a-zA-Z0-9"),
    ("{Alpha}", "a-zA-Z"),
    ("{Digit}", "0-9"),
    ("{Print}", "\\x20-\\x7E"),
];

/// What Java means, in the `regex` crate's syntax: `\w` and `\p{Alnum}` are ASCII in Java; a
/// UTF-16 surrogate-pair range is the supplementary planes; and bounds of 100 or more become
/// open (`{m,}`: the regex crate refuses to build thousands of copies of a Unicode class, and
/// the model's length constraint on the same member bounds the length anyway).
fn java_to_rust(pattern: &str) -> String {
    let pattern = pattern.replace("\\uD800\\uDC00-\\uDBFF\\uDFFF", "\\x{10000}-\\x{10FFFF}");
    let mut out = String::with_capacity(pattern.len());
    let mut in_class = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push(c);
                    break;
                };
                let ascii = |class: &str| {
                    if in_class {
                        class.to_string()
                    } else {
                        format!("[{class}]")
                    }
                };
                let posix = (next == 'p')
                    .then(|| {
                        POSIX_CLASSES
                            .iter()
                            .find(|(name, _)| pattern_at(&mut chars, name))
                    })
                    .flatten();
                if next == 'w' {
                    out.push_str(&ascii("a-zA-Z0-9_"));
                } else if let Some((_, class)) = posix {
                    out.push_str(&ascii(class));
                } else {
                    out.push(c);
                    out.push(next);
                }
            }
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    LONG_REPEAT.replace_all(&out, "{$1,}").into_owned()
}

/// Consumes `text` from `chars` when it comes next.
fn pattern_at(chars: &mut std::iter::Peekable<std::str::Chars>, text: &str) -> bool {
    let ahead: String = chars.clone().take(text.chars().count()).collect();
    if ahead == text {
        for _ in text.chars() {
            chars.next();
        }
        true
    } else {
        false
    }
}

/// `(?=X)rest` or `(?!X)rest` → (positive, X, rest).
fn leading_lookahead(pattern: &str) -> Option<(bool, &str, &str)> {
    let wanted = if pattern.starts_with("(?=") {
        true
    } else if pattern.starts_with("(?!") {
        false
    } else {
        return None;
    };
    let mut depth = 0usize;
    let mut escaped = false;
    let mut in_class = false;
    for (index, c) in pattern.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '[' => in_class = true,
            ']' => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => {
                depth -= 1;
                if depth == 0 {
                    return Some((wanted, &pattern[3..index], &pattern[index + 1..]));
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(service: &str, operation: &str, input: Value) -> Option<String> {
        check(service, operation, &input).err().map(|e| e.message)
    }

    /// The patterns the emulator cannot check, by service. A new botocore that adds one shows
    /// here; each must be a construct the `regex` crate lacks (lookbehind, a lookahead not at
    /// the start).
    #[test]
    fn every_model_pattern_is_checked_but_these() {
        let skipped = |service| {
            let mut list: Vec<&str> = model(service)
                .expect("an embedded model")
                .shapes
                .values()
                .filter_map(|shape| match &shape.kind {
                    Kind::String {
                        pattern: Some(pattern),
                        ..
                    } => pattern
                        .compiled()
                        .is_none()
                        .then_some(pattern.text.as_str()),
                    _ => None,
                })
                .collect();
            list.sort_unstable();
            list.dedup();
            list
        };
        assert_eq!(
            skipped(SAGEMAKER),
            vec![
                "(arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:[a-z\\-]*/)?([a-zA-Z0-9]([a-zA-Z0-9\\-]){0,62})(?<!-)",
                "(arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:[a-z\\-]*\\/)?([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)",
                "(arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:[a-z\\-]*\\/)?([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)(\\/[0-9]{1,9})?",
                "/(?!.*\\.\\.)[a-zA-Z0-9/_.\\-]+",
            ]
        );
        assert_eq!(skipped(AUTOSCALING), Vec::<&str>::new());
        assert_eq!(skipped(LOGS), Vec::<&str>::new());
    }

    #[test]
    fn leading_lookaheads_become_checks_of_the_start() {
        let compiled = translate("(?=.{1,5}$)[a-z]+").expect("translated");
        let pattern = Pattern::new("(?=.{1,5}$)[a-z]+".into());
        assert_eq!(compiled.lookaheads.len(), 1);
        assert!(pattern.accepts("abc"));
        assert!(
            !pattern.accepts("abcdef"),
            "the lookahead limits the length"
        );
        assert!(!pattern.accepts("ab1"));
        let not_blank = Pattern::new("(?!\\s*$).+".into());
        assert!(not_blank.accepts("x"));
        assert!(!not_blank.accepts("   "));
        assert_eq!(not_blank.shown(), "^(?!\\s*$).+$");
    }

    #[test]
    fn each_constraint_class_is_worded_like_aws() {
        let table = [
            (
                "CreateInferenceComponent",
                json!({ "EndpointName": "e" }),
                "1 validation error detected: Value null at 'inferenceComponentName' failed to satisfy constraint: Member must not be null",
            ),
            (
                "ListInferenceComponents",
                json!({ "SortBy": "Size" }),
                "1 validation error detected: Value 'Size' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value set: [Name, CreationTime, Status]",
            ),
            (
                "DescribeEndpoint",
                json!({ "EndpointName": "bad_name" }),
                "1 validation error detected: Value 'bad_name' at 'endpointName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$",
            ),
            (
                "UpdateInferenceComponentRuntimeConfig",
                json!({ "InferenceComponentName": "ic", "DesiredRuntimeConfig": { "CopyCount": -1 } }),
                "1 validation error detected: Value '-1' at 'desiredRuntimeConfig.copyCount' failed to satisfy constraint: Member must have value greater than or equal to 0",
            ),
            (
                "CreateInferenceComponent",
                json!({
                    "InferenceComponentName": "ic", "EndpointName": "e",
                    "Specification": { "ComputeResourceRequirements": { "MinMemoryRequiredInMb": 64, "NumberOfCpuCoresRequired": 0.1 } }
                }),
                "2 validation errors detected: Value '0.1' at 'specification.computeResourceRequirements.numberOfCpuCoresRequired' failed to satisfy constraint: Member must have value greater than or equal to 0.25; Value '64' at 'specification.computeResourceRequirements.minMemoryRequiredInMb' failed to satisfy constraint: Member must have value greater than or equal to 128",
            ),
        ];
        for (operation, input, expected) in table {
            assert_eq!(
                message(SAGEMAKER, operation, input).as_deref(),
                Some(expected),
                "{operation}"
            );
        }
    }

    #[test]
    fn lists_maps_and_logs_codes() {
        let too_long = "x".repeat(64);
        let failed = message(
            SAGEMAKER,
            "CreateEndpointConfig",
            json!({
                "EndpointConfigName": "c",
                "ProductionVariants": [{ "VariantName": too_long }],
            }),
        )
        .expect("violations");
        assert!(
            failed.contains(&format!("Value '{too_long}' at 'productionVariants.1.member.variantName' failed to satisfy constraint: Member must have length less than or equal to 63")),
            "{failed}"
        );
        let empty_list = message(
            SAGEMAKER,
            "CreateEndpointConfig",
            json!({ "EndpointConfigName": "c", "ProductionVariants": [] }),
        );
        assert_eq!(
            empty_list.as_deref(),
            Some(
                "1 validation error detected: Value '[]' at 'productionVariants' failed to satisfy constraint: Member must have length greater than or equal to 1"
            )
        );
        let error = check(
            LOGS,
            "CreateLogGroup",
            &json!({ "logGroupName": "bad name!" }),
        )
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::LogsInvalidParameter);
        assert!(error.message.starts_with("1 validation error detected: Value 'bad name!' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: "), "{}", error.message);
        assert_eq!(message(SAGEMAKER, "NoSuchOperation", json!({})), None);
    }
}
