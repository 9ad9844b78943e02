export * from './demo-run.plan.js';
