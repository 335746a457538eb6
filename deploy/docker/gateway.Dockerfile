# syntax=docker/dockerfile:1.7
# gateway: multi-stage build from the repository root:
#   docker build -f deploy/docker/gateway.Dockerfile -t bottlenet/gateway:dev .
# Stage 1 installs the workspace, builds it (tsc -b and the libturbojpeg N-API addon) and uses
# `pnpm deploy --prod` to copy the service with only its production dependencies. Stage 2 is a slim
# runtime that runs as a non-root user.
# The model repository (models/) is baked into the image: it is small, versioned with the code,
# and the sha256 checks in model-repo make a mismatch fail at start. Mount a volume over /app/models
# to serve another repository without rebuilding (see docs/operations.md).
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ libturbojpeg0-dev ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN npm install -g pnpm@12.4.2
WORKDIR /src
COPY . .
RUN pnpm install --frozen-lockfile && pnpm run build
RUN pnpm --filter @bottlenet/gateway deploy --prod /out

FROM node:20-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libturbojpeg0 tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build --chown=10001:10001 /out /app
COPY --from=build --chown=10001:10001 /src/packages/bottleneck-codec/native/build/Release /app/node_modules/@bottlenet/bottleneck-codec/native/build/Release
COPY --chown=10001:10001 models /app/models
ENV NODE_ENV=production
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js"]
