import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'mapping', rootDir: import.meta.dirname, testTimeout: 120_000 };
