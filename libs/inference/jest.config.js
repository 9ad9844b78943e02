import { preset } from '../../jest.preset.js';

// onnxruntime-node is a native addon: the tests need typed arrays of the outer realm (see libs/autodiff/ort-environment.js).
export default { ...preset, displayName: 'inference', rootDir: import.meta.dirname, testEnvironment: '<rootDir>/../autodiff/ort-environment.js' };
