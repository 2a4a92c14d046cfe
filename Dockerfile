# syntax=docker/dockerfile:1
# One image for every WipeCert entry. The command picks the process:
#   build/index.js (web, the default)   build/worker.js KIND   build/ingest.js
#   build/migrate.js   build/signer.js   build/verify.js FILE.pdf --keys keys.json
# The root file system can be read-only: the app writes only to DATA_DIR
# (a volume) and /tmp.

FROM node:24-bookworm-slim AS build
WORKDIR /app
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
# Dependencies first, from the lock file alone, so source changes reuse this layer.
# `npm install` with the committed lock (not `npm ci`: the lock is resolved for
# the build machine's platform packages); --ignore-scripts until the sources are here.
ARG GIT_COMMIT=unknown
ENV GIT_COMMIT=${GIT_COMMIT}
COPY package.json package-lock.json ./
RUN npm install --ignore-scripts
COPY . .
RUN npm rebuild && node scripts/prepare.mjs && npm run build \
 && npm prune --omit=dev

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/var/lib/wipecert \
    WIPECERT_MIGRATIONS=/app/drizzle
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/build ./build
COPY --from=build /app/drizzle ./drizzle
# the image's unprivileged `node` user (uid 1000) owns only the data directory
RUN mkdir -p /var/lib/wipecert && chown node:node /var/lib/wipecert
USER node
VOLUME ["/var/lib/wipecert"]
EXPOSE 3000
# /healthz of the web and ingest entries; a worker answers on WORKER_METRICS_PORT when set
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "const p=process.env.WORKER_METRICS_PORT&&process.env.WORKER_METRICS_PORT!=='0'?process.env.WORKER_METRICS_PORT:process.env.PORT||'3000';fetch('http://127.0.0.1:'+p+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node"]
CMD ["build/index.js"]
