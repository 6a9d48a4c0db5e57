import { defineConfig } from "vitest/config";

// The build lands in api/dashboard_static/, which Python serves at /dashboard (no Node at
// run time). `npm run dev` serves the source with hot reload and sends API calls to a
// `smartlinks up` on port 8080.
export default defineConfig({
  base: "/dashboard/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "../api/dashboard_static",
    emptyOutDir: true,
    target: "es2022",
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 250,
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8080",
      "/dashboard/session": "http://127.0.0.1:8080",
    },
  },
  test: { environment: "node", include: ["test/**/*.test.ts"] },
});
