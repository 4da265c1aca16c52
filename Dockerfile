# syntax=docker/dockerfile:1
#
# The dataprof binary in a small image. Default command: `dataprof worker`,
# configured through DATAPROF_* variables (see docs/operations.md).
#
#   docker build -t dataprof .
#   docker run --rm -e DATAPROF_AMQP_URL=amqp://user:pass@rabbit:5672/%2f dataprof

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
# Cache the registry and the target directory between builds; the binary
# is copied out of the cache mount so the next stage can see it.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p dataprof \
    && cp target/release/dataprof /usr/local/bin/dataprof

FROM debian:bookworm-slim
# CA certificates for https downloads; nothing else is needed at run time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin dataprof
COPY --from=build /usr/local/bin/dataprof /usr/local/bin/dataprof
USER dataprof
ENV DATAPROF_LOG_FORMAT=json \
    DATAPROF_METRICS_ADDR=0.0.0.0:9464 \
    DATAPROF_TEMP_DIR=/tmp
EXPOSE 9464
# `docker stop` sends SIGTERM: the worker stops taking jobs and drains.
STOPSIGNAL SIGTERM
ENTRYPOINT ["dataprof"]
CMD ["worker"]
