# syntax=docker/dockerfile:1
# whatsapp-gateway image: build with dev dependencies, run with production ones only, as a user
# without privileges. `npm run check:docker` performs these same steps without a Docker engine
# (scripts/docker-recipe-check.sh reads this file), so keep to the instructions it understands:
# FROM, WORKDIR, COPY, RUN, ENV, USER, VOLUME, EXPOSE, HEALTHCHECK, CMD.

# 1. Compile TypeScript (needs the dev dependencies: typescript, @types/*).
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY emulator ./emulator
COPY bench ./bench
RUN npm run build

# 2. Production dependencies only. better-sqlite3 downloads a prebuilt binary or, failing that,
#    compiles with the python3/make/g++ this full image has; sharp and ffmpeg come prebuilt from npm.
FROM node:20-bookworm AS production-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

# 3. The image: slim Debian 12 (same glibc as the stages above), no compilers, no curl, no secrets.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=5000 DATA_DIR=/data SESSION_DIR=/data/session UPLOAD_DIR=/data/uploads
WORKDIR /app
COPY package.json ./
COPY --from=production-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# One volume holds everything that must survive: gateway.db (login, records, outbox), queued media,
# a legacy session folder, uploads in flight. The code stays root's and read-only to the gateway.
RUN mkdir -p /data && chown node:node /data && chmod 0700 /data
USER node
VOLUME ["/data"]
EXPOSE 5000
# Node instead of curl (the slim image has none); /api/health answers 200 while the process serves.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 5000) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main.js"]
