# syntax=docker/dockerfile:1
#
# One image for all four services of 供热直通车 (Heating Express Lane). The command picks the
# service (docker-compose.yml does this for each one):
#   node dist/apps/intake/src/main.js
#   node dist/apps/dispatch/src/main.js
#   node dist/apps/sms-survey/src/main.js
#   node dist/apps/kpi/src/main.js
# Configuration comes from the environment; see deploy/README.md.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: full dependencies, compile TypeScript into dist/ -------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the same as CI, where npm 11 runs no install script that package.json does not
# allow. None is needed: the build is plain tsc, and swc's native binary is an optional package.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

# ---- runtime: production dependencies and the compiled output only -------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production HEATING_MODE=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts also skips @scarf/scarf's install-time telemetry (a dependency of swagger-ui).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY deploy/healthcheck.mjs ./deploy/healthcheck.mjs
# The code and dependencies stay root-owned (read-only for the service); only .data/ (embedded
# mode's PGlite folders, unused in production mode) is writable by the service user.
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node

# intake 3001, dispatch 3002, sms-survey 3003, kpi 3004 (PORT or <SERVICE>_PORT overrides).
EXPOSE 3001 3002 3003 3004

# GET http://127.0.0.1:$PORT/health/live with Node's fetch (no curl in slim images).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "deploy/healthcheck.mjs"]

# No default service: say how to choose one.
CMD ["node", "-e", "console.error('Choose a service: node dist/apps/<intake|dispatch|sms-survey|kpi>/src/main.js'); process.exit(64)"]
