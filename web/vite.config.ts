// The dashboard build: `npm run build:web` writes web/dist, which the local API server serves.
// No network at build time: every dependency comes from node_modules, and the domain schemas
// are imported from functions/ so the browser validates exactly as the API does.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const webDir = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: webDir,
  base: '/',
  publicDir: 'public',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // The analytics chunk (Recharts) is loaded only by administrators.
    chunkSizeWarningLimit: 900,
  },
});
