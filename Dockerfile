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
RUN apt-get update && apt-get install -y --no-install-recommends bubblewrap python3 && rm -rf /var/lib/apt/lists/*
COPY --from=build /app /app
# Everything but the tool executor runs unprivileged. The executor needs root (reduced to a few
# capabilities) to run each session's sandbox as its own uid: docker-compose.yml's tool-executor
# service sets that, and the executor refuses to start when its sandbox cannot work.
USER node
EXPOSE 3000
CMD ["npx", "tsx", "server/index.ts"]
