import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The console is served by the Sluice process itself: everything it needs is
// bundled into dist/console (no CDN, no web fonts), so it works offline.
const consoleRoot = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../../dist/console', import.meta.url));

export default defineConfig({
  root: consoleRoot,
  base: '/',
  plugins: [preact()],
  build: {
    outDir,
    emptyOutDir: true,
    // The console is loaded once per session from the local server; one chunk per route would buy nothing.
    chunkSizeWarningLimit: 1500,
  },
});
