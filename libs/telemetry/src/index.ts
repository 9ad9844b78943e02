export * from './file-span-exporter.js';
export * from './logger.js';
export * from './telemetry.js';
export * from './metrics.js';
