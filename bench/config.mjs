// The batch size the app uses by default (src/lib/settings.ts), mirrored for the benchmark's labels.
export const DEFAULT_BATCH = 8;
