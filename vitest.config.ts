import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/util/setup.ts"],
    testTimeout: 120_000,
  },
});
