//! AWS Signature Version 4, implemented from the AWS documentation: the canonical request, the
//! string to sign, the derived signing key, and the checks AWS makes before serving a call.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::wire::{ApiError, ErrorCode};

type HmacSha256 = Hmac<Sha256>;

/// The parts of an `Authorization: AWS4-HMAC-SHA256 …` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

/// The request as the signer saw it.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a hyper::HeaderMap,
    pub body: &'a [u8],
}

fn incomplete(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::IncompleteSignature, message)
}

pub fn missing_token() -> ApiError {
    ApiError::new(
        ErrorCode::MissingAuthenticationToken,
        "Request is missing Authentication Token",
    )
}

pub fn parse_authorization(header: &str) -> Result<Authorization, ApiError> {
    let rest = header.strip_prefix("AWS4-HMAC-SHA256 ").ok_or_else(|| {
        incomplete(format!(
            "Authorization header requires the AWS4-HMAC-SHA256 algorithm. Authorization={header}"
        ))
    })?;
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(value) = part.strip_prefix("Credential=") {
            credential = Some(value);
        } else if let Some(value) = part.strip_prefix("SignedHeaders=") {
            signed_headers = Some(value);
        } else if let Some(value) = part.strip_prefix("Signature=") {
            signature = Some(value);
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(incomplete(
            "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.",
        ));
    };
    let scope: Vec<&str> = credential.split('/').collect();
    if scope.len() != 5 || scope[4] != "aws4_request" || scope[0].is_empty() {
        return Err(incomplete(format!(
            "Credential should be scoped to a valid region, service and aws4_request. Credential={credential}"
        )));
    }
    Ok(Authorization {
        access_key: scope[0].to_string(),
        date: scope[1].to_string(),
        region: scope[2].to_string(),
        service: scope[3].to_string(),
        signed_headers: signed_headers.split(';').map(str::to_string).collect(),
        signature: signature.to_string(),
    })
}

/// Percent-encoding of everything but the unreserved characters, as SigV4 prescribes.
fn encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        let unreserved = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~');
        if unreserved || (keep_slash && byte == b'/') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `plus_is_space` is true for form bodies (application/x-www-form-urlencoded), false in URIs.
pub fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            // Works on bytes: slicing the text could split a multi-byte character and panic.
            b'%' if index + 2 < bytes.len() => {
                let digit = |byte: u8| (byte as char).to_digit(16);
                match (digit(bytes[index + 1]), digit(bytes[index + 2])) {
                    (Some(high), Some(low)) => {
                        out.push((high * 16 + low) as u8);
                        index += 3;
                    }
                    _ => {
                        out.push(b'%');
                        index += 1;
                    }
                }
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                index += 1;
            }
            byte => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (
                encode(&percent_decode(key, false), false),
                encode(&percent_decode(value, false), false),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn canonical_header_value(values: &[&str]) -> String {
    values
        .iter()
        .map(|value| value.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(",")
}

pub fn canonical_request(request: &SignedRequest<'_>, auth: &Authorization) -> String {
    // Non-S3 signers encode the already-encoded path once more.
    let path = if request.path.is_empty() {
        "/"
    } else {
        request.path
    };
    let uri = encode(path, true);
    let mut headers = String::new();
    for name in &auth.signed_headers {
        let values: Vec<&str> = request
            .headers
            .get_all(name.as_str())
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect();
        headers.push_str(&format!("{name}:{}\n", canonical_header_value(&values)));
    }
    let payload_hash = match request
        .headers
        .get("x-amz-content-sha256")
        .and_then(|value| value.to_str().ok())
    {
        Some(hash) => hash.to_string(),
        None => hex::encode(Sha256::digest(request.body)),
    };
    format!(
        "{}\n{uri}\n{}\n{headers}\n{}\n{payload_hash}",
        request.method,
        canonical_query(request.query),
        auth.signed_headers.join(";")
    )
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

pub fn expected_signature(
    request: &SignedRequest<'_>,
    auth: &Authorization,
    amz_date: &str,
    secret: &str,
) -> String {
    let scope = format!(
        "{}/{}/{}/aws4_request",
        auth.date, auth.region, auth.service
    );
    let hashed = hex::encode(Sha256::digest(canonical_request(request, auth).as_bytes()));
    let string_to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashed}");
    let date_key = hmac(format!("AWS4{secret}").as_bytes(), &auth.date);
    let region_key = hmac(&date_key, &auth.region);
    let service_key = hmac(&region_key, &auth.service);
    let signing_key = hmac(&service_key, "aws4_request");
    hex::encode(hmac(&signing_key, &string_to_sign))
}

/// Maps an access key id to its secret access key.
pub type SecretLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Checks a request's signature. `secret_for` maps an access key id to its secret; `None` means
/// "accept any well-formed signature".
pub fn check(
    request: &SignedRequest<'_>,
    secret_for: Option<SecretLookup<'_>>,
) -> Result<Authorization, ApiError> {
    let header = request
        .headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .ok_or_else(missing_token)?;
    let auth = parse_authorization(header)?;
    let amz_date = request
        .headers
        .get("x-amz-date")
        .or_else(|| request.headers.get("date"))
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."))?;
    if !auth.signed_headers.iter().any(|name| name == "host") {
        return Err(incomplete("Signed headers must include 'host'."));
    }
    let Some(secret_for) = secret_for else {
        return Ok(auth);
    };
    let secret = secret_for(&auth.access_key).ok_or_else(|| {
        ApiError::new(
            ErrorCode::UnrecognizedClient,
            "The security token included in the request is invalid.",
        )
    })?;
    let expected = expected_signature(request, &auth, amz_date, &secret);
    if expected != auth.signature {
        return Err(ApiError::new(
            ErrorCode::InvalidSignature,
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        ));
    }
    Ok(auth)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of the AWS SigV4 documentation (IAM ListUsers, GET).
    #[test]
    fn matches_the_documented_example() {
        let mut headers = hyper::HeaderMap::new();
        headers.insert("host", "iam.amazonaws.com".parse().unwrap());
        headers.insert(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8"
                .parse()
                .unwrap(),
        );
        headers.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
        let request = SignedRequest {
            method: "GET",
            path: "/",
            query: "Action=ListUsers&Version=2010-05-08",
            headers: &headers,
            body: b"",
        };
        let auth = Authorization {
            access_key: "AKIDEXAMPLE".into(),
            date: "20150830".into(),
            region: "us-east-1".into(),
            service: "iam".into(),
            signed_headers: vec!["content-type".into(), "host".into(), "x-amz-date".into()],
            signature: String::new(),
        };
        assert_eq!(
            hex::encode(Sha256::digest(
                canonical_request(&request, &auth).as_bytes()
            )),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        assert_eq!(
            expected_signature(
                &request,
                &auth,
                "20150830T123600Z",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
            ),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    #[test]
    fn percent_decoding_survives_anything() {
        assert_eq!(percent_decode("a%20b+c", true), "a b c");
        assert_eq!(percent_decode("a+b%2Bc", false), "a+b+c");
        assert_eq!(percent_decode("%é%", false), "%é%");
        assert_eq!(percent_decode("%zz%4", false), "%zz%4");
    }

    #[test]
    fn rejects_a_header_without_signature() {
        let error = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sagemaker/aws4_request",
        )
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::IncompleteSignature);
    }
}
