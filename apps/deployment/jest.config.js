import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'deployment', rootDir: import.meta.dirname, testTimeout: 120_000, testEnvironment: `${import.meta.dirname}/../../libs/autodiff/ort-environment.js` };
