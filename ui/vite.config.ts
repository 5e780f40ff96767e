import { defineConfig } from 'vite';

// The service serves the built files at /ui (see src/Visage.Server); `npm run dev` proxies the API
// to a service running locally so the dashboard can be worked on with hot reload.
const service = process.env.VISAGE_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/ui/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../src/Visage.Server/wwwroot/ui',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
  },
  server: {
    proxy: Object.fromEntries(['/api', '/healthz', '/readyz', '/metrics'].map((p) => [p, service])),
  },
});
