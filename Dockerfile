# syntax=docker/dockerfile:1
# The operator image: built with the full Node 22 image, run on distroless Node 22 as a non-root user, production
# dependencies only. Read-only root filesystem friendly: nothing is written at run time (logs go to stdout), so
# `readOnlyRootFilesystem: true` works without any volume. No HEALTHCHECK: Kubernetes probes /healthz and /readyz
# on :8081. Node runs as PID 1 and handles SIGTERM/SIGINT itself (`run` drains in-flight reconciles, then releases
# the leader Lease), and the operator starts no child processes, so no init process is needed.
#
#   docker build -t clever-addon-operator .
#   docker run --rm clever-addon-operator --help

# --- build: compile TypeScript (dev dependencies needed) ------------------------------------------------------------
# tsconfig.build.json leaves out the simulator, the playground and the local control plane: the image runs `run`,
# `config` and `crds`; the development commands say they are not installed.
FROM node:22-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY providers ./providers
RUN npm run build

# --- production dependencies only (no install scripts: none are needed at run time) ---------------------------------
FROM node:22-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- runtime ----------------------------------------------------------------------------------------------------------
FROM gcr.io/distroless/nodejs22-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/package.json ./package.json
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# 65532 is distroless' "nonroot"; numeric so that runAsNonRoot can verify it without /etc/passwd.
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/src/cli.js"]
CMD ["run"]
