//! Which per-object `sageMakerEndpoint` values the operator may send signed requests to.
//!
//! Every request carries a SigV4 signature and, with temporary credentials, the session token.
//! Anyone allowed to create a TrainingJob chooses its `sageMakerEndpoint`, so an unchecked URL
//! would let a namespace user make the operator send its credentials anywhere, in clear text
//! too. By default a per-object endpoint must be `https://` on one of AWS's own domains (VPC
//! endpoint names are under `vpce.amazonaws.com`); the operator-wide default endpoint
//! (`AWS_DEFAULT_SAGEMAKER_ENDPOINT`, chosen by whoever installs the operator) and the patterns
//! given with `--allowed-sagemaker-endpoint` are trusted as they are.

/// DNS suffixes of AWS's partitions (commercial, China, ISO, EU sovereign) and its dual-stack
/// domain: hosts under them are AWS's own service endpoints.
pub const AWS_DOMAIN_SUFFIXES: &[&str] = &[
    ".amazonaws.com",
    ".amazonaws.com.cn",
    ".api.aws",
    ".c2s.ic.gov",
    ".sc2s.sgov.gov",
    ".cloud.adc-e.uk",
    ".csp.hci.ic.gov",
];

/// One administrator-allowed endpoint: `SCHEME://HOST[:PORT]`, where HOST may start with `*.`
/// (any subdomain) and a missing port means any port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedEndpoint {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl std::str::FromStr for AllowedEndpoint {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let parsed = ParsedUrl::parse(text).ok_or_else(|| format!("expected SCHEME://HOST[:PORT] (for example https://*.example.com or http://127.0.0.1:8080), got {text:?}"))?;
        if parsed.has_path {
            return Err(format!(
                "an allowed endpoint names a scheme, host and port only, not a path: {text:?}"
            ));
        }
        Ok(Self {
            scheme: parsed.scheme,
            host: parsed.host,
            port: parsed.port,
        })
    }
}

impl AllowedEndpoint {
    fn matches(&self, url: &ParsedUrl) -> bool {
        if self.scheme != url.scheme || self.port.is_some_and(|port| Some(port) != url.port) {
            return false;
        }
        match self.host.strip_prefix("*.") {
            Some(suffix) => {
                url.host.len() > suffix.len()
                    && url.host.ends_with(suffix)
                    && url.host[..url.host.len() - suffix.len()].ends_with('.')
            }
            None => self.host == url.host,
        }
    }
}

/// The rule applied to every per-object endpoint.
#[derive(Debug, Clone, Default)]
pub struct EndpointPolicy {
    /// The operator-wide default endpoint, always trusted.
    pub default_endpoint: Option<String>,
    /// What the administrator allows besides AWS's own https endpoints.
    pub allowed: Vec<AllowedEndpoint>,
}

/// A per-object endpoint the operator refuses to call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{field} {endpoint:?} is not allowed: {why}. Allowed are https:// endpoints on AWS domains (*.amazonaws.com, *.amazonaws.com.cn, *.api.aws, …), the operator's default endpoint, and what the operator's --allowed-sagemaker-endpoint flag names"
)]
pub struct EndpointRefused {
    pub endpoint: String,
    pub why: &'static str,
    /// The spec field that named the endpoint.
    pub field: &'static str,
}

impl EndpointRefused {
    /// The same refusal, about another spec field.
    pub fn for_field(self, field: &'static str) -> Self {
        Self { field, ..self }
    }
}

impl EndpointPolicy {
    /// Checks a per-object endpoint; `Ok` means the operator may send signed requests there.
    pub fn check(&self, endpoint: &str) -> Result<(), EndpointRefused> {
        let refuse = |why| {
            Err(EndpointRefused {
                endpoint: endpoint.to_string(),
                why,
                field: "spec.sageMakerEndpoint",
            })
        };
        if self
            .default_endpoint
            .as_deref()
            .is_some_and(|default| default.trim_end_matches('/') == endpoint.trim_end_matches('/'))
        {
            return Ok(());
        }
        let Some(url) = ParsedUrl::parse(endpoint).filter(|url| !url.host.contains('*')) else {
            return refuse("it is not an absolute http(s) URL");
        };
        if self.allowed.iter().any(|allowed| allowed.matches(&url)) {
            return Ok(());
        }
        if url.scheme != "https" {
            return refuse("only https:// is allowed, so credentials never travel in clear text");
        }
        if url.userinfo {
            return refuse("user information in the URL is not allowed");
        }
        if !AWS_DOMAIN_SUFFIXES
            .iter()
            .any(|suffix| url.host.ends_with(suffix) && url.host.len() > suffix.len())
        {
            return refuse("its host is not on an AWS domain");
        }
        Ok(())
    }
}

