import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

// `npm run dev` proxies JSON-RPC to a dev node so the page can use its own origin as the RPC URL,
// exactly as when `sheaf node --dev` serves the build.
export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '^/$': { target: process.env.SHEAF_RPC ?? 'http://127.0.0.1:8545', bypass: (req) => (req.method === 'GET' ? req.url : undefined) },
      '/sheaf-config.json': process.env.SHEAF_RPC ?? 'http://127.0.0.1:8545',
    },
  },
  build: { chunkSizeWarningLimit: 1500 },
})
