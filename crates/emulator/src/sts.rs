//! STS over the query protocol: AssumeRoleWithWebIdentity (what IRSA uses) and
//! GetCallerIdentity. Issued keys are remembered so signature verification accepts them.

use std::collections::VecDeque;
use std::sync::Mutex;

use rand::Rng;

use crate::wire::{ApiError, ErrorCode, xml_escape};
use crate::world::ACCOUNT_ID;

/// Bounded so repeated AssumeRole calls cannot grow memory without limit.
const MAX_ISSUED: usize = 1024;

struct Issued {
    access_key: String,
    secret: String,
    arn: String,
}

#[derive(Default)]
pub struct IssuedCredentials {
    issued: VecDeque<Issued>,
}

impl IssuedCredentials {
    pub fn secret_for(&self, access_key: &str) -> Option<String> {
        self.issued
            .iter()
            .find(|issued| issued.access_key == access_key)
            .map(|issued| issued.secret.clone())
    }
    fn arn_for(&self, access_key: &str) -> Option<String> {
        self.issued
            .iter()
            .find(|issued| issued.access_key == access_key)
            .map(|issued| issued.arn.clone())
    }
    pub fn clear(&mut self) {
        self.issued.clear();
    }
}

fn random_text(length: usize, alphabet: &[u8]) -> String {
    let mut rng = rand::rng();
    (0..length)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const MIXED: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

fn missing(name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::StsValidation,
        format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            crate::validate::member_path(&[name])
        ),
    )
}

/// Reads the claims of a JWT without verifying it: the emulator trusts every identity provider.
fn jwt_claims(token: &str) -> Option<serde_json::Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64url_decode(payload)?;
    serde_json::from_slice(&bytes).ok()
}

fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let mut bits: u32 = 0;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|c| *c != b'=') {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

/// Serves one STS action; `issued` is the emulator's memory of the keys it handed out.
pub fn handle(
    issued: &Mutex<IssuedCredentials>,
    action: &str,
    params: &[(String, String)],
    access_key: Option<&str>,
) -> Result<String, ApiError> {
    let request_id = uuid::Uuid::new_v4();
    match action {
        "AssumeRoleWithWebIdentity" => assume_role_with_web_identity(issued, params, request_id),
        "GetCallerIdentity" => get_caller_identity(issued, access_key, request_id),
        other => Err(ApiError::new(
            ErrorCode::StsInvalidAction,
            format!("Could not find operation {other} for version 2011-06-15"),
        )),
    }
}

fn assume_role_with_web_identity(
    issued: &Mutex<IssuedCredentials>,
    params: &[(String, String)],
    request_id: uuid::Uuid,
) -> Result<String, ApiError> {
    let role_arn = param(params, "RoleArn").ok_or_else(|| missing("RoleArn"))?;
    let session = param(params, "RoleSessionName").ok_or_else(|| missing("RoleSessionName"))?;
    let token = param(params, "WebIdentityToken").ok_or_else(|| missing("WebIdentityToken"))?;
    let session_length = session.chars().count();
    if !(2..=64).contains(&session_length) {
        return Err(ApiError::new(
            ErrorCode::StsValidation,
            format!(
                "1 validation error detected: Value '{session}' at 'roleSessionName' failed to satisfy constraint: Member must have length {}",
                if session_length < 2 {
                    "greater than or equal to 2"
                } else {
                    "less than or equal to 64"
                }
            ),
        ));
    }
    let claims = jwt_claims(token).ok_or_else(|| {
        ApiError::new(ErrorCode::StsInvalidIdentityToken, "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
    })?;
    let role_name = role_arn.rsplit('/').next().unwrap_or("role");
    let assumed_arn = format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_name}/{session}");
    let access_key = format!("ASIA{}", random_text(16, UPPER));
    let secret = random_text(40, MIXED);
    let session_token = random_text(356, MIXED);
    let duration: i64 = param(params, "DurationSeconds")
        .and_then(|v| v.parse().ok())
        .unwrap_or(3600);
    let expiration = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(duration))
        .unwrap_or_else(|_| jiff::Timestamp::now());
    {
        let mut issued = issued.lock().unwrap_or_else(|p| p.into_inner());
        if issued.issued.len() >= MAX_ISSUED {
            issued.issued.pop_front();
        }
        issued.issued.push_back(Issued {
            access_key: access_key.clone(),
            secret: secret.clone(),
            arn: assumed_arn.clone(),
        });
    }
    tracing::info!(role = role_arn, session, "web identity role assumed");
    let subject = claims.get("sub").and_then(|v| v.as_str()).unwrap_or("");
    let audience = match claims.get("aud") {
        Some(serde_json::Value::String(aud)) => aud.clone(),
        Some(serde_json::Value::Array(list)) => list
            .first()
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string(),
        _ => String::new(),
    };
    let provider = claims.get("iss").and_then(|v| v.as_str()).unwrap_or("");
    Ok(format!(
        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleWithWebIdentityResult>\
<SubjectFromWebIdentityToken>{}</SubjectFromWebIdentityToken><Audience>{}</Audience>\
<AssumedRoleUser><Arn>{}</Arn><AssumedRoleId>AROA{}:{}</AssumedRoleId></AssumedRoleUser>\
<Credentials><SessionToken>{}</SessionToken><SecretAccessKey>{}</SecretAccessKey><Expiration>{}</Expiration><AccessKeyId>{}</AccessKeyId></Credentials>\
<Provider>{}</Provider></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>",
        xml_escape(subject),
        xml_escape(&audience),
        xml_escape(&assumed_arn),
        random_text(17, UPPER),
        xml_escape(session),
        session_token,
        xml_escape(&secret),
        expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
        access_key,
        xml_escape(provider),
    ))
}

fn get_caller_identity(
    issued: &Mutex<IssuedCredentials>,
    access_key: Option<&str>,
    request_id: uuid::Uuid,
) -> Result<String, ApiError> {
    let arn = access_key
        .and_then(|key| {
            issued
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .arn_for(key)
        })
        .unwrap_or_else(|| format!("arn:aws:iam::{ACCOUNT_ID}:user/emulator"));
    Ok(format!(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>\
<Arn>{}</Arn><UserId>AIDAEMULATOR{}</UserId><Account>{ACCOUNT_ID}</Account></GetCallerIdentityResult>\
<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
        xml_escape(&arn),
        access_key
            .map(|key| key.chars().take(8).collect::<String>())
            .unwrap_or_default()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_jwt_claims() {
        // {"sub":"system:serviceaccount:ns:sa","aud":"sts.amazonaws.com"}
        let token = "e30.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6bnM6c2EiLCJhdWQiOiJzdHMuYW1hem9uYXdzLmNvbSJ9.c2ln";
        let claims = jwt_claims(token).unwrap();
        assert_eq!(claims["sub"], "system:serviceaccount:ns:sa");
        assert_eq!(claims["aud"], "sts.amazonaws.com");
        assert!(jwt_claims("not-a-jwt").is_none());
    }
}
