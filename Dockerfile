# syntax=docker/dockerfile:1
#
# The choreo image: one binary that runs any service (`choreo service run <name>`), the
# topic setup (`choreo topics apply`) and the dead-letter worker, with the project's
# topics/, contracts/ and consumers/ under CHOREO_ROOT=/app.
#
#   docker build -t choreo:local .
#   docker run --rm choreo:local --help
#
# Both stages are Debian bookworm, so the librdkafka (2.0.2) and libpq (15) the binary is
# linked against at build time are the ones installed at run time.

# ---- build: the Swift toolchain image, with the C libraries' headers ----
FROM swift:6.3.1-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends librdkafka-dev libpq-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Package.resolved is not checked in: dependencies resolve to the newest versions the
# manifest allows. The test targets are copied because the manifest declares them.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN --mount=type=cache,target=/src/.build \
    swift build -c release --product choreo --static-swift-stdlib \
    && install -D "$(swift build -c release --show-bin-path)/choreo" /out/choreo

# ---- runtime: slim Debian with the two shared libraries and the binary ----
FROM debian:12.11-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends librdkafka1 libpq5 libstdc++6 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app choreo
COPY --from=build /out/choreo /usr/local/bin/choreo
COPY topics /app/topics
COPY contracts /app/contracts
COPY consumers /app/consumers
ENV CHOREO_ROOT=/app \
    CHOREO_LOG_LEVEL=info
WORKDIR /app
USER choreo
ENTRYPOINT ["/usr/local/bin/choreo"]
CMD ["--help"]
