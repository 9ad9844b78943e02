import { preset } from '../../jest.preset.js';

// onnxruntime-node is a native addon: the tests need typed arrays of the outer realm (see libs/autodiff/ort-environment.js).
export default { ...preset, displayName: 'export', rootDir: import.meta.dirname, testTimeout: 120_000, testEnvironment: `${import.meta.dirname}/../../libs/autodiff/ort-environment.js` };
