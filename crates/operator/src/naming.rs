//! SageMaker names derived from Kubernetes objects.

/// SageMaker's limit for job, model, endpoint and config names.
pub const MAX_NAME_LEN: usize = 63;
/// SageMaker's limit for tuning job names.
pub const MAX_TUNING_JOB_NAME_LEN: usize = 32;

/// `<object name>-<UID without dashes>`, the object name truncated first so the result fits
/// `max_len`. When even the UID does not fit with a short prefix (tuning jobs: 32 characters),
/// the UID is shortened too, keeping at least 7 characters of the name — the UID's leading 24 hex
/// digits still make collisions between objects practically impossible. Characters SageMaker
/// does not allow (Kubernetes names may contain `.`) become `-`.
pub fn derived_name(object_name: &str, uid: &str, max_len: usize) -> String {
    let uid_hex: String = uid.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let sanitized: String = object_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let sanitized = sanitized.trim_matches('-');
    const MIN_NAME_PART: usize = 7;
    let (name_part, uid_part) = if uid_hex.len() + 1 < max_len
        && max_len - uid_hex.len() > MIN_NAME_PART.min(sanitized.len().max(1))
    {
        let keep = max_len - uid_hex.len() - 1;
        (truncate(sanitized, keep), uid_hex.as_str())
    } else {
        let name_part = truncate(sanitized, MIN_NAME_PART);
        let uid_len = max_len
            .saturating_sub(name_part.len() + 1)
            .min(uid_hex.len());
        (name_part, &uid_hex[..uid_len])
    };
    let name_part = name_part.trim_end_matches('-');
    if name_part.is_empty() {
        uid_part[..uid_part.len().min(max_len)].to_string()
    } else {
        format!("{name_part}-{uid_part}")
    }
}

/// `<base>-<generation>-<UID without dashes>` within [`MAX_NAME_LEN`], the base truncated first:
/// the names of the models and endpoint configurations a HostingDeployment creates for one spec
/// generation. Deterministic, so a crash between create and status write adopts instead of
/// duplicating; the whole UID is kept so that every resource of one object can be found by it.
pub fn versioned_name(base: &str, generation: i64, uid: &str) -> String {
    let uid_hex = uid_hex(uid);
    let suffix = format!("{generation}-{uid_hex}");
    let sanitized = sanitize(base);
    let keep = MAX_NAME_LEN.saturating_sub(suffix.len() + 1);
    let base = truncate(&sanitized, keep).trim_end_matches('-');
    if base.is_empty() {
        suffix
    } else {
        format!("{base}-{suffix}")
    }
}

/// The UID as it appears in derived names (dashes removed).
pub fn uid_hex(uid: &str) -> String {
    uid.chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

/// The object's own name when SageMaker accepts it as is (Model and EndpointConfig objects are
/// named after the object, so other objects can refer to them by it), else a derived name.
pub fn object_or_derived_name(object_name: &str, uid: &str) -> String {
    let valid = !object_name.is_empty()
        && object_name.len() <= MAX_NAME_LEN
        && object_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !object_name.starts_with('-')
        && !object_name.ends_with('-');
    if valid {
        object_name.to_string()
    } else {
        derived_name(object_name, uid, MAX_NAME_LEN)
    }
}

fn sanitize(name: &str) -> String {
    let sanitized: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    sanitized.trim_matches('-').to_string()
}

fn truncate(text: &str, max_chars: usize) -> &str {
    // Sanitized names are ASCII, so byte and character positions agree.
    &text[..text.len().min(max_chars)]
}

#[cfg(test)]
mod tests {
    use super::*;

    const UID: &str = "8f1c6a52-3b1e-4c4e-9a8f-0c2d6f3e9b71";
    const NAME_RULE: fn(&str) -> bool = |name| {
        let bytes = name.as_bytes();
        !name.is_empty()
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            && bytes[0].is_ascii_alphanumeric()
            && bytes[bytes.len() - 1].is_ascii_alphanumeric()
    };

    #[test]
    fn short_names_keep_name_and_whole_uid() {
        assert_eq!(
            derived_name("xgboost-mnist", UID, MAX_NAME_LEN),
            "xgboost-mnist-8f1c6a523b1e4c4e9a8f0c2d6f3e9b71"
        );
    }

    #[test]
    fn long_names_are_truncated_to_fit() {
        let name = derived_name(&"a".repeat(80), UID, MAX_NAME_LEN);
        assert_eq!(name.len(), 63);
        assert!(name.ends_with("-8f1c6a523b1e4c4e9a8f0c2d6f3e9b71"));
    }

    #[test]
    fn tuning_job_names_fit_32() {
        let name = derived_name("xgboost-hpo-example", UID, MAX_TUNING_JOB_NAME_LEN);
        assert_eq!(name.len(), 32, "{name}");
        assert!(name.starts_with("xgboost-8f1c6a52"), "{name}");
        assert!(NAME_RULE(&name));
    }

    #[test]
    fn versioned_names_keep_generation_and_uid() {
        assert_eq!(
            versioned_name("host-xgboost", 2, UID),
            "host-xgboost-2-8f1c6a523b1e4c4e9a8f0c2d6f3e9b71"
        );
        let long = versioned_name(&"m".repeat(80), 12345, UID);
        assert_eq!(long.len(), 63);
        assert!(
            long.ends_with("-12345-8f1c6a523b1e4c4e9a8f0c2d6f3e9b71") && NAME_RULE(&long),
            "{long}"
        );
        assert!(NAME_RULE(&versioned_name("a.b-", 1, UID)));
    }

    #[test]
    fn valid_object_names_are_kept() {
        assert_eq!(
            object_or_derived_name("xgboost-mnist-model", UID),
            "xgboost-mnist-model"
        );
        assert_eq!(
            object_or_derived_name("my.model", UID),
            "my-model-8f1c6a523b1e4c4e9a8f0c2d6f3e9b71"
        );
    }

    #[test]
    fn every_derived_name_follows_sagemakers_rule() {
        for object_name in [
            "a",
            "a.b.c",
            "ends-with-dash-",
            "x".repeat(253).as_str(),
            "abcdef-.-xyz",
        ] {
            for max in [MAX_NAME_LEN, MAX_TUNING_JOB_NAME_LEN] {
                let name = derived_name(object_name, UID, max);
                assert!(
                    name.len() <= max && NAME_RULE(&name),
                    "{object_name} -> {name}"
                );
            }
        }
    }
}