/// The parts of an endpoint URL the policy looks at. Hand-parsed on purpose: only
/// `scheme://[userinfo@]host[:port][/path]` with a DNS name or IPv4 host is accepted at all, and
/// anything unusual (IPv6 literals, percent-encoding in the host) is refused rather than guessed.
#[derive(Debug)]
struct ParsedUrl {
    scheme: String,
    host: String,
    port: Option<u16>,
    userinfo: bool,
    has_path: bool,
}

impl ParsedUrl {
    fn parse(text: &str) -> Option<Self> {
        let (scheme, rest) = text.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return None;
        }
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(authority_end);
        let (userinfo, host_port) = match authority.rsplit_once('@') {
            Some((_, host_port)) => (true, host_port),
            None => (false, authority),
        };
        let (host, port) = match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port.parse::<u16>().ok()?)),
            None => (host_port, None),
        };
        let host = host.to_ascii_lowercase();
        let valid_host = !host.is_empty()
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*')
            });
        if !valid_host {
            return None;
        }
        Some(Self {
            scheme,
            host,
            port,
            userinfo,
            has_path: !(path.is_empty() || path == "/"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(default: Option<&str>, allowed: &[&str]) -> EndpointPolicy {
        EndpointPolicy {
            default_endpoint: default.map(str::to_string),
            allowed: allowed.iter().map(|a| a.parse().unwrap()).collect(),
        }
    }

    #[test]
    fn aws_https_endpoints_are_allowed_by_default() {
        let policy = policy(None, &[]);
        for endpoint in [
            "https://api.sagemaker.us-west-2.amazonaws.com",
            "https://api.sagemaker.us-west-2.amazonaws.com/",
            "https://vpce-0a1b2c3d-4e5f.api.sagemaker.eu-west-1.vpce.amazonaws.com",
            "https://api.sagemaker.cn-north-1.amazonaws.com.cn",
            "https://sagemaker.us-east-1.api.aws:443",
            "HTTPS://API.SAGEMAKER.US-EAST-1.AMAZONAWS.COM",
        ] {
            assert_eq!(policy.check(endpoint), Ok(()), "{endpoint}");
        }
    }

    #[test]
    fn everything_else_is_refused_with_the_reason() {
        let policy = policy(None, &[]);
        let cases = [
            (
                "http://api.sagemaker.us-west-2.amazonaws.com",
                "only https://",
            ),
            ("https://attacker.example.com", "not on an AWS domain"),
            (
                "https://amazonaws.com.attacker.example",
                "not on an AWS domain",
            ),
            ("https://evilamazonaws.com", "not on an AWS domain"),
            (
                "https://user:pw@api.sagemaker.us-east-1.amazonaws.com",
                "user information",
            ),
            ("https://127.0.0.1:8443", "not on an AWS domain"),
            ("https://[::1]:8443", "not an absolute"),
            (
                "ftp://api.sagemaker.us-east-1.amazonaws.com",
                "not an absolute",
            ),
            ("api.sagemaker.us-east-1.amazonaws.com", "not an absolute"),
            (
                "https://api.sagemaker.us-east-1.amazonaws.com:99999",
                "not an absolute",
            ),
        ];
        for (endpoint, why) in cases {
            let refused = policy.check(endpoint).expect_err(endpoint);
            assert!(refused.to_string().contains(why), "{endpoint}: {refused}");
            assert!(
                refused.to_string().starts_with("spec.sageMakerEndpoint"),
                "names the field: {refused}"
            );
        }
    }

    #[test]
    fn the_default_endpoint_and_administrator_patterns_are_trusted() {
        let policy = policy(
            Some("http://127.0.0.1:4566/"),
            &["http://localhost:8080", "https://*.corp.example"],
        );
        assert_eq!(policy.check("http://127.0.0.1:4566"), Ok(()));
        assert!(policy.check("http://127.0.0.1:4567").is_err());
        assert_eq!(policy.check("http://localhost:8080"), Ok(()));
        assert!(policy.check("http://localhost:8081").is_err());
        assert_eq!(policy.check("https://sagemaker.eu.corp.example"), Ok(()));
        assert!(
            policy.check("https://corp.example").is_err(),
            "*. needs a subdomain"
        );
        assert!(
            policy.check("http://sagemaker.corp.example").is_err(),
            "scheme is part of the pattern"
        );
        assert!(policy.check("https://xcorp.example").is_err());
    }

    #[test]
    fn allowed_patterns_are_parsed_strictly() {
        assert!("http://127.0.0.1:*".parse::<AllowedEndpoint>().is_err());
        assert!(
            "https://example.com/path"
                .parse::<AllowedEndpoint>()
                .is_err()
        );
        assert!("example.com".parse::<AllowedEndpoint>().is_err());
        assert_eq!(
            "http://127.0.0.1".parse::<AllowedEndpoint>(),
            Ok(AllowedEndpoint {
                scheme: "http".into(),
                host: "127.0.0.1".into(),
                port: None
            })
        );
    }
}
