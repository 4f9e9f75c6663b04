import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `vite build --outDir <build>/web` is run by web/CMakeLists.txt. `npx vite` serves the UI in
// development and forwards the API to a `sluice server` on 127.0.0.1:8000.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1000 },
  server: { proxy: { '/api': 'http://127.0.0.1:8000', '/metrics': 'http://127.0.0.1:8000' } },
});
