# healthmon's container image: a static binary on a distroless base, run as
# a non-root user. Build:
#   docker build --build-arg VERSION=$(cat VERSION) \
#     --build-arg REVISION=$(git rev-parse --short HEAD) \
#     --build-arg BRANCH=$(git rev-parse --abbrev-ref HEAD) -t healthmon .
# The build command below uses the Makefile's BUILDFLAGS exactly; a test
# (deploy/packaging_test.go) runs it outside Docker and compares the two.

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG REVISION=unknown
ARG BRANCH=unknown
RUN CGO_ENABLED=0 go build -trimpath -tags netgo,osusergo \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION} -X github.com/prometheus/common/version.Revision=${REVISION} -X github.com/prometheus/common/version.Branch=${BRANCH}" \
      -o /out/healthmon ./cmd/healthmon
# The history's directory, owned by the runtime user (see WORKDIR below).
RUN mkdir -p /out/state

# distroless/static holds CA certificates (for https checks) and time zones,
# and no shell. Checks of kind exec need their programs in the image: base
# such an image on debian:bookworm-slim with monitoring-plugins instead.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/healthmon /bin/healthmon
# --storage.path defaults to data/ in the working directory: make that a
# directory the user may write, and mount a volume there to keep the
# history across containers (-v healthmon-data:/var/lib/healthmon).
COPY --from=build --chown=65532:65532 /out/state /var/lib/healthmon
WORKDIR /var/lib/healthmon
# nonroot:nonroot of the distroless image.
USER 65532:65532
EXPOSE 9891
ENTRYPOINT ["/bin/healthmon"]
