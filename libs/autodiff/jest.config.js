import { preset } from '../../jest.preset.js';

// onnxruntime-node is a native addon: the tests need typed arrays of the outer realm (see ort-environment.js).
export default { ...preset, displayName: 'autodiff', rootDir: import.meta.dirname, testEnvironment: '<rootDir>/ort-environment.js' };
