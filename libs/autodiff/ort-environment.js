// Jest test environment for suites that call native addons such as onnxruntime-node.
//
// Jest runs each test file in its own vm context, so `Float32Array` inside a test (and inside modules Jest loads for
// it, such as onnxruntime-common) is not the `Float32Array` of the outer Node realm. The addon creates its output
// arrays in the outer realm, and onnxruntime-common's `instanceof Float32Array` check then fails with "A float32
// tensor's data must be type of function Float32Array()". jest-environment-node already shares ArrayBuffer and
// Uint8Array with the outer realm; this environment shares every typed array constructor (and DataView), so arrays
// made by tests, by onnxruntime-common and by the addon are all of one realm.
//
// Usage in a lib's jest.config.js:  testEnvironment: '<rootDir>/../autodiff/ort-environment.js'
import { TestEnvironment } from 'jest-environment-node';

const SHARED = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float16Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

export default class OrtEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) {
      if (name in globalThis) this.global[name] = globalThis[name];
    }
  }
}
