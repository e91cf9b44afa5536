# syntax=docker/dockerfile:1
#
# pdbot image: a static binary on distroless, running as non-root.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t pdbot .
#   docker run --rm -e SLACK_APP_TOKEN -e SLACK_BOT_TOKEN -e PDBOT_MASTER_KEY \
#     -v pdbot-data:/data -p 8080:8080 pdbot
#
# .ci/run performs the same `go build` as the build stage (no Docker engine
# is needed for CI).

FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first, so source edits do not invalidate the module cache layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /pdbot ./cmd/pdbot \
 && mkdir -p /out/data

# distroless/static carries CA certificates (Slack and PagerDuty are HTTPS),
# tzdata and a nonroot user (65532), and nothing else: no shell, no package
# manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /pdbot /pdbot
# The default store is bolt:pdbot.db in the working directory; /data is owned
# by the runtime user so it can be written. Mount a volume there (one replica),
# or set PDBOT_STORE to a postgres:// URL (several replicas).
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
VOLUME ["/data"]
USER 65532:65532
# /healthz, /readyz and /metrics (PDBOT_HTTP_ADDR). Socket Mode needs no
# inbound port for Slack itself.
EXPOSE 8080
# No HEALTHCHECK: it would need a shell or an HTTP client inside the image,
# and distroless has neither. Probe /healthz (liveness) and /readyz
# (readiness) from the orchestrator instead, e.g. Kubernetes httpGet probes.
ENTRYPOINT ["/pdbot"]
CMD ["serve"]
