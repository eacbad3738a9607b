# syntax=docker/dockerfile:1
# The operator image: the sagemaker-k8s-operator binary on distroless/cc (glibc and libgcc, CA
# certificates, no shell), running as the non-root user 65532 with no writable root filesystem.
#
#   docker build -t <registry>/sagemaker-k8s-operator:0.1.0 .
#
# Build stage: the workspace's pinned Rust (rust-toolchain.toml), on the Debian release the
# runtime image is built from, so the binary links the glibc it runs with. aws-lc-sys (the TLS
# crypto of the AWS SDK and kube) compiles C code, hence cmake.
FROM rust:1.95.0-bookworm AS builder
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Only the operator's package: the emulator, smlogs and test crates are not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --release -p sagemaker-k8s-operator --bin sagemaker-k8s-operator \
 && cp target/release/sagemaker-k8s-operator /sagemaker-k8s-operator

# Runtime stage: glibc, libgcc, CA certificates and /etc/passwd with "nonroot" (65532).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=builder /sagemaker-k8s-operator /sagemaker-k8s-operator
USER 65532:65532
# Metrics (HTTPS) and health probes, as the Deployment's args bind them.
EXPOSE 8443 8081
ENTRYPOINT ["/sagemaker-k8s-operator"]
CMD ["run", "--leader-elect", "--metrics-bind-address=0.0.0.0:8443", "--health-probe-bind-address=0.0.0.0:8081", "--log-format=json"]
