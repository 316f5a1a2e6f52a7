# syntax=docker/dockerfile:1
#
# lienthong container image: a static binary on distroless (no shell, no
# curl), running as the non-root user 65532. The official roots live in the
# volume /var/lib/lienthong/trust: on first start `serve` downloads them
# (rootca.gov.vn, ca.gov.vn, over HTTPS with the image's CA certificates);
# offline, fill the volume with `lienthong trust import FILE...`.
#
#   docker build --build-arg VERSION=v0.1.0 --build-arg COMMIT=$(git rev-parse HEAD) -t lienthong .
#   docker run -p 8080:8080 -p 9100:9100 -v lienthong-trust:/var/lib/lienthong/trust lienthong

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
ARG COMMIT=
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/lienthong ./cmd/lienthong
# The trust volume's mount point, created here because distroless has no
# shell; copied below owned by the non-root user so that a fresh named
# volume inherits that ownership.
RUN mkdir -p /out/var/lib/lienthong/trust

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/lienthong /lienthong
COPY --from=build --chown=65532:65532 /out/var/lib/lienthong /var/lib/lienthong
ENV LIENTHONG_TRUST_DIR=/var/lib/lienthong/trust
VOLUME /var/lib/lienthong/trust
USER 65532:65532
# 8080: API; 9100: /metrics (Prometheus).
EXPOSE 8080 9100
# start-period covers the first start's download of the official roots.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["/lienthong", "health", "--url", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/lienthong"]
CMD ["serve", "--listen", "0.0.0.0:8080", "--metrics-listen", "0.0.0.0:9100"]
