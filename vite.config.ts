import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  // Relative asset paths: the built site works from any folder of any static host.
  base: './',
  plugins: [react()],
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    // TF.js is one large chunk by nature; the warning would only be noise.
    chunkSizeWarningLimit: 4096,
    // The benchmark page ships beside the app, so `vite preview` (e2e) and any static host serve it.
    rolldownOptions: { input: { main: 'index.html', bench: 'bench/index.html' } },
  },
  preview: { port: 4173, strictPort: true },
});
