import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'trainer', rootDir: import.meta.dirname, testTimeout: 180_000, testEnvironment: `${import.meta.dirname}/../../libs/autodiff/ort-environment.js` };
