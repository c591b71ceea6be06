# SomaAgent application image (gateway, tool executor, scheduler, migration job share it).
FROM node:24.22.3-bookworm-slim AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1 CHECKPOINT_DISABLE=1 ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx prisma generate && npx next build

FROM node:24.22.3-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 CHECKPOINT_DISABLE=1
# The tool sandbox: bubblewrap, python3 for code_execution; setpriv, prlimit and flock (util-linux)
# and mount are in the base image; e2fsprogs makes the per-session workspace images (docs/sandbox.md).
# postgresql-client: pg_dump/pg_restore for backups (bookworm's 15, the compose server's major version).
RUN apt-get update && apt-get install -y --no-install-recommends bubblewrap python3 e2fsprogs postgresql-client \
  && rm -rf /var/lib/apt/lists/*
COPY --from=build /app /app
# Written at run time by the unprivileged processes: this host's copy of the settings (tmp/) and
# Next's cache. (Under Kubernetes the chart mounts emptyDirs there and keeps the root file system
# read-only.)
RUN mkdir -p /app/tmp /app/.next/cache && chown -R node:node /app/tmp /app/.next/cache
# Everything but the tool executor runs unprivileged. The executor needs root (reduced to a few
# capabilities) to run each session's sandbox as its own uid: docker-compose.yml's tool-executor
# service and the Helm chart (deploy/helm/somaagent, executor.sandbox) set that, and the executor
# refuses to start when its sandbox cannot work.
USER node
EXPOSE 3000
CMD ["npx", "tsx", "server/index.ts"]
