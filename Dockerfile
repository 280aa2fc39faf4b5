# callroi: one image, two roles (`api`, `worker`), chosen by the command.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENV NODE_ENV=production
EXPOSE 3000
CMD ["npx", "tsx", "src/main.ts", "api"]
