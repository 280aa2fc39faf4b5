# callroi: one image, two roles (`api`, `worker`), chosen by the command. The image runs the
# compiled JavaScript (`npm run build`) on a maintained Node.js LTS; the TypeScript toolchain and the
# dev dependencies stay in the build stage.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY connectors ./connectors
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The embedded mode (`all` without DATABASE_URL) keeps its database and generated secrets here;
# mount a volume on it to keep them.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
CMD ["node", "dist/src/main.js", "api"]
