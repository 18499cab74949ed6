/**
 * Jest setup: stops the esbuild service a test file started. Jest loads modules afresh for each test
 * file, so every file that synthesizes starts its own esbuild worker thread and `esbuild --service`
 * process (the registry stack transpiles its image-copy handler with `transformSync`). Left running,
 * they hold the Jest worker past its half-second exit limit: "A worker process has failed to exit
 * gracefully".
 */
import { stop } from 'esbuild';

afterAll(() => stop());
