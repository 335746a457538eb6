# syntax=docker/dockerfile:1.7
# load-monitor: multi-stage build from the repository root:
#   docker build -f deploy/docker/load-monitor.Dockerfile -t bottlenet/load-monitor:dev .
# Stage 1 installs the workspace, builds it (tsc -b and the libturbojpeg N-API addon) and uses
# `pnpm deploy --prod` to copy the service with only its production dependencies. Stage 2 is a slim
# runtime that runs as a non-root user.
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ libturbojpeg0-dev ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN npm install -g pnpm@12.4.2
WORKDIR /src
COPY . .
RUN pnpm install --frozen-lockfile && pnpm run build
RUN pnpm --filter @bottlenet/load-monitor deploy --prod /out

FROM node:20-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libturbojpeg0 tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build --chown=10001:10001 /out /app

ENV NODE_ENV=production
USER 10001:10001
EXPOSE 9464
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js"]
