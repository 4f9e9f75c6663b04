# syntax=docker/dockerfile:1
# sluice in a container. Build: `docker build -t sluice .`; run everything: docker-compose.yml.
#
#   web      the web UI (Vite build) on Node 20
#   build    the binary on Debian 12 with the packages `scripts/setup.sh build` installs (the
#            same as `make demo`), stripped; then the Debian packages of the libraries it links
#            (deploy/runtime-packages.sh)
#   runtime  debian:12-slim with only those libraries, CA certificates, time zones, curl (the
#            health check) and postgresql-client (pg_dump for `sluice backup` of a PostgreSQL
#            store); runs as the non-root user `sluice` (uid 10001)

FROM node:20-bookworm-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY web/ ./
RUN npx --no-install tsc --noEmit -p tsconfig.json \
 && npx --no-install vite build --logLevel warn --outDir /out/web --emptyOutDir

FROM debian:12 AS build
WORKDIR /src
COPY scripts/setup.sh scripts/setup.sh
RUN bash scripts/setup.sh build && rm -rf /var/lib/apt/lists/*
COPY CMakeLists.txt ./
COPY src/ src/
COPY web/CMakeLists.txt web/CMakeLists.txt
COPY deploy/ deploy/
# No GoogleTest and no npm in this stage: CMake configures the binary only.
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_USE_CCACHE=OFF \
 && cmake --build build --target sluice \
 && install -D -m 0755 -s build/sluice /out/usr/bin/sluice \
 && sh deploy/runtime-packages.sh build/sluice > /out/runtime-packages.txt

FROM debian:12-slim AS runtime
COPY --from=build /out/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      $(cat /tmp/runtime-packages.txt) ca-certificates tzdata curl postgresql-client \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && groupadd --system --gid 10001 sluice \
 && useradd --system --uid 10001 --gid sluice --home-dir /var/lib/sluice --shell /usr/sbin/nologin sluice \
 && install -d -o sluice -g sluice -m 0750 /var/lib/sluice
COPY --from=build /out/usr/bin/sluice /usr/bin/sluice
COPY --from=web /out/web /usr/share/sluice/web
USER sluice
WORKDIR /var/lib/sluice
VOLUME ["/var/lib/sluice"]
EXPOSE 8000 8001
# /api/v1/health answers without a login; the worker image overrides or disables this.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8000/api/v1/health || exit 1
ENTRYPOINT ["sluice"]
CMD ["server", "--host", "0.0.0.0", "--data-dir", "/var/lib/sluice"]
