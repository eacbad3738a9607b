# syntax=docker/dockerfile:1
# The operator image: a static (musl) build of the sagemaker-k8s-operator binary on a distroless
# static base that runs as the non-root user 65532 and needs no writable root filesystem.
#
#   docker build -t <registry>/sagemaker-k8s-operator:0.1.0 .
#
# Build stage: the workspace's pinned Rust (Cargo.toml rust-version) with musl for a static binary.
# aws-lc-sys (the TLS crypto of the AWS SDK and kube) compiles C code, hence musl-tools.
FROM rust:1.94-bookworm AS builder
ARG TARGETARCH=amd64
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools cmake \
 && rm -rf /var/lib/apt/lists/*
RUN case "$TARGETARCH" in \
      amd64) echo x86_64-unknown-linux-musl > /rust-target ;; \
      arm64) echo aarch64-unknown-linux-musl > /rust-target ;; \
      *) echo "unsupported TARGETARCH $TARGETARCH" >&2; exit 1 ;; \
    esac \
 && rustup target add "$(cat /rust-target)"
WORKDIR /src
COPY . .
# Only the operator's package: the emulator, smlogs and test crates are not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --release -p sagemaker-k8s-operator --bin sagemaker-k8s-operator \
      --target "$(cat /rust-target)" \
 && cp "target/$(cat /rust-target)/release/sagemaker-k8s-operator" /sagemaker-k8s-operator

# Runtime stage: CA certificates and /etc/passwd with "nonroot" (65532), nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=builder /sagemaker-k8s-operator /sagemaker-k8s-operator
USER 65532:65532
# Metrics (HTTPS) and health probes, as the Deployment's args bind them.
EXPOSE 8443 8081
ENTRYPOINT ["/sagemaker-k8s-operator"]
CMD ["run", "--leader-elect", "--metrics-bind-address=0.0.0.0:8443", "--health-probe-bind-address=0.0.0.0:8081", "--log-format=json"]
