# syntax=docker/dockerfile:1
# The callhouse image: `npm run build` (tsc -p tsconfig.build.json -> dist/) in a build stage, then
# production dependencies and dist/ in a slim runtime stage that runs as the unprivileged `node` user.
# Node 24, the active LTS line (22, the maintenance line, is also supported and tested in CI).
ARG NODE_IMAGE=node:24.21.0-trixie-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` builds dist/, which needs the sources copied below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
# The embedded warehouse (chdb, ~550 MB) is only used when CLICKHOUSE_URL is unset; the compose
# deployment always sets it. Build with --build-arg EMBEDDED_WAREHOUSE=1 to keep it.
ARG EMBEDDED_WAREHOUSE=0
# UV_THREADPOOL_SIZE: the embedded engine runs queries on Node's thread pool; analyst queries get
# threads of their own beside the sink's (runtime/analyst.ts).
ENV NODE_ENV=production \
    UV_THREADPOOL_SIZE=16 \
    CALLHOUSE_USE_DIST=1 \
    CALLHOUSE_DATA_DIR=/var/lib/callhouse \
    CALLHOUSE_HTTP_PORT=8080 \
    CALLHOUSE_ADMIN_PORT=8081
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && if [ "$EMBEDDED_WAREHOUSE" != "1" ]; then rm -rf node_modules/@chdb; fi \
    && npm cache clean --force \
    && mkdir -p /var/lib/callhouse && chown node:node /var/lib/callhouse
COPY --from=build /app/dist ./dist
COPY bin ./bin
# Migrations are read from the package root (/app/sql), as from a source checkout.
COPY sql ./sql
USER node
VOLUME ["/var/lib/callhouse"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=6 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.CALLHOUSE_HTTP_PORT||8080)+'/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/callhouse.js"]
CMD ["start"]
