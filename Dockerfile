# Static binary on distroless, running as non-root.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /hubmirror .
# The data dir must exist owned by nonroot, or the volume mounts root-owned.
RUN mkdir -p /data-dir

FROM gcr.io/distroless/static:nonroot
COPY --from=build /hubmirror /hubmirror
COPY --from=build --chown=65532:65532 /data-dir /var/lib/hubmirror
ENV HUBMIRROR_DATA_DIR=/var/lib/hubmirror
VOLUME /var/lib/hubmirror
EXPOSE 5000
USER nonroot:nonroot
ENTRYPOINT ["/hubmirror"]
CMD ["serve"]
