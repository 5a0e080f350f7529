import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The real Hyper-V suite runs only through `npm run test:hyperv` on a Windows host, the real
    // Windows-on-QEMU suite only when HVKUBE_WINDOWS_QCOW2 names a Windows image (`npm run test:qemu-windows`).
    exclude: [
      '**/*.case.ts',
      'node_modules/**',
      'dist/**',
      ...(process.env.HVKUBE_HYPERV_TEST === '1' ? [] : ['test/hyperv-real/**']),
      ...(process.env.HVKUBE_WINDOWS_QCOW2 ? [] : ['test/qemu-windows-real/**']),
    ],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
  },
});
