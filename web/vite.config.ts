/**
 * The console's build: `npm run build:web` → web/dist (index.html + hashed assets/). No inline scripts or
 * styles end up in the HTML (the console's CSP is `script-src 'self'; style-src 'self'`), route pages are
 * split into their own chunks, and the build fails if the code that loads first grows past its budget.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Vite would inline small assets as data: URLs and the module preload polyfill as an inline script.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: true,
    chunkSizeWarningLimit: 600,
  },
});
